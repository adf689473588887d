// Builds an MPI datatype addressing several memory segments (absolute
// addresses, sent from or received into MPI_BOTTOM) so one message can be
// gathered from or scattered to the caller's buffers without a copy.
#pragma once

#include "transport/transport.hpp"

#include <mpi.h>

#include <vector>

namespace nacre::transport {

// RAII owner of a committed datatype. Segments must each be < 2 GiB.
class SegmentType {
 public:
  SegmentType(const std::vector<ConstSegment>& segs);
  ~SegmentType();
  SegmentType(const SegmentType&) = delete;
  SegmentType& operator=(const SegmentType&) = delete;
  MPI_Datatype type() const { return type_; }

 private:
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
};

}  // namespace nacre::transport
