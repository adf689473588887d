// The extent lock table of one resource (one object), LDLM style. Pure: no
// MPI, no I/O, no threads — the lock server calls it from its service loop
// and turns its answers into replies and blocking callbacks.
//
// Contents: the granted locks (owner = client id, mode, group id, granted
// extent, handle) and a FIFO queue of waiting requests (same fields, with the
// wanted extent). Handles are unique within the table, increase with arrival
// order, and a waiter keeps its handle when it is granted.
//
// Conflict: locks/requests A and B conflict when they belong to DIFFERENT
// owners, their modes are incompatible (lock_mode.hpp) and their extents
// overlap. An owner is never blocked by, and never called back for, its own
// locks or requests: one owner may hold e.g. PR and PW on overlapping
// extents (its own I/O is ordered by the owner itself). Consequently the
// table's safety invariant is: no two granted locks of different owners with
// incompatible modes overlap.
//
// Fairness rule (strict FIFO among conflicting requests):
//  * A new request is granted at once iff it conflicts with no granted lock
//    and no waiting request; otherwise it is appended to the queue. So a new
//    request never jumps ahead of an earlier waiter it conflicts with, even if
//    the granted locks would allow it.
//  * Whenever locks go away (cancel, release_owner) the queue is rescanned in
//    FIFO order; a waiter is granted iff it conflicts with no granted lock
//    (including the ones granted earlier in the same scan) and with no
//    earlier waiter that is still waiting. Waiters that do not conflict with
//    each other may be granted out of order (non-overlapping or compatible
//    requests do not wait for each other).
//  * Joining a group: a GROUP request or waiter that conflicts with no
//    granted lock and overlaps a granted GROUP lock of its own gid is
//    granted ahead of earlier waiters: they wait for that group, whose
//    members may be waiting for each other (e.g. in a barrier after taking
//    the lock), so queueing the joiner could deadlock. This holds for a new
//    request (granted at once; the new lock is called back at once if it
//    blocks a waiter, Granted::callbacks) and for a member that queued
//    before its group was granted (granted by the rescan that grants the
//    group's first lock, or any later one).
//  Hence every waiter always conflicts with a granted lock or an earlier
//  waiter, and no waiter is starved by later requests other than members
//  joining a group it waits for.
//
// Blocking callbacks: every granted lock that conflicts with a waiting
// request must be asked (once) to cancel. Each answer lists the granted locks
// that newly need that callback; a lock is listed at most once in its whole
// life (callback_sent(handle) tells whether it was). After every operation,
// every granted lock that conflicts with some waiter has been listed.
//
// Expansion: a lock is granted with the extent computed by expand()
// (expansion.hpp) against the other owners' granted locks and ALL other
// owners' waiting requests at the moment of the grant (so an expanded lock
// never blocks a waiter that was there first). A waiter granted from the
// queue while a LATER waiter overlaps and conflicts with its own request gets
// exactly its request (no room to expand) and is called back at once.
#pragma once

#include <nacre/status.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <variant>
#include <vector>

#include "locks/expansion.hpp"
#include "locks/extent.hpp"
#include "locks/lock_mode.hpp"

namespace nacre::locks {

using OwnerId = uint64_t;     // the client holding/wanting the lock
using LockHandle = uint64_t;  // unique in one table, > 0
using ResourceId = uint64_t;  // the object id

// One granted lock or waiting request.
struct LockInfo {
  LockHandle handle = 0;
  OwnerId owner = 0;
  Mode mode = Mode::NL;
  GroupId gid = 0;        // 0 unless mode == GROUP
  Extent extent;          // granted extent (granted) or wanted extent (waiting)
  Extent wanted;          // the extent the owner asked for
  bool operator==(const LockInfo&) const = default;
};

struct RequestFlags {
  bool no_expand = false;  // grant exactly the wanted extent
};

// request() answers: granted now, or queued.
struct Granted {
  LockHandle handle = 0;
  Extent extent;  // contains the wanted extent
  // Only for a GROUP member joining ahead of waiters: the new lock itself
  // when it blocks a waiter (send it a blocking callback). Else empty.
  std::vector<LockInfo> callbacks;
};
struct Wait {
  LockHandle handle = 0;
  // Granted locks of other owners that conflict with this request and were
  // not called back before: send each a blocking callback. May be empty (the
  // request waits behind an earlier waiter, or its blockers were already
  // called back).
  std::vector<LockInfo> callbacks;
};
using RequestOutcome = std::variant<Granted, Wait>;

// What a cancel/release changed.
struct Progress {
  std::vector<LockInfo> granted;    // waiters granted now, in FIFO order, with granted extents
  std::vector<LockInfo> callbacks;  // granted locks that newly need a blocking callback
};

class LockTable {
 public:
  // first_handle: the first handle to give out (a table made again for a
  // resource continues above every handle the previous one gave out).
  explicit LockTable(ResourceId resource = 0, ExpansionParams params = {},
                     LockHandle first_handle = 1)
      : resource_(resource), params_(params), next_handle_(first_handle < 1 ? 1 : first_handle) {}
  // The handle the next request gets.
  LockHandle next_handle() const { return next_handle_; }

  ResourceId resource() const { return resource_; }
  const ExpansionParams& params() const { return params_; }

  // Asks for a lock. EINVAL when `wanted` is not a valid extent or `mode` is
  // not a mode. For modes other than GROUP, gid is ignored (stored as 0).
  Result<RequestOutcome> request(OwnerId owner, Mode mode, GroupId gid, const Extent& wanted,
                                 RequestFlags flags = {});

  // Drops a granted lock or withdraws a waiting request. ENOENT for an
  // unknown handle.
  Result<Progress> cancel(LockHandle handle);

  // The owner was evicted or exited: drops all its locks and requests.
  Progress release_owner(OwnerId owner);

  // Lookups.
  std::vector<LockInfo> granted() const;  // by handle
  std::vector<LockInfo> waiting() const;  // FIFO order
  size_t granted_count() const { return granted_.size(); }
  size_t waiting_count() const { return waiting_.size(); }
  std::optional<LockInfo> find_granted(LockHandle handle) const;
  std::optional<LockInfo> find_waiting(LockHandle handle) const;
  std::vector<LockInfo> locks_of(OwnerId owner) const;  // granted then waiting
  bool callback_sent(LockHandle handle) const;           // false if unknown
  // The granted locks and earlier waiters a waiter conflicts with (empty for
  // an unknown handle or a granted lock).
  std::vector<LockInfo> blockers(LockHandle handle) const;
  bool empty() const { return granted_.empty() && waiting_.empty(); }
  // True when a lock of `mode` (gid 0) on `extent` by `owner` would conflict
  // with a granted lock or a waiting request of another owner (server-side
  // locking: the server may then not do the I/O on the owner's behalf).
  bool would_conflict(OwnerId owner, Mode mode, const Extent& extent) const;

 private:
  struct Entry {
    LockInfo info;
    RequestFlags flags;
    bool callback_sent = false;
  };

  // The extent to grant `req` now: expansion against the other owners'
  // granted locks and waiting requests (except skip_waiter, the request
  // itself when it is being granted from the queue).
  Extent grant_extent(const Entry& req, LockHandle skip_waiter) const;
  // Inserts a granted lock keeping granted_ sorted by handle.
  void add_granted(Entry e);
  // Grants every waiter the fairness rule allows, then collects callbacks.
  Progress reprocess();
  // Lists (and marks) the not-yet-called-back granted locks conflicting with w.
  void collect_callbacks(const LockInfo& w, std::vector<LockInfo>& out);
  // True when r is a GROUP request overlapping a granted GROUP lock of its
  // own gid (it may join ahead of waiters; see "Joining a group").
  bool joins_group(const LockInfo& r) const;

  ResourceId resource_;
  ExpansionParams params_;
  LockHandle next_handle_ = 1;
  std::vector<Entry> granted_;  // sorted by handle
  std::deque<Entry> waiting_;   // FIFO (also sorted by handle)
};

// True when a and b belong to different owners, have incompatible modes and
// overlapping extents (their `extent` fields).
bool conflicts(const LockInfo& a, const LockInfo& b);

}  // namespace nacre::locks
