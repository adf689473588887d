#include "common/backoff.hpp"
#include "common/log.hpp"
#include "mds/metadata_store.hpp"
#include "runtime/collective_status.hpp"
#include "runtime/metadata_copies.hpp"
#include "runtime/runtime_impl.hpp"
#include "runtime/standalone.hpp"
#include "runtime/storage_mount.hpp"
#include "server/server.hpp"
#include "transport/mpi_transport.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

namespace nacre::runtime {

namespace {

Status write_port_file(const std::string& path, const std::string& port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return Status::error(EACCES, "cannot write port file " + tmp);
    out << port << "\n";
    if (!out.flush()) return Status::error(EIO, "cannot write port file " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return Status::error(errno, "cannot rename " + tmp + " to " + path);
  return Status::ok();
}

}  // namespace

Status run_standalone_server(MPI_Comm comm, const Config& config, const StandaloneOptions& opts) {
  int provided = 0;
  MPI_Query_thread(&provided);
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  apply_log_level(config);
  log::set_identity("server " + std::to_string(rank));
  if (provided < MPI_THREAD_MULTIPLE)
    return Status::error(ENOTSUP, "nacre-server needs MPI_THREAD_MULTIPLE (MPI provided level " +
                                      std::to_string(provided) + ")");
  Status local = config.validate();
  if (local && config.stripe_count > size)
    local = Status::error(EINVAL, "config key 'layout.stripe_count': " +
                                      std::to_string(config.stripe_count) +
                                      " exceeds the " + std::to_string(size) + " server ranks");
  NACRE_RETURN_IF_ERROR(agree(comm, local));

  // Stores (collective): every rank is a server; the server count is the job's size.
  auto storage = mount_storage(comm, size, config);
  if (!storage) return storage.status();
  // The servers' communicator (metadata mirrors) is freed on every way out;
  // detach_metadata_mirrors frees it on the normal one.
  struct FreeComm {
    MPI_Comm* comm;
    ~FreeComm() {
      if (*comm != MPI_COMM_NULL) MPI_Comm_free(comm);
    }
  } free_servers_comm{&storage->servers_comm};

  // Port: opened on rank 0, known to every rank (each calls accept/connect).
  char port[MPI_MAX_PORT_NAME] = {};
  Status opened;
  if (rank == 0 && MPI_Open_port(MPI_INFO_NULL, port) != MPI_SUCCESS)
    opened = Status::error(EIO, "MPI_Open_port failed");
  NACRE_RETURN_IF_ERROR(agree(comm, opened));
  MPI_Bcast(port, MPI_MAX_PORT_NAME, MPI_CHAR, 0, comm);

  Status announced;
  if (rank == 0) {
    if (!opts.service_name.empty()) {
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      if (MPI_Publish_name(opts.service_name.c_str(), MPI_INFO_NULL, port) != MPI_SUCCESS)
        announced = Status::error(EIO, "cannot publish service name '" + opts.service_name +
                                           "' (is ompi-server running and mpirun given "
                                           "--ompi-server file:<uri>?)");
    }
    if (announced && !opts.port_file.empty()) announced = write_port_file(opts.port_file, port);
  }
  NACRE_RETURN_IF_ERROR(agree(comm, announced));
  if (rank == 0) {
    std::printf("nacre-server: %d server rank(s) listening\n", size);
    if (!opts.service_name.empty())
      std::printf("nacre-server: NACRE_ADDRESS=service:%s\n", opts.service_name.c_str());
    if (!opts.port_file.empty())
      std::printf("nacre-server: NACRE_ADDRESS=file:%s\n", opts.port_file.c_str());
    std::printf("nacre-server: port %s\n", port);
    std::fflush(stdout);
  }

  server::ServerOptions sopts{static_cast<uint32_t>(rank), static_cast<uint32_t>(size),
                              config.max_rpc_bytes};
  sopts.checksums = config.effective_checksums();
  server::Server srv(sopts, std::move(storage->objects), std::move(storage->metadata));
  srv.set_replica_marks(std::move(storage->marks));
  transport::MpiServerTransport transport(true);
  attach_metadata_mirrors(srv, transport, *storage, rank);

  // The accept thread takes client jobs until shutdown. Only rank 0 waits
  // in MPI_Comm_accept (on MPI_COMM_SELF); it tells the other ranks' accept
  // threads, which wait asleep, to join each new client job through
  // MPI_Intercomm_create, or to stop (see standalone.hpp). MPI has no way to
  // cancel MPI_Comm_accept, so the client that requests shutdown connects
  // once more after its SHUTDOWN RPC: that wake-up connection finds
  // `stopping` set and ends the threads (Runtime::request_server_shutdown).
  MPI_Comm accept_comm;
  MPI_Comm_dup(comm, &accept_comm);
  std::atomic<bool> stopping{false};
  constexpr int kControlTag = 1, kJoin = 1, kStop = 0;
  const std::chrono::milliseconds join_timeout = runtime::join_timeout();
  auto tell_others = [&](int what) {
    for (int k = 1; k < size; ++k) MPI_Send(&what, 1, MPI_INT, k, kControlTag, accept_comm);
  };
  auto join = [&](MPI_Comm merged) {
    MPI_Comm inter = MPI_COMM_NULL;
    // In `merged` server rank 0 is rank 0 and the client job's leader rank 1.
    if (MPI_Intercomm_create(accept_comm, 0, merged, 1, kJoinTag, &inter) != MPI_SUCCESS) {
      log::error("MPI_Intercomm_create with a client job failed; that job cannot be served");
      return;
    }
    int clients = 0;
    MPI_Comm_remote_size(inter, &clients);
    const int link = transport.add_link(inter, clients, true);
    log::info("client job connected as link " + std::to_string(link) + " with " +
              std::to_string(clients) + " rank(s)");
  };
  std::thread acceptor([&] {
    if (rank != 0) {
      for (;;) {
        Backoff asleep;  // no busy wait between client jobs
        for (int flag = 0;;) {
          MPI_Iprobe(0, kControlTag, accept_comm, &flag, MPI_STATUS_IGNORE);
          if (flag) break;
          asleep.pause();
        }
        int what = kStop;
        MPI_Recv(&what, 1, MPI_INT, 0, kControlTag, accept_comm, MPI_STATUS_IGNORE);
        if (what == kStop) return;
        join(MPI_COMM_NULL);
      }
    }
    for (;;) {
      MPI_Comm knock = MPI_COMM_NULL;
      if (MPI_Comm_accept(port, MPI_INFO_NULL, 0, MPI_COMM_SELF, &knock) != MPI_SUCCESS) {
        log::error("MPI_Comm_accept failed; no further client jobs can connect");
        tell_others(kStop);
        return;
      }
      int want = 0;
      if (!receive_within(knock, 0, kJoinTag, join_timeout, &want)) {
        // Disconnecting would wait for the silent job forever: only forget
        // the connection, and go on accepting.
        log::warn("a client job connected but sent nothing for " +
                  std::to_string(join_timeout.count()) + " ms (" + kEnvJoinTimeout +
                  "); it is dropped and the server job keeps accepting client jobs");
        MPI_Comm_free(&knock);
        continue;
      }
      const bool stop = stopping.load();
      const int verdict = !stop && want == kWantJoin ? kJoinAccepted : kServerStopping;
      MPI_Send(&verdict, 1, MPI_INT, 0, kJoinTag, knock);
      if (verdict != kJoinAccepted) {
        MPI_Comm_disconnect(&knock);
        if (stop && want == kWantWake) {
          tell_others(kStop);
          log::info("wake-up connection received; no longer accepting client jobs");
          return;
        }
        if (want == kWantJoin) log::info("refused a client job: this server job is shutting down");
        continue;  // a late job was refused; the wake-up is still to come
      }
      tell_others(kJoin);
      MPI_Comm merged = MPI_COMM_NULL;
      MPI_Intercomm_merge(knock, 0, &merged);
      join(merged);
      MPI_Comm_free(&merged);
      MPI_Comm_disconnect(&knock);
    }
  });
  transport.on_shutdown([&] { stopping.store(true); });

  Status served = srv.serve(transport);
  acceptor.join();
  if (served) served = detach_metadata_mirrors(srv, *storage);
  if (rank == 0) {
    if (!opts.service_name.empty())
      MPI_Unpublish_name(opts.service_name.c_str(), MPI_INFO_NULL, port);
    if (!opts.port_file.empty()) std::remove(opts.port_file.c_str());
    MPI_Close_port(port);
  }
  MPI_Comm_free(&accept_comm);
  if (!served) {
    log::error("fatal: " + served.to_string() + "; aborting the server job");
    MPI_Abort(comm, 70);
  }
  if (rank == 0) std::printf("nacre-server: shut down cleanly\n");
  return Status::ok();
}

}  // namespace nacre::runtime
