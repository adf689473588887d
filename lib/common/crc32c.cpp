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

namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // CRC-32C, reflected

// a * b modulo the polynomial (reflected bit order: bit 31 is x^0).
uint32_t multmodp(uint32_t a, uint32_t b) {
  uint32_t m = 1u << 31, p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = (b & 1) ? (b >> 1) ^ kPoly : b >> 1;
  }
  return p;
}

// x^(2^k) modulo the polynomial, k = 0..63.
struct PowerTable {
  uint32_t x2n[64];
  PowerTable() {
    uint32_t p = 1u << 30;  // x^1
    for (auto& v : x2n) {
      v = p;
      p = multmodp(p, p);
    }
  }
};

// x^(8 n) modulo the polynomial.
uint32_t x8n(uint64_t n) {
  static const PowerTable t;
  uint32_t p = 1u << 31;  // x^0
  for (int k = 3; n; n >>= 1, ++k)
    if (n & 1) p = multmodp(t.x2n[k & 63], p);
  return p;
}

// Multiplication by x^(8 * kCrc32cFastLength), as four byte tables.
struct FastShift {
  uint32_t t[4][256];
  FastShift() {
    const uint32_t op = x8n(kCrc32cFastLength);
    for (int j = 0; j < 4; ++j)
      for (uint32_t b = 0; b < 256; ++b) t[j][b] = multmodp(op, b << (8 * j));
  }
  uint32_t apply(uint32_t c) const {
    return t[0][c & 0xFF] ^ t[1][(c >> 8) & 0xFF] ^ t[2][(c >> 16) & 0xFF] ^ t[3][c >> 24];
  }
};

}  // namespace

uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b) {
  if (len_b == kCrc32cFastLength) {
    static const FastShift fast;
    return fast.apply(crc_a) ^ crc_b;
  }
  return multmodp(x8n(len_b), crc_a) ^ crc_b;
}

}  // namespace nacre
