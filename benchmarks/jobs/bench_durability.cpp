// nacre-bench-durability (issue 6): the cost of replicas and of end-to-end
// checksums on a persistent deployment (directory store), next to POSIX on
// the same file system. Run by bench_durability.sh; one mpirun job:
//
//   mpirun -n 5 nacre-bench-durability --dir /tmp/x [--size 256MiB] [--record 4MiB] [--reps 3]
//                                       [--systems r1on,r2on,r1off,r2off,posix]
//
// Ranks 0..servers-1 serve (NACRE_SERVERS, default 3), the rest are clients.
// After one unmeasured warm-up run, every repetition runs these systems one
// after the other (the order rotates by one each repetition, so no system
// always goes first; --systems picks a subset):
//   nacre R=1 sums=on, nacre R=2 sums=on, nacre R=1 sums=off,
//   nacre R=2 sums=off  -- each a fresh persistent file system in
//                          <dir>/nacre-<n> (Runtime::start formats it; the
//                          directory is removed after the system ran)
//   posix pwrite+fsync  -- files in <dir>/posix, the servers idle
// For each: every client writes --size bytes to its own file (Nacre: striped
// over every server, default stripe size) in --record sized calls, then
// sync()s (fsync) and closes it: write_bw = all clients' bytes / time of the
// slowest client (barrier to barrier, open/create, writes, sync and close
// included). Then every client reads its neighbour's file (so no client
// reads what it wrote itself) in the same records: read_bw. Reads come from
// the servers' page cache (the data was just written); they show the data
// path, not the disk. Client rank 0 also samples the CPU time (user +
// system, /proc/<pid>/stat) of all server and of all client processes around
// each phase: CPU seconds per GiB moved (write_cpu_srv, write_cpu_cli,
// read_cpu_srv, read_cpu_cli; they include time spent polling, i.e.
// sched_yield) and the slowest client's time in sync() (sync_s; write_s is
// the whole write phase). The first 16 bytes of every record are a
// stamp (client, record) checked on read.
//
// Prints a table of medians, one line per series
//   NACRE_DURABILITY {"system":...,"metric":"write_bw"|...,"median":..,"samples":[..]}
// and the ratios (same run, medians), each with its target:
//   RATIO write R=2/R=1 (checksums on)        0.71x  target >= 0.60x  MET
//   RATIO write checksums on/off (R=1)        ...    target >= 0.90x  ...
//   RATIO write checksums on/off (R=2)        ...
// Exit status 0 if every system ran and every stamp matched.
#include "job_common.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>

using namespace nacre;
using namespace nacre::jobs;

namespace {

struct Opts {
  std::string dir;
  uint64_t size = 256ull << 20;  // per client
  uint64_t record = 4ull << 20;
  int reps = 3;
};

struct System {
  std::string key;  // --systems
  std::string name;
  bool posix = false;
  int replicas = 1;
  bool checksums = true;
};

Status errno_status(const std::string& what) {
  const int e = errno;
  return Status::error(e, what + ": " + std::strerror(e));
}

void stamp(char* rec, int client, uint64_t index) {
  const uint64_t words[2] = {0x4e41435245000000ull | static_cast<uint64_t>(client), index};
  std::memcpy(rec, words, sizeof words);
}

Status check_stamp(const char* rec, int client, uint64_t index, const std::string& what) {
  char want[16];
  stamp(want, client, index);
  if (std::memcmp(rec, want, sizeof want) != 0)
    return Status::error(EIO, what + ": record " + std::to_string(index) + " has a wrong stamp");
  return Status::ok();
}

// Seconds the last write spent in sync()/fsync (this rank).
double g_sync_s = 0;

// Writes / reads one client's file of `records` records (Nacre).
Status nacre_write(FileSystem& fs, const std::string& path, std::vector<char>& buf, uint64_t records,
                   int me) {
  auto f = fs.open(path, open_flags::kReadWrite | open_flags::kCreate | open_flags::kTruncate, 0644,
                   LayoutRequest{0, -1, -1});
  if (!f) return f.status();
  for (uint64_t i = 0; i < records; ++i) {
    stamp(buf.data(), me, i);
    auto n = f->write_at(i * buf.size(), buf.data(), buf.size());
    if (!n) return n.status();
  }
  const double t0 = now_seconds();
  NACRE_RETURN_IF_ERROR(f->sync());
  g_sync_s = now_seconds() - t0;
  return f->close();
}

Status nacre_read(FileSystem& fs, const std::string& path, std::vector<char>& buf, uint64_t records,
                  int owner) {
  auto f = fs.open(path, open_flags::kRead);
  if (!f) return f.status();
  for (uint64_t i = 0; i < records; ++i) {
    auto n = f->read_at(i * buf.size(), buf.data(), buf.size());
    if (!n) return n.status();
    if (*n != buf.size()) return Status::error(EIO, path + ": short read");
    NACRE_RETURN_IF_ERROR(check_stamp(buf.data(), owner, i, path));
  }
  return f->close();
}

Status posix_write(const std::string& path, std::vector<char>& buf, uint64_t records, int me) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno_status("open " + path);
  Status s;
  for (uint64_t i = 0; i < records && s.is_ok(); ++i) {
    stamp(buf.data(), me, i);
    size_t done = 0;
    while (done < buf.size()) {
      const ssize_t n = ::pwrite(fd, buf.data() + done, buf.size() - done,
                                 static_cast<off_t>(i * buf.size() + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { s = errno_status("pwrite " + path); break; }
      done += static_cast<size_t>(n);
    }
  }
  const double t0 = now_seconds();
  if (s.is_ok() && ::fsync(fd) != 0) s = errno_status("fsync " + path);
  g_sync_s = now_seconds() - t0;
  if (::close(fd) != 0 && s.is_ok()) s = errno_status("close " + path);
  return s;
}

Status posix_read(const std::string& path, std::vector<char>& buf, uint64_t records, int owner) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return errno_status("open " + path);
  Status s;
  for (uint64_t i = 0; i < records && s.is_ok(); ++i) {
    size_t done = 0;
    while (done < buf.size()) {
      const ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done,
                                static_cast<off_t>(i * buf.size() + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) { s = errno_status("pread " + path); break; }
      done += static_cast<size_t>(n);
    }
    if (s.is_ok()) s = check_stamp(buf.data(), owner, i, path);
  }
  ::close(fd);
  return s;
}

// CPU seconds (user + system) the processes in pids used so far, from
// /proc/<pid>/stat (every rank runs on this node). Servers and clients are
// summed separately by the caller.
double cpu_seconds(const std::vector<int>& pids) {
  static const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  for (int pid : pids) {
    FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (!f) continue;
    char line[1024];
    const size_t n = std::fread(line, 1, sizeof line - 1, f);
    std::fclose(f);
    line[n] = 0;
    const char* p = std::strrchr(line, ')');  // fields after the command name
    unsigned long long ut = 0, st = 0;
    if (p && std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
      total += static_cast<double>(ut + st) / tick;
  }
  return total;
}

// Runs one system once; appends write_bw and read_bw samples on the
// reporter (client rank 0). Collective over MPI_COMM_WORLD.
struct Pids {
  std::vector<int> servers, clients;
};

// CPU seconds of the servers and of the clients spent in fn (sampled on
// client rank 0 around it; meaningful there only).
struct Cpu {
  double servers = 0, clients = 0;
};
double timed_cpu(MPI_Comm clients, const Pids& pids, Cpu* cpu, const std::function<Status()>& fn) {
  int me = 0;
  MPI_Comm_rank(clients, &me);
  MPI_Barrier(clients);
  const double s0 = me == 0 ? cpu_seconds(pids.servers) : 0, c0 = me == 0 ? cpu_seconds(pids.clients) : 0;
  const double t = timed(clients, fn);
  if (me == 0) {
    cpu->servers = cpu_seconds(pids.servers) - s0;
    cpu->clients = cpu_seconds(pids.clients) - c0;
  }
  return t;
}

bool run_system(const System& sys, const Config& base, const Opts& opt, int run, MPI_Comm clients,
                const Pids& pids, std::vector<char>& buf, std::vector<Series>& results) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const uint64_t records = opt.size / opt.record;
  const std::string root = opt.dir + "/" + (sys.posix ? std::string("posix") : "nacre-" + std::to_string(run));
  bool ok = true;
  if (rank == 0) {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
    if (sys.posix) std::filesystem::create_directories(root, ec);
    if (ec) { std::cerr << root << ": " << ec.message() << "\n"; ok = false; }
  }
  if (!all_ok(MPI_COMM_WORLD, ok)) return false;
  double tw = -1, tr = -1;
  Cpu cw, cr;
  int me = 0, n = 1;
  if (clients != MPI_COMM_NULL) {
    MPI_Comm_rank(clients, &me);
    MPI_Comm_size(clients, &n);
  }
  const int next = (me + 1) % n;
  const double mib = static_cast<double>(records * opt.record) * n / kMiB;
  if (sys.posix) {
    if (clients != MPI_COMM_NULL) {
      auto file = [&](int c) { return root + "/client-" + std::to_string(c); };
      tw = timed_cpu(clients, pids, &cw, [&] { return posix_write(file(me), buf, records, me); });
      if (tw >= 0) tr = timed_cpu(clients, pids, &cr, [&] { return posix_read(file(next), buf, records, next); });
    }
  } else {
    Config config = base;
    config.deployment = DeploymentType::kPersistent;
    config.store = StoreKind::kDirectory;
    config.store_dir = root;
    config.replicas = sys.replicas;
    config.checksums = sys.checksums;
    auto rt = Runtime::start(MPI_COMM_WORLD, config);
    if (!rt) {
      std::cerr << "rank " << rank << ": Runtime::start (" << sys.name << "): " << rt.status().to_string() << "\n";
      ok = false;
    } else if (rt->is_client()) {
      FileSystem& fs = rt->fs();
      auto file = [&](int c) { return "/client-" + std::to_string(c); };
      tw = timed_cpu(clients, pids, &cw, [&] { return nacre_write(fs, file(me), buf, records, me); });
      if (tw >= 0) tr = timed_cpu(clients, pids, &cr, [&] { return nacre_read(fs, file(next), buf, records, next); });
      Status s = rt->shutdown();
      if (!s) {
        std::cerr << "shutdown: " << s.to_string() << "\n";
        ok = false;
      }
    }
  }
  if (clients != MPI_COMM_NULL) {
    ok = ok && tw >= 0 && tr >= 0;
    MPI_Allreduce(MPI_IN_PLACE, &g_sync_s, 1, MPI_DOUBLE, MPI_MAX, clients);
  }
  ok = all_ok(MPI_COMM_WORLD, ok);
  if (rank == 0) {  // not timed: the next system starts on an empty disk
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  if (ok && clients != MPI_COMM_NULL && me == 0) {
    series(results, "write_bw", sys.name, "MiB/s").samples.push_back(mib / tw);
    series(results, "read_bw", sys.name, "MiB/s").samples.push_back(mib / tr);
    series(results, "sync_s", sys.name, "s").samples.push_back(g_sync_s);
    series(results, "write_s", sys.name, "s").samples.push_back(tw);
    const double gib = mib / 1024;  // CPU seconds per GiB moved
    series(results, "write_cpu_srv", sys.name, "s/GiB").samples.push_back(cw.servers / gib);
    series(results, "write_cpu_cli", sys.name, "s/GiB").samples.push_back(cw.clients / gib);
    series(results, "read_cpu_srv", sys.name, "s/GiB").samples.push_back(cr.servers / gib);
    series(results, "read_cpu_cli", sys.name, "s/GiB").samples.push_back(cr.clients / gib);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return ok;
}

double med(const std::vector<Series>& all, const std::string& metric, const std::string& system) {
  for (const auto& s : all)
    if (s.metric == metric && s.system == system) return s.med();
  return 0;
}

void report(const std::vector<Series>& results, const std::vector<System>& systems) {
  std::printf("\n%-20s %11s %10s %14s %11s %20s %20s   %s\n", "system", "write MiB/s", "read MiB/s",
              "sync s/write s", "sync share", "write CPU s/GiB s+c", "read CPU s/GiB s+c",
              "write samples | read samples (run order)");
  for (const auto& sys : systems) {
    std::string w, r;
    char v[32];
    for (const auto& s : results) {
      if (s.system != sys.name || (s.metric != "write_bw" && s.metric != "read_bw")) continue;
      std::string& out = s.metric == "write_bw" ? w : r;
      for (double x : s.samples) {
        std::snprintf(v, sizeof v, "%s%.0f", out.empty() ? "" : " ", x);
        out += v;
      }
    }
    char wc[48], rc[48];
    std::snprintf(wc, sizeof wc, "%.2f+%.2f", med(results, "write_cpu_srv", sys.name),
                  med(results, "write_cpu_cli", sys.name));
    std::snprintf(rc, sizeof rc, "%.2f+%.2f", med(results, "read_cpu_srv", sys.name),
                  med(results, "read_cpu_cli", sys.name));
    char sy[48];
    const double sync_s = med(results, "sync_s", sys.name), write_s = med(results, "write_s", sys.name);
    std::snprintf(sy, sizeof sy, "%.2f/%.2f", sync_s, write_s);
    std::printf("%-20s %11.0f %10.0f %14s %10.0f%% %20s %20s   %s | %s\n", sys.name.c_str(),
                med(results, "write_bw", sys.name), med(results, "read_bw", sys.name), sy,
                write_s > 0 ? 100 * sync_s / write_s : 0, wc, rc, w.c_str(), r.c_str());
  }
  for (const auto& s : results) {
    std::printf("NACRE_DURABILITY {\"system\":\"%s\",\"metric\":\"%s\",\"median\":%.3f,\"samples\":[",
                s.system.c_str(), s.metric.c_str(), s.med());
    for (size_t i = 0; i < s.samples.size(); ++i) std::printf("%s%.3f", i ? "," : "", s.samples[i]);
    std::printf("]}\n");
  }
  std::printf("\n");
  auto ratio = [&](const char* what, const char* metric, const std::string& a, const std::string& b,
                   double target) {
    const double x = med(results, metric, a), y = med(results, metric, b);
    const double r = y > 0 ? x / y : 0;
    if (target > 0)
      std::printf("RATIO %-42s %6.2fx  target >= %.2fx  %s\n", what, r, target, r >= target ? "MET" : "MISSED");
    else
      std::printf("INFO  %-42s %6.2fx\n", what, r);
  };
  ratio("write R=2/R=1 (checksums on)", "write_bw", "nacre R=2 sums=on", "nacre R=1 sums=on", 0.6);
  ratio("write checksums on/off (R=1)", "write_bw", "nacre R=1 sums=on", "nacre R=1 sums=off", 0.9);
  ratio("write checksums on/off (R=2)", "write_bw", "nacre R=2 sums=on", "nacre R=2 sums=off", 0.9);
  ratio("write R=2/R=1 (checksums off)", "write_bw", "nacre R=2 sums=off", "nacre R=1 sums=off", 0);
  ratio("read R=2/R=1 (checksums on)", "read_bw", "nacre R=2 sums=on", "nacre R=1 sums=on", 0);
  ratio("read checksums on/off (R=1)", "read_bw", "nacre R=1 sums=on", "nacre R=1 sums=off", 0);
  ratio("read checksums on/off (R=2)", "read_bw", "nacre R=2 sums=on", "nacre R=2 sums=off", 0);
  ratio("write nacre R=1 sums=on / posix", "write_bw", "nacre R=1 sums=on", "posix pwrite+fsync", 0);
  ratio("write nacre R=2 sums=on / posix", "write_bw", "nacre R=2 sums=on", "posix pwrite+fsync", 0);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  Opts opt;
  bool smoke = false;
  const std::vector<System> all_systems = {
      {"r1on", "nacre R=1 sums=on", false, 1, true},   {"r2on", "nacre R=2 sums=on", false, 2, true},
      {"r1off", "nacre R=1 sums=off", false, 1, false}, {"r2off", "nacre R=2 sums=off", false, 2, false},
      {"posix", "posix pwrite+fsync", true, 1, true}};
  std::string only = "r1on,r2on,r1off,r2off,posix";
  CLI::App app{"nacre-bench-durability: write and read bandwidth with 1 and 2 replicas, checksums "
               "on and off, next to POSIX pwrite+fsync (persistent directory store)"};
  app.add_option("--dir", opt.dir, "scratch directory for the storage (must exist)")->required();
  app.add_option("--size", opt.size, "bytes each client writes")->transform(CLI::AsSizeValue(false));
  app.add_option("--record", opt.record, "bytes per write/read call")->transform(CLI::AsSizeValue(false));
  app.add_option("--reps", opt.reps, "repetitions (interleaved)")->check(CLI::Range(1, 1000));
  app.add_option("--systems", only, "comma-separated subset of r1on,r2on,r1off,r2off,posix "
                 "(ratios need all four Nacre systems)");
  app.add_flag("--smoke", smoke, "tiny sizes (4 MiB per client, 1 MiB records, 1 repetition)");
  int exit_code = 0;
  if (!parse_cli(app, argc, argv, &exit_code)) {
    MPI_Finalize();
    return exit_code;
  }
  if (smoke) {
    opt.size = 4ull << 20;
    opt.record = 1ull << 20;
    opt.reps = 1;
  }
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  auto config = job_config(3);
  if (!config) {
    MPI_Finalize();
    return 2;
  }
  const int servers = config->servers;
  if (servers < 2 || servers >= size || opt.record == 0 || opt.size < opt.record) {
    if (rank == 0)
      std::cerr << "nacre-bench-durability needs >= 2 servers (R=2), >= 1 client and --size >= "
                   "--record > 0: "
                << size << " ranks, " << servers << " servers\n";
    MPI_Finalize();
    return 2;
  }
  MPI_Comm clients = MPI_COMM_NULL;
  MPI_Comm_split(MPI_COMM_WORLD, rank >= servers ? 1 : MPI_UNDEFINED, rank, &clients);
  std::vector<System> systems;
  for (const System& sys : all_systems)
    if (("," + only + ",").find("," + sys.key + ",") != std::string::npos) systems.push_back(sys);
  Pids pids;
  {
    std::vector<int> all(static_cast<size_t>(size));
    const int mine = static_cast<int>(::getpid());
    MPI_Allgather(&mine, 1, MPI_INT, all.data(), 1, MPI_INT, MPI_COMM_WORLD);
    pids.servers.assign(all.begin(), all.begin() + servers);
    pids.clients.assign(all.begin() + servers, all.end());
  }
  std::vector<Series> results;
  const uint64_t records = opt.size / opt.record;
  if (rank == servers) {
    char host[256] = "?";
    gethostname(host, sizeof host);
    std::printf("nacre-bench-durability on %s (%ld CPUs): %d servers, %d clients, %d repetitions; "
                "each client writes %llu MiB in %llu KiB records (+ sync), then reads its "
                "neighbour's file; storage under %s\n",
                host, sysconf(_SC_NPROCESSORS_ONLN), servers, size - servers, opt.reps,
                static_cast<unsigned long long>(records * opt.record >> 20),
                static_cast<unsigned long long>(opt.record >> 10), opt.dir.c_str());
    for (const auto& s : systems)
      for (const char* m : {"write_bw", "read_bw"}) series(results, m, s.name, "MiB/s");
    std::fflush(stdout);
  }
  std::vector<char> buf(opt.record);
  uint64_t x = 0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(rank);
  for (char& c : buf) {  // not constant, not compressible
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    c = static_cast<char>(x);
  }
  bool ok = true;
  int run = 0;
  // One unmeasured run first: the first file system of a job is much slower
  // (first-touch of the processes' buffers, MPI connections, the page cache
  // handing out fresh pages), whichever system it is.
  if (!smoke) {
    std::vector<Series> discard;
    if (rank == servers) std::printf("  warm-up (not measured): %s\n", systems.front().name.c_str());
    std::fflush(stdout);
    ok = run_system(systems.front(), *config, opt, run++, clients, pids, buf, discard);
  }
  for (int rep = 0; rep < opt.reps && ok; ++rep)
    for (size_t k = 0; k < systems.size() && ok; ++k) {
      const System& sys = systems[(k + rep) % systems.size()];
      if (rank == servers) {
        std::printf("  rep %d: %s\n", rep + 1, sys.name.c_str());
        std::fflush(stdout);
      }
      ok = run_system(sys, *config, opt, run++, clients, pids, buf, results);
    }
  if (rank == servers && ok) report(results, systems);
  if (clients != MPI_COMM_NULL) MPI_Comm_free(&clients);
  MPI_Finalize();
  return ok ? 0 : 1;
}
