#include "common/crc32c.hpp"

#include <isa-l/crc.h>

#include <algorithm>
#include <climits>

namespace nacre {

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t len) {
  // ISA-L keeps the register un-inverted: start from ~crc, invert at the end.
  // Its length is an int: feed at most 1 GiB at a time.
  unsigned int reg = ~crc;
  auto* p = static_cast<unsigned char*>(const_cast<void*>(data));
  while (len > 0) {
    const size_t n = std::min<size_t>(len, size_t{1} << 30);
    reg = crc32_iscsi(p, static_cast<int>(n), reg);
    p += n;
    len -= n;
  }
  return ~reg;
}

}  // namespace nacre
