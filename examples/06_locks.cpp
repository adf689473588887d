// 06: the three kinds of locking a client program uses (docs/LOCKS.md).
//
//   NACRE_SERVERS=2 mpirun -np 4 ./06_locks
//
// Part 1, POSIX appends: every client rank appends records to /log.dat at
// the same time. Extent locks make each append land whole at its own offset
// (nothing to do in the program). Every offset comes back distinct.
// Part 2, an application lock (fcntl-style, advisory): every client adds 1
// to a counter stored in /counter.dat, ten times each, holding an exclusive
// File::lock on the counter's bytes around each read-modify-write. The
// counter ends at 10 x clients.
// Part 3, a group lock: the clients share /group.dat under group lock 7 and
// write disjoint blocks with no lock traffic among them; anybody outside
// the group waits until they have all unlocked. Client 0 then checks the
// file.
// MPI is initialised with MPI_THREAD_MULTIPLE so each client runs its lock
// progress thread (with plain MPI_Init the locks are held per call and
// nothing is cached; the results are the same). Prints OK on client rank 0.
#include <nacre/nacre.hpp>

#include <mpi.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

constexpr int kAppends = 20, kIncrements = 10;
constexpr size_t kRecord = 1000, kBlock = 100 * 1024;

bool all_ok(MPI_Comm comm, bool ok) {
  int local = ok ? 1 : 0, global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MIN, comm);
  return global == 1;
}

bool report(int rank, const nacre::Status& s, const char* what) {
  if (!s) std::fprintf(stderr, "rank %d: %s: %s\n", rank, what, s.to_string().c_str());
  return s.is_ok();
}

// Part 1: concurrent appends. True if every offset returned was distinct.
bool appends(nacre::FileSystem& fs, MPI_Comm comm, int rank, int n) {
  auto log = fs.open("/log.dat", nacre::open_flags::kReadWrite | nacre::open_flags::kCreate);
  if (!report(rank, log.status(), "open /log.dat")) return all_ok(comm, false);
  std::vector<char> rec(kRecord, static_cast<char>('a' + rank));
  std::vector<uint64_t> mine;
  bool ok = true;
  for (int i = 0; ok && i < kAppends; ++i) {
    auto at = log->append(rec.data(), rec.size());  // under whole-object locks
    ok = report(rank, at.status(), "append");
    if (ok) mine.push_back(*at);
  }
  ok = report(rank, log->close(), "close /log.dat") && ok;
  if (!all_ok(comm, ok)) return false;
  std::vector<uint64_t> all(static_cast<size_t>(kAppends) * n);
  MPI_Allgather(mine.data(), kAppends, MPI_UINT64_T, all.data(), kAppends, MPI_UINT64_T, comm);
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i] != i * kRecord) {  // distinct, whole, back to back
      if (rank == 0) std::fprintf(stderr, "append %zu landed at %llu\n", i,
                                  static_cast<unsigned long long>(all[i]));
      return all_ok(comm, false);
    }
  return all_ok(comm, true);
}

// Part 2: a shared counter under an exclusive application lock.
bool counter(nacre::FileSystem& fs, MPI_Comm comm, int rank, int n) {
  auto f = fs.open("/counter.dat", nacre::open_flags::kReadWrite | nacre::open_flags::kCreate);
  bool ok = report(rank, f.status(), "open /counter.dat");
  for (int i = 0; ok && i < kIncrements; ++i) {
    // Blocks until no other process holds a lock on these 8 bytes.
    ok = report(rank, f->lock(nacre::LockType::kExclusive, 0, 8, /*wait=*/true), "lock");
    uint64_t value = 0;
    if (ok) {
      auto got = f->read_at(0, &value, sizeof value);  // 0 bytes while the file is empty
      ok = report(rank, got.status(), "read counter");
    }
    ++value;
    if (ok) ok = report(rank, f->write_at(0, &value, sizeof value).status(), "write counter");
    if (ok) ok = report(rank, f->unlock(0, 8), "unlock");
  }
  if (f) ok = report(rank, f->close(), "close /counter.dat") && ok;
  if (!all_ok(comm, ok)) return false;
  if (rank == 0) {
    auto g = fs.open("/counter.dat", nacre::open_flags::kRead);
    uint64_t value = 0;
    ok = report(rank, g.status(), "reopen /counter.dat") &&
         report(rank, g->read_at(0, &value, sizeof value).status(), "read counter");
    if (ok && value != static_cast<uint64_t>(kIncrements) * n) {
      std::fprintf(stderr, "counter is %llu, expected %d\n", static_cast<unsigned long long>(value),
                   kIncrements * n);
      ok = false;
    }
  }
  return all_ok(comm, ok);
}

// Part 3: disjoint blocks written under one group lock.
bool group(nacre::FileSystem& fs, MPI_Comm comm, int rank, int n) {
  auto f = fs.open("/group.dat", nacre::open_flags::kReadWrite | nacre::open_flags::kCreate);
  bool ok = report(rank, f.status(), "open /group.dat");
  // Every member blocks until the group holds the file; then no lock RPCs.
  if (ok) ok = report(rank, f->group_lock(7), "group_lock");
  if (!all_ok(comm, ok)) return false;
  std::vector<uint8_t> block(kBlock, static_cast<uint8_t>(rank + 1));
  ok = report(rank, f->write_at(uint64_t(rank) * kBlock, block.data(), kBlock).status(), "write");
  ok = all_ok(comm, ok);  // members order themselves (here: a barrier)
  ok = report(rank, f->group_unlock(), "group_unlock") && ok;  // close() would too
  ok = report(rank, f->close(), "close /group.dat") && ok;
  if (!all_ok(comm, ok)) return false;
  if (rank == 0) {  // an ordinary (locked) read sees every member's block
    auto g = fs.open("/group.dat", nacre::open_flags::kRead);
    std::vector<uint8_t> all(kBlock * n);
    ok = report(rank, g.status(), "reopen /group.dat") &&
         report(rank, g->read_at(0, all.data(), all.size()).status(), "read");
    for (size_t i = 0; ok && i < all.size(); ++i)
      if (all[i] != static_cast<uint8_t>(i / kBlock + 1)) {
        std::fprintf(stderr, "byte %zu is %u\n", i, all[i]);
        ok = false;
      }
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
  if (rt->is_server()) return 0;
  MPI_Comm comm = rt->client_comm();
  int crank = 0, n = 0;
  MPI_Comm_rank(comm, &crank);
  MPI_Comm_size(comm, &n);
  nacre::FileSystem& fs = rt->fs();
  bool ok = appends(fs, comm, crank, n) && counter(fs, comm, crank, n) && group(fs, comm, crank, n);
  if (ok && crank == 0)
    std::printf("06_locks: OK (%d clients: %d appends each, counter %d, group lock)\n", n, kAppends,
                kIncrements * n);
  const bool down = report(rank, rt->shutdown(), "shutdown");
  return ok && down ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  const int rc = run();
  MPI_Finalize();
  return rc;
}
