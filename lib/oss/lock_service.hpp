// The extent lock server of one object server (docs/LOCKS.md): one
// locks::LockTable per object, LOCK_ENQUEUE / LOCK_CANCEL handling, blocking
// callbacks, deferred grants and eviction of holders that do not answer.
//
// Threading: used by the service loop only (not thread-safe). Never blocks:
// a request that cannot be granted is queued and its reply is produced later
// (when a cancel or an eviction frees the way) through take_outgoing(). The
// caller sends everything take_outgoing() returns after every call.
//
// Trust: everything decoded here comes from a peer and is checked (mode,
// extent, flags, that a cancelled handle belongs to the canceller).
#pragma once

#include "locks/lock_table.hpp"
#include "transport/transport.hpp"
#include "wire/rpc.hpp"

#include <nacre/status.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nacre::oss {

struct LockServiceOptions {
  uint32_t server_index = 0;
  locks::ExpansionParams expansion;
  // A holder that has not cancelled a called-back lock this long after the
  // callback was sent is evicted.
  std::chrono::milliseconds callback_timeout{10000};
  // Contended objects (docs/LOCKS.md, "Contended objects"): an object on
  // which `contended_conflicts` lock requests had to wait (or server-side
  // locked I/O was refused) within one `contention_window` is contended until
  // a window after the last such event, and stays so while server-side
  // locked I/O of different clients keeps interleaving on it. Grants and
  // object replies tell clients, who then use server-side locking for it.
  // A zero window turns the mechanism off (nothing is ever contended).
  std::chrono::milliseconds contention_window{2000};
  uint32_t contended_conflicts = 4;
};

// A message the server must send after a lock operation.
struct LockOutgoing {
  transport::PeerId peer;
  bool callback = false;       // true: LOCK_CALLBACK frame; false: LOCK_ENQUEUE reply
  uint64_t request_id = 0;     // replies: the enqueue being answered
  int32_t status = 0;          // replies: 0 or a positive errno
  std::vector<uint8_t> body;   // reply body (LockEnqueueReply) or LockCallbackBody
  std::string text;            // error text of an error reply
};

class LockService {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LockService(LockServiceOptions options);

  // LOCK_ENQUEUE. OK with *deferred false: reply.body holds the grant. OK
  // with *deferred true: the request waits; its reply comes out of
  // take_outgoing() later. An error: reply with it now (EINVAL for a bad
  // mode/extent/flags, EBADMSG for a malformed body, ESTALE when evicted).
  Status enqueue(const transport::PeerId& peer, uint64_t request_id,
                 std::span<const uint8_t> body, wire::Reply& reply, bool* deferred);
  // LOCK_CANCEL: drops a granted lock or withdraws a waiting request of the
  // peer. ENOENT for an unknown handle (already gone), EPERM for a handle of
  // another client.
  Status cancel(const transport::PeerId& peer, std::span<const uint8_t> body);
  // The peer's session ended (DISCONNECT): its locks and requests go away
  // silently (no replies to its waiting requests).
  void release_peer(const transport::PeerId& peer);
  // Server-side locking of one message's I/O (kObjFlagSrvLock) on
  // [extent) of an object: OK when no other client holds or waits for a lock
  // that conflicts with a PW (write) or PR (read) lock on it, so the caller
  // may apply the I/O now, within the same service-loop step (that is the
  // lock: nothing else runs on this server meanwhile). EBUSY otherwise (the
  // client must take a lock of its own; that request calls the holders
  // back); ESTALE for an evicted peer. *contended: the object is contended
  // (tell the client in the reply). Never blocks, sends nothing.
  Status server_side_lock(const transport::PeerId& peer, uint64_t object_id,
                          const locks::Extent& extent, bool write, bool* contended);
  // Whether the object is contended now (see LockServiceOptions).
  bool contended(uint64_t object_id) const;

  // The peer is presumed dead (its lease ran out): its locks and requests go
  // away silently (a dead job cannot be answered), and anything it still
  // sends gets ESTALE `reason`.
  void expire_peer(const transport::PeerId& peer, const std::string& reason);
  // ESTALE "evicted by server k ..." for an evicted peer, else OK.
  Status check_peer(const transport::PeerId& peer) const;

  // The earliest callback deadline, if any lock is being called back.
  std::optional<Clock::time_point> next_deadline() const;
  // Evicts every holder with a callback deadline <= now.
  void expire(Clock::time_point now);
  // Replies and callbacks produced since the last call, in order.
  std::vector<LockOutgoing> take_outgoing();

  // Introspection (tests).
  size_t table_count() const { return tables_.size(); }
  const locks::LockTable* table(uint64_t object_id) const;
  bool evicted(const transport::PeerId& peer) const { return evicted_.count(peer) != 0; }

  static locks::OwnerId owner_of(const transport::PeerId& peer);
  static transport::PeerId peer_of(locks::OwnerId owner);

 private:
  using Key = std::pair<uint64_t, locks::LockHandle>;  // (object, handle)
  struct Waiter {
    transport::PeerId peer;
    uint64_t request_id = 0;
  };
  struct CalledBack {
    transport::PeerId peer;
    Clock::time_point deadline;
  };
  // Turns a table's progress into replies and callbacks.
  void apply(uint64_t object_id, const locks::Progress& p);
  void send_callbacks(uint64_t object_id, const std::vector<locks::LockInfo>& cbs);
  void grant_reply(const transport::PeerId& peer, uint64_t request_id, uint64_t object_id,
                   locks::LockHandle h, const locks::Extent& e);
  // Contention bookkeeping (see LockServiceOptions).
  struct Contention {
    Clock::time_point window_start{};
    uint32_t conflicts = 0;             // in the window starting at window_start
    Clock::time_point until{};          // contended before this time
    locks::OwnerId last_srvlock_owner = 0;
  };
  // A request on the object had to wait or was refused.
  void note_conflict(uint64_t object_id, Clock::time_point now);
  bool contended_at(uint64_t object_id, Clock::time_point now) const;
  uint32_t grant_flags(uint64_t object_id) const;
  void error_reply(const Waiter& w, Status s);
  // Drops every lock and request of peer; waiting requests get `why` as an
  // error reply unless why is OK.
  void drop_peer(const transport::PeerId& peer, const Status& why);

  LockServiceOptions opts_;
  // By object id; a table goes as soon as it is empty (prune), and a new one
  // starts its handles at next_fresh_handle_, above every handle this
  // server gave out, so handles stay unique per object for the life of the
  // server while memory follows the objects in use.
  std::map<uint64_t, locks::LockTable> tables_;
  locks::LockHandle next_fresh_handle_ = 1;
  // Drops the table of object_id if it holds no lock and no request.
  void prune(uint64_t object_id);
  std::map<Key, Waiter> waiters_;                // waiting requests
  std::map<Key, CalledBack> called_back_;        // granted locks being called back
  std::map<transport::PeerId, std::string> evicted_;  // -> reason
  std::map<uint64_t, Contention> contention_;    // by object id
  std::vector<LockOutgoing> out_;
};

}  // namespace nacre::oss
