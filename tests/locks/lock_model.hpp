// Test helpers for lib/locks: seed handling, a brute-force expansion model
// and a naive model of the lock table, written from the rules stated in the
// headers, not from the implementation.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <vector>

#include "locks/expansion.hpp"
#include "locks/lock_table.hpp"

namespace nacre::locks {
// For doctest's expression printing.
inline std::ostream& operator<<(std::ostream& os, const Extent& e) {
  os << "[" << e.start << ",";
  if (e.end == kEof) os << "EOF";
  else os << e.end;
  return os << ")";
}
}  // namespace nacre::locks

namespace locks_test {

using namespace nacre::locks;
using nacre::Result;
using nacre::Status;

// Seed from NACRE_SEED, else `fallback`; printed so failures can be replayed.
inline uint64_t test_seed(uint64_t fallback) {
  const char* s = std::getenv("NACRE_SEED");
  const uint64_t seed = s ? std::strtoull(s, nullptr, 10) : fallback;
  MESSAGE("seed " << seed << " (set NACRE_SEED to replay)");
  return seed;
}

inline bool model_overlap(const Extent& a, const Extent& b) {
  return a.start < b.end && b.start < a.end;
}

// The growth bounds (target) of the policy for this request, from counting.
struct Target {
  uint64_t lo = 0;
  uint64_t hi = kEof;
};

inline Target model_target(const ExpansionRequest& r, const std::vector<OtherLock>& others,
                           const ExpansionParams& p) {
  const uint64_t page = p.page_size;
  uint64_t nconf = 0, nwrite = 0;
  for (const OtherLock& o : others) {
    if (compatible(r.mode, r.gid, o.mode, o.gid)) continue;
    ++nconf;
    if (o.granted && (o.mode == Mode::CW || o.mode == Mode::PW || o.mode == Mode::EX ||
                      o.mode == Mode::GROUP))
      ++nwrite;
  }
  Target t;
  const uint64_t floor_start = r.wanted.start / page * page;
  if (nconf > p.contended_locks) {
    t.lo = floor_start;
    t.hi = r.wanted.end == kEof ? kEof : (r.wanted.end + page - 1) / page * page;
  } else if (nwrite > p.max_grown_conflicts) {
    t.lo = floor_start;
    t.hi = std::max(r.wanted.end, floor_start + p.max_grown_extent);
  }
  return t;
}

inline bool free_of(const ExpansionRequest& r, const std::vector<OtherLock>& others,
                    const Extent& x) {
  for (const OtherLock& o : others)
    if (!compatible(r.mode, r.gid, o.mode, o.gid) && model_overlap(o.extent, x)) return false;
  return true;
}

// Brute force over every candidate (start, end) pair: the largest extent
// containing the request, inside the target, overlapping no incompatible
// other, whose ends are each the request's own end or a page boundary (or
// EOF). Finite ends are tried up to max_end. Small universes only.
inline Extent brute_expand_2d(const ExpansionRequest& r, const std::vector<OtherLock>& others,
                              const ExpansionParams& p, uint64_t max_end) {
  const Extent w = r.wanted;
  if (r.no_expand || r.mode == Mode::GROUP || !free_of(r, others, w)) return w;
  const Target t = model_target(r, others, p);
  std::vector<uint64_t> ends;
  if (w.end != kEof)
    for (uint64_t e = w.end; e <= max_end; ++e) ends.push_back(e);
  ends.push_back(kEof);
  Extent best = w;
  for (uint64_t s = 0; s <= w.start; ++s) {
    if (s != w.start && s % p.page_size != 0) continue;
    if (s < t.lo) continue;
    for (uint64_t e : ends) {
      if (e != w.end && e != kEof && e % p.page_size != 0) continue;
      if (e > t.hi) continue;
      const Extent c{s, e};
      if (!free_of(r, others, c)) continue;
      if (c.end - c.start > best.end - best.start) best = c;
    }
  }
  return best;
}

// Same answer, enumerating each end separately (the constraints on the start
// do not depend on the end and vice versa, so the largest extent takes the
// smallest feasible start and the largest feasible end). Used by the table
// model, where the 2-D search would be too slow.
inline Extent brute_expand_1d(const ExpansionRequest& r, const std::vector<OtherLock>& others,
                              const ExpansionParams& p, uint64_t max_end) {
  const Extent w = r.wanted;
  if (r.no_expand || r.mode == Mode::GROUP || !free_of(r, others, w)) return w;
  const Target t = model_target(r, others, p);
  Extent best = w;
  for (uint64_t s = 0; s < w.start; ++s)
    if (s % p.page_size == 0 && s >= t.lo && free_of(r, others, Extent{s, w.end})) {
      best.start = s;
      break;
    }
  if (w.end != kEof) {
    if (t.hi == kEof && free_of(r, others, Extent{w.start, kEof})) {
      best.end = kEof;
    } else {
      for (uint64_t e = std::min(max_end, t.hi); e > w.end; --e)
        if (e % p.page_size == 0 && free_of(r, others, Extent{w.start, e})) {
          best.end = e;
          break;
        }
    }
  }
  return best;
}

struct ModelProgress {
  std::vector<LockInfo> granted;
  std::vector<LockInfo> callbacks;
};

struct ModelAnswer {
  bool granted = false;
  LockHandle handle = 0;
  Extent extent;
  std::vector<LockInfo> callbacks;
};

// Naive lock table: one list of everything in arrival order, fixpoint
// re-scans from the start after every grant.
class TableModel {
 public:
  TableModel(ExpansionParams p, uint64_t max_end) : p_(p), max_end_(max_end) {}

  ModelAnswer request(OwnerId owner, Mode mode, GroupId gid, Extent wanted, bool no_expand) {
    Item it;
    it.info = LockInfo{next_++, owner, mode, mode == Mode::GROUP ? gid : 0, wanted, wanted};
    it.no_expand = no_expand;
    // A GROUP member joins its granted group ahead of waiters.
    bool joins = false;
    for (const Item& x : items_)
      joins = joins || (mode == Mode::GROUP && x.granted && x.info.mode == Mode::GROUP &&
                        x.info.gid == gid && model_overlap(x.info.extent, wanted));
    bool blocked = false;
    for (const Item& x : items_)
      blocked = blocked || ((x.granted || !joins) && conflict(x.info, it.info));
    ModelAnswer a;
    a.handle = it.info.handle;
    if (!blocked) {
      it.info.extent = expand_now(it);
      it.granted = true;
      a.granted = true;
      a.extent = it.info.extent;
      for (const Item& x : items_)
        if (!x.granted && !it.notified && conflict(it.info, x.info)) {
          it.notified = true;
          a.callbacks.push_back(it.info);
        }
      items_.push_back(it);
      return a;
    }
    for (Item& g : items_)
      if (g.granted && !g.notified && conflict(g.info, it.info)) {
        g.notified = true;
        a.callbacks.push_back(g.info);
      }
    items_.push_back(it);
    return a;
  }

  std::optional<ModelProgress> cancel(LockHandle h) {
    auto it = std::find_if(items_.begin(), items_.end(),
                           [&](const Item& x) { return x.info.handle == h; });
    if (it == items_.end()) return std::nullopt;
    items_.erase(it);
    return settle();
  }

  ModelProgress release(OwnerId owner) {
    std::erase_if(items_, [&](const Item& x) { return x.info.owner == owner; });
    return settle();
  }

  std::vector<LockInfo> granted() const { return select(true); }
  std::vector<LockInfo> waiting() const { return select(false); }
  std::vector<LockHandle> handles() const {
    std::vector<LockHandle> out;
    for (const Item& x : items_) out.push_back(x.info.handle);
    return out;
  }

 private:
  struct Item {
    LockInfo info;
    bool no_expand = false;
    bool granted = false;
    bool notified = false;
  };

  static bool conflict(const LockInfo& a, const LockInfo& b) {
    return a.owner != b.owner && model_overlap(a.extent, b.extent) &&
           !compatible(a.mode, a.gid, b.mode, b.gid);
  }

  Extent expand_now(const Item& req) const {
    std::vector<OtherLock> others;
    for (const Item& x : items_)
      if (x.info.owner != req.info.owner && x.info.handle != req.info.handle)
        others.push_back(OtherLock{x.info.mode, x.info.gid, x.info.extent, x.granted});
    return brute_expand_1d(ExpansionRequest{req.info.mode, req.info.gid, req.info.wanted, req.no_expand},
                           others, p_, max_end_);
  }

  ModelProgress settle() {
    ModelProgress pr;
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t i = 0; i < items_.size() && !changed; ++i) {
        if (items_[i].granted) continue;
        // A GROUP waiter overlapping a granted lock of its group joins it
        // ahead of earlier waiters.
        bool joins = false;
        for (const Item& g : items_)
          joins = joins || (items_[i].info.mode == Mode::GROUP && g.granted &&
                            g.info.mode == Mode::GROUP && g.info.gid == items_[i].info.gid &&
                            model_overlap(g.info.extent, items_[i].info.wanted));
        bool blocked = false;
        for (size_t j = 0; j < items_.size(); ++j)
          if ((items_[j].granted || (j < i && !joins)) && conflict(items_[j].info, items_[i].info))
            blocked = true;
        if (blocked) continue;
        items_[i].info.extent = expand_now(items_[i]);
        items_[i].granted = true;
        pr.granted.push_back(items_[i].info);
        changed = true;
      }
    }
    for (const Item& w : items_) {
      if (w.granted) continue;
      for (Item& g : items_)
        if (g.granted && !g.notified && conflict(g.info, w.info)) {
          g.notified = true;
          pr.callbacks.push_back(g.info);
        }
    }
    return pr;
  }

  std::vector<LockInfo> select(bool granted) const {
    std::vector<LockInfo> out;
    for (const Item& x : items_)
      if (x.granted == granted) out.push_back(x.info);
    return out;
  }

  ExpansionParams p_;
  uint64_t max_end_;
  LockHandle next_ = 1;
  std::vector<Item> items_;  // arrival (= handle) order
};

}  // namespace locks_test
