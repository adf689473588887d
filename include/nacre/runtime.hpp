// nacre::Runtime: starting Nacre inside an MPI job, or joining a standalone
// Nacre server job.
//
//   MPI_Init(...);
//   auto rt = nacre::Runtime::start(MPI_COMM_WORLD, config);   // collective
//   if (!rt) { report rt.status(); MPI_Abort(...); }
//   if (rt->is_client()) {
//     nacre::FileSystem& fs = rt->fs();
//     ... application code, using rt->client_comm() instead of MPI_COMM_WORLD
//     rt->shutdown();                                        // collective over clients
//   }
//   // server ranks arrive here after every client has shut down
//   MPI_Finalize();
#pragma once

#include <nacre/config.hpp>
#include <nacre/export.h>
#include <nacre/filesystem.hpp>
#include <nacre/status.hpp>

#include <mpi.h>

#include <memory>

namespace nacre {

class NACRE_API Runtime {
 public:
  // Embedded ("scratch") mode. Collective over comm: every rank must call it
  // with the same config.servers. Ranks 0..servers-1 of comm become object
  // servers (rank 0 also the metadata server); this call blocks on them
  // until every client has called shutdown(), then returns a Runtime with
  // is_server() true. The other ranks return at once as clients.
  // MPI must be initialised. Errors are returned on every rank alike.
  static Result<Runtime> start(MPI_Comm comm, const Config& config);
  // As above with Config::load() (NACRE_CONFIG, NACRE_* variables).
  static Result<Runtime> start(MPI_Comm comm);

  // Standalone mode. Collective over comm: every rank becomes a client of the
  // server job found at config.address (a service name published through
  // ompi-server, or an MPI port string; see docs/USER_GUIDE.md):
  //   "file:<path>" (written by nacre-server --port-file), "port:<string>",
  //   "service:<name>" (needs mpirun --ompi-server file:<uri>).
  static Result<Runtime> connect(MPI_Comm comm, const Config& config);

  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;
  ~Runtime();  // calls shutdown() if the caller did not (collective!)

  bool is_server() const;
  bool is_client() const { return !is_server(); }
  // Clients: a communicator of the client ranks only (for the application).
  // MPI_COMM_NULL on server ranks. Owned by the Runtime.
  MPI_Comm client_comm() const;
  // Clients: the file system. Calling it on a server rank is a usage error
  // and returns a disconnected FileSystem.
  FileSystem& fs();
  // Standalone clients: ask the server job to shut down once every client job
  // (this one included) has disconnected. Collective over client_comm().
  Status request_server_shutdown();

  // Clients: disconnect from the servers. Collective over client_comm().
  // Idempotent. Server ranks: no-op.
  Status shutdown();

  struct Impl;

 private:
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nacre
