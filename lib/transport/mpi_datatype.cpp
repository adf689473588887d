#include "transport/mpi_datatype.hpp"

namespace nacre::transport {

SegmentType::SegmentType(const std::vector<ConstSegment>& segs) {
  std::vector<int> lens;
  std::vector<MPI_Aint> displs;
  lens.reserve(segs.size());
  displs.reserve(segs.size());
  for (const auto& s : segs) {
    if (s.len == 0) continue;
    MPI_Aint addr;
    MPI_Get_address(s.ptr, &addr);
    lens.push_back(static_cast<int>(s.len));
    displs.push_back(addr);
  }
  MPI_Type_create_hindexed(static_cast<int>(lens.size()), lens.data(), displs.data(), MPI_BYTE,
                           &type_);
  MPI_Type_commit(&type_);
}

SegmentType::~SegmentType() {
  if (type_ != MPI_DATATYPE_NULL) MPI_Type_free(&type_);
}

}  // namespace nacre::transport
