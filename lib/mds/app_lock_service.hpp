// The application-lock service of the metadata server (docs/LOCKS.md,
// "Application locks"): serves APP_LOCK over one locks::AppLockTable.
//
// Owners: the session of a request is its sender (link, rank) as the
// transport reports it — never anything the peer wrote in the body — so a
// client cannot touch another client's locks. fcntl locks belong to the
// session, flock locks to (session, handle id chosen by the client).
//
// Threading: used by the service loop only (not thread-safe). Never blocks:
// a SET with wait that conflicts is queued and answered later through
// take_outgoing(), which the caller drains after every call.
//
// Trust: the body is decoded with bounds checks; a bad op, space, type or
// range is an error reply (EINVAL), never an assert.
#pragma once

#include "locks/app_lock_table.hpp"
#include "transport/transport.hpp"
#include "wire/rpc.hpp"

#include <nacre/status.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nacre::mds {

// A deferred APP_LOCK reply (a granted blocking request).
struct AppLockOutgoing {
  transport::PeerId peer;
  uint64_t request_id = 0;
  std::vector<uint8_t> body;  // AppLockReply
};

class AppLockService {
 public:
  // APP_LOCK. OK with reply.deferred false: reply.body is the answer. OK
  // with reply.deferred true: the request waits; take_outgoing() yields its
  // reply when it is granted. An error: reply with it now (EAGAIN, EDEADLK,
  // EINVAL, EBUSY, EBADMSG).
  Status handle(const transport::PeerId& peer, uint64_t request_id,
                std::span<const uint8_t> body, wire::Reply& reply);
  // The peer's session ended (DISCONNECT): its locks go, its waiting request
  // is dropped without a reply, and the waiters it blocked are granted.
  void release_peer(const transport::PeerId& peer);
  // Replies of requests granted since the last call, in grant order.
  std::vector<AppLockOutgoing> take_outgoing();

  const locks::AppLockTable& table() const { return table_; }
  static uint64_t session_of(const transport::PeerId& peer);
  static transport::PeerId peer_of(uint64_t session);

 private:
  struct Waiter {
    transport::PeerId peer;
    uint64_t request_id = 0;
  };
  void collect_grants();

  locks::AppLockTable table_;
  std::map<locks::AppTicket, Waiter> waiters_;
  std::vector<AppLockOutgoing> out_;
};

}  // namespace nacre::mds
