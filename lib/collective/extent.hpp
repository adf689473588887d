// Plain value types of the collective (two-phase) planner. Pure: no MPI, no I/O.
#pragma once

#include <cstdint>
#include <limits>

namespace nacre::collective {

// A byte range of the file: [offset, offset + length).
struct Extent {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t end() const { return offset + length; }
  bool operator==(const Extent&) const = default;
};

// One piece of a rank's data moved to (write) or from (read) an aggregator:
// file bytes [file_offset, file_offset + length) are bytes
// [stream_offset, stream_offset + length) of the rank's user stream (the
// concatenation of its access list, in the order the list was given).
struct Transfer {
  uint64_t file_offset = 0;
  uint64_t stream_offset = 0;
  uint64_t length = 0;
  bool operator==(const Transfer&) const = default;
};

// Every accessed byte must lie below this (MPI_Offset is signed).
inline constexpr uint64_t kMaxFileEnd = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

}  // namespace nacre::collective
