// In-process Nacre: N server threads and K clients over the loopback
// transport, memory (or directory) stores. For tests that need no mpirun.
#pragma once

#include "client/client_core.hpp"
#include "mds/metadata_store.hpp"
#include "server/server.hpp"
#include "store/object_store.hpp"
#include "transport/loopback_transport.hpp"

#include <nacre/filesystem.hpp>

#include <string>
#include <thread>
#include <vector>

namespace nacre::testing {

class LoopbackCluster {
 public:
  // store_dir empty: memory stores; else <store_dir>/server-<k>. replicas:
  // copies of every new file's objects (Layout::mirrors).
  // client_threads false: the clients run without a lock progress thread
  // (call-scoped locks), as under MPI below MPI_THREAD_MULTIPLE.
  LoopbackCluster(int servers, int clients, uint64_t max_rpc = 4 << 20,
                  LayoutRequest root_default = {1 << 20, -1, -1}, std::string store_dir = "",
                  uint32_t replicas = 1, bool client_threads = true)
      : net_(servers, clients) {
    net_.set_client_threads(client_threads);
    for (int i = 0; i < servers; ++i) {
      std::unique_ptr<store::ObjectStore> st;
      if (store_dir.empty()) st = store::make_memory_store();
      else st = std::move(*store::make_directory_store(store_dir + "/server-" + std::to_string(i)));
      std::unique_ptr<mds::MetadataStore> md;
      if (i == 0)
        md = mds::make_memory_metadata(static_cast<uint32_t>(servers), root_default, replicas);
      servers_.push_back(std::make_unique<server::Server>(
          server::ServerOptions{static_cast<uint32_t>(i), static_cast<uint32_t>(servers), max_rpc},
          std::move(st), std::move(md)));
    }
    for (int i = 0; i < servers; ++i)
      threads_.emplace_back([this, i] { status_[i] = servers_[i]->serve(net_.server(i)); });
    for (int c = 0; c < clients; ++c) {
      cores_.push_back(std::make_shared<client::ClientCore>(net_.client(c), max_rpc));
      fs_.emplace_back(cores_.back());
    }
  }
  ~LoopbackCluster() { stop(); }

  FileSystem& fs(int client = 0) { return fs_.at(client); }
  client::ClientCore& core(int client = 0) { return *cores_.at(client); }
  transport::LoopbackNetwork& network() { return net_; }

  // Every client disconnects; servers finish. Idempotent.
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& c : cores_) (void)c->disconnect();
    for (auto& t : threads_) t.join();
  }
  Status server_status(int i) const { return status_[i]; }

 private:
  transport::LoopbackNetwork net_;
  std::vector<std::unique_ptr<server::Server>> servers_;
  Status status_[64];
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<client::ClientCore>> cores_;
  std::vector<FileSystem> fs_;
  bool stopped_ = false;
};

}  // namespace nacre::testing
