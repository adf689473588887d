// Client leases of one server (docs/LOCKS.md, "Client leases"). A client
// that pings (PING, from its lock progress thread) holds a lease: every
// message it sends renews it. When a lease runs out the client is presumed
// dead (its job was killed: Open MPI does not tell a server that a connected
// job died), so the server can release its locks and stop waiting for its
// DISCONNECT. Clients that never pinged (no progress thread) have no lease
// and are never expired.
//
// Pure bookkeeping: no MPI, no I/O. Not thread-safe (the service loop).
#pragma once

#include "transport/transport.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <vector>

namespace nacre::server {

class ClientLeases {
 public:
  using Clock = std::chrono::steady_clock;
  // lease 0: leases are off (nothing is ever tracked or expired).
  explicit ClientLeases(std::chrono::milliseconds lease) : lease_(lease) {}

  std::chrono::milliseconds lease() const { return lease_; }
  // A PING from peer: it holds a lease from now on.
  void ping(const transport::PeerId& peer, Clock::time_point now);
  // Any other message from peer renews its lease (if it has one).
  void heard(const transport::PeerId& peer, Clock::time_point now);
  // The peer said DISCONNECT: no lease any more.
  void end(const transport::PeerId& peer) { until_.erase(peer); }
  // The earliest lease end, if any lease is held.
  std::optional<Clock::time_point> next_deadline() const;
  // Removes and returns the peers whose lease ended at or before now.
  std::vector<transport::PeerId> expire(Clock::time_point now);
  size_t held() const { return until_.size(); }

 private:
  std::chrono::milliseconds lease_;
  std::map<transport::PeerId, Clock::time_point> until_;
};

}  // namespace nacre::server
