// The metadata server's side of the metadata mirrors (persistent
// deployments with replicas >= 2; docs/DURABILITY.md, "Metadata mirrors"):
// servers 1..R-1 keep copies of the metadata database, and every change the
// metadata server commits goes to each of them before the client's reply.
#pragma once

#include "mds/metadata_batch.hpp"
#include "transport/transport.hpp"

#include <nacre/status.hpp>

#include <memory>
#include <vector>

namespace nacre::server {

class MetadataMirrors {
 public:
  // transport: to the servers (server k = mirror k); mirrors: their indices.
  MetadataMirrors(std::unique_ptr<transport::ClientTransport> transport, std::vector<int> mirrors);

  // Sends b (META_MIRROR) to every mirror still in step and waits for all of
  // them (blocking; the metadata server's service thread). A mirror that
  // refuses or fails is logged and left out for the rest of the job: the
  // change stays durable on the metadata server, and the next start brings
  // that mirror up to date. Never fails the caller.
  void send(const mds::KvBatch& b);

  // Mirrors still receiving changes.
  size_t in_step() const;
  // Mirrors left out since the start, by server index.
  std::vector<int> out_of_step() const;

  // DISCONNECT to every mirror, so their service loops can end. Once, after
  // the metadata server's own service loop ended.
  Status finish();

 private:
  struct Mirror {
    int server = 0;
    bool in_step = true;
  };
  std::unique_ptr<transport::ClientTransport> transport_;
  std::vector<Mirror> mirrors_;
  uint64_t next_request_id_ = 1;
};

}  // namespace nacre::server
