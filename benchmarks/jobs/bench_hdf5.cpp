// nacre-bench-hdf5 (issue 5, "Benchmarks"): parallel HDF5 through the Nacre
// driver (H5FD_NACRE, embedded file system) next to HDF5's MPI-IO driver on
// a local file, measured in the same job, interleaved (nacre, mpio, nacre,
// mpio, ...), in two workloads (bench_hdf5_patterns.cpp):
//
//   checkpoint  3-D dataset of doubles, each client writes its block of a
//               process grid in one collective H5Dwrite, then reads it back
//               in one collective H5Dread
//   ior_hdf5    IOR -a HDF5 -c like: one shared 1-D dataset, each client its
//               block in each segment, in --transfer (1 MiB) collective
//               H5Dwrite / H5Dread calls
//
// Systems (rows of the table):
//   nacre             nacre::h5fd::set_fapl on Runtime::fs() (2 servers,
//                     memory store, striping_factor = servers)
//   mpio-ompio:/tmp   H5Pset_fapl_mpio on a file in --local-dir, with the
//   mpio-romio:/tmp   MPI-IO component mpirun chose (OMPIO by default,
//                     ROMIO with `--mca io romio321`, from OMPI_MCA_io).
// One process can use only one MPI-IO component (Open MPI selects it by
// priority, and the priorities are read-only at run time), so OMPIO and
// ROMIO are two mpirun jobs: benchmarks/jobs/bench_hdf5.sh runs both and
// merges their tables.
//
// A write phase is H5Fcreate .. H5Fclose, a read phase H5Fopen .. H5Fclose
// (as IOR times them), the slowest client's time. Every read is checked
// against what was written (untimed); any difference fails the run. Files
// are removed after each repetition. The Nacre servers reserve (fault in)
// the memory the largest file needs at start (--reserve, default auto;
// NACRE_STORE_RESERVE wins), so the first writes do not measure the kernel
// zeroing fresh pages.
//
//   mpirun -n 6 ... nacre-bench-hdf5 [--ckpt-size 256MiB] [--ior-block 16MiB]
//          [--ior-segments 4] [--transfer 1MiB] [--reps 3] [--local-dir /tmp] [--smoke]
//
// Exit status: 0 when every read-back matched, 1 on a verification or I/O
// failure, 2 on a usage or start-up error.
#include "bench_hdf5.hpp"

#include <nacre/h5fd_nacre.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

using namespace nacre;
using namespace nacre::jobs;
using namespace nacre::jobs::h5;

namespace {

const char* const kRef = "nacre";

int rank_in(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

class NacreSystem final : public System {
 public:
  NacreSystem(FileSystem& fs, std::string tag, int servers)
      : fs_(fs), tag_(std::move(tag)), servers_(servers) {}
  const std::string& name() const override { return name_; }
  std::string path(const std::string& base) const override { return "/" + tag_ + "-" + base; }
  Result<hid_t> fapl(MPI_Comm comm) const override {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return h5_error("H5Pcreate(FILE_ACCESS)");
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "striping_factor", std::to_string(servers_).c_str());
    const herr_t rc = h5fd::set_fapl(fapl, comm, info, fs_);
    MPI_Info_free(&info);
    if (rc < 0) {
      H5Pclose(fapl);
      return h5_error("nacre::h5fd::set_fapl");
    }
    return fapl;
  }
  Status remove(MPI_Comm comm, const std::string& path) const override {
    Status s = Status::ok();
    if (rank_in(comm) == 0) {
      s = fs_.unlink(path);
      if (s.code() == ENOENT) s = Status::ok();
    }
    return all_ok(comm, s.is_ok()) ? Status::ok()
                                   : (s.is_ok() ? Status::error(EIO, "unlink failed on rank 0") : s);
  }

 private:
  FileSystem& fs_;
  std::string tag_;
  int servers_;
  std::string name_ = "nacre";
};

class MpioSystem final : public System {
 public:
  MpioSystem(std::string component, std::string dir, std::string tag)
      : dir_(std::move(dir)), tag_(std::move(tag)), name_("mpio-" + component + ":" + dir_) {}
  const std::string& name() const override { return name_; }
  std::string path(const std::string& base) const override { return dir_ + "/" + tag_ + "-" + base; }
  Result<hid_t> fapl(MPI_Comm comm) const override {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return h5_error("H5Pcreate(FILE_ACCESS)");
    if (H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
      H5Pclose(fapl);
      return h5_error("H5Pset_fapl_mpio");
    }
    return fapl;
  }
  Status remove(MPI_Comm comm, const std::string& path) const override {
    MPI_Barrier(comm);
    Status s = Status::ok();
    if (rank_in(comm) == 0 && ::unlink(path.c_str()) != 0 && errno != ENOENT)
      s = Status::error(errno, "unlink " + path + ": " + std::strerror(errno));
    return all_ok(comm, s.is_ok()) ? Status::ok()
                                   : (s.is_ok() ? Status::error(EIO, "unlink failed on rank 0") : s);
  }

 private:
  std::string dir_, tag_, name_;
};

// "ompio" or "romio": what mpirun asked for (OMPI_MCA_io), OMPIO being Open
// MPI 4.1's default for local files. Open MPI 4.1 returns no info keys that
// would tell them apart, so the environment is the evidence.
std::string mpiio_component() {
  const char* io = std::getenv("OMPI_MCA_io");
  const std::string v = io ? io : "";
  if (v.find("romio") != std::string::npos) return "romio";
  return "ompio";
}

// COLLECTIVE over comm: one write + read + check + remove. Records the
// bandwidths on success; false (every rank) on any failure.
bool run_once(const System& sys, Pattern& p, MPI_Comm comm, uint64_t salt,
              std::vector<Series>* results) {
  const int me = rank_in(comm);
  p.prepare(salt);
  const std::string path = sys.path(p.name() + ".h5");
  auto fapl = sys.fapl(comm);
  if (!all_ok(comm, fapl.is_ok())) {
    if (!fapl) std::cerr << sys.name() << ": " << fapl.status().to_string() << "\n";
    if (fapl) H5Pclose(*fapl);
    return false;
  }
  Id fa(*fapl, H5Pclose);
  const double tw = timed(comm, [&] { return p.write(fa.get(), path); });
  const double tr = tw < 0 ? -1 : timed(comm, [&] { return p.read(fa.get(), path); });
  uint64_t bad_here = tr < 0 ? 0 : p.mismatches(), bad = 0;
  MPI_Allreduce(&bad_here, &bad, 1, MPI_UINT64_T, MPI_SUM, comm);
  Status rm = sys.remove(comm, path);
  if (!rm && me == 0) std::cerr << sys.name() << ": " << rm.to_string() << "\n";
  if (bad && me == 0)
    std::cerr << sys.name() << " " << p.name() << ": VERIFICATION FAILED: " << bad
              << " elements read back differ from what was written\n";
  if (tw < 0 || tr < 0 || bad || !rm) return false;
  if (results) {
    const double mib = static_cast<double>(p.total_bytes()) / kMiB;
    series(*results, p.name() + "_write", sys.name(), "MiB/s").samples.push_back(mib / tw);
    series(*results, p.name() + "_read", sys.name(), "MiB/s").samples.push_back(mib / tr);
  }
  return true;
}

struct Options {
  uint64_t ckpt_size = 256 * kMiB;  // total, all clients
  uint64_t ior_block = 16 * kMiB;
  uint64_t ior_segments = 4;
  uint64_t transfer = kMiB;
  uint64_t reserve = 0;  // 0 = auto
  bool no_reserve = false;
  int reps = 3;
  std::string local_dir = "/tmp";
  std::string patterns = "checkpoint,ior_hdf5";
  std::string systems = "nacre,mpio";
  bool smoke = false;
};

double med(const std::vector<Series>& all, const std::string& metric, const std::string& sys) {
  for (const auto& s : all)
    if (s.metric == metric && s.system == sys) return s.med();
  return 0;
}

void print_targets(const std::vector<Series>& results, const std::string& base) {
  for (const char* m : {"checkpoint_write", "checkpoint_read", "ior_hdf5_write", "ior_hdf5_read"}) {
    const double n = med(results, m, kRef), b = med(results, m, base);
    if (n <= 0 || b <= 0) continue;
    std::printf("TARGET %s: nacre %.0f MiB/s >= 2x %s %.0f MiB/s (this run): %.2fx %s\n", m, n,
                base.c_str(), b, n / b, n >= 2 * b ? "MET" : "MISSED");
  }
  std::fflush(stdout);
}

int run(const Options& o) {
  const int world = rank_in(MPI_COMM_WORLD);
  auto config = job_config(2);
  if (!config) return 2;
  const std::string tag = job_tag();
  int world_size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  const int clients_expected = world_size - config->servers;
  if (clients_expected < 1) {
    if (world == 0) std::cerr << "need more ranks than the " << config->servers << " servers\n";
    return 2;
  }
  const uint64_t per_client = o.ckpt_size / static_cast<uint64_t>(clients_expected);
  if (per_client < 512 * 1024) {
    if (world == 0) std::cerr << "--ckpt-size: at least 512 KiB per client\n";
    return 2;
  }
  const uint64_t ior_total = o.ior_block * o.ior_segments * static_cast<uint64_t>(clients_expected);
  if (config->store == StoreKind::kMemory && config->store_reserve == 0 && !o.no_reserve) {
    // Each server holds about 1/servers of the largest file, plus HDF5's
    // metadata and the striping remainder.
    const uint64_t largest = std::max(o.ckpt_size, ior_total);
    config->store_reserve = o.reserve ? o.reserve
                                      : largest / static_cast<uint64_t>(config->servers) + 64 * kMiB;
  }
  auto rt = Runtime::start(MPI_COMM_WORLD, *config);
  if (!rt) {
    if (world == 0) std::cerr << "Runtime::start: " << rt.status().to_string() << "\n";
    return 2;
  }
  bool ok = true;
  if (rt->is_client()) {
    MPI_Comm comm = rt->client_comm();
    int clients = 1, me = 0;
    MPI_Comm_size(comm, &clients);
    MPI_Comm_rank(comm, &me);
    const std::string component = mpiio_component();

    std::vector<std::unique_ptr<System>> systems;
    if (o.systems.find("nacre") != std::string::npos)
      systems.push_back(std::make_unique<NacreSystem>(rt->fs(), tag, config->servers));
    auto mpio = std::make_unique<MpioSystem>(component, o.local_dir, tag);
    const std::string base = mpio->name();
    if (o.systems.find("mpio") != std::string::npos) systems.push_back(std::move(mpio));

    std::vector<std::unique_ptr<Pattern>> patterns;
    if (o.patterns.find("checkpoint") != std::string::npos)
      patterns.push_back(make_checkpoint(clients, me, per_client));
    if (o.patterns.find("ior_hdf5") != std::string::npos)
      patterns.push_back(make_ior(clients, me, o.transfer, o.ior_block, o.ior_segments));

    if (me == 0) {
      std::cout << "nacre-bench-hdf5: " << config->servers << " servers (memory store, reserve "
                << config->store_reserve / kMiB << " MiB each), " << clients << " clients, "
                << o.reps << " repetitions (interleaved: nacre, " << base << ", ...)\n"
                << "  HDF5 MPI-IO driver baseline: " << base << " (OMPI_MCA_io="
                << (std::getenv("OMPI_MCA_io") ? std::getenv("OMPI_MCA_io") : "unset") << ")\n";
      for (const auto& p : patterns) std::cout << "  " << p->describe() << "\n";
      std::cout << std::flush;
    }

    // Warm-up (untimed): HDF5's and MPI-IO's first-use costs, the first
    // collective exchanges between the clients, on every system.
    auto warm = make_checkpoint(clients, me, 512 * 1024);
    for (const auto& sys : systems) ok = ok && run_once(*sys, *warm, comm, 1000, nullptr);

    std::vector<Series> results;
    for (size_t pi = 0; pi < patterns.size() && ok; ++pi)
      for (int r = 0; r < o.reps && ok; ++r)
        for (size_t si = 0; si < systems.size() && ok; ++si)
          ok = run_once(*systems[si], *patterns[pi], comm,
                        static_cast<uint64_t>(r) * systems.size() + si + 1, &results);

    if (me == 0) {
      if (ok) {
        std::cout << "verification: every element read back as written, every repetition, "
                     "every system\n";
        print_table("hdf5", results, kRef);
        print_targets(results, base);
      } else {
        std::cout << "verification: FAILED (see above)\n" << std::flush;
      }
    }
    H5close();
    Status s = rt->shutdown();
    if (!s) {
      std::cerr << "shutdown: " << s.to_string() << "\n";
      ok = false;
    }
  }
  return all_ok(MPI_COMM_WORLD, ok) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int exit_code = 0;
  Options o;
  CLI::App app{"nacre-bench-hdf5: parallel HDF5 checkpoint and IOR-HDF5-like patterns, Nacre "
               "driver vs HDF5's MPI-IO driver on a local file"};
  app.add_option("--ckpt-size", o.ckpt_size, "checkpoint dataset bytes, all clients (256MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--ior-block", o.ior_block, "ior_hdf5 bytes per client per segment (16MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--ior-segments", o.ior_segments, "ior_hdf5 segments (4)");
  app.add_option("--transfer", o.transfer, "ior_hdf5 bytes per H5Dwrite/H5Dread (1MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--reps", o.reps, "repetitions per system (interleaved)")->check(CLI::Range(1, 100));
  app.add_option("--local-dir", o.local_dir, "directory of the MPI-IO driver's files (/tmp)");
  app.add_option("--patterns", o.patterns, "checkpoint,ior_hdf5");
  app.add_option("--systems", o.systems, "nacre,mpio (one alone: profiling)");
  app.add_option("--reserve", o.reserve, "memory each Nacre server faults in at start (auto)")
      ->transform(CLI::AsSizeValue(false));
  app.add_flag("--no-reserve", o.no_reserve, "fresh server memory (measures first touch)");
  app.add_flag("--smoke", o.smoke, "tiny sizes, one repetition (ctest)");
  if (!parse_cli(app, argc, argv, &exit_code)) {
    MPI_Finalize();
    return exit_code;
  }
  if (o.smoke) {
    o.ckpt_size = 2 * kMiB;
    o.ior_block = 128 * 1024;
    o.ior_segments = 2;
    o.transfer = 64 * 1024;
    o.reps = 1;
  }
  const int world = rank_in(MPI_COMM_WORLD);
  if (o.transfer == 0 || o.transfer % 8 || o.transfer > (1u << 30) || o.ior_block % o.transfer ||
      o.ior_segments == 0 || o.ior_block == 0) {
    if (world == 0)
      std::cerr << "--transfer: a multiple of 8 in (0, 1GiB]; --ior-block: a positive multiple of "
                   "--transfer; --ior-segments > 0\n";
    MPI_Finalize();
    return 2;
  }
  exit_code = run(o);
  MPI_Finalize();
  return exit_code;
}
