// Transport seam: how a client sends RPC frames to servers and how a server
// receives them and replies. Implementations: MPI point-to-point (embedded
// intracommunicator or standalone intercommunicators) and an in-process
// loopback for tests.
#pragma once

#include <nacre/status.hpp>

#include <chrono>
#include <compare>
#include <cstddef>
#include <memory>
#include <cstdint>
#include <span>
#include <vector>

namespace nacre::transport {

struct ConstSegment {
  const void* ptr = nullptr;
  size_t len = 0;
};
struct MutSegment {
  void* ptr = nullptr;
  size_t len = 0;
};

// One RPC. The caller fills the request part; exchange() fills the reply.
struct Call {
  int server = 0;
  uint64_t request_id = 0;
  std::vector<uint8_t> head;           // frame header + body (wire::build_frame)
  std::vector<ConstSegment> out_data;  // frame data, sent from the caller's memory
  // true: out_data goes as a second message on bulk_tag(request_id) instead
  // of in the request message (OBJ_WRITE_BULK).
  bool bulk = false;
  // Reply placement: with in_data empty the whole reply (at most
  // wire::kMaxControlBytes) lands in `reply`. Otherwise the first
  // reply_prefix bytes land in `reply` and the rest is scattered over
  // in_data (the caller's memory, no copy).
  size_t reply_prefix = 0;
  std::vector<MutSegment> in_data;
  // Filled by exchange():
  std::vector<uint8_t> reply;
  size_t reply_data_received = 0;  // bytes that landed in in_data
};

// Client side. Blocking and not thread-safe: one exchange at a time.
class ClientTransport {
 public:
  virtual ~ClientTransport() = default;
  virtual int server_count() const = 0;
  // Sends every call and waits for every reply; calls to different servers
  // proceed concurrently. Returns non-OK only for transport failures (a
  // server's error reply is a successful exchange).
  virtual Status exchange(std::span<Call> calls) = 0;
  // Non-blocking: takes one server-initiated message (a LOCK_CALLBACK frame,
  // kCallbackTag) if one has arrived. Returns true and fills *frame (at most
  // wire::kMaxControlBytes) when it did. Safe to call from a thread other
  // than the one calling exchange() on ANOTHER transport over the same
  // communicator (the lock progress thread), MPI_THREAD_MULTIPLE assumed.
  virtual bool poll_callback(std::vector<uint8_t>* frame) = 0;
  // A second transport to the same servers, for the client's lock progress
  // thread (or, without threads, for polling callbacks from the calling
  // thread). Never null.
  virtual std::unique_ptr<ClientTransport> make_callback_transport() = 0;
  // True when this transport and a callback transport may be used from two
  // threads at once (MPI: initialised with MPI_THREAD_MULTIPLE). Without it
  // the client holds extent locks only for the duration of each call
  // (docs/LOCKS.md, "Without a progress thread").
  virtual bool supports_threads() const { return true; }
};

// Identifies a client rank as a server sees it: the link (communicator) it
// arrived on and its rank there.
struct PeerId {
  int link = 0;
  int rank = 0;
  auto operator<=>(const PeerId&) const = default;
};

struct Incoming {
  PeerId peer;
  std::span<const uint8_t> message;  // valid until the next receive()
  size_t size = 0;         // full size of the message as sent
  bool oversize = false;   // size exceeded the limit; message holds a prefix at most
};

// Server side. Used by one thread (the service loop).
class ServerTransport {
 public:
  virtual ~ServerTransport() = default;
  // Blocks until a request arrives (OK) or the transport is finished
  // (returns OK with *finished = true). Non-OK: a fatal transport error.
  Status receive(Incoming& in, bool* finished) {
    bool timed_out = false;
    return receive_for(in, finished, std::chrono::milliseconds::max(), &timed_out);
  }
  // As receive(), but returns OK with *timed_out = true when nothing arrived
  // within max_wait (the service loop's timers: lock callback deadlines).
  virtual Status receive_for(Incoming& in, bool* finished, std::chrono::milliseconds max_wait,
                             bool* timed_out) = 0;
  // Sends a server-initiated frame (LOCK_CALLBACK) to a client on
  // kCallbackTag. Does not wait for the client to receive it. ENOTCONN when
  // the peer's link is closed.
  virtual Status send_callback(const PeerId& peer, std::span<const uint8_t> frame) = 0;
  // Sends a reply frame (head = header + body, then data) to peer.
  virtual Status reply(const PeerId& peer, uint64_t request_id, std::span<const uint8_t> head,
                       std::span<const ConstSegment> data) = 0;
  // Receives the separate data message of a bulk request (exactly `len`
  // bytes) into segs. Blocks until it arrives. EBADMSG (message consumed)
  // if its size is not len.
  virtual Status receive_bulk(const PeerId& peer, uint64_t request_id,
                              std::span<const MutSegment> segs, size_t len) = 0;
  // Consumes and drops the data message of a bulk request that is refused.
  virtual Status discard_bulk(const PeerId& peer, uint64_t request_id) = 0;
  // Number of client ranks on a link (each sends DISCONNECT once at the end).
  virtual int link_clients(int link) const = 0;
  // Every client of link has disconnected; the transport may release it.
  virtual void link_finished(int link) = 0;
  // Every client of link is gone without DISCONNECT (their leases expired:
  // the job was killed). The transport stops serving the link without the
  // collective goodbye a dead job cannot answer.
  virtual void link_abandoned(int link) { link_finished(link); }
  // A client asked the server job to shut down (standalone): stop accepting
  // new links, finish once the open ones are done.
  virtual void request_shutdown() = 0;
};

// Tag plan for MPI transports.
inline constexpr int kRequestTag = 7;
inline constexpr int kCallbackTag = 8;  // server -> client LOCK_CALLBACK frames
inline constexpr int kReplyTagBase = 100;
inline constexpr int kReplyTagSpace = 30000;
inline int reply_tag(uint64_t request_id) {
  return kReplyTagBase + static_cast<int>(request_id % kReplyTagSpace);
}
inline constexpr int kBulkTagBase = kReplyTagBase + kReplyTagSpace;
inline int bulk_tag(uint64_t request_id) {
  return kBulkTagBase + static_cast<int>(request_id % kReplyTagSpace);
}

}  // namespace nacre::transport
