// The independent/aggregate decision, exhaustively over small configurations.
#include "collective/decision.hpp"
#include "collective_model.hpp"

using namespace nacre::collective;
using namespace nacre::collective::testing;

namespace {

// The documented rule, written independently (pairwise, byte-level overlap).
IoPath model(CbMode mode, const std::vector<AccessSummary>& s, uint64_t min_run,
             uint64_t min_single) {
  if (mode == CbMode::kEnable) return IoPath::kAggregate;
  if (mode == CbMode::kDisable) return IoPath::kIndependent;
  uint64_t bytes = 0, runs = 0;
  bool inter = false;
  size_t single = 0, nonempty = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    bytes += s[i].bytes;
    runs += s[i].runs;
    if (s[i].bytes > 0) {
      ++nonempty;
      if (s[i].runs == 1 && s[i].bytes >= min_single) ++single;
    }
    for (size_t j = 0; j < s.size(); ++j) {
      if (i == j || s[i].empty() || s[j].empty()) continue;
      for (uint64_t b = s[i].begin; b < s[i].end; ++b)
        if (b >= s[j].begin && b < s[j].end) inter = true;
    }
  }
  if (bytes == 0) return IoPath::kIndependent;
  if (inter) return IoPath::kAggregate;
  if (single == nonempty) return IoPath::kIndependent;
  return bytes / runs >= min_run ? IoPath::kIndependent : IoPath::kAggregate;
}

}  // namespace

TEST_SUITE("decision") {

TEST_CASE("exhaustive: up to 3 ranks, ranges on a 5-point grid, all modes") {
  // Every range [b, e) with 0 <= b < e <= 4, or empty; runs 1..3 with bytes
  // chosen from the range size; thresholds 0..5.
  std::vector<AccessSummary> choices;
  choices.push_back({});
  for (uint64_t b = 0; b < 4; ++b)
    for (uint64_t e = b + 1; e <= 4; ++e)
      for (uint64_t runs = 1; runs <= std::min<uint64_t>(2, e - b); ++runs)
        choices.push_back({b, e, e - b, runs});
  uint64_t cases = 0;
  for (size_t n = 1; n <= 3; ++n) {
    std::vector<size_t> idx(n, 0);
    for (;;) {
      std::vector<AccessSummary> s;
      for (size_t i : idx) s.push_back(choices[i]);
      for (CbMode mode : {CbMode::kEnable, CbMode::kDisable, CbMode::kAutomatic})
        for (uint64_t min_run = 0; min_run <= 5; ++min_run)
          for (uint64_t min_single : {uint64_t{1}, uint64_t{2}, uint64_t{3}, uint64_t{5}}) {
            const Decision d = decide(mode, s, min_run, min_single);
            CHECK(d.path == model(mode, s, min_run, min_single));
            ++cases;
          }
      size_t k = 0;
      while (k < n && ++idx[k] == choices.size()) idx[k++] = 0;
      if (k == n) break;
    }
  }
  MESSAGE(cases << " decisions checked");
}

TEST_CASE("reported facts") {
  std::vector<AccessSummary> s = {{0, 10, 10, 2}, {10, 20, 10, 3}};
  Decision d = decide(CbMode::kAutomatic, s, 2);
  CHECK_FALSE(d.interleaved);
  CHECK(d.average_run == 4);
  CHECK(d.path == IoPath::kIndependent);
  CHECK(decide(CbMode::kAutomatic, s, 5).path == IoPath::kAggregate);
  s[1].begin = 9;
  d = decide(CbMode::kAutomatic, s, 0);
  CHECK(d.interleaved);
  CHECK(d.path == IoPath::kAggregate);
  CHECK(std::string(d.reason).find("interleave") != std::string::npos);
  CHECK(decide(CbMode::kAutomatic, {}, 0).path == IoPath::kIndependent);
}

TEST_CASE("ior-hard aggregates, ior-easy goes independent (default threshold)") {
  const CollectiveHints h;
  auto summaries = [](const std::vector<Pieces>& ranks) {
    std::vector<AccessSummary> s;
    for (const auto& p : ranks) s.push_back(*summarize(p));
    return s;
  };
  CHECK(decide(h.cb_write, summaries(ior_hard(4, 100)), h.min_independent_run).path ==
        IoPath::kAggregate);
  // One ior-hard record per rank and call (IOR's MPIIO backend): disjoint
  // single runs, nothing for aggregation to merge per rank: independent.
  CHECK(decide(h.cb_write, summaries(ior_hard(4, 1)), h.min_independent_run).path ==
        IoPath::kIndependent);
  // ... unless the runs are tiny.
  std::vector<Pieces> tiny(3);
  for (uint64_t r = 0; r < 3; ++r) tiny[r].push_back({r * 4096, 4096});
  CHECK(decide(h.cb_write, summaries(tiny), h.min_independent_run).path == IoPath::kAggregate);
  // ior-easy with 47008-byte transfers: contiguous per rank, so runs merge.
  CHECK(decide(h.cb_write, summaries(ior_easy(4, 100 * 47008, 47008)), h.min_independent_run)
            .path == IoPath::kIndependent);
  // Disjoint but small pieces (each rank strided inside its own region).
  std::vector<Pieces> small(2);
  for (uint64_t i = 0; i < 100; ++i) {
    small[0].push_back({i * 8192, 4096});
    small[1].push_back({(1 << 20) + i * 8192, 4096});
  }
  CHECK(decide(h.cb_write, summaries(small), h.min_independent_run).path == IoPath::kAggregate);
}

}  // TEST_SUITE
