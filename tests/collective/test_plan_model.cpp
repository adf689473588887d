// The two-phase plan against the byte-level model (collective_model.hpp), on
// random access patterns, geometries and buffer sizes.
#include "collective/decision.hpp"
#include "collective_model.hpp"

using namespace nacre::collective;
using namespace nacre::collective::testing;

namespace {

enum class Shape { kRandom, kStrided, kContiguous, kSparse };

std::vector<Pieces> random_pattern(std::mt19937_64& rng, int nranks, Shape shape,
                                   uint64_t& file_end) {
  std::vector<Pieces> ranks(static_cast<size_t>(nranks));
  file_end = 0;
  const uint64_t span = 1 + rng() % 40000;
  for (int r = 0; r < nranks; ++r) {
    Pieces& p = ranks[static_cast<size_t>(r)];
    switch (shape) {
      case Shape::kRandom: {  // overlapping within and across ranks
        const int n = static_cast<int>(rng() % 30);
        for (int i = 0; i < n; ++i) p.push_back({rng() % span, rng() % 1500});
        break;
      }
      case Shape::kStrided: {  // ior-hard-like, random record size
        const uint64_t rec = 1 + rng() % 2000;
        const uint64_t n = rng() % 20;
        for (uint64_t i = 0; i < n; ++i)
          p.push_back({(i * static_cast<uint64_t>(nranks) + static_cast<uint64_t>(r)) * rec, rec});
        break;
      }
      case Shape::kContiguous: {  // ior-easy-like, random transfer size
        const uint64_t block = rng() % 20000, xfer = 1 + rng() % 5000;
        for (uint64_t o = 0; o < block; o += xfer)
          p.push_back({static_cast<uint64_t>(r) * block + o, std::min(xfer, block - o)});
        break;
      }
      case Shape::kSparse: {  // few pieces far apart
        const int n = static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) p.push_back({rng() % (span * 20), 1 + rng() % 300});
        break;
      }
    }
    if (rng() % 3 == 0) std::shuffle(p.begin(), p.end(), rng);  // unsorted views
    if (rng() % 5 == 0) p.push_back({rng() % span, 0});         // empty piece
    for (const auto& e : p) file_end = std::max(file_end, e.end());
  }
  return ranks;
}

}  // namespace

TEST_SUITE("plan_model") {

TEST_CASE("random patterns: every byte routed once, ownership, rounds, holes") {
  std::mt19937_64 rng(test_seed(20260101));
  const uint64_t sizes[] = {1, 3, 7, 64, 100, 512, 1000, 4096, 65536};
  uint64_t rounds = 0, transfers = 0, filled = 0, holes = 0;
  for (int iter = 0; iter < 600; ++iter) {
    CAPTURE(iter);
    const int nranks = 1 + static_cast<int>(rng() % 16);
    const Shape shape = static_cast<Shape>(rng() % 4);
    uint64_t file_end = 0;
    const auto ranks = random_pattern(rng, nranks, shape, file_end);

    StripeLayout layout;
    layout.stripe_size = sizes[rng() % std::size(sizes)];
    if (layout.stripe_size == 1 && rng() % 2) layout.stripe_size = 2;
    layout.stripe_count = 1 + static_cast<uint32_t>(rng() % 8);
    const int map_kind = static_cast<int>(rng() % 3);
    for (uint32_t i = 0; map_kind > 0 && i < layout.stripe_count; ++i)
      layout.server_of_stripe.push_back(map_kind == 1 ? i % 3 : static_cast<uint32_t>(rng() % 5));
    const uint32_t cb_nodes = rng() % 2 ? 0 : static_cast<uint32_t>(1 + rng() % 10);
    std::vector<int> cand = iota_ranks(nranks);
    std::shuffle(cand.begin(), cand.end(), rng);
    auto map = choose_aggregators(layout, cb_nodes, cand);
    REQUIRE(map.is_ok());

    PlanOptions opts;
    // Windows of at most a few hundred stripe units; sometimes below one unit.
    opts.cb_buffer_size = 1 + rng() % (layout.stripe_size * (1 + rng() % 8) + rng() % 3000);
    opts.hole_policy = static_cast<HolePolicy>(rng() % 3);
    opts.max_hole_fraction = static_cast<double>(rng() % 101) / 100.0;
    CAPTURE(nranks);
    CAPTURE(static_cast<int>(shape));
    CAPTURE(layout.stripe_size);
    CAPTURE(layout.stripe_count);
    CAPTURE(map->count());
    CAPTURE(opts.cb_buffer_size);

    const PlanStats st = check_plan(ranks, layout, *map, opts, file_end);
    rounds += st.rounds;
    transfers += st.transfers;
    filled += st.filled;
    holes += st.hole_bytes;

    // The decision for this pattern matches the documented rule.
    std::vector<AccessSummary> sums;
    bool any = false, inter = false;
    uint64_t bytes = 0, runs = 0;
    for (const auto& p : ranks) sums.push_back(*summarize(p));
    for (size_t i = 0; i < ranks.size(); ++i) {
      any = any || !sums[i].empty();
      bytes += sums[i].bytes;
      runs += sums[i].runs;
      for (size_t j = i + 1; j < ranks.size(); ++j)
        if (!sums[i].empty() && !sums[j].empty() && sums[i].begin < sums[j].end &&
            sums[j].begin < sums[i].end)
          inter = true;
    }
    const uint64_t threshold = rng() % 3 == 0 ? layout.stripe_size : rng() % 3000;
    const Decision d = decide(CbMode::kAutomatic, sums, threshold);
    const bool independent = !any || (!inter && bytes / runs >= threshold);
    CHECK(d.interleaved == inter);
    CHECK((d.path == IoPath::kIndependent) == independent);
  }
  MESSAGE(rounds << " rounds, " << transfers << " transfers, " << filled
                 << " rounds with filled holes, " << holes << " hole bytes");
  CHECK(filled > 0);
  CHECK(holes > 0);
}

TEST_CASE("overlapping reads: a rank reading one byte twice gets it twice") {
  std::vector<Pieces> ranks = {{{10, 20}, {15, 10}, {0, 5}}, {{12, 3}}};
  StripeLayout layout{8, 2, {}};
  auto map = choose_aggregators(layout, 0, iota_ranks(2));
  REQUIRE(map.is_ok());
  PlanOptions opts;
  opts.cb_buffer_size = 16;
  const PlanStats st = check_plan(ranks, layout, *map, opts, 40);
  CHECK(st.rounds >= 2);
}

TEST_CASE("invalid options") {
  auto map = DomainMap::make(16, {0});
  PlanOptions o;
  o.cb_buffer_size = 0;
  CHECK(CollectivePlan::build({}, *map, o).status().code() == EINVAL);
  o.cb_buffer_size = 16;
  o.max_hole_fraction = 2;
  CHECK(CollectivePlan::build({}, *map, o).status().code() == EINVAL);
}

TEST_CASE("window size") {
  CHECK(window_size(16 << 20, 1 << 20) == 16 << 20);
  CHECK(window_size((16 << 20) + 5, 1 << 20) == 16 << 20);
  CHECK(window_size(3 << 19, 1 << 20) == 1 << 20);
  CHECK(window_size(1000, 1 << 20) == 1000);
  CHECK(window_size(uint64_t{1} << 50, 1) == uint64_t{1} << 40);
}

}  // TEST_SUITE
