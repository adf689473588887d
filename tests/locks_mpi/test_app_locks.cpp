// mpi.locks.app: fcntl-style and flock-style application locks between the
// client ranks of one embedded job (docs/LOCKS.md, "Application locks").
// Needs at least 3 client ranks.
//  1. exclusion: rank 0's exclusive lock makes the others' tries EAGAIN, and
//     test_lock names rank 0 (its rank as the server sees it and its pid);
//  2. shared readers: ranks 1 and 2 share, rank 0's exclusive try fails;
//  3. a blocking request is granted when the holder unlocks (not before);
//  4. two ranks each waiting for the other's lock: exactly one gets EDEADLK,
//     gives up its lock, and the other is granted;
//  5. closing ANY handle of a file drops the process's fcntl locks on it;
//  6. flock: per handle, try -> EAGAIN, a blocking flock is granted when the
//     holder closes its handle.
#include "mpi/mpi_check.hpp"

#include <unistd.h>

#include <chrono>
#include <thread>

using nacre::LockType;
using nacre::open_flags::kRead;
using nacre::open_flags::kReadWrite;

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  nacre::Config config;
  config.servers = 1;
  return mpicheck::run_embedded(argc, argv, config, [&](mpicheck::Env& env) {
    REQUIRE(env.size >= 3);
    const int me = env.rank;
    if (me == 0) REQUIRE_OK(env.fs.create("/locked"));
    env.barrier();
    auto f = env.fs.open("/locked", kReadWrite);
    REQUIRE_OK(f);

    // Who rank 0 is, as the metadata server sees it.
    int world = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &world);
    int ident[2] = {world, static_cast<int>(::getpid())};
    MPI_Bcast(ident, 2, MPI_INT, 0, env.comm);

    // ---- 1. exclusion --------------------------------------------------
    if (me == 0) CHECK_OK(f->lock(LockType::kExclusive, 0, 100, false));
    env.barrier();
    if (me != 0) {
      CHECK_ERRNO(f->lock(LockType::kShared, 50, 10, false), EAGAIN);
      auto info = f->test_lock(LockType::kShared, 50, 10);
      REQUIRE_OK(info);
      CHECK(info->type == LockType::kExclusive);
      CHECK_EQ(info->start, 0u);
      CHECK_EQ(info->len, 100u);
      CHECK_EQ(static_cast<int>(info->rank), ident[0]);
      CHECK_EQ(static_cast<int>(info->pid), ident[1]);
      CHECK_OK(f->lock(LockType::kShared, 100, 10, false));  // next to it is free
    }
    env.barrier();

    // ---- 2. shared readers ---------------------------------------------
    if (me == 1 || me == 2) CHECK_OK(f->lock(LockType::kShared, 200, 100, false));
    env.barrier();
    if (me == 0) {
      CHECK_ERRNO(f->lock(LockType::kExclusive, 250, 10, false), EAGAIN);
      auto info = f->test_lock(LockType::kExclusive, 250, 10);
      REQUIRE_OK(info);
      CHECK(info->type == LockType::kShared);
    }
    env.barrier();
    if (me == 1 || me == 2) CHECK_OK(f->unlock(200, 100));
    env.barrier();

    // ---- 3. blocking wait granted after unlock -------------------------
    env.barrier();
    if (me == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      CHECK_OK(f->unlock(0, 0));
    } else if (me == 1) {
      const double t = MPI_Wtime();
      CHECK_OK(f->lock(LockType::kExclusive, 0, 10, true));
      const double waited = MPI_Wtime() - t;
      std::printf("rank 1 waited %.3f s for rank 0's unlock\n", waited);
      std::fflush(stdout);
      CHECK(waited > 0.3);
      CHECK_OK(f->unlock(0, 0));
    }
    env.barrier();

    // ---- 4. deadlock between ranks 0 and 1 -----------------------------
    int deadlocked = 0;
    if (me == 0 || me == 1) {
      const uint64_t mine = me == 0 ? 1000 : 2000, theirs = me == 0 ? 2000 : 1000;
      CHECK_OK(f->lock(LockType::kExclusive, mine, 1, false));
      int ready = 0;
      MPI_Allreduce(MPI_IN_PLACE, &ready, 1, MPI_INT, MPI_SUM, env.comm);
      nacre::Status s = f->lock(LockType::kExclusive, theirs, 1, true);
      if (!s) {
        CHECK_EQ(s.code(), EDEADLK);
        deadlocked = 1;
        CHECK_OK(f->unlock(mine, 1));  // gives way: the other is granted
      }
    } else {
      int ready = 0;
      MPI_Allreduce(MPI_IN_PLACE, &ready, 1, MPI_INT, MPI_SUM, env.comm);
    }
    MPI_Allreduce(MPI_IN_PLACE, &deadlocked, 1, MPI_INT, MPI_SUM, env.comm);
    CHECK_EQ(deadlocked, 1);
    if (me <= 1) CHECK_OK(f->unlock(0, 0));
    env.barrier();

    // ---- 5. close of another handle drops the process's locks ----------
    if (me == 2) {
      CHECK_OK(f->lock(LockType::kExclusive, 5000, 1000, false));
      auto other = env.fs.open("/locked", kRead);
      REQUIRE_OK(other);
      CHECK_OK(other->close());
    }
    env.barrier();
    if (me == 0) {
      CHECK_OK(f->lock(LockType::kExclusive, 5000, 1000, false));
      CHECK_OK(f->unlock(5000, 1000));
    }
    env.barrier();

    // ---- 6. flock --------------------------------------------------------
    if (me == 0) CHECK_OK(f->flock(LockType::kExclusive, false));
    env.barrier();
    if (me == 1) {
      CHECK_ERRNO(f->flock(LockType::kShared, false), EAGAIN);
      CHECK_OK(f->flock(LockType::kShared, true));  // until rank 0 closes
      CHECK_OK(f->flock(LockType::kUnlock, false));
    }
    if (me == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      CHECK_OK(f->close());
    }
    env.barrier();
    if (f->is_open()) CHECK_OK(f->close());
  });
}
