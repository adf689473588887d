// Aggregator assignment, Lustre style. Pure.
//
// The aggregator of file byte o is (o / stripe_size) mod A, A = number of
// aggregators. A always divides stripe_count, so aggregator a serves exactly
// the stripe indices {a, a + A, a + 2A, ...} (stripe unit u lives on stripe
// index u mod stripe_count, and u mod A == (u mod stripe_count) mod A): no two
// aggregators ever touch the same object. A is further chosen so that no two
// aggregators share an object server, so each aggregator always talks to the
// same server(s) and extent locks never bounce between aggregators.
//
// Domain coordinates: aggregator a's file domain is the concatenation of its
// stripe units in file order; byte o of unit u (u mod A == a) has domain
// coordinate d = (u / A) * stripe_size + o mod stripe_size. Rounds are ranges
// of domain coordinates (see plan.hpp).
#pragma once

#include <nacre/status.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace nacre::collective {

// The stripe geometry of one file.
struct StripeLayout {
  uint64_t stripe_size = 0;               // > 0, <= 2^40
  uint32_t stripe_count = 0;              // > 0, <= 2^20
  std::vector<uint32_t> server_of_stripe; // server of each stripe index; empty:
                                          // every stripe on a server of its own
};

class DomainMap {
 public:
  DomainMap() = default;
  // aggregator_ranks[a] is the MPI rank of aggregator a; A = its size (> 0).
  static Result<DomainMap> make(uint64_t stripe_size, std::vector<int> aggregator_ranks);

  uint64_t stripe_size() const { return stripe_size_; }
  uint32_t count() const { return static_cast<uint32_t>(ranks_.size()); }
  std::span<const int> ranks() const { return ranks_; }
  int rank_of(uint32_t aggregator) const { return ranks_[aggregator]; }

  uint32_t aggregator_of(uint64_t offset) const {
    return static_cast<uint32_t>((offset / stripe_size_) % ranks_.size());
  }
  // Domain coordinate of file byte `offset` (in the domain of aggregator_of(offset)).
  uint64_t domain_of(uint64_t offset) const {
    const uint64_t u = offset / stripe_size_;
    return (u / ranks_.size()) * stripe_size_ + offset % stripe_size_;
  }
  // File offset of domain coordinate d of aggregator a (inverse of domain_of).
  uint64_t offset_of(uint32_t aggregator, uint64_t d) const {
    return ((d / stripe_size_) * ranks_.size() + aggregator) * stripe_size_ + d % stripe_size_;
  }
  // Domain coordinate of the first byte of aggregator a's domain at or after
  // file offset x.
  uint64_t domain_at_or_after(uint32_t aggregator, uint64_t x) const;

 private:
  uint64_t stripe_size_ = 1;
  std::vector<int> ranks_{0};
};

// Chooses A and the aggregator ranks.
//   cap = min(cb_nodes if > 0 else the number of distinct servers holding the
//             file's stripes, candidate_ranks.size());
//   A   = the largest divisor of stripe_count that is <= cap and for which the
//         aggregators' server sets are pairwise disjoint (A = 1 always is).
//   aggregator a runs on candidate_ranks[a]: list candidates in order of
//   preference, e.g. spread_over_nodes(...) to put aggregators on distinct
//   nodes first.
// EINVAL for an invalid layout (zero or too large size/count, a
// server_of_stripe of the wrong size) or no candidate ranks.
Result<DomainMap> choose_aggregators(const StripeLayout& layout, uint32_t cb_nodes,
                                     std::span<const int> candidate_ranks);

// Ranks 0..n-1 ordered round-robin over nodes: the first rank of each node (in
// order of first appearance), then the second of each, ... node_of_rank[r] is
// any node identifier of rank r.
std::vector<int> spread_over_nodes(std::span<const int> node_of_rank);

}  // namespace nacre::collective
