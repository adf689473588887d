// Striping arithmetic against a naive byte-by-byte model, exhaustively over
// small geometries and randomly over large ones.
#include "layout/layout_math.hpp"

#include <doctest/doctest.h>

#include <map>
#include <random>

using namespace nacre::layout;

namespace {

// Naive model: walk byte by byte.
struct NaiveByte {
  uint32_t stripe;
  uint64_t object_offset;
};
NaiveByte naive_locate(uint64_t ss, uint32_t sc, uint64_t b) {
  uint64_t unit = 0, pos = 0;
  // unit of b by repeated subtraction (small inputs only)
  while (pos + ss <= b) { pos += ss; ++unit; }
  uint32_t stripe = static_cast<uint32_t>(unit % sc);
  uint64_t units_before_on_stripe = unit / sc;
  return {stripe, units_before_on_stripe * ss + (b - pos)};
}

}  // namespace

TEST_SUITE("layout") {

TEST_CASE("map_extent covers every byte exactly once, matching the naive model") {
  for (uint64_t ss : {1ull, 2ull, 3ull, 5ull, 8ull}) {
    for (uint32_t sc = 1; sc <= 5; ++sc) {
      const StripeGeometry g{ss, sc};
      for (uint64_t off = 0; off < 30; ++off) {
        for (uint64_t len = 0; len < 30; ++len) {
          auto pieces = map_extent(g, off, len);
          uint64_t b = off;
          for (const auto& p : pieces) {
            REQUIRE(p.file_offset == b);
            REQUIRE(p.length > 0);
            REQUIRE(p.length <= ss);
            for (uint64_t k = 0; k < p.length; ++k, ++b) {
              auto n = naive_locate(ss, sc, b);
              REQUIRE(n.stripe == p.stripe_index);
              REQUIRE(n.object_offset == p.object_offset + k);
            }
          }
          REQUIRE(b == off + len);
        }
      }
    }
  }
}

TEST_CASE("object sizes and file size agree with a byte model") {
  for (uint64_t ss : {1ull, 2ull, 4ull, 7ull}) {
    for (uint32_t sc = 1; sc <= 6; ++sc) {
      const StripeGeometry g{ss, sc};
      for (uint64_t fsize = 0; fsize < 80; ++fsize) {
        std::vector<uint64_t> model(sc, 0);
        for (uint64_t b = 0; b < fsize; ++b) {
          auto n = naive_locate(ss, sc, b);
          model[n.stripe] = std::max(model[n.stripe], n.object_offset + 1);
        }
        std::vector<uint64_t> sizes;
        for (uint32_t i = 0; i < sc; ++i) {
          REQUIRE(object_size_for_file_size(g, i, fsize) == model[i]);
          sizes.push_back(model[i]);
        }
        REQUIRE(file_size_from_object_sizes(g, sizes) == fsize);
      }
    }
  }
}

TEST_CASE("file_end_of_object inverts locate for every last byte") {
  for (uint64_t ss : {1ull, 3ull, 65536ull}) {
    for (uint32_t sc = 1; sc <= 4; ++sc) {
      const StripeGeometry g{ss, sc};
      for (uint64_t b = 0; b < 3 * ss * sc + 5; b += (ss > 100 ? 4099 : 1)) {
        auto e = locate(g, b);
        REQUIRE(file_end_of_object(g, e.stripe_index, e.object_offset + 1) == b + 1);
      }
      REQUIRE(file_end_of_object(g, 0, 0) == 0);
    }
  }
}

TEST_CASE("plan_transfer: segments cover the buffer once, objects contiguous, RPC cap kept") {
  std::mt19937_64 rng(12345);
  for (int iter = 0; iter < 3000; ++iter) {
    const uint64_t ss = 1 + rng() % 9;
    const uint32_t sc = 1 + rng() % 5;
    const uint64_t off = rng() % 200, len = rng() % 200;
    const uint64_t cap = 1 + rng() % 40;
    const StripeGeometry g{ss, sc};
    auto plan = plan_transfer(g, off, len, cap);
    std::vector<int> covered(len, 0);
    for (const auto& r : plan) {
      REQUIRE(r.length > 0);
      REQUIRE(r.length <= cap);
      uint64_t sum = 0, obj = r.object_offset;
      for (const auto& s : r.segments) {
        for (uint64_t k = 0; k < s.length; ++k) {
          const uint64_t b = off + s.buffer_offset + k;
          auto n = naive_locate(ss, sc, b);
          REQUIRE(n.stripe == r.stripe_index);
          REQUIRE(n.object_offset == obj + k);
          covered[s.buffer_offset + k]++;
        }
        obj += s.length;
        sum += s.length;
      }
      REQUIRE(sum == r.length);
    }
    for (uint64_t i = 0; i < len; ++i) REQUIRE(covered[i] == 1);
  }
}

TEST_CASE("plan_transfer merges a large aligned transfer into one request per object") {
  const StripeGeometry g{1 << 20, 4};
  auto plan = plan_transfer(g, 0, 16 << 20, 16 << 20);
  REQUIRE(plan.size() == 4);
  for (uint32_t i = 0; i < 4; ++i) {
    CHECK(plan[i].stripe_index == i);
    CHECK(plan[i].length == (4u << 20));
    CHECK(plan[i].segments.size() == 4);
  }
  auto capped = plan_transfer(g, 0, 16 << 20, 1 << 20);
  CHECK(capped.size() == 16);
}

TEST_CASE("large offsets near the maximum file size do not overflow") {
  const StripeGeometry g{65536, 3};
  const uint64_t off = (1ull << 60) - 200000;
  auto pieces = map_extent(g, off, 200000);
  uint64_t sum = 0;
  for (const auto& p : pieces) sum += p.length;
  CHECK(sum == 200000);
  const uint64_t fsize = 1ull << 60;
  std::vector<uint64_t> sizes;
  for (uint32_t i = 0; i < 3; ++i) sizes.push_back(object_size_for_file_size(g, i, fsize));
  CHECK(file_size_from_object_sizes(g, sizes) == fsize);
}

}  // TEST_SUITE
