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

// CRC-32C of a ++ b from crc_a = CRC-32C(a), crc_b = CRC-32C(b) and len_b
// = b's length, without the bytes. O(log len_b); table-driven (a few
// lookups) when len_b is kCrc32cFastLength.
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
inline constexpr uint64_t kCrc32cFastLength = 4096;  // the stores' checksum page
inline uint32_t crc32c(std::span<const uint8_t> data) {
  return crc32c_extend(0, data.data(), data.size());
}

}  // namespace nacre
