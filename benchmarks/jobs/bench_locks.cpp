// nacre-bench-locks (issue 3, "Benchmarks"): the extent lock manager and the
// client write-back cache, next to the same pattern without caching, without
// locks, and next to MPI-IO / POSIX on a local file, measured in the same
// job and interleaved (every system once per repetition, in turn):
//
//   1. records   one client writes --records-file bytes in sequential
//                records of 4, 16, 64 KiB: nacre:cache (default flags: POSIX
//                locks + write-back cache), nacre:write-through
//                (kWriteThrough), nacre:lockless (kLockless), mpiio:/tmp
//                (MPI_File_write_at on MPI_COMM_SELF), posix:/tmp (pwrite),
//                memcpy (into a kept buffer), nacre:bulk (lockless, the
//                consecutive records coalesced without a copy into 4 MiB
//                calls): the two ceilings of any cache.
//                open..close timed (close writes the cache back; no fsync
//                anywhere), then read back and checked.
//   2. ior_hard  every client writes record i*clients+me (47008 bytes),
//                --ior-segments records, one call each, then reads the next
//                rank's records (IOR -C) and checks them: nacre:locks
//                (default flags), nacre:no-expand (kNoExpand),
//                nacre:lockless, nacre:group (every client in one group
//                lock), mpiio:/tmp (independent). Lock callbacks
//                and cancels of all clients per phase show lock ping-pong.
//   3. micro     bench_locks_micro.cpp: LOCK_ENQUEUE / LOCK_CANCEL latency
//                and throughput, 4 KiB writes under cached / new / no
//                locks, and the conflict round trip of two clients writing
//                the same 4 KiB in turn; raw MPI ping-pongs of the same
//                sizes in the same repetition.
//
// Within a part the systems run in turn, the order rotated by one each
// repetition (no system always runs first). Every repetition: raw MPI
// ping-pong client 0 <-> server 0 (64 B and 4 KiB, before Runtime::start,
// while the server rank is not serving), start, records, ior_hard, micro,
// shutdown. The servers fault in their store
// memory at start (--reserve, default auto; NACRE_STORE_RESERVE wins) so
// the first writes do not measure the kernel zeroing fresh pages.
//
//   mpirun -n 6 ... -x NACRE_SERVERS=2 nacre-bench-locks [--reps 3]
//       [--records-file 32MiB] [--ior-segments 4000] [--micro-iters 2000]
//       [--parts records,ior_hard,micro] [--smoke]
//
// Needs MPI_THREAD_MULTIPLE (the client's lock progress thread). Exit
// status: 0 when every read-back matched, 1 on a verification or I/O
// failure, 2 on a usage or start-up error.
#include "bench_locks.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

using namespace nacre;
using namespace nacre::jobs;
using namespace nacre::jobs::locks;

namespace {

const Series* find_series(const std::vector<Series>& all, const std::string& m, const std::string& s) {
  for (const auto& r : all)
    if (r.metric == m && r.system == s) return &r;
  return nullptr;
}

// The series of `all` whose metric starts with one of prefixes.
std::vector<Series> pick(const std::vector<Series>& all, std::initializer_list<const char*> prefixes) {
  std::vector<Series> out;
  for (const auto& s : all)
    for (const char* p : prefixes)
      if (s.metric.rfind(p, 0) == 0) {
        out.push_back(s);
        break;
      }
  return out;
}

// "a / b: median ratio (per repetition: r1 r2 ...)"; returns the ratio of
// the medians (0 if either is missing).
double ratio_line(const std::vector<Series>& all, const std::string& metric, const std::string& a,
                  const std::string& b, std::string* text) {
  const Series* x = find_series(all, metric, a);
  const Series* y = find_series(all, metric, b);
  if (!x || !y || x->med() <= 0 || y->med() <= 0) return 0;
  const double r = x->med() / y->med();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2fx (per repetition:", r);
  *text = buf;
  for (size_t i = 0; i < std::min(x->samples.size(), y->samples.size()); ++i) {
    std::snprintf(buf, sizeof buf, " %.2f", y->samples[i] > 0 ? x->samples[i] / y->samples[i] : 0.0);
    *text += buf;
  }
  *text += ")";
  return r;
}

void print_summary(const std::vector<Series>& all, const Options& o, int clients) {
  std::string t;
  const std::string mpiio = "mpiio:" + o.local_dir, posix = "posix:" + o.local_dir;
  std::printf("\nsame-run ratios (median of system A / median of system B; per-repetition ratios "
              "in brackets)\n");
  for (uint64_t rs : o.record_sizes) {
    const std::string m = "records_" + std::to_string(rs >> 10) + "k_write";
    const double r = ratio_line(all, m, "nacre:cache", "nacre:write-through", &t);
    if (r > 0)
      std::printf("TARGET %s: nacre:cache >= 10x nacre:write-through: %s %s\n", m.c_str(), t.c_str(),
                  r >= 10 ? "MET" : "MISSED");
    for (const std::string& b : {std::string("nacre:lockless"), mpiio, posix})
      if (ratio_line(all, m, "nacre:cache", b, &t) > 0)
        std::printf("  %s: nacre:cache / %s: %s\n", m.c_str(), b.c_str(), t.c_str());
    // A cache whose close has written everything back cannot beat moving
    // the same bytes in large calls (nacre:bulk), nor copying them
    // (memcpy): these ratios bound what caching can reach here.
    for (const char* c : {"nacre:bulk", "memcpy"}) {
      if (ratio_line(all, m, c, "nacre:write-through", &t) > 0)
        std::printf("  %s: ceiling %s / nacre:write-through: %s\n", m.c_str(), c, t.c_str());
      if (ratio_line(all, m, "nacre:cache", c, &t) > 0)
        std::printf("  %s: nacre:cache / %s: %s\n", m.c_str(), c, t.c_str());
    }
    // Reads of the same records: the read cache with read-ahead (nacre:cache
    // and nacre:write-through hold locks) against reads that always go to
    // the servers (lockless) and the local baselines.
    const std::string rd = "records_" + std::to_string(rs >> 10) + "k_read";
    for (const std::string& b : {std::string("nacre:lockless"), mpiio, posix})
      if (ratio_line(all, rd, "nacre:cache", b, &t) > 0)
        std::printf("  %s: nacre:cache / %s: %s\n", rd.c_str(), b.c_str(), t.c_str());
  }
  for (const char* m : {"ior_hard_write", "ior_hard_read"}) {
    for (const char* a : {"nacre:locks", "nacre:no-expand"}) {
      const double r = ratio_line(all, m, a, "nacre:lockless", &t);
      if (r > 0)
        std::printf("TARGET %s: %s >= 0.5x nacre:lockless: %s %s\n", m, a, t.c_str(),
                    r >= 0.5 ? "MET" : "MISSED");
    }
    if (ratio_line(all, m, "nacre:group", "nacre:lockless", &t) > 0)
      std::printf("  %s: nacre:group / nacre:lockless: %s\n", m, t.c_str());
    for (const char* a : {"nacre:locks", "nacre:no-expand", "nacre:lockless", "nacre:group"})
      if (ratio_line(all, m, a, mpiio, &t) > 0)
        std::printf("  %s: %s / %s: %s\n", m, a, mpiio.c_str(), t.c_str());
  }
  const double records = static_cast<double>(o.ior_segments) * clients;
  for (const char* a : {"nacre:locks", "nacre:no-expand"})
    for (const char* m : {"callbacks_write", "callbacks_read", "srvlock_write", "srvlock_read"})
      if (const Series* s = find_series(all, m, a))
        std::printf("  ior-hard %s %s: %.0f (median) = %.3f per record\n", a, m, s->med(),
                    s->med() / records);
  if (ratio_line(all, "lock_enqueue", "nacre", "mpi-pingpong:64B", &t) > 0)
    std::printf("  uncontended LOCK_ENQUEUE / raw 64 B ping-pong: %s\n", t.c_str());
  if (ratio_line(all, "lock_cancel", "nacre", "mpi-pingpong:64B", &t) > 0)
    std::printf("  LOCK_CANCEL / raw 64 B ping-pong: %s\n", t.c_str());
  for (const char* a : {"nacre:cached-lock", "nacre:new-lock", "nacre:cached-lock+cache"})
    if (ratio_line(all, "write_4k", a, "nacre:lockless", &t) > 0)
      std::printf("  4 KiB write, %s / nacre:lockless: %s\n", a, t.c_str());
  for (const char* a : {"nacre:cache", "nacre:write-through", "nacre:lockless"}) {
    if (ratio_line(all, "conflict_step", a, "mpi-pingpong:4KiB", &t) > 0)
      std::printf("  conflict step, %s / raw 4 KiB ping-pong (clients 0-1): %s\n", a, t.c_str());
  }
  for (const char* a : {"nacre:cache", "nacre:write-through"})
    if (ratio_line(all, "conflict_step", a, "nacre:lockless", &t) > 0)
      std::printf("  conflict step, %s / nacre:lockless: %s\n", a, t.c_str());
  std::fflush(stdout);
}

bool wants(const std::string& parts, const char* p) { return parts.find(p) != std::string::npos; }

int run(Options o, const std::string& parts, uint64_t reserve, bool no_reserve) {
  int world = 0, world_size = 1, provided = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  MPI_Query_thread(&provided);
  auto config = job_config(2);
  o.tag = job_tag();
  if (!config) return 2;
  const int servers = config->servers, clients = world_size - servers;
  if (provided != MPI_THREAD_MULTIPLE || servers < 1 || clients < 1) {
    if (world == 0)
      std::cerr << "nacre-bench-locks needs MPI_THREAD_MULTIPLE (extent locks) and at least one "
                   "client beyond the "
                << servers << " servers\n";
    return 2;
  }
  const uint64_t ior_total = o.ior_segments * kIorRecord * static_cast<uint64_t>(clients);
  if (config->store == StoreKind::kMemory && config->store_reserve == 0 && !no_reserve)
    config->store_reserve = reserve ? reserve
                                    : std::max(o.records_file, ior_total) /
                                              static_cast<uint64_t>(servers) + 64 * kMiB;
  const int reporter = servers;  // client 0
  std::vector<Series> results;
  if (world == reporter) {
    char host[256] = "?";
    gethostname(host, sizeof host);
    std::printf("nacre-bench-locks on %s (%ld CPUs): %d servers (memory store, reserve %llu MiB "
                "each), %d clients, %d repetitions (interleaved), MPI_THREAD_MULTIPLE\n",
                host, sysconf(_SC_NPROCESSORS_ONLN), servers,
                static_cast<unsigned long long>(config->store_reserve / kMiB), clients, o.reps);
    std::printf("  records: %llu MiB file, record sizes", static_cast<unsigned long long>(o.records_file / kMiB));
    for (uint64_t r : o.record_sizes) std::printf(" %llu KiB", static_cast<unsigned long long>(r >> 10));
    std::printf("; ior_hard: %llu records of %llu bytes per client (%.0f MiB in all)\n",
                static_cast<unsigned long long>(o.ior_segments),
                static_cast<unsigned long long>(kIorRecord), static_cast<double>(ior_total) / kMiB);
    std::printf("  micro: %d timed ops (%d warm-up), conflict: %d alternating writes\n",
                o.micro_iters, o.micro_warmup, o.conflict_iters);
    std::fflush(stdout);
  }
  bool ok = true;
  for (int rep = 0; rep < o.reps && ok; ++rep) {
    if (wants(parts, "micro")) {
      for (size_t bytes : {size_t{64}, size_t{4096}}) {
        const double us = raw_pingpong_us(MPI_COMM_WORLD, reporter, 0, bytes, o.micro_iters,
                                          o.micro_warmup);
        if (world == reporter) {
          if (bytes == 64) {
            series(results, "lock_enqueue", "mpi-pingpong:64B", "us").samples.push_back(us);
            series(results, "lock_cancel", "mpi-pingpong:64B", "us").samples.push_back(us);
          } else {
            series(results, "write_4k", "mpi-pingpong:4KiB(server0)", "us").samples.push_back(us);
          }
        }
      }
    }
    auto rt = Runtime::start(MPI_COMM_WORLD, *config);
    if (!rt) {
      if (world == 0) std::cerr << "Runtime::start: " << rt.status().to_string() << "\n";
      return 2;
    }
    if (rt->is_client()) {
      MPI_Comm comm = rt->client_comm();
      FileSystem& fs = rt->fs();
      if (ok && wants(parts, "records")) ok = bench_records(fs, comm, o, rep, results);
      if (ok && wants(parts, "ior_hard")) ok = bench_ior_hard(fs, comm, o, rep, results);
      if (ok && wants(parts, "micro")) ok = bench_lock_micro(fs, comm, o, rep, results);
      Status s = rt->shutdown();
      if (!s) {
        std::cerr << "shutdown: " << s.to_string() << "\n";
        ok = false;
      }
    }
    ok = all_ok(MPI_COMM_WORLD, ok);
  }
  if (world == reporter) {
    if (!ok) {
      std::printf("FAILED (see the errors above; a VERIFICATION FAILED line means data was lost "
                  "or corrupted)\n");
      std::fflush(stdout);
      return 1;
    }
    std::printf("\nverification: every read-back matched what was written, on every system, every "
                "repetition\nmedians of %d interleaved repetitions; nacre/this = the reference "
                "row's median / this row's (rates: >1 means the reference is faster; times: "
                "<1 means the reference is faster)\n\n",
                o.reps);
    std::fflush(stdout);
    const auto show = [&](std::initializer_list<const char*> prefixes, const char* ref) {
      auto sub = pick(results, prefixes);
      if (!sub.empty()) {
        std::printf("reference: %s\n", ref);
        std::fflush(stdout);
        print_table("locks", sub, ref);
        std::printf("\n");
      }
    };
    show({"records_"}, "nacre:cache");
    show({"ior_hard_", "callbacks_", "cancels_", "srvlock_"}, "nacre:locks");
    show({"lock_"}, "nacre");
    show({"write_4k"}, "nacre:lockless");
    show({"conflict_"}, "nacre:cache");
    print_summary(results, o, clients);
  }
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  Options o;
  std::string parts = "records,ior_hard,micro";
  uint64_t reserve = 0;
  bool no_reserve = false;
  CLI::App app{"nacre-bench-locks: extent locks and the client write-back cache (issue 3) next "
               "to write-through, lockless, MPI-IO and POSIX in the same run"};
  app.add_option("--reps", o.reps, "repetitions (interleaved)")->check(CLI::Range(1, 100));
  app.add_option("--parts", parts, "comma-separated subset of records,ior_hard,micro");
  app.add_option("--records-file", o.records_file, "bytes per records file (32MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--ior-segments", o.ior_segments, "ior-hard records per client (4000)")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--ior-systems", o.ior_systems,
                 "ior-hard systems to run, comma-separated (default all: nacre:locks,"
                 "nacre:no-expand,nacre:lockless,nacre:group,mpiio:<local-dir>)");
  app.add_option("--micro-iters", o.micro_iters, "timed operations per micro measurement")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--conflict-iters", o.conflict_iters, "timed alternating conflicting writes")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--local-dir", o.local_dir, "directory of the MPI-IO / POSIX files (/tmp)");
  app.add_option("--reserve", reserve, "memory each Nacre server faults in at start (auto)")
      ->transform(CLI::AsSizeValue(false));
  app.add_flag("--no-reserve", no_reserve, "fresh server memory (measures first touch)");
  app.add_flag("--smoke", o.smoke, "tiny sizes, one repetition (ctest)");
  int exit_code = 0;
  if (!parse_cli(app, argc, argv, &exit_code)) {
    MPI_Finalize();
    return exit_code;
  }
  if (o.smoke) {
    o.reps = 1;
    o.records_file = kMiB;
    o.ior_segments = 16;
    o.micro_iters = 50;
    o.micro_warmup = 5;
    o.conflict_iters = 20;
  }
  o.micro_warmup = std::min(o.micro_warmup, o.micro_iters);
  int world = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);
  if (o.records_file < 64 * 1024 || o.records_file > (4ull << 30)) {
    if (world == 0) std::cerr << "--records-file: 64 KiB .. 4 GiB\n";
    MPI_Finalize();
    return 2;
  }
  (void)provided;  // run() checks MPI_Query_thread
  exit_code = run(o, parts, reserve, no_reserve);
  MPI_Finalize();
  return exit_code;
}
