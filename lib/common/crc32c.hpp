// CRC-32C (Castagnoli, the iSCSI polynomial), hardware-accelerated through
// ISA-L. The checksum of Nacre's end-to-end integrity (docs/DURABILITY.md).
// Pure, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace nacre {

// CRC-32C of the bytes continued from `crc`, the CRC-32C of what came
// before them (0 for none): crc32c_extend(crc32c(a), b) == crc32c(a ++ b).
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t len);

inline uint32_t crc32c(const void* data, size_t len) { return crc32c_extend(0, data, len); }
inline uint32_t crc32c(std::span<const uint8_t> data) {
  return crc32c_extend(0, data.data(), data.size());
}

}  // namespace nacre
