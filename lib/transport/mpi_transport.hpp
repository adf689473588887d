// Transport over MPI point-to-point.
//
// Requests travel on kRequestTag; the reply to request r on reply_tag(r).
// A request is one message (header + body, then data gathered from the
// caller's buffers); a reply likewise. Embedded mode uses one
// intracommunicator where ranks 0..servers-1 are servers; standalone mode
// gives each connected client job its own intercommunicator ("link").
#pragma once

#include "transport/transport.hpp"

#include <mpi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nacre::transport {

// Client side. comm: the intracommunicator (servers are ranks
// 0..server_count-1) or an intercommunicator (servers are the remote group).
// The communicator is borrowed; it must outlive the transport.
class MpiClientTransport final : public ClientTransport {
 public:
  MpiClientTransport(MPI_Comm comm, int server_count);
  int server_count() const override { return server_count_; }
  Status exchange(std::span<Call> calls) override;
  bool poll_callback(std::vector<uint8_t>* frame) override;
  std::unique_ptr<ClientTransport> make_callback_transport() override;
  bool supports_threads() const override;

 private:
  MPI_Comm comm_;
  int server_count_;
  // Receive buffers for control replies, one per call slot, reused.
  std::vector<std::unique_ptr<uint8_t[]>> control_buffers_;
};

// Server side. Links are communicators carrying clients; link ids are never
// reused. add_link may be called from another thread (the accept thread).
class MpiServerTransport final : public ServerTransport {
 public:
  // accepting: whether new links may still arrive (standalone mode).
  explicit MpiServerTransport(bool accepting);
  ~MpiServerTransport() override;

  // Adds a communicator whose ranks in `first_client..` are clients (for an
  // intracommunicator the server ranks are skipped through first_client; for
  // an intercommunicator first_client is 0). owned: free it when finished
  // (MPI_Comm_disconnect for intercommunicators).
  int add_link(MPI_Comm comm, int clients, bool owned);
  // Called once when a shutdown is requested (e.g. to stop an accept thread).
  void on_shutdown(std::function<void()> fn) { on_shutdown_ = std::move(fn); }

  Status receive_for(Incoming& in, bool* finished, std::chrono::milliseconds max_wait,
                     bool* timed_out) override;
  Status send_callback(const PeerId& peer, std::span<const uint8_t> frame) override;
  Status reply(const PeerId& peer, uint64_t request_id, std::span<const uint8_t> head,
               std::span<const ConstSegment> data) override;
  Status receive_bulk(const PeerId& peer, uint64_t request_id, std::span<const MutSegment> segs,
                      size_t len) override;
  Status discard_bulk(const PeerId& peer, uint64_t request_id) override;
  int link_clients(int link) const override;
  void link_finished(int link) override;
  void link_abandoned(int link) override;
  void request_shutdown() override;

 private:
  Result<MPI_Comm> comm_of(const PeerId& peer) const;
  // Waits for the bulk message of request_id from peer (blocking probe).
  Status probe_bulk(const PeerId& peer, uint64_t request_id, MPI_Message* msg, size_t* size);
  // Consumes a probed message keeping nothing (never overruns memory).
  void drop(MPI_Message* msg);
  struct Link {
    MPI_Comm comm = MPI_COMM_NULL;
    int clients = 0;
    bool owned = false;
    bool open = false;
  };
  mutable std::mutex mu_;
  std::vector<Link> links_;       // guarded by mu_
  std::vector<std::thread> disconnectors_;  // guarded by mu_; joined in the destructor
  std::atomic<bool> accepting_;
  std::function<void()> on_shutdown_;
  std::vector<uint8_t> buffer_;   // reused receive buffer (service thread only)
  size_t next_poll_ = 0;          // round-robin fairness over links
  // Callback frames in flight (service thread only): each buffer lives until
  // its MPI_Isend completes; completed ones are reaped on every receive.
  struct PendingSend {
    MPI_Request req = MPI_REQUEST_NULL;
    std::vector<uint8_t> bytes;
  };
  std::vector<std::unique_ptr<PendingSend>> pending_sends_;
  void reap_sends();
};

}  // namespace nacre::transport
