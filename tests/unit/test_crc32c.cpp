// CRC-32C against the standard check value and a bitwise reference model.
#include "common/crc32c.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {
// Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78): the naive model.
uint32_t crc32c_model(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}
}  // namespace

TEST_SUITE("crc32c") {
  TEST_CASE("standard check value and empty input") {
    const char* s = "123456789";
    CHECK(nacre::crc32c(s, 9) == 0xE3069283u);
    CHECK(nacre::crc32c(s, 0) == 0u);
    CHECK(nacre::crc32c_extend(0x12345678u, s, 0) == 0x12345678u);
  }

  TEST_CASE("matches the bitwise model for every length and split") {
    std::mt19937_64 rng(42);
    std::vector<uint8_t> buf(4099);
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    for (size_t n = 0; n <= buf.size(); n += (n < 80 ? 1 : 61)) {
      const uint32_t want = crc32c_model(buf.data(), n);
      REQUIRE(nacre::crc32c(buf.data(), n) == want);
      const size_t cut = n / 3;
      CHECK(nacre::crc32c_extend(nacre::crc32c(buf.data(), cut), buf.data() + cut, n - cut) == want);
    }
  }

  TEST_CASE("a flipped bit changes the checksum") {
    std::vector<uint8_t> page(4096, 0xA5);
    const uint32_t good = nacre::crc32c(page);
    for (size_t bit = 0; bit < page.size() * 8; bit += 97) {
      page[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      CHECK(nacre::crc32c(page) != good);
      page[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    CHECK(nacre::crc32c(page) == good);
  }
}

TEST_SUITE("crc32c") {
  TEST_CASE("combine equals the CRC of the concatenation, at every split") {
    std::mt19937_64 rng(11);
    std::vector<uint8_t> buf(3 * 4096 + 123);
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    for (size_t cut = 0; cut <= buf.size(); cut += (cut < 40 ? 1 : 97)) {
      const uint32_t a = nacre::crc32c(buf.data(), cut);
      const uint32_t b = nacre::crc32c(buf.data() + cut, buf.size() - cut);
      REQUIRE(nacre::crc32c_combine(a, b, buf.size() - cut) == nacre::crc32c(buf));
    }
    // The table-driven page length, page after page.
    uint32_t folded = nacre::crc32c(buf.data(), 4096);
    for (size_t at = 4096; at + 4096 <= buf.size(); at += 4096)
      folded = nacre::crc32c_combine(folded, nacre::crc32c(buf.data() + at, 4096), 4096);
    CHECK(folded == nacre::crc32c(buf.data(), 3 * 4096));
    // Empty parts.
    CHECK(nacre::crc32c_combine(nacre::crc32c(buf), 0, 0) == nacre::crc32c(buf));
    CHECK(nacre::crc32c_combine(0, nacre::crc32c(buf), buf.size()) == nacre::crc32c(buf));
  }
}
