// Named patterns: IO500 ior-hard and ior-easy, plus planning time at scale.
#include <chrono>
#include <ctime>

#include "collective/decision.hpp"
#include "collective_model.hpp"

using namespace nacre::collective;
using namespace nacre::collective::testing;

TEST_SUITE("named_patterns") {

TEST_CASE("ior-hard: 47008-byte records, 4 ranks, 1 MiB stripes over 2 servers") {
  const uint64_t rec = 47008, records = 256;
  const auto ranks = ior_hard(4, records, rec);
  const StripeLayout layout{1 << 20, 2, {0, 1}};
  const CollectiveHints hints;

  std::vector<AccessSummary> sums;
  for (const auto& p : ranks) sums.push_back(*summarize(p));
  const Decision d = decide(hints.cb_write, sums, hints.min_independent_run);
  CHECK(d.interleaved);
  CHECK(d.path == IoPath::kAggregate);
  CHECK(d.average_run == rec);

  auto map = choose_aggregators(layout, hints.cb_nodes, iota_ranks(4));
  REQUIRE(map.is_ok());
  CHECK(map->count() == 2);

  for (uint64_t buf : {uint64_t{16} << 20, uint64_t{1} << 20, uint64_t{3} << 19, uint64_t{100000}}) {
    CAPTURE(buf);
    PlanOptions opts = PlanOptions::from(hints);
    opts.cb_buffer_size = buf;
    const uint64_t file_end = 4 * records * rec;
    const PlanStats st = check_plan(ranks, layout, *map, opts, file_end, buf == (16u << 20));
    CHECK(st.hole_bytes == 0);  // the records tile the file
    // Every round but the last of each aggregator fills its window.
    auto plan = CollectivePlan::build(build_all(ranks), *map, opts);
    REQUIRE(plan.is_ok());
    uint64_t nrounds = 0;
    for (uint32_t a = 0; a < 2; ++a) {
      auto cur = plan->rounds(a);
      Round r;
      std::vector<uint64_t> sizes;
      while (cur.next(r)) {
        sizes.push_back(r.window_bytes);
        CHECK_FALSE(r.fill_holes);
        CHECK(r.holes.empty());
        // Aggregator a only touches stripe index a, i.e. server a.
        for (const auto& e : r.window) CHECK((e.offset / (1 << 20)) % 2 == a);
      }
      nrounds += sizes.size();
      for (size_t i = 0; i + 1 < sizes.size(); ++i) CHECK(sizes[i] == plan->window());
    }
    MESSAGE("cb_buffer_size " << buf << ": " << nrounds << " rounds, " << st.transfers
                              << " transfers");
  }
}

TEST_CASE("ior-easy: contiguous per rank goes independent; forced aggregation is still exact") {
  const uint64_t block = 8 << 20, xfer = 1 << 20;
  const auto ranks = ior_easy(4, block, xfer);
  const StripeLayout layout{1 << 20, 2, {0, 1}};
  const CollectiveHints hints;
  std::vector<AccessSummary> sums;
  for (const auto& p : ranks) sums.push_back(*summarize(p));
  const Decision d = decide(hints.cb_write, sums, hints.min_independent_run);
  CHECK_FALSE(d.interleaved);
  CHECK(d.average_run == block);
  CHECK(d.path == IoPath::kIndependent);
  CHECK(decide(CbMode::kEnable, sums, hints.min_independent_run).path == IoPath::kAggregate);

  auto map = choose_aggregators(layout, 0, iota_ranks(4));
  REQUIRE(map.is_ok());
  PlanOptions opts;
  opts.cb_buffer_size = 4 << 20;
  const PlanStats st = check_plan(ranks, layout, *map, opts, 4 * block);
  CHECK(st.hole_bytes == 0);
  // Each rank sends one transfer per stripe unit: 8 per rank.
  CHECK(st.transfers == 4 * 8);
}

TEST_CASE("planning time for ior-hard at scale (printed, not asserted)") {
  const uint64_t rec = 47008;
  const StripeLayout layout{1 << 20, 2, {0, 1}};
  for (auto [nranks, records] : std::vector<std::pair<int, uint64_t>>{
           {4, 500000}, {16, 125000}, {16, 250000}}) {
    const auto ranks = ior_hard(nranks, records, rec);
    const std::clock_t c0 = std::clock();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<RankAccess> acc;
    std::vector<AccessSummary> sums;
    for (const auto& p : ranks) {
      acc.push_back(*RankAccess::build(p));
      sums.push_back(acc.back().summary());
    }
    const Decision d = decide(CbMode::kAutomatic, sums, 1 << 20);
    auto map = choose_aggregators(layout, 0, iota_ranks(nranks));
    auto plan = CollectivePlan::build(std::move(acc), *map, PlanOptions{});
    REQUIRE(plan.is_ok());
    const std::clock_t c1 = std::clock();
    uint64_t rounds = 0, transfers = 0, bytes = 0;
    Round r;
    for (uint32_t a = 0; a < map->count(); ++a) {
      auto cur = plan->rounds(a);
      while (cur.next(r)) {
        ++rounds;
        transfers += r.transfers.size();
        bytes += r.covered_bytes;
      }
    }
    const auto t2 = std::chrono::steady_clock::now();
    const std::clock_t c2 = std::clock();
    auto cpu_ms = [](std::clock_t a, std::clock_t b) {
      return 1000.0 * static_cast<double>(b - a) / CLOCKS_PER_SEC;
    };
    auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    CHECK(d.path == IoPath::kAggregate);
    CHECK(bytes == static_cast<uint64_t>(nranks) * records * rec);
    MESSAGE("ior-hard " << nranks << " ranks x " << records << " records ("
                        << static_cast<uint64_t>(nranks) * records
                        << " pieces): index+decide+build " << cpu_ms(c0, c1) << " ms CPU, all "
                        << rounds << " rounds (" << transfers << " transfers) " << cpu_ms(c1, c2)
                        << " ms CPU; total " << cpu_ms(c0, c2) << " ms CPU, " << ms(t0, t2)
                        << " ms wall");
  }
}

}  // TEST_SUITE
