// 02: a shared file striped over every server.
//
//   NACRE_SERVERS=2 mpirun -np 4 ./02_striped_shared_file
//
// Every client rank writes its own block of /shared.dat (64 KiB stripes over
// all servers; blocks deliberately not stripe-aligned), the clients meet on
// client_comm, then each rank reads back its neighbour's block and checks
// it. Prints OK on client rank 0; exits non-zero (with the error message) on
// any failure, on every rank.
#include <nacre/nacre.hpp>

#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr const char* kPath = "/shared.dat";
constexpr size_t kBlock = 3 * 64 * 1024 + 4321;  // spans stripes and servers

uint8_t pattern(int rank, size_t i) { return static_cast<uint8_t>(rank * 31 + i * 7 + (i >> 9)); }

// Collective over comm: true on every rank iff ok on every rank. Doubles as
// the barrier between the phases.
bool all_ok(MPI_Comm comm, bool ok) {
  int local = ok ? 1 : 0, global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MIN, comm);
  return global == 1;
}

bool report(int rank, const nacre::Status& s) {
  if (!s) std::fprintf(stderr, "rank %d: error: %s\n", rank, s.to_string().c_str());
  return s.is_ok();
}

// The client part. Returns false on failure (after telling the other clients).
bool client(nacre::Runtime& rt, int world_rank) {
  MPI_Comm comm = rt.client_comm();
  int rank = 0, n = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &n);
  nacre::FileSystem& fs = rt.fs();

  // Phase 1: open (creating it if needed) and write our block.
  const nacre::LayoutRequest layout{64 * 1024, -1, -1};  // every server
  const uint32_t flags = nacre::open_flags::kReadWrite | nacre::open_flags::kCreate;
  auto file = fs.open(kPath, flags, 0644, layout);
  bool ok = report(world_rank, file.status());
  if (ok && file->layout().stripe_count() != static_cast<uint32_t>(fs.server_count())) {
    std::fprintf(stderr, "rank %d: error: %u stripes, expected %d\n", world_rank,
                 file->layout().stripe_count(), fs.server_count());
    ok = false;
  }
  if (ok) {
    std::vector<uint8_t> mine(kBlock);
    for (size_t i = 0; i < kBlock; ++i) mine[i] = pattern(rank, i);
    auto w = file->write_at(uint64_t(rank) * kBlock, mine.data(), mine.size());
    ok = report(world_rank, w.status());
  }
  if (!all_ok(comm, ok)) return false;  // also the barrier: all blocks written

  // Phase 2: read the next rank's block and the file size.
  const int other = (rank + 1) % n;
  std::vector<uint8_t> theirs(kBlock, 0);
  auto r = file->read_at(uint64_t(other) * kBlock, theirs.data(), theirs.size());
  ok = report(world_rank, r.status());
  if (ok && *r != kBlock) {
    std::fprintf(stderr, "rank %d: error: short read %zu of %zu\n", world_rank, *r, kBlock);
    ok = false;
  }
  for (size_t i = 0; ok && i < kBlock; ++i) {
    if (theirs[i] != pattern(other, i)) {
      std::fprintf(stderr, "rank %d: error: byte %zu of rank %d's block is %u, expected %u\n",
                   world_rank, i, other, theirs[i], pattern(other, i));
      ok = false;
    }
  }
  if (ok) {
    auto size = file->size();
    ok = report(world_rank, size.status());
    if (ok && *size != uint64_t(n) * kBlock) {
      std::fprintf(stderr, "rank %d: error: file size %llu, expected %llu\n", world_rank,
                   static_cast<unsigned long long>(*size),
                   static_cast<unsigned long long>(uint64_t(n) * kBlock));
      ok = false;
    }
  }
  if (file) ok = report(world_rank, file->close()) && ok;
  if (!all_ok(comm, ok)) return false;

  if (rank == 0) {
    if (!report(world_rank, fs.unlink(kPath))) ok = false;
    if (ok) std::printf("02_striped_shared_file: OK (%d clients, %d servers, %zu bytes each)\n",
                        n, fs.server_count(), kBlock);
  }
  return all_ok(comm, ok);
}

int run() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  auto rt = nacre::Runtime::start(MPI_COMM_WORLD);  // collective; config from NACRE_*
  if (!rt) {
    std::fprintf(stderr, "rank %d: nacre start failed: %s\n", rank, rt.status().to_string().c_str());
    return 1;
  }
  if (rt->is_server()) return 0;  // returns after every client shut down
  const bool ok = client(*rt, rank);
  const bool down = report(rank, rt->shutdown());  // collective over the clients
  return ok && down ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int rc = run();  // the Runtime is destroyed before MPI_Finalize
  MPI_Finalize();
  return rc;  // mpirun fails if any rank does
}
