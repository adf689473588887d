// The common start of the lock tests' MPI jobs: MPI initialised with
// MPI_THREAD_MULTIPLE (the client's lock progress thread needs it) and an
// embedded runtime with `servers` servers, 64 KiB stripes over all of them.
// Runs body(env) on every client rank (see mpi/mpi_check.hpp); collective.
#pragma once

#include "mpi/mpi_check.hpp"

template <class Body>
int run_locks_job(int argc, char** argv, int servers, Body body) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  nacre::Config config;
  config.servers = servers;
  config.stripe_size = 64 << 10;
  config.stripe_count = -1;
  return mpicheck::run_embedded(argc, argv, config, [&](mpicheck::Env& env) {
    REQUIRE(provided == MPI_THREAD_MULTIPLE);
    body(env);
  });
}
