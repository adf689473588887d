// Extent math, exhaustively over a small universe, against a byte-set model.
// Universe: bytes 0..kU-1 for ordinary extents; an extent to EOF also covers
// the model byte kU, which stands for "every byte >= kU".
#include <doctest/doctest.h>

#include <bitset>
#include <ostream>
#include <vector>

#include "locks/extent.hpp"

using namespace nacre::locks;

namespace {

constexpr uint64_t kU = 12;
using Bytes = std::bitset<kU + 1>;

// Every extent starting at or below `limit` and ending at or below kU or at EOF.
std::vector<Extent> all_extents(uint64_t limit = kU) {
  std::vector<Extent> out;
  for (uint64_t s = 0; s <= limit; ++s) {
    for (uint64_t e = s + 1; e <= kU; ++e) out.push_back(Extent{s, e});
    out.push_back(Extent{s, kEof});
  }
  return out;
}

Bytes bytes_of(const Extent& x) {
  Bytes b;
  const uint64_t end = x.end == kEof ? kU + 1 : x.end;
  for (uint64_t i = x.start; i < end && i <= kU; ++i) b.set(i);
  return b;
}

// The extent whose model bytes are exactly b, if b is one contiguous run.
std::optional<Extent> extent_of(const Bytes& b) {
  if (b.none()) return std::nullopt;
  uint64_t s = 0;
  while (!b.test(s)) ++s;
  uint64_t e = s;
  while (e <= kU && b.test(e)) ++e;
  for (uint64_t i = e; i <= kU; ++i)
    if (b.test(i)) return std::nullopt;
  return Extent{s, e == kU + 1 ? kEof : e};
}

}  // namespace

TEST_SUITE("extent") {
  TEST_CASE("basic properties") {
    CHECK(Extent::whole().valid());
    CHECK(Extent::whole().to_eof());
    CHECK(Extent::whole().length() == kEof);
    CHECK_FALSE((Extent{5, 5}).valid());
    CHECK((Extent{5, 5}).length() == 0);
    CHECK((Extent{3, 7}).length() == 4);
    CHECK((Extent{3, kEof}).contains_byte(kEof - 1));
    CHECK_FALSE((Extent{3, 7}).contains_byte(7));
  }

  TEST_CASE("overlap, containment, intersection, merge: every pair") {
    const auto xs = all_extents();
    for (const Extent& a : xs)
      for (const Extent& b : xs) {
        CAPTURE(a.start); CAPTURE(a.end); CAPTURE(b.start); CAPTURE(b.end);
        const Bytes ba = bytes_of(a), bb = bytes_of(b);
        CHECK(overlaps(a, b) == (ba & bb).any());
        CHECK(contains(a, b) == ((ba & bb) == bb));
        const auto i = intersect(a, b);
        CHECK(i.has_value() == (ba & bb).any());
        if (i) CHECK(bytes_of(*i) == (ba & bb));
        // Adjacent or overlapping <=> the union is one run.
        const auto u = extent_of(ba | bb);
        CHECK(mergeable(a, b) == u.has_value());
        const auto m = merge(a, b);
        CHECK(m.has_value() == u.has_value());
        if (m) CHECK(*m == *u);
        // hull: smallest run covering both.
        const Extent h = hull(a, b);
        CHECK(contains(h, a));
        CHECK(contains(h, b));
        for (const Extent& c : xs)
          if (contains(c, a) && contains(c, b)) CHECK(contains(c, h));
      }
  }

  TEST_CASE("empty extents overlap and contain nothing") {
    for (const Extent& a : all_extents()) {
      CHECK_FALSE(overlaps(a, Extent{4, 4}));
      CHECK_FALSE(overlaps(Extent{4, 2}, a));
      CHECK_FALSE(contains(a, Extent{4, 4}));
    }
  }

  TEST_CASE("page rounding against brute force") {
    for (uint64_t page : {1u, 2u, 3u, 4u, 5u}) {
      for (const Extent& e : all_extents()) {
        CAPTURE(page); CAPTURE(e.start); CAPTURE(e.end);
        // round_out: smallest aligned extent containing e.
        const Extent r = round_out(e, page);
        CHECK(page_aligned(r.start, page));
        CHECK(page_aligned(r.end, page));
        CHECK(contains(r, e));
        CHECK(e.start - r.start < page);
        if (e.end != kEof) CHECK(r.end - e.end < page);
        else CHECK(r.end == kEof);
        // align_in: largest aligned extent inside e.
        std::optional<Extent> best;
        for (const Extent& c : all_extents(2 * kU))
          if (page_aligned(c.start, page) && page_aligned(c.end, page) && contains(e, c) &&
              (!best || contains(c, *best)))
            best = c;
        const auto a = align_in(e, page);
        CHECK(a.has_value() == best.has_value());
        if (a && best) CHECK(*a == *best);
      }
    }
  }

  TEST_CASE("rounding saturates near EOF") {
    CHECK(round_up(kEof - 1, 4096) == kEof);
    CHECK(round_up(kEof, 4096) == kEof);
    CHECK(round_up(8192, 4096) == 8192);
    CHECK(round_up(8193, 4096) == 12288);
    CHECK(round_out(Extent{kEof - 10, kEof - 5}, 4096) == (Extent{round_down(kEof - 10, 4096), kEof}));
    CHECK_FALSE(align_in(Extent{kEof - 10, kEof - 5}, 4096).has_value());
    CHECK(align_in(Extent{kEof - 10, kEof}, 4096) == std::nullopt);
    CHECK(align_in(Extent{1, kEof}, 4096) == (Extent{4096, kEof}));
    CHECK(page_aligned(kEof, 4096));
  }
}
