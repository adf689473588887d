// nacre-bench: the patterns of one benchmark job. Each pattern function is
// collective over the communicator it gets and appends one sample per system
// to `results` on the reporting rank (client rank 0). They return false on
// every rank if anything failed on any rank (the failing rank prints why).
#pragma once

#include "job_common.hpp"

#include <string>
#include <vector>

namespace nacre::jobs {

struct BenchOptions {
  int reps = 3;
  // a) round-trip latency
  size_t rtt_bytes = 4096;
  int rtt_iters = 2000;
  int rtt_warmup = 200;
  // b) metadata
  int md_files = 2000;  // per client rank
  // c) streaming
  uint64_t stream_bytes = 256 << 20;  // in all, over every client
  uint64_t transfer = 1 << 20;
  std::vector<std::string> patterns{"rtt", "md", "stream"};
  std::string tag;                    // unique name of this job
  bool wants(const std::string& p) const;
};

// Waits on a barrier without spinning (test + short sleep), like an idle
// Nacre server does, so idle ranks leave the CPUs to the measured pair.
// Collective over comm.
void polite_barrier(MPI_Comm comm);

// Raw MPI ping-pong of opt.rtt_bytes between world ranks `client` and
// `server`; every other rank waits politely. Median round trip in
// microseconds, valid on rank `client`. Collective over MPI_COMM_WORLD.
double raw_pingpong_us(const BenchOptions& opt, int client, int server);

// Nacre 4 KiB write and read round trips of client rank 0 on a one-stripe
// file on server 0; other clients wait politely. Collective over clients.
bool bench_nacre_rtt(FileSystem& fs, MPI_Comm clients, const BenchOptions& opt, int rep,
                     std::vector<Series>& results);

// create / stat / unlink rates: Nacre, POSIX /tmp, POSIX /dev/shm.
bool bench_metadata(FileSystem& fs, MPI_Comm clients, const BenchOptions& opt, int rep,
                    std::vector<Series>& results);

// Streaming write then read: Nacre (striped over every server), MPI-IO /tmp,
// POSIX /dev/shm and /tmp.
bool bench_stream(FileSystem& fs, MPI_Comm clients, const BenchOptions& opt, int rep,
                  std::vector<Series>& results);

}  // namespace nacre::jobs
