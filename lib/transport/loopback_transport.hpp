// In-process transport: servers and clients are threads of one process.
// Messages are copied through per-server queues; replies are written
// straight into the waiting Call. For tests and single-process tools.
#pragma once

#include "transport/transport.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>

namespace nacre::transport {

class LoopbackNetwork {
 public:
  LoopbackNetwork(int servers, int clients);
  ~LoopbackNetwork();
  int servers() const { return servers_; }
  int clients() const { return clients_; }
  // Transport for client `index` (0..clients-1). The network must outlive it.
  std::unique_ptr<ClientTransport> client(int index);
  // Transport of server `index`; owned by the network.
  ServerTransport& server(int index);
  // What client transports made from now on answer to supports_threads()
  // (default true; false models MPI below MPI_THREAD_MULTIPLE).
  void set_client_threads(bool on) { client_threads_ = on; }

 private:
  friend class LoopbackClient;
  friend class LoopbackServer;
  struct Envelope {
    PeerId peer;
    std::vector<uint8_t> message;
  };
  struct Waiting {
    Call* call = nullptr;
    int* remaining = nullptr;
  };
  int servers_, clients_;
  bool client_threads_ = true;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::deque<Envelope>> queues_;               // per server, guarded by mu_
  std::map<std::pair<int, uint64_t>, Waiting> waiting_;    // (client, request id), guarded by mu_
  std::map<std::pair<int, uint64_t>, std::vector<uint8_t>> bulk_;  // bulk data, guarded by mu_
  std::vector<std::deque<std::vector<uint8_t>>> callbacks_;  // per client, guarded by mu_
  std::vector<std::unique_ptr<ServerTransport>> server_ports_;
};

}  // namespace nacre::transport
