// nacre-bench: one mpirun job that measures Nacre next to a baseline run in
// the same job, interleaved (A B A B ...), and prints medians and ratios.
//
//   mpirun -n 4 nacre-bench [--reps 3] [--patterns rtt,md,stream] ...
//
// Ranks 0..servers-1 serve (embedded mode, servers = 2 unless NACRE_SERVERS
// or NACRE_CONFIG say otherwise); the rest are clients. Every repetition:
//   raw MPI ping-pong (client rank 0 <-> server 0, before Runtime::start),
//   Runtime::start, Nacre round trips, metadata (Nacre, POSIX /tmp,
//   /dev/shm), streaming (Nacre, MPI-IO /tmp, POSIX /dev/shm, /tmp, then
//   Nacre again on a second file, which reuses the memory the first freed),
//   shutdown, raw MPI ping-pong again (after the servers returned).
#include "bench.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

using namespace nacre;
using namespace nacre::jobs;

namespace nacre::jobs {
bool BenchOptions::wants(const std::string& p) const {
  return std::find(patterns.begin(), patterns.end(), p) != patterns.end();
}
}  // namespace nacre::jobs

namespace {

void print_targets(const std::vector<Series>& results) {
  auto med = [&](const std::string& m, const std::string& s) {
    for (const auto& r : results)
      if (r.metric == m && r.system == s) return r.med();
    return 0.0;
  };
  auto line = [](const char* what, double ratio, bool met) {
    std::printf("TARGET %-52s %6.2fx  %s\n", what, ratio, met ? "MET" : "MISSED");
  };
  const double rtt = med("read_rtt", "nacre");
  for (const char* base : {"mpi-pingpong:pre", "mpi-pingpong:post"}) {
    const double b = med("read_rtt", base);
    if (rtt > 0 && b > 0) {
      const std::string what = std::string("read round trip <= 3x raw ping-pong (") + base + ")";
      line(what.c_str(), rtt / b, rtt / b <= 3.0);
    }
  }
  const double shm = med("write_bw", "posix:/dev/shm");
  for (const char* sys : {"nacre", "nacre:2nd-file"}) {
    const double w = med("write_bw", sys);
    const std::string what = std::string("streaming write >= 0.8x POSIX /dev/shm (") + sys + ")";
    if (w > 0 && shm > 0) line(what.c_str(), w / shm, w / shm >= 0.8);
  }
  std::fflush(stdout);
}

int run(BenchOptions opt) {
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  auto config = job_config(2);
  opt.tag = job_tag();
  if (!config) return 2;
  const int servers = config->servers, reporter = servers;
  if (servers < 1 || servers >= size) {
    if (rank == 0)
      std::cerr << "nacre-bench needs at least one client: " << size << " ranks, " << servers
                << " servers\n";
    return 2;
  }
  std::vector<Series> results;
  if (rank == reporter) {
    char host[256] = "?";
    gethostname(host, sizeof host);
    std::printf("nacre-bench on %s (%ld CPUs): %d servers, %d clients, %d repetitions\n", host,
                sysconf(_SC_NPROCESSORS_ONLN), servers, size - servers, opt.reps);
    std::printf("  rtt: %zu bytes x %d (median per repetition); md: %d files per client; "
                "stream: %llu MiB in %llu KiB transfers\n",
                opt.rtt_bytes, opt.rtt_iters, opt.md_files,
                static_cast<unsigned long long>(opt.stream_bytes >> 20),
                static_cast<unsigned long long>(opt.transfer >> 10));
    std::fflush(stdout);
    // Table order: Nacre first in every metric.
    for (const char* m : {"read_rtt", "write_rtt"})
      if (opt.wants("rtt"))
        for (const char* s : {"nacre", "mpi-pingpong:pre", "mpi-pingpong:post"}) series(results, m, s, "us");
  }
  bool ok = true;
  for (int rep = 0; rep < opt.reps && ok; ++rep) {
    if (opt.wants("rtt")) {
      const double us = raw_pingpong_us(opt, reporter, 0);
      if (rank == reporter)
        for (const char* m : {"read_rtt", "write_rtt"})
          series(results, m, "mpi-pingpong:pre", "us").samples.push_back(us);
    }
    {
      auto rt = Runtime::start(MPI_COMM_WORLD, *config);
      if (!rt) {
        if (rank == 0) std::cerr << "Runtime::start: " << rt.status().to_string() << "\n";
        return 2;
      }
      if (rt->is_client()) {
        MPI_Comm clients = rt->client_comm();
        if (ok && opt.wants("rtt")) ok = bench_nacre_rtt(rt->fs(), clients, opt, rep, results);
        if (ok && opt.wants("md")) ok = bench_metadata(rt->fs(), clients, opt, rep, results);
        if (ok && opt.wants("stream")) ok = bench_stream(rt->fs(), clients, opt, rep, results);
        Status s = rt->shutdown();
        if (!s) {
          std::cerr << "shutdown: " << s.to_string() << "\n";
          ok = false;
        }
      }
    }
    ok = all_ok(MPI_COMM_WORLD, ok);
    if (ok && opt.wants("rtt")) {
      const double us = raw_pingpong_us(opt, reporter, 0);
      if (rank == reporter)
        for (const char* m : {"read_rtt", "write_rtt"})
          series(results, m, "mpi-pingpong:post", "us").samples.push_back(us);
    }
  }
  if (rank == reporter && ok) {
    std::printf("\nmedians of %d interleaved repetitions; nacre/this = Nacre's median divided by "
                "this system's (time: lower is better; rate: higher is better)\n",
                opt.reps);
    print_table("bench", results);
    print_targets(results);
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  BenchOptions opt;
  bool smoke = false;
  std::string patterns = "rtt,md,stream";
  CLI::App app{"nacre-bench: Nacre latency, metadata and streaming figures next to MPI and "
               "POSIX baselines measured in the same run"};
  app.add_option("--reps", opt.reps, "repetitions (interleaved)")->check(CLI::Range(1, 1000));
  app.add_option("--patterns", patterns, "comma-separated subset of rtt,md,stream");
  app.add_option("--rtt-bytes", opt.rtt_bytes, "round-trip message size")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--rtt-iters", opt.rtt_iters, "timed round trips per repetition")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--md-files", opt.md_files, "files per client rank")->check(CLI::Range(1, 10000000));
  app.add_option("--stream-size", opt.stream_bytes, "bytes streamed in all (split over clients)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--transfer", opt.transfer, "bytes per streaming call")
      ->transform(CLI::AsSizeValue(false));
  app.add_flag("--smoke", smoke, "tiny sizes (a few seconds; for ctest)");
  int exit_code = 0;
  if (!parse_cli(app, argc, argv, &exit_code)) {
    MPI_Finalize();
    return exit_code;
  }
  if (smoke) {
    opt.reps = 2;
    opt.rtt_iters = 50;
    opt.rtt_warmup = 10;
    opt.md_files = 20;
    opt.stream_bytes = 8 << 20;
  }
  opt.patterns.clear();
  for (size_t at = 0; at <= patterns.size();) {
    size_t comma = patterns.find(',', at);
    if (comma == std::string::npos) comma = patterns.size();
    if (comma > at) opt.patterns.push_back(patterns.substr(at, comma - at));
    at = comma + 1;
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  bool bad = opt.transfer == 0 || opt.transfer > (1u << 30) || opt.rtt_bytes == 0 ||
             opt.rtt_bytes > (1u << 30);
  for (const auto& p : opt.patterns) bad = bad || (p != "rtt" && p != "md" && p != "stream");
  if (bad) {
    if (rank == 0) std::cerr << "bad --patterns, --transfer or --rtt-bytes\n";
    MPI_Finalize();
    return 2;
  }
  opt.rtt_warmup = std::min(opt.rtt_warmup, opt.rtt_iters);
  exit_code = run(opt);
  MPI_Finalize();
  return exit_code;
}
