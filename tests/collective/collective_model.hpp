// Naive byte-level model of the two-phase plan, used by the collective tests.
//
// check_plan() walks every round of every aggregator and checks, byte by byte:
//   - every byte of every rank's user stream goes to exactly one aggregator in
//     exactly one round, at the file offset its access list gives it;
//   - transfers are in canonical order (sorted by file then stream offset,
//     neighbours contiguous in both merged);
//   - a round only holds bytes of units its aggregator owns, inside its window k;
//   - no two aggregators touch the same stripe object or the same server;
//   - each round fits cb_buffer_size; covered runs + holes partition the
//     trimmed window, which starts and ends with covered bytes; covered runs
//     are exactly the accessed bytes; every accessed byte is in one round;
//   - fill_holes follows its documented rule;
//   - the plan of each rank alone gives that rank the same transfers.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "collective/access.hpp"
#include "collective/aggregators.hpp"
#include "collective/plan.hpp"

namespace nacre::collective::testing {

using Pieces = std::vector<Extent>;

// Seed from NACRE_SEED, else `fallback`; printed so failures can be replayed.
inline uint64_t test_seed(uint64_t fallback) {
  const char* s = std::getenv("NACRE_SEED");
  const uint64_t seed = s ? std::strtoull(s, nullptr, 10) : fallback;
  MESSAGE("seed " << seed << " (set NACRE_SEED to replay)");
  return seed;
}

inline std::vector<RankAccess> build_all(const std::vector<Pieces>& ranks) {
  std::vector<RankAccess> out;
  for (const auto& p : ranks) {
    auto a = RankAccess::build(p);
    REQUIRE(a.is_ok());
    out.push_back(std::move(*a));
  }
  return out;
}

// Stream-to-file map of one rank, without a per-byte table.
class StreamMap {
 public:
  explicit StreamMap(const Pieces& pieces) {
    uint64_t s = 0;
    for (const auto& p : pieces) {
      if (p.length == 0) continue;
      pieces_.push_back(p);
      starts_.push_back(s);
      s += p.length;
    }
    size_ = s;
  }
  uint64_t size() const { return size_; }
  // Checks that stream bytes [stream, stream + n) are file bytes [file, file + n).
  bool maps(uint64_t stream, uint64_t file, uint64_t n) const {
    if (stream + n > size_) return false;
    size_t i = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), stream) -
                                   starts_.begin()) - 1;
    while (n > 0) {
      const uint64_t in = stream - starts_[i];
      if (pieces_[i].offset + in != file) return false;
      const uint64_t take = std::min(n, pieces_[i].length - in);
      stream += take;
      file += take;
      n -= take;
      ++i;
    }
    return true;
  }

 private:
  Pieces pieces_;
  std::vector<uint64_t> starts_;
  uint64_t size_ = 0;
};

struct PlanStats {
  uint64_t rounds = 0;
  uint64_t transfers = 0;
  uint64_t filled = 0;
  uint64_t hole_bytes = 0;
};

using TransferKey = std::tuple<size_t, uint32_t, uint64_t>;  // rank, aggregator, window

inline std::map<TransferKey, std::vector<Transfer>> collect_transfers(const CollectivePlan& plan,
                                                                        size_t rank_base) {
  std::map<TransferKey, std::vector<Transfer>> out;
  Round round;
  for (uint32_t a = 0; a < plan.map().count(); ++a) {
    auto cur = plan.rounds(a);
    while (cur.next(round))
      for (size_t r = 0; r + 1 < round.rank_begin.size(); ++r) {
        auto t = round.transfers_of(r);
        if (!t.empty())
          out[{rank_base + r, a, round.window_index}] = std::vector<Transfer>(t.begin(), t.end());
      }
  }
  return out;
}

// file_end: bound of all accessed offsets (sizes the byte tables).
inline PlanStats check_plan(const std::vector<Pieces>& ranks, const StripeLayout& layout,
                            const DomainMap& map, const PlanOptions& opts, uint64_t file_end,
                            bool check_rank_plans = true) {
  auto plan_r = CollectivePlan::build(build_all(ranks), map, opts);
  REQUIRE(plan_r.is_ok());
  const CollectivePlan& plan = *plan_r;
  const uint64_t s = map.stripe_size();
  const uint32_t a_count = map.count();
  const uint64_t w = plan.window();
  REQUIRE(w <= opts.cb_buffer_size);

  std::vector<StreamMap> streams;
  std::vector<std::vector<uint8_t>> seen;  // per rank, per stream byte
  std::vector<uint8_t> accessed(file_end, 0), in_round(file_end, 0);
  for (const auto& p : ranks) {
    streams.emplace_back(p);
    seen.emplace_back(streams.back().size(), 0);
    for (const auto& e : p)
      for (uint64_t b = e.offset; b < e.end(); ++b) accessed[b] = 1;
  }
  std::map<uint32_t, uint32_t> stripe_owner, server_owner;
  PlanStats st;
  // Per-byte checks use EXPECT (cheap); the first few failures are reported.
  uint64_t failures = 0;
#define EXPECT(cond)                                                          \
  do {                                                                        \
    if (!(cond) && failures++ < 8) FAIL_CHECK("line " << __LINE__ << ": " #cond); \
  } while (0)
  Round round;
  for (uint32_t a = 0; a < a_count; ++a) {
    auto cur = plan.rounds(a);
    uint32_t ordinal = 0;
    bool first = true;
    uint64_t prev_k = 0;
    while (cur.next(round)) {
      ++st.rounds;
      EXPECT(round.aggregator == a);
      EXPECT(round.ordinal == ordinal++);
      if (!first) EXPECT(round.window_index > prev_k);
      first = false;
      prev_k = round.window_index;
      // Window: owned, inside window k, sorted, maximal, bounded.
      REQUIRE(!round.window.empty());
      uint64_t wbytes = 0;
      std::vector<uint8_t> mark;  // 0 = not in window, 1 = window, 2 = covered, 3 = hole
      const uint64_t lo = round.window.front().offset, hi = round.window.back().end();
      mark.assign(hi - lo, 0);
      for (size_t i = 0; i < round.window.size(); ++i) {
        const Extent& e = round.window[i];
        REQUIRE(e.length > 0);
        if (i > 0) EXPECT(round.window[i - 1].end() < e.offset);
        wbytes += e.length;
        for (uint64_t b = e.offset; b < e.end(); ++b) {
          mark[b - lo] = 1;
        }
        // Ownership / window membership at unit granularity (plus both ends).
        for (uint64_t b = e.offset; b < e.end(); b = (b / s + 1) * s) {
          EXPECT(map.aggregator_of(b) == a);
          EXPECT(map.domain_of(b) / w == round.window_index);
          const uint32_t stripe = static_cast<uint32_t>((b / s) % layout.stripe_count);
          const uint32_t server =
              layout.server_of_stripe.empty() ? stripe : layout.server_of_stripe[stripe];
          auto [it, fresh] = stripe_owner.emplace(stripe, a);
          EXPECT(it->second == a);
          auto [it2, fresh2] = server_owner.emplace(server, a);
          EXPECT(it2->second == a);
        }
        EXPECT(map.domain_of(e.end() - 1) / w == round.window_index);
      }
      EXPECT(wbytes == round.window_bytes);
      EXPECT(round.window_bytes <= opts.cb_buffer_size);
      EXPECT(round.covered_bytes <= opts.cb_buffer_size);
      EXPECT(round.window_bytes == round.covered_bytes + round.hole_bytes);
      // Covered + holes partition the window; covered == accessed.
      uint64_t cb = 0, hb = 0;
      for (size_t i = 0; i < round.covered.size(); ++i) {
        const Extent& e = round.covered[i];
        REQUIRE(e.length > 0);
        if (i > 0) EXPECT(round.covered[i - 1].end() < e.offset);  // sorted, maximal
        cb += e.length;
        for (uint64_t b = e.offset; b < e.end(); ++b) {
          if (b < lo || b >= hi) {
            EXPECT(b >= lo && b < hi);
            break;
          }
          EXPECT(mark[b - lo] == 1);
          mark[b - lo] = 2;
          EXPECT(accessed[b] == 1);
          EXPECT(in_round[b] == 0);
          in_round[b] = 1;
        }
      }
      for (size_t i = 0; i < round.holes.size(); ++i) {
        const Extent& e = round.holes[i];
        REQUIRE(e.length > 0);
        if (i > 0) EXPECT(round.holes[i - 1].end() < e.offset);
        hb += e.length;
        for (uint64_t b = e.offset; b < e.end(); ++b) {
          if (b < lo || b >= hi) {
            EXPECT(b >= lo && b < hi);
            break;
          }
          EXPECT(mark[b - lo] == 1);
          mark[b - lo] = 3;
          EXPECT(accessed[b] == 0);
        }
      }
      EXPECT(cb == round.covered_bytes);
      EXPECT(hb == round.hole_bytes);
      EXPECT(std::count(mark.begin(), mark.end(), uint8_t{1}) == 0);
      EXPECT(mark.front() == 2);  // trimmed: starts and ends with covered bytes
      EXPECT(mark.back() == 2);
      st.hole_bytes += hb;
      // fill_holes rule.
      bool expect_fill = false;
      if (hb > 0) {
        if (opts.hole_policy == HolePolicy::kFill) expect_fill = true;
        else if (opts.hole_policy == HolePolicy::kAuto)
          expect_fill = static_cast<long double>(hb) <=
                        static_cast<long double>(opts.max_hole_fraction) * wbytes;
      }
      EXPECT(round.fill_holes == expect_fill);
      st.filled += round.fill_holes;
      // Transfers.
      REQUIRE(round.rank_begin.size() == ranks.size() + 1);
      for (size_t r = 0; r < ranks.size(); ++r) {
        auto ts = round.transfers_of(r);
        for (size_t i = 0; i < ts.size(); ++i) {
          const Transfer& t = ts[i];
          ++st.transfers;
          EXPECT(t.length > 0);
          if (i > 0) {
            const Transfer& p = ts[i - 1];
            EXPECT(std::tie(p.file_offset, p.stream_offset) < std::tie(t.file_offset, t.stream_offset));
            EXPECT(!(p.file_offset + p.length == t.file_offset &&
                     p.stream_offset + p.length == t.stream_offset));
          }
          EXPECT(streams[r].maps(t.stream_offset, t.file_offset, t.length));
          for (uint64_t i2 = 0; i2 < t.length; ++i2) {
            const uint64_t b = t.file_offset + i2;
            if (b < lo || b >= hi) {
              EXPECT(b >= lo && b < hi);
              break;
            }
            EXPECT(mark[b - lo] == 2);
            if (t.stream_offset + i2 >= seen[r].size()) {
              EXPECT(t.stream_offset + i2 < seen[r].size());
              break;
            }
            EXPECT(seen[r][t.stream_offset + i2] == 0);
            seen[r][t.stream_offset + i2] = 1;
          }
        }
      }
    }
  }
  for (size_t r = 0; r < ranks.size(); ++r)
    EXPECT(std::count(seen[r].begin(), seen[r].end(), uint8_t{0}) == 0);
  EXPECT(accessed == in_round);

#undef EXPECT
  CHECK(failures == 0);
  if (check_rank_plans) {
    auto global = collect_transfers(plan, 0);
    std::map<TransferKey, std::vector<Transfer>> local;
    for (size_t r = 0; r < ranks.size(); ++r) {
      auto one = CollectivePlan::build(build_all({ranks[r]}), map, opts);
      REQUIRE(one.is_ok());
      auto part = collect_transfers(*one, r);
      local.insert(part.begin(), part.end());
    }
    CHECK(global == local);
  }
  return st;
}

// ior-hard: record i of rank r at ((i * nranks) + r) * record, in stream order.
inline std::vector<Pieces> ior_hard(int nranks, uint64_t records, uint64_t record = 47008) {
  std::vector<Pieces> out(static_cast<size_t>(nranks));
  for (int r = 0; r < nranks; ++r) {
    out[static_cast<size_t>(r)].reserve(records);
    for (uint64_t i = 0; i < records; ++i)
      out[static_cast<size_t>(r)].push_back(
          {(i * static_cast<uint64_t>(nranks) + static_cast<uint64_t>(r)) * record, record});
  }
  return out;
}

// ior-easy on a shared file: rank r writes [r * block, (r + 1) * block) in transfers.
inline std::vector<Pieces> ior_easy(int nranks, uint64_t block, uint64_t transfer) {
  std::vector<Pieces> out(static_cast<size_t>(nranks));
  for (int r = 0; r < nranks; ++r)
    for (uint64_t o = 0; o < block; o += transfer)
      out[static_cast<size_t>(r)].push_back(
          {static_cast<uint64_t>(r) * block + o, std::min(transfer, block - o)});
  return out;
}

inline std::vector<int> iota_ranks(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = i;
  return v;
}

}  // namespace nacre::collective::testing
