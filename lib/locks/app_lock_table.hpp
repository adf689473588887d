// Application locks (fcntl record locks and flock whole-file locks) of every
// file of the metadata server, docs/LOCKS.md "Application locks". Pure: no
// MPI, no I/O, no threads — lib/mds/app_lock_service.* drives it from the
// service loop and turns its answers into (possibly deferred) replies.
//
// Namespaces: each file has two independent lock spaces, kPosix (fcntl
// F_SETLK/F_SETLKW/F_GETLK) and kFlock (flock(2)); locks of one space never
// conflict with locks of the other (Linux semantics for local files).
//
// Owners: a lock belongs to an AppOwner = (session, handle). The session is
// the client process (one node of the wait-for graph); POSIX locks are owned
// by the session alone (handle is forced to 0), flock locks by the open
// handle. Locks of the same owner never conflict; two locks of different
// owners conflict when their ranges overlap and at least one is exclusive.
//
// Record-lock rule (both spaces; a flock lock is the range [0, EOF)): a
// granted request REPLACES the owner's own locks on its range — it splits
// and trims them, and adjacent or overlapping ranges of the same type merge.
// An unlock (type kUnlock) removes the owner's locks on the range, splitting
// one that covers it partly; it never waits and never fails for lack of a
// lock. So an owner's locks are always disjoint, maximal runs of one type.
//
// Waiting: a request that conflicts with a GRANTED lock of another owner
// fails with EAGAIN unless `wait` is set; then it is queued (a ticket is
// returned) — except when waiting would close a cycle in the wait-for graph
// (session -> sessions holding conflicting locks, through every waiting
// request), which fails with EDEADLK; a session waiting for its own other
// handle's flock lock is such a cycle. A session has at most one waiting
// request (EBUSY for a second: the client serialises its calls). A new
// request is blocked by granted locks only, never by earlier waiters (POSIX
// behaviour: an owner converting its own lock must not queue behind a waiter
// that waits for that very lock). Whenever locks change, the waiters of that
// file space are rescanned in FIFO order and each one that no longer
// conflicts is granted (repeated until nothing changes); take_granted()
// reports their tickets in grant order.
//
// flock conversion (the owner already holds a flock lock of the other type):
// done in place when it can be granted now; a try that cannot fails with
// EAGAIN and keeps the old lock; a waiting conversion first drops the old
// lock (as Linux/BSD do, so two shared holders upgrading do not deadlock).
//
// Ranges: half-open [start, end) with start < kAppLockMaxOffset, end <=
// kAppLockMaxOffset or end = kAppLockEof (to end of file and beyond);
// EINVAL otherwise.
#pragma once

#include <nacre/status.hpp>

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace nacre::locks {

enum class AppLockSpace : uint8_t { kPosix = 1, kFlock = 2 };
enum class AppLockType : uint8_t { kUnlock = 0, kShared = 1, kExclusive = 2 };

inline constexpr uint64_t kAppLockEof = UINT64_MAX;
inline constexpr uint64_t kAppLockMaxOffset = 1ull << 62;

struct AppOwner {
  uint64_t session = 0;  // client process
  uint64_t handle = 0;   // open handle (flock); 0 for POSIX locks
  auto operator<=>(const AppOwner&) const = default;
};

// A granted lock, or the conflicting lock answered by test().
struct AppLock {
  AppOwner owner;
  AppLockType type = AppLockType::kUnlock;
  uint64_t start = 0, end = 0;
  uint32_t pid = 0;  // the owner's process id as it told us (F_GETLK's l_pid)
  bool operator==(const AppLock&) const = default;
};

struct AppLockRequest {
  uint64_t file = 0;  // inode number
  AppLockSpace space = AppLockSpace::kPosix;
  AppOwner owner;
  AppLockType type = AppLockType::kUnlock;
  uint64_t start = 0, end = kAppLockEof;  // ignored for kFlock (whole file)
  uint32_t pid = 0;
  bool wait = false;
};

using AppTicket = uint64_t;  // > 0, unique for the table's life

struct AppSetOutcome {
  bool queued = false;  // false: done now
  AppTicket ticket = 0;
};

class AppLockTable {
 public:
  // Sets or unlocks (type kUnlock). Errors: EINVAL (bad space, type or
  // range), EAGAIN (conflict, no wait), EDEADLK, EBUSY (the session already
  // waits). Never blocks.
  Result<AppSetOutcome> set(const AppLockRequest& r);
  // F_GETLK: the first lock (lowest start, then owner) of another owner that
  // conflicts with r (r.type shared or exclusive), or none. EINVAL as set().
  Result<std::optional<AppLock>> test(const AppLockRequest& r) const;
  // close(): drops the flock locks of (session, handle) on file and, when
  // posix is true, the session's POSIX locks on file.
  void release_handle(uint64_t file, uint64_t session, uint64_t handle, bool posix);
  // The session ended: every lock and waiting request of it goes. Returns
  // the tickets of its dropped waiting requests.
  std::vector<AppTicket> release_session(uint64_t session);
  // Tickets of queued requests granted since the last call, in grant order.
  std::vector<AppTicket> take_granted();

  // Introspection (tests): the granted locks of one file space, by owner
  // then start; the tickets waiting, FIFO.
  std::vector<AppLock> locks(uint64_t file, AppLockSpace space) const;
  std::vector<AppTicket> waiting() const;
  bool empty() const { return spaces_.empty() && waiters_.empty(); }

 private:
  struct Seg {
    uint64_t end = 0;
    AppLockType type = AppLockType::kUnlock;
    uint32_t pid = 0;
  };
  using Segs = std::map<uint64_t, Seg>;  // start -> segment, disjoint
  using Space = std::map<AppOwner, Segs>;
  using Key = std::pair<uint64_t, AppLockSpace>;
  struct Waiter {
    AppTicket ticket = 0;
    AppLockRequest req;
  };

  static Status validate(AppLockRequest& r);
  // Granted locks of other owners in `space` conflicting with r.
  std::vector<AppLock> conflicts(const Space& space, const AppLockRequest& r) const;
  // True if a waiting request of a session reachable from `from` (through
  // conflicting locks) belongs to `target`.
  bool reaches(const std::vector<uint64_t>& from, uint64_t target) const;
  // Replaces r.owner's locks on r's range by r (or removes them).
  void apply(const AppLockRequest& r);
  void rescan(const Key& key);
  void drop_if_empty(const Key& key);

  std::map<Key, Space> spaces_;
  std::deque<Waiter> waiters_;  // FIFO over all files
  std::vector<AppTicket> granted_;
  AppTicket next_ticket_ = 1;
};

const char* app_lock_type_name(AppLockType t);

}  // namespace nacre::locks
