// The client's cache of granted extent locks (docs/LOCKS.md).
//
// Keyed by (server, object). A cached lock is "in use" while an I/O call
// relies on it (users > 0). A blocking callback marks it called back: no new
// I/O may use it, and as soon as it has no users it moves to the cancel
// queue, which the progress thread drains (it sends LOCK_CANCEL). A callback
// can overtake the grant it refers to (they travel on different tags): it is
// remembered and applied when the grant is added.
//
// Thread-safe (one mutex): the application thread(s) use and add locks, the
// progress thread applies callbacks and takes cancels.
#pragma once

#include "locks/extent.hpp"
#include "locks/lock_mode.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

namespace nacre::client {

struct LockRef {
  uint32_t server = 0;
  uint64_t object = 0;
  uint64_t handle = 0;
  auto operator<=>(const LockRef&) const = default;
};

class LockCache {
 public:
  // Unused cached locks kept per object; beyond this the oldest unused ones
  // are cancelled (bounds client and server memory).
  static constexpr size_t kMaxCachedPerObject = 32;
  // Callbacks remembered for locks not (yet) granted. One that overtook its
  // grant is matched within a round trip; one for a lock already cancelled
  // is never matched, so the oldest beyond this bound are forgotten.
  static constexpr size_t kMaxEarlyCallbacks = 1024;

  // A cached lock on (server, object) that covers `want` in a mode that
  // allows `mode` (PW covers PR; GROUP covers GROUP of the same gid) and is
  // not called back; marks it in use. Returns its handle, or 0 if none.
  uint64_t use_cached(uint32_t server, uint64_t object, locks::Mode mode, uint64_t gid,
                      const locks::Extent& want);
  // A lock just granted to the caller, in use by it. keep false: the lock
  // serves only the uses already taken and is cancelled once unused (locks
  // on contended objects; docs/LOCKS.md, "Contended objects").
  void add_in_use(uint32_t server, uint64_t object, uint64_t handle, locks::Mode mode,
                  uint64_t gid, const locks::Extent& granted, bool keep = true);
  // Ends one use of a lock taken by use_cached / add_in_use.
  void unuse(const LockRef& ref);
  // A blocking callback for the lock arrived.
  void on_callback(const LockRef& ref);
  // Locks to cancel now (called back and unused, or beyond the cache bound).
  std::vector<LockRef> take_cancels();
  // Those of `refs` that are waiting to be cancelled, taken out of the queue.
  std::vector<LockRef> take_cancels_of(const std::vector<LockRef>& refs);
  // Forgets every lock of a server (it evicted this client).
  void forget_server(uint32_t server);
  // Lock aging (Lustre's lru_max_age): moves every lock that has been unused
  // (and not called back) since before now - max_age to the cancel queue.
  // Returns how many it moved.
  using Clock = std::chrono::steady_clock;
  size_t age_out(Clock::time_point now, std::chrono::milliseconds max_age);
  uint64_t aged_out() const;  // locks age_out moved so far

  size_t cached_count() const;
  // Callbacks remembered for locks this cache does not hold (at most
  // kMaxEarlyCallbacks).
  size_t early_callback_count() const;
  // The granted extent of one of the caller's locks (none if unknown).
  std::optional<locks::Extent> extent_of(const LockRef& ref) const;
  uint64_t callbacks_received() const;

 private:
  struct Held {
    uint64_t handle = 0;
    locks::Mode mode = locks::Mode::NL;
    uint64_t gid = 0;
    locks::Extent extent;
    int users = 0;
    bool called_back = false;
    Clock::time_point idle_since{};  // when users last dropped to 0
  };
  using Key = std::pair<uint32_t, uint64_t>;
  // Moves unused called-back locks of key (and the excess beyond the bound)
  // to the cancel queue. REQUIRES mu_.
  void collect(const Key& key);

  mutable std::mutex mu_;
  std::map<Key, std::vector<Held>> held_;  // guarded by mu_; oldest first
  std::set<LockRef> early_callbacks_;      // guarded by mu_
  std::deque<LockRef> early_order_;        // guarded by mu_: insertion order
  std::deque<LockRef> cancels_;            // guarded by mu_
  uint64_t callbacks_ = 0;                 // guarded by mu_
  uint64_t aged_out_ = 0;                  // guarded by mu_
};

}  // namespace nacre::client
