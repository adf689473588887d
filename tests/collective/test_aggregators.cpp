// Aggregator choice and domain coordinates.
#include "collective/aggregators.hpp"
#include "collective_model.hpp"

using namespace nacre::collective;
using namespace nacre::collective::testing;

namespace {

// Brute force: does aggregator count A keep objects and servers apart, judged
// by walking stripe units (unit u -> aggregator u % A, stripe u % count)?
bool separates(const StripeLayout& l, uint32_t a_count) {
  // The pattern repeats every lcm(stripe_count, A) <= stripe_count * A units.
  constexpr uint32_t kNone = UINT32_MAX;
  std::vector<uint32_t> stripe_owner(l.stripe_count, kNone), server_owner(128, kNone);
  for (uint64_t u = 0; u < uint64_t{l.stripe_count} * a_count; ++u) {
    const uint32_t agg = static_cast<uint32_t>(u % a_count);
    const uint32_t stripe = static_cast<uint32_t>(u % l.stripe_count);
    const uint32_t server = l.server_of_stripe.empty() ? stripe : l.server_of_stripe[stripe];
    if (stripe_owner[stripe] == kNone) stripe_owner[stripe] = agg;
    if (server_owner[server] == kNone) server_owner[server] = agg;
    if (stripe_owner[stripe] != agg || server_owner[server] != agg) return false;
  }
  return true;
}

}  // namespace

TEST_SUITE("aggregators") {

TEST_CASE("choice matches the rule (exhaustive small layouts)") {
  std::mt19937_64 rng(test_seed(99));
  uint64_t cases = 0;
  for (uint32_t count = 1; count <= 12; ++count)
    for (int map_kind = 0; map_kind < 4; ++map_kind)
      for (uint32_t cb_nodes = 0; cb_nodes <= 13; ++cb_nodes)
        for (int ncand : {1, 2, 3, 4, 6, 8, 13}) {
          StripeLayout l{4096, count, {}};
          if (map_kind == 1)  // round robin over fewer servers
            for (uint32_t i = 0; i < count; ++i) l.server_of_stripe.push_back(i % 3);
          if (map_kind == 2)  // random servers
            for (uint32_t i = 0; i < count; ++i)
              l.server_of_stripe.push_back(static_cast<uint32_t>(rng() % 6));
          if (map_kind == 3)  // distinct, shifted
            for (uint32_t i = 0; i < count; ++i) l.server_of_stripe.push_back((i + 5) % 97);
          std::vector<int> cand;
          for (int i = 0; i < ncand; ++i) cand.push_back(100 + i);
          auto m = choose_aggregators(l, cb_nodes, cand);
          REQUIRE(m.is_ok());
          std::set<uint32_t> servers;
          for (uint32_t i = 0; i < count; ++i)
            servers.insert(l.server_of_stripe.empty() ? i : l.server_of_stripe[i]);
          const uint64_t cap = std::min<uint64_t>(cb_nodes ? cb_nodes : servers.size(),
                                                  static_cast<uint64_t>(ncand));
          uint32_t want = 1;
          for (uint32_t a = 1; a <= count; ++a)
            if (a <= cap && separates(l, a)) want = a;
          CHECK(m->count() == want);
          CHECK(count % m->count() == 0);
          for (uint32_t a = 0; a < m->count(); ++a) CHECK(m->rank_of(a) == 100 + static_cast<int>(a));
          ++cases;
        }
  MESSAGE(cases << " layouts checked");
}

TEST_CASE("common cases") {
  const std::vector<int> ranks = iota_ranks(16);
  // 1 MiB stripes over 2 servers: 2 aggregators.
  CHECK(choose_aggregators({1 << 20, 2, {0, 1}}, 0, ranks)->count() == 2);
  // 8 stripes, cb_nodes 3: largest divisor of 8 <= 3 is 2.
  CHECK(choose_aggregators({1 << 20, 8, {}}, 3, ranks)->count() == 2);
  // cb_nodes above stripe_count is capped to stripe_count.
  CHECK(choose_aggregators({1 << 20, 4, {}}, 16, ranks)->count() == 4);
  // Few ranks cap the count.
  CHECK(choose_aggregators({1 << 20, 8, {}}, 0, iota_ranks(3))->count() == 2);
  // 4 stripes on 2 servers, round robin: aggregators per server = 2.
  CHECK(choose_aggregators({1 << 20, 4, {0, 1, 0, 1}}, 0, ranks)->count() == 2);
  // 4 stripes, servers {0,0,1,1}: A=2 would share servers, so 1.
  CHECK(choose_aggregators({1 << 20, 4, {0, 0, 1, 1}}, 0, ranks)->count() == 1);
}

TEST_CASE("invalid input") {
  const std::vector<int> ranks = iota_ranks(4);
  CHECK(choose_aggregators({0, 2, {}}, 0, ranks).status().code() == EINVAL);
  CHECK(choose_aggregators({1 << 20, 0, {}}, 0, ranks).status().code() == EINVAL);
  CHECK(choose_aggregators({1 << 20, 2, {0}}, 0, ranks).status().code() == EINVAL);
  CHECK(choose_aggregators({1 << 20, 2, {}}, 0, {}).status().code() == EINVAL);
  CHECK(DomainMap::make(1 << 20, {}).status().code() == EINVAL);
  CHECK(DomainMap::make(uint64_t{1} << 41, {0}).status().code() == EINVAL);
}

TEST_CASE("domain coordinates round-trip and skip to the next owned unit") {
  for (uint64_t s : {1ull, 3ull, 16ull, 100ull})
    for (int a_count = 1; a_count <= 5; ++a_count) {
      auto m = DomainMap::make(s, iota_ranks(a_count));
      REQUIRE(m.is_ok());
      std::vector<uint64_t> next_d(static_cast<size_t>(a_count), 0);
      for (uint64_t x = 0; x < 12 * s; ++x) {
        const uint32_t a = m->aggregator_of(x);
        bool ok = a == (x / s) % static_cast<uint64_t>(a_count);
        const uint64_t d = m->domain_of(x);
        ok = ok && d == next_d[a];  // domain coordinates are dense, in file order
        ++next_d[a];
        ok = ok && m->offset_of(a, d) == x;
        for (uint32_t b = 0; b < static_cast<uint32_t>(a_count); ++b) {
          uint64_t y = x;
          while (m->aggregator_of(y) != b) ++y;
          ok = ok && m->domain_at_or_after(b, x) == m->domain_of(y);
        }
        if (!ok) {
          CAPTURE(s);
          CAPTURE(a_count);
          FAIL_CHECK("domain coordinates wrong at offset " << x);
        }
      }
    }
}

TEST_CASE("spread_over_nodes") {
  CHECK(spread_over_nodes(std::vector<int>{0, 0, 0, 1, 1, 1}) == std::vector<int>{0, 3, 1, 4, 2, 5});
  CHECK(spread_over_nodes(std::vector<int>{7, 3, 7, 3, 9}) == std::vector<int>{0, 1, 4, 2, 3});
  CHECK(spread_over_nodes(std::vector<int>{}).empty());
  auto order = spread_over_nodes(std::vector<int>{0, 0, 1, 1});
  CHECK(choose_aggregators({1 << 20, 2, {}}, 0, order)->ranks()[1] == 2);
}

}  // TEST_SUITE
