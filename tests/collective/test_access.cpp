// RankAccess and Coverage against brute force.
#include "collective/access.hpp"
#include "collective/coverage.hpp"
#include "collective_model.hpp"

using namespace nacre::collective;
using namespace nacre::collective::testing;

TEST_SUITE("access") {

TEST_CASE("summary merges stream-and-file neighbours and skips empty pieces") {
  Pieces p = {{100, 10}, {110, 5}, {0, 0}, {115, 1}, {50, 10}, {60, 10}, {10, 1}};
  auto s = summarize(p);
  REQUIRE(s.is_ok());
  CHECK(s->begin == 10);
  CHECK(s->end == 116);
  CHECK(s->bytes == 37);
  CHECK(s->runs == 3);
  auto a = RankAccess::build(p);
  REQUIRE(a.is_ok());
  CHECK(a->summary() == *s);
  REQUIRE(a->entries().size() == 3);
  CHECK(a->entries()[0].offset == 10);
  CHECK(a->entries()[0].stream == 36);
  CHECK(a->entries()[1].offset == 50);
  CHECK(a->entries()[1].stream == 16);
  CHECK(a->entries()[2].offset == 100);
  CHECK(a->entries()[2].stream == 0);
  CHECK(a->entries()[2].length == 16);
  CHECK_FALSE(a->overlapping());
}

TEST_CASE("empty access") {
  auto a = RankAccess::build(Pieces{});
  REQUIRE(a.is_ok());
  CHECK(a->summary().empty());
  CHECK(a->summary().runs == 0);
  auto b = RankAccess::build(Pieces{{5, 0}});
  REQUIRE(b.is_ok());
  CHECK(b->summary().empty());
}

TEST_CASE("pieces beyond the largest offset are rejected") {
  auto a = RankAccess::build(Pieces{{0, 1}, {kMaxFileEnd, 1}});
  REQUIRE_FALSE(a.is_ok());
  CHECK(a.status().code() == EINVAL);
  CHECK(a.status().message().find("piece 1") != std::string::npos);
  auto b = summarize(Pieces{{UINT64_MAX - 1, 4}});
  CHECK_FALSE(b.is_ok());
  CHECK(RankAccess::build(Pieces{{kMaxFileEnd - 1, 1}}).is_ok());
}

TEST_CASE("for_each_in and coverage match a byte model (random)") {
  std::mt19937_64 rng(test_seed(1234));
  for (int iter = 0; iter < 400; ++iter) {
    const int nranks = 1 + static_cast<int>(rng() % 5);
    const uint64_t span = 1 + rng() % 600;
    std::vector<Pieces> ranks(static_cast<size_t>(nranks));
    for (auto& p : ranks) {
      const int n = static_cast<int>(rng() % 12);
      const bool ordered = rng() % 2;
      uint64_t pos = rng() % 20;
      for (int i = 0; i < n; ++i) {
        const uint64_t len = rng() % 40;
        uint64_t off = ordered ? pos : rng() % span;
        pos = off + len + rng() % 3;
        p.push_back({off, len});
      }
    }
    auto acc = build_all(ranks);
    // for_each_in over random windows: the same multiset of (file, stream) bytes.
    for (size_t r = 0; r < ranks.size(); ++r) {
      for (int t = 0; t < 5; ++t) {
        uint64_t lo = rng() % (span + 50), hi = lo + rng() % 100;
        std::multiset<std::pair<uint64_t, uint64_t>> want, got;
        uint64_t stream = 0;
        for (const auto& e : ranks[r]) {
          for (uint64_t i = 0; i < e.length; ++i)
            if (e.offset + i >= lo && e.offset + i < hi) want.insert({e.offset + i, stream + i});
          stream += e.length;
        }
        acc[r].for_each_in(lo, hi, [&](uint64_t f, uint64_t n, uint64_t s) {
          for (uint64_t i = 0; i < n; ++i) got.insert({f + i, s + i});
        });
        CHECK(want == got);
      }
    }
    // Coverage: union, merged, maximal.
    auto cov = Coverage::of(acc);
    uint64_t max_end = span;
    for (const auto& p : ranks)
      for (const auto& e : p) max_end = std::max(max_end, e.end());
    std::vector<uint8_t> bytes(max_end + 200, 0);
    for (const auto& p : ranks)
      for (const auto& e : p)
        for (uint64_t b = e.offset; b < e.end(); ++b) bytes[b] = 1;
    std::vector<uint8_t> got(bytes.size(), 0);
    uint64_t prev_end = 0;
    for (size_t i = 0; i < cov.extents().size(); ++i) {
      const Extent& e = cov.extents()[i];
      CHECK(e.length > 0);
      if (i > 0) CHECK(e.offset > prev_end);
      prev_end = e.end();
      for (uint64_t b = e.offset; b < e.end(); ++b) got[b] = 1;
    }
    CHECK(got == bytes);
    for (int t = 0; t < 10; ++t) {
      const uint64_t x = rng() % (max_end + 60);
      auto nx = cov.next_covered(x);
      uint64_t want = x;
      while (want < bytes.size() && !bytes[want]) ++want;
      if (want >= bytes.size()) CHECK_FALSE(nx.has_value());
      else {
        REQUIRE(nx.has_value());
        CHECK(*nx == want);
      }
      const uint64_t hi = x + rng() % 80;
      std::vector<Extent> c, h;
      cov.split(x, hi, c, h);
      std::vector<uint8_t> m(hi - x, 0);
      for (const auto& e : c)
        for (uint64_t b = e.offset; b < e.end(); ++b) {
          CHECK(bytes[b] == 1);
          CHECK(m[b - x] == 0);
          m[b - x] = 1;
        }
      for (const auto& e : h)
        for (uint64_t b = e.offset; b < e.end(); ++b) {
          CHECK(bytes[b] == 0);
          CHECK(m[b - x] == 0);
          m[b - x] = 1;
        }
      CHECK(std::count(m.begin(), m.end(), uint8_t{0}) == 0);
    }
  }
}

}  // TEST_SUITE
