// Lock expansion policy: exhaustive over small universes against the 2-D
// brute-force model, random 3-lock cases over [0, 64), and directed cases
// at real scale (4 KiB pages, 32 MiB cap).
#include <doctest/doctest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "lock_model.hpp"

using namespace locks_test;

namespace {

std::vector<Extent> extents_in(uint64_t u) {
  std::vector<Extent> out;
  for (uint64_t s = 0; s < u; ++s) {
    for (uint64_t e = s + 1; e <= u; ++e) out.push_back(Extent{s, e});
    out.push_back(Extent{s, kEof});
  }
  return out;
}

std::string describe(const ExpansionRequest& r, const std::vector<OtherLock>& others,
                     const ExpansionParams& p) {
  std::ostringstream os;
  os << "page " << p.page_size << " contended " << p.contended_locks << " cap " << p.max_grown_conflicts
     << "/" << p.max_grown_extent << "; req " << mode_name(r.mode) << "/" << r.gid << " ["
     << r.wanted.start << "," << r.wanted.end << ")" << (r.no_expand ? " no_expand" : "");
  for (const OtherLock& o : others)
    os << "; other " << mode_name(o.mode) << "/" << o.gid << " [" << o.extent.start << ","
       << o.extent.end << ")" << (o.granted ? " granted" : " waiting");
  return os.str();
}

// Checks expand() against the brute force and the stated guarantees;
// returns false (after a failing CHECK) on the first mismatch.
bool check_case(const ExpansionRequest& r, const std::vector<OtherLock>& others,
                const ExpansionParams& p, uint64_t max_end) {
  const Extent got = expand(r, others, p);
  const Extent want = brute_expand_2d(r, others, p, max_end);
  bool ok = got == want && contains(got, r.wanted);
  if (ok && free_of(r, others, r.wanted)) ok = free_of(r, others, got);  // never over a conflict
  if (!ok) {
    INFO(describe(r, others, p));
    INFO("got [" << got.start << "," << got.end << ") want [" << want.start << "," << want.end << ")");
    CHECK(false);
  }
  return ok;
}

const ExpansionParams kSmallParams[] = {
    // page 1, policy thresholds never reached: pure "largest free extent".
    {1, 4, 32, 32ull << 20},
    // pages of 3: alignment of both ends.
    {3, 4, 32, 32ull << 20},
    // contended with a single conflict: request rounded out to pages.
    {2, 0, 32, 32ull << 20},
    // one granted write conflict caps growth at 3 bytes from the page start.
    {2, 5, 0, 3},
    // cap of 5 bytes with pages of 4.
    {4, 5, 0, 5},
};

uint64_t max_end_for(uint64_t u, const ExpansionParams& p) {
  return u + p.page_size + (p.max_grown_extent > 64 ? 0 : p.max_grown_extent) + 1;
}

}  // namespace

TEST_SUITE("expansion") {
  TEST_CASE("exhaustive: one other lock in [0,10)") {
    const uint64_t u = 10;
    const auto xs = extents_in(u);
    const Mode req_modes[] = {Mode::NL, Mode::PR, Mode::PW, Mode::GROUP};
    const Mode other_modes[] = {Mode::NL, Mode::CR, Mode::CW, Mode::PR, Mode::PW, Mode::EX, Mode::GROUP};
    uint64_t cases = 0;
    for (const ExpansionParams& p : kSmallParams) {
      const uint64_t max_end = max_end_for(u, p);
      for (const Extent& w : xs)
        for (Mode rm : req_modes)
          for (bool no_expand : {false, true})
            for (const Extent& ox : xs)
              for (Mode om : other_modes)
                for (GroupId og : {GroupId{1}, GroupId{2}}) {
                  if (om != Mode::GROUP && og == 2) continue;
                  for (bool granted : {true, false}) {
                    const ExpansionRequest r{rm, 1, w, no_expand};
                    const std::vector<OtherLock> others{{om, og, ox, granted}};
                    ++cases;
                    if (!check_case(r, others, p, max_end)) return;
                  }
                }
    }
    MESSAGE(cases << " cases");
  }

  TEST_CASE("exhaustive: two other locks in [0,6)") {
    const uint64_t u = 6;
    const auto xs = extents_in(u);
    uint64_t cases = 0;
    for (const ExpansionParams& p : kSmallParams) {
      const uint64_t max_end = max_end_for(u, p);
      std::vector<OtherLock> singles;
      for (const Extent& x : xs)
        for (Mode m : {Mode::PR, Mode::PW})
          for (bool g : {true, false}) singles.push_back(OtherLock{m, 0, x, g});
      for (const Extent& w : xs)
        for (Mode rm : {Mode::PR, Mode::PW})
          for (const OtherLock& a : singles)
            for (const OtherLock& b : singles) {
              ++cases;
              if (!check_case(ExpansionRequest{rm, 0, w, false}, {a, b}, p, max_end)) return;
            }
    }
    MESSAGE(cases << " cases");
  }

  TEST_CASE("random: three other locks in [0,64)") {
    std::mt19937_64 rng(test_seed(20240903));
    const uint64_t u = 64;
    const Mode modes[] = {Mode::NL, Mode::CR, Mode::CW, Mode::PR, Mode::PW, Mode::EX, Mode::GROUP};
    auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
    auto extent = [&]() {
      const uint64_t s = pick(u);
      if (pick(8) == 0) return Extent{s, kEof};
      const uint64_t max_len = std::min<uint64_t>(u - s, pick(2) ? 8 : 64);
      return Extent{s, s + 1 + pick(max_len)};
    };
    const ExpansionParams params[] = {{1, 4, 32, 32ull << 20}, {4, 4, 32, 32ull << 20},
                                      {4, 2, 32, 32ull << 20}, {4, 4, 1, 12},
                                      {8, 4, 0, 16},           {2, 1, 1, 9}};
    for (int i = 0; i < 30000; ++i) {
      const ExpansionParams& p = params[pick(std::size(params))];
      const Mode rm = modes[pick(7)];
      const ExpansionRequest r{rm, 1 + pick(2), extent(), pick(6) == 0};
      std::vector<OtherLock> others;
      const uint64_t n = 1 + pick(3);
      for (uint64_t k = 0; k < n; ++k)
        others.push_back(OtherLock{modes[pick(7)], 1 + pick(2), extent(), pick(2) == 0});
      if (!check_case(r, others, p, max_end_for(u, p))) return;
    }
  }

  TEST_CASE("directed, real scale") {
    const ExpansionParams p;  // 4 KiB pages, contended > 4, cap > 32 write locks at 32 MiB
    const uint64_t MiB = 1 << 20;
    const ExpansionRequest pw{Mode::PW, 0, Extent{5000, 6000}, false};

    SUBCASE("alone: whole object") { CHECK(expand(pw, {}, p) == Extent::whole()); }
    SUBCASE("compatible neighbours do not limit") {
      const std::vector<OtherLock> o{{Mode::CR, 0, Extent{0, 4096}, true}};
      CHECK(expand(pw, o, p) == Extent::whole());
    }
    SUBCASE("stops at conflicts, on page boundaries") {
      const std::vector<OtherLock> o{{Mode::PR, 0, Extent{100, 1000}, true},
                                     {Mode::PW, 0, Extent{MiB + 10, MiB + 20}, false}};
      CHECK(expand(pw, o, p) == (Extent{4096, MiB}));
    }
    SUBCASE("unaligned neighbour inside the request's page: the request's own end") {
      const std::vector<OtherLock> o{{Mode::PR, 0, Extent{4500, 4600}, true},
                                     {Mode::PR, 0, Extent{6100, 7000}, true}};
      CHECK(expand(pw, o, p) == (Extent{5000, 6000}));
    }
    SUBCASE("no_expand and GROUP: exactly the request") {
      CHECK(expand(ExpansionRequest{Mode::PW, 0, Extent{5000, 6000}, true}, {}, p) == (Extent{5000, 6000}));
      CHECK(expand(ExpansionRequest{Mode::GROUP, 9, Extent{5000, 6000}, false}, {}, p) ==
            (Extent{5000, 6000}));
    }
    SUBCASE("contended (5 conflicts): rounded to pages only") {
      std::vector<OtherLock> o;
      for (uint64_t k = 0; k < 5; ++k) o.push_back({Mode::PR, 0, Extent{(10 + k) * MiB, (10 + k) * MiB + 1}, k % 2 == 0});
      CHECK(expand(pw, o, p) == (Extent{4096, 8192}));
      o.pop_back();  // 4 conflicts: not contended
      CHECK(expand(pw, o, p) == (Extent{0, 10 * MiB}));
    }
    SUBCASE("33 conflicting granted writers cap growth at 32 MiB") {
      ExpansionParams q = p;
      q.contended_locks = 1000;
      std::vector<OtherLock> o;
      for (uint64_t k = 0; k < 33; ++k) o.push_back({Mode::PW, 0, Extent{(100 + k) * MiB, (100 + k) * MiB + 1}, true});
      CHECK(expand(pw, o, q) == (Extent{4096, 4096 + 32 * MiB}));
      o.back().granted = false;  // 32 granted writers: no cap
      CHECK(expand(pw, o, q) == (Extent{0, 100 * MiB}));
    }
    SUBCASE("near EOF") {
      const ExpansionRequest r{Mode::PR, 0, Extent{kEof - 10, kEof - 5}, false};
      const std::vector<OtherLock> o{{Mode::PW, 0, Extent{0, 1}, true}};
      CHECK(expand(r, o, p) == (Extent{4096, kEof}));
      ExpansionParams q = p;
      q.contended_locks = 0;
      const uint64_t last_page = round_down(kEof - 10, 4096);
      CHECK(last_page == kEof - 4095);
      CHECK(expand(r, o, q) == (Extent{last_page, kEof}));  // the rounded-out page ends at EOF
      q = p;
      q.max_grown_conflicts = 0;
      CHECK(expand(r, o, q) == (Extent{last_page, kEof}));  // the 32 MiB window saturates at EOF
    }
    SUBCASE("request overlapping a conflict: unchanged") {
      const std::vector<OtherLock> o{{Mode::PR, 0, Extent{5500, 5600}, false}};
      CHECK_FALSE(free_extent(Mode::PW, 0, pw.wanted, o).has_value());
      CHECK(expand(pw, o, p) == pw.wanted);
    }
  }
}
