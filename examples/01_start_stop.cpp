// 01: start an embedded Nacre runtime, print each rank's role, shut down.
//
//   NACRE_SERVERS=2 mpirun -np 4 ./01_start_stop
//
// Configuration comes from the environment (NACRE_SERVERS, NACRE_STORE, ...,
// or a TOML file named by NACRE_CONFIG). Ranks 0..servers-1 become servers
// and stay inside Runtime::start until every client has shut down; the
// others return at once as clients. Exits non-zero on any failure.
#include <nacre/nacre.hpp>

#include <mpi.h>

#include <cstdio>

namespace {

int run() {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  // Collective over MPI_COMM_WORLD; fails alike on every rank.
  auto rt = nacre::Runtime::start(MPI_COMM_WORLD);
  if (!rt) {
    std::fprintf(stderr, "rank %d: nacre start failed: %s\n", rank, rt.status().to_string().c_str());
    return 1;
  }

  if (rt->is_server()) {
    // We only get here once every client has called shutdown().
    std::printf("rank %d of %d: server (all clients are done)\n", rank, size);
    return 0;
  }

  int crank = 0, csize = 0;
  MPI_Comm_rank(rt->client_comm(), &crank);
  MPI_Comm_size(rt->client_comm(), &csize);
  std::printf("rank %d of %d: client %d of %d, %d servers\n", rank, size, crank, csize,
              rt->fs().server_count());
  std::fflush(stdout);

  // Collective over the clients; releases the servers once all have called it.
  nacre::Status s = rt->shutdown();
  if (!s) {
    std::fprintf(stderr, "rank %d: nacre shutdown failed: %s\n", rank, s.to_string().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int rc = run();  // the Runtime is destroyed before MPI_Finalize
  MPI_Finalize();
  return rc;
}
