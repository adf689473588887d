// Striping arithmetic against a naive byte-by-byte model, exhaustively over
// small geometries and randomly over large ones.
#include "layout/layout_math.hpp"

#include <doctest/doctest.h>

#include <map>
#include <algorithm>
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

TEST_SUITE("layout") {

TEST_CASE("plan_pieces: shuffled non-overlapping pieces map every stream byte once") {
  std::mt19937_64 rng(777);
  for (int iter = 0; iter < 2000; ++iter) {
    const uint64_t ss = 1 + rng() % 8;
    const uint32_t sc = 1 + rng() % 4;
    const uint64_t cap = 1 + rng() % 30;
    const StripeGeometry g{ss, sc};
    // Cut [0, 150) into random pieces, drop some, shuffle the rest.
    std::vector<FilePiece> pieces;
    for (uint64_t pos = 0; pos < 150;) {
      const uint64_t len = 1 + rng() % 20;
      if (rng() % 4) pieces.push_back({pos, std::min<uint64_t>(len, 150 - pos)});
      pos += len;
    }
    std::shuffle(pieces.begin(), pieces.end(), rng);
    std::vector<uint64_t> stream_to_file;
    for (const auto& p : pieces)
      for (uint64_t k = 0; k < p.length; ++k) stream_to_file.push_back(p.file_offset + k);
    auto plan = plan_pieces(g, pieces, cap);
    std::vector<int> covered(stream_to_file.size(), 0);
    for (size_t i = 0; i < plan.size(); ++i) {
      const auto& r = plan[i];
      REQUIRE(r.length > 0);
      REQUIRE(r.length <= cap);
      if (i > 0) {  // ordered by stripe, then object offset
        REQUIRE((plan[i - 1].stripe_index < r.stripe_index ||
                 (plan[i - 1].stripe_index == r.stripe_index &&
                  plan[i - 1].object_offset < r.object_offset)));
      }
      uint64_t obj = r.object_offset;
      for (const auto& s : r.segments) {
        for (uint64_t k = 0; k < s.length; ++k) {
          auto n = naive_locate(ss, sc, stream_to_file[s.buffer_offset + k]);
          REQUIRE(n.stripe == r.stripe_index);
          REQUIRE(n.object_offset == obj + k);
          covered[s.buffer_offset + k]++;
        }
        obj += s.length;
      }
    }
    for (int c : covered) REQUIRE(c == 1);
  }
}

TEST_CASE("plan_pieces merges an aggregator's stripes into one request per object") {
  // Stripes 0, 2, 4, 6 of a 2-stripe file (all on stripe index 0), given in
  // reverse order: one request of 4 stripe units.
  const StripeGeometry g{1 << 20, 2};
  std::vector<FilePiece> pieces;
  for (int u : {6, 4, 2, 0}) pieces.push_back({uint64_t(u) << 20, 1 << 20});
  auto plan = plan_pieces(g, pieces, 16 << 20);
  REQUIRE(plan.size() == 1);
  CHECK(plan[0].stripe_index == 0);
  CHECK(plan[0].object_offset == 0);
  CHECK(plan[0].length == (4u << 20));
  REQUIRE(plan[0].segments.size() == 4);
  CHECK(plan[0].segments[0].buffer_offset == (3u << 20));  // unit 0 was given last
}

}  // TEST_SUITE
