#include "collective/aggregators.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

namespace nacre::collective {

namespace {
constexpr uint64_t kMaxStripeSize = uint64_t{1} << 40;
constexpr uint32_t kMaxStripeCount = uint32_t{1} << 20;
}  // namespace

Result<DomainMap> DomainMap::make(uint64_t stripe_size, std::vector<int> aggregator_ranks) {
  if (stripe_size == 0 || stripe_size > kMaxStripeSize)
    return Status::error(EINVAL, "stripe size " + std::to_string(stripe_size) +
                                     " out of range (1.." + std::to_string(kMaxStripeSize) + ")");
  if (aggregator_ranks.empty() || aggregator_ranks.size() > kMaxStripeCount)
    return Status::error(EINVAL, "aggregator count " + std::to_string(aggregator_ranks.size()) +
                                     " out of range (1.." + std::to_string(kMaxStripeCount) + ")");
  DomainMap m;
  m.stripe_size_ = stripe_size;
  m.ranks_ = std::move(aggregator_ranks);
  return m;
}

uint64_t DomainMap::domain_at_or_after(uint32_t aggregator, uint64_t x) const {
  const uint64_t a_count = ranks_.size();
  const uint64_t u = x / stripe_size_;
  if (u % a_count == aggregator) return domain_of(x);
  // Next unit of this aggregator after u, from its first byte.
  const uint64_t next = u + (aggregator + a_count - u % a_count) % a_count;
  return (next / a_count) * stripe_size_;
}

Result<DomainMap> choose_aggregators(const StripeLayout& layout, uint32_t cb_nodes,
                                     std::span<const int> candidate_ranks) {
  const uint32_t c = layout.stripe_count;
  if (c == 0 || c > kMaxStripeCount)
    return Status::error(EINVAL, "stripe count " + std::to_string(c) + " out of range (1.." +
                                     std::to_string(kMaxStripeCount) + ")");
  if (!layout.server_of_stripe.empty() && layout.server_of_stripe.size() != c)
    return Status::error(EINVAL, "server map has " +
                                     std::to_string(layout.server_of_stripe.size()) +
                                     " entries for " + std::to_string(c) + " stripes");
  if (candidate_ranks.empty())
    return Status::error(EINVAL, "no candidate ranks for aggregators");

  auto server = [&](uint32_t i) {
    return layout.server_of_stripe.empty() ? i : layout.server_of_stripe[i];
  };
  uint64_t servers = c;
  if (!layout.server_of_stripe.empty()) {
    std::vector<uint32_t> s = layout.server_of_stripe;
    std::sort(s.begin(), s.end());
    servers = static_cast<uint64_t>(std::unique(s.begin(), s.end()) - s.begin());
  }
  const uint64_t cap = std::min<uint64_t>(cb_nodes > 0 ? cb_nodes : servers, candidate_ranks.size());

  // Aggregator a of A serves stripe indices i with i mod A == a; servers must
  // not be shared between aggregators.
  auto disjoint = [&](uint32_t a_count) {
    std::unordered_map<uint32_t, uint32_t> owner;
    for (uint32_t i = 0; i < c; ++i) {
      auto [it, fresh] = owner.emplace(server(i), i % a_count);
      if (!fresh && it->second != i % a_count) return false;
    }
    return true;
  };
  uint32_t chosen = 1;
  for (uint32_t a = static_cast<uint32_t>(std::min<uint64_t>(cap, c)); a > 1; --a)
    if (c % a == 0 && disjoint(a)) {
      chosen = a;
      break;
    }
  return DomainMap::make(layout.stripe_size,
                         std::vector<int>(candidate_ranks.begin(), candidate_ranks.begin() + chosen));
}

std::vector<int> spread_over_nodes(std::span<const int> node_of_rank) {
  std::map<int, size_t> first_seen;  // node -> order of first appearance
  std::vector<std::vector<int>> by_node;
  for (size_t r = 0; r < node_of_rank.size(); ++r) {
    auto [it, fresh] = first_seen.emplace(node_of_rank[r], by_node.size());
    if (fresh) by_node.emplace_back();
    by_node[it->second].push_back(static_cast<int>(r));
  }
  std::vector<int> out;
  out.reserve(node_of_rank.size());
  for (size_t k = 0; out.size() < node_of_rank.size(); ++k)
    for (const auto& ranks : by_node)
      if (k < ranks.size()) out.push_back(ranks[k]);
  return out;
}

}  // namespace nacre::collective
