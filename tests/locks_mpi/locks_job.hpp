// The common start of the lock tests' MPI jobs: MPI initialised with
// MPI_THREAD_MULTIPLE (the client's lock progress thread needs it) or, with
// `--mpi-init plain` on the command line, with plain MPI_Init (then the
// clients run without a progress thread and hold call-scoped locks,
// docs/LOCKS.md "Without a progress thread"), and an embedded runtime with
// `servers` servers, 64 KiB stripes over all of them.
// Runs body(env) on every client rank (see mpi/mpi_check.hpp); collective.
#pragma once

#include "client/file_access.hpp"
#include "mpi/mpi_check.hpp"

#include <cstring>

namespace locks_job {

// True when the job was started with `--mpi-init plain` (set by init_mpi).
inline bool g_plain_init = false;

// MPI_Init or MPI_Init_thread(MPI_THREAD_MULTIPLE), as the arguments ask.
// Returns the thread level MPI provided.
inline int init_mpi(int& argc, char**& argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--mpi-init") == 0 && std::strcmp(argv[i + 1], "plain") == 0)
      g_plain_init = true;
  int provided = MPI_THREAD_SINGLE;
  if (g_plain_init) {
    MPI_Init(&argc, &argv);
    MPI_Query_thread(&provided);
  } else {
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  }
  return provided;
}

// The thread level is the one asked for (plain MPI_Init gives less than
// MPI_THREAD_MULTIPLE with Open MPI, or the test would not test anything).
inline void check_thread_level(int provided) {
  if (g_plain_init) REQUIRE(provided < MPI_THREAD_MULTIPLE);
  else REQUIRE(provided == MPI_THREAD_MULTIPLE);
}

// The client core of f has locks, call-scoped exactly when MPI was
// initialised plainly, and then holds none between calls.
inline void check_lock_mode(const nacre::File& f) {
  auto core = nacre::client::FileAccess::core(f);
  REQUIRE(core != nullptr);
  REQUIRE(core->locking_enabled());
  REQUIRE(core->call_scoped_locks() == g_plain_init);
  if (g_plain_init) {
    CHECK(core->lock_cache().cached_count() == 0);
    CHECK(core->cache_limit() == 0);
  }
}

}  // namespace locks_job

template <class Body>
int run_locks_job(int argc, char** argv, int servers, Body body) {
  const int provided = locks_job::init_mpi(argc, argv);
  nacre::Config config;
  config.servers = servers;
  config.stripe_size = 64 << 10;
  config.stripe_count = -1;
  return mpicheck::run_embedded(argc, argv, config, [&](mpicheck::Env& env) {
    locks_job::check_thread_level(provided);
    // Every client's core is in the lock mode the thread level implies.
    if (env.rank == 0) REQUIRE_OK(env.fs.create("/.locks-job-probe"));
    env.barrier();
    {
      auto probe = env.fs.open("/.locks-job-probe", nacre::open_flags::kReadWrite);
      REQUIRE_OK(probe);
      locks_job::check_lock_mode(*probe);
      REQUIRE_OK(probe->close());
    }
    env.barrier();
    if (env.rank == 0) REQUIRE_OK(env.fs.unlink("/.locks-job-probe"));
    body(env);
  });
}
