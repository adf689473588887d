// nacre-bench-collective (issue 4, "Benchmarks"): the IO500 ior-hard and
// ior-easy patterns on one shared file, through MPI-IO semantics, on three
// systems measured in the same run, interleaved (system A, B, C, A, B, C, ...):
//
//   nacre:collective   nacre::mpiio::MpiFile::write_at_all / read_at_all
//   nacre:coll-wb      the same with the hint nacre_write_behind=enable
//                      (collective writes staged per rank and flushed by one
//                      two-phase write every 16 MiB per rank)
//   nacre:independent  MpiFile::write_at / read_at
//   mpiio:/tmp         MPI_File_write_at_all / read_at_all on a local file
//                      (the component mpirun chose: OMPIO by default, ROMIO
//                      with `--mca io romio321`; printed at start)
//
// ior-hard: client c writes record i (47008 bytes) at (i*clients + c)*47008,
// one call per record, as IOR's MPIIO backend issues it; --segments records
// per client. ior-easy: client c writes one contiguous region of --easy-size
// bytes at c*easy_size in --transfer calls. Every repetition writes, then
// reads its own records back (timed), then checks them (untimed). The timed
// write of a Nacre system ends with MpiFile::sync() (collective), so staged
// writes are in the servers when the clock stops; mpiio:/tmp stops after its
// last write (its data is then in the page cache; MPI_File_sync would add an
// fsync to disk, which Nacre's memory servers do not pay).
//
//   mpirun -n 6 ... nacre-bench-collective [--segments N] [--easy-size 32MiB]
//          [--transfer 1MiB] [--reps 3] [--smoke] [--no-write-behind]
//          [--systems nacre:coll-wb,mpiio:/tmp] [--wb-hint key=value ...]
//
// Embedded mode: 2 servers (NACRE_SERVERS / NACRE_CONFIG override), the
// other ranks are clients. Exit status: 0 when every read-back matched, 1 on
// a verification or I/O failure, 2 on a usage or start-up error.
#include "job_common.hpp"
#include "mpiio_file/mpi_file.hpp"

#include <cstdlib>
#include <cstring>
#include <iostream>

using namespace nacre;
using namespace nacre::jobs;

namespace {

constexpr uint64_t kRecord = 47008;
const char* const kRef = "nacre:collective";

// One file shared by the clients, with collective or independent calls.
class System {
 public:
  virtual ~System() = default;
  virtual const std::string& name() const = 0;
  virtual Status open(MPI_Comm comm) = 0;  // collective: create + open
  virtual Status xfer(bool write, uint64_t off, void* buf, size_t len) = 0;
  // Collective, inside the timed write: makes the writes visible to every
  // client (see the header comment).
  virtual Status finish_writes() { return Status::ok(); }
  virtual Status close_and_remove(MPI_Comm comm) = 0;  // collective
};

class NacreSystem : public System {
 public:
  NacreSystem(FileSystem& fs, std::string path, bool collective, bool write_behind, int servers)
      : fs_(fs), path_(std::move(path)), collective_(collective), write_behind_(write_behind),
        servers_(servers),
        name_(!collective ? "nacre:independent" : write_behind ? "nacre:coll-wb" : "nacre:collective") {}
  const std::string& name() const override { return name_; }
  Status open(MPI_Comm comm) override {
    MPI_Info info;
    MPI_Info_create(&info);
    const std::string factor = std::to_string(servers_);
    MPI_Info_set(info, "striping_factor", factor.c_str());
    if (write_behind_) {
      MPI_Info_set(info, "nacre_write_behind", "enable");
      for (const auto& [k, v] : extra_hints_) MPI_Info_set(info, k.c_str(), v.c_str());
    }
    auto f = mpiio::MpiFile::open(comm, fs_, path_, MPI_MODE_CREATE | MPI_MODE_RDWR, info);
    MPI_Info_free(&info);
    if (!f) return f.status();
    f_ = std::move(*f);
    return Status::ok();
  }
  Status xfer(bool write, uint64_t off, void* buf, size_t len) override {
    const auto o = static_cast<MPI_Offset>(off);
    const auto n = static_cast<int64_t>(len);
    const double t0 = MPI_Wtime();
    Result<int64_t> r = write ? (collective_ ? f_.write_at_all(o, buf, n, MPI_BYTE)
                                             : f_.write_at(o, buf, n, MPI_BYTE))
                              : (collective_ ? f_.read_at_all(o, buf, n, MPI_BYTE)
                                             : f_.read_at(o, buf, n, MPI_BYTE));
    if (!r) return r.status();
    if (*r != n) return Status::error(EIO, name_ + ": short transfer");
    if (write && collective_ && !f_.last_collective().staged) {
      stats_ = f_.last_collective();
      {
        sum_.t_decide += stats_.t_decide;
        sum_.t_plan += stats_.t_plan;
        sum_.t_exchange += stats_.t_exchange;
        sum_.t_io += stats_.t_io;
        ++sum_.rounds;
      }
    }
    const double dt = MPI_Wtime() - t0;
    (write ? t_write_calls_ : t_read_calls_) += dt;
    if (write && collective_ && f_.last_collective().staged) t_staged_ += dt;
    return Status::ok();
  }
  Status finish_writes() override {
    const double t0 = MPI_Wtime();
    Status s = f_.sync();
    t_sync_ += MPI_Wtime() - t0;
    return s;
  }
  // Client-side time split of this system's collective writes so far.
  std::string profile() const {
    char b[320];
    std::snprintf(b, sizeof b,
                  "write calls %.1f ms (only staged: %.1f ms; %llu two-phase calls: decide %.1f, "
                  "plan %.1f, exchange %.1f, I/O %.1f ms), sync %.1f ms; read calls %.1f ms",
                  1e3 * t_write_calls_, 1e3 * t_staged_, static_cast<unsigned long long>(sum_.rounds),
                  1e3 * sum_.t_decide, 1e3 * sum_.t_plan, 1e3 * sum_.t_exchange,
                  1e3 * sum_.t_io, 1e3 * t_sync_, 1e3 * t_read_calls_);
    return b;
  }
  Status close_and_remove(MPI_Comm comm) override {
    Status s = f_.close();
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    Status u = Status::ok();
    if (rank == 0 && s) u = fs_.unlink(path_);
    MPI_Barrier(comm);
    return s ? u : s;
  }
  // Of the last collective write that went to the servers (not only staged).
  const mpiio::TwoPhaseStats& stats() const { return stats_; }

 private:
  FileSystem& fs_;
  std::string path_;
  bool collective_;
  bool write_behind_;
  int servers_;
  mpiio::TwoPhaseStats stats_;
  mpiio::TwoPhaseStats sum_;  // rounds = two-phase write calls
 public:
  std::vector<std::pair<std::string, std::string>> extra_hints_;  // nacre:coll-wb only
 private:
  double t_write_calls_ = 0, t_sync_ = 0, t_read_calls_ = 0, t_staged_ = 0;
  std::string name_;
  mpiio::MpiFile f_;
};

Status mpi_status(int rc, const std::string& what) {
  if (rc == MPI_SUCCESS) return Status::ok();
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return Status::error(EIO, what + ": " + std::string(msg, static_cast<size_t>(len)));
}

class MpiioSystem : public System {
 public:
  explicit MpiioSystem(std::string path) : path_(std::move(path)) {}
  const std::string& name() const override { return name_; }
  Status open(MPI_Comm comm) override {
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) MPI_File_delete(path_.c_str(), MPI_INFO_NULL);
    MPI_Barrier(comm);
    int rc = MPI_File_open(comm, path_.c_str(), MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh_);
    if (rc == MPI_SUCCESS) MPI_File_set_errhandler(fh_, MPI_ERRORS_RETURN);
    return mpi_status(rc, "MPI_File_open " + path_);
  }
  Status xfer(bool write, uint64_t off, void* buf, size_t len) override {
    MPI_Status st;
    const auto o = static_cast<MPI_Offset>(off);
    const int n = static_cast<int>(len);
    int rc = write ? MPI_File_write_at_all(fh_, o, buf, n, MPI_BYTE, &st)
                   : MPI_File_read_at_all(fh_, o, buf, n, MPI_BYTE, &st);
    NACRE_RETURN_IF_ERROR(mpi_status(rc, write ? "MPI_File_write_at_all" : "MPI_File_read_at_all"));
    int got = 0;
    MPI_Get_count(&st, MPI_BYTE, &got);
    if (got != n) return Status::error(EIO, "mpiio: short transfer");
    return Status::ok();
  }
  Status close_and_remove(MPI_Comm comm) override {
    int rc = MPI_File_close(&fh_);
    MPI_Barrier(comm);
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) MPI_File_delete(path_.c_str(), MPI_INFO_NULL);
    MPI_Barrier(comm);
    return mpi_status(rc, "MPI_File_close");
  }
  // "ROMIO ..." / "OMPIO ...": from the file's info keys and OMPI_MCA_io.
  // Collective over comm (opens and closes a scratch file).
  std::string component(MPI_Comm comm) {
    std::string out;
    const char* env = std::getenv("OMPI_MCA_io");
    if (!open(comm)) return "unknown (open failed)";
    MPI_Info info = MPI_INFO_NULL;
    MPI_File_get_info(fh_, &info);
    int nkeys = 0;
    bool romio = false;
    std::string cb_nodes = "-";
    if (info != MPI_INFO_NULL) {
      MPI_Info_get_nkeys(info, &nkeys);
      for (int i = 0; i < nkeys; ++i) {
        char key[MPI_MAX_INFO_KEY + 1] = {};
        MPI_Info_get_nthkey(info, i, key);
        if (std::strncmp(key, "romio_", 6) == 0) romio = true;
        if (std::strcmp(key, "cb_nodes") == 0) {
          char v[64] = {};
          int flag = 0;
          MPI_Info_get(info, key, sizeof v - 1, v, &flag);
          if (flag) cb_nodes = v;
        }
      }
      MPI_Info_free(&info);
    }
    (void)close_and_remove(comm);
    // The info keys are not always filled in (Open MPI 4.1 returned none for
    // either component here), so the io MCA parameter mpirun exported wins.
    const std::string io = env ? env : "";
    if (io.find("romio") != std::string::npos) romio = true;
    out = romio ? "ROMIO" : (io.empty() || io.find("ompio") != std::string::npos ? "OMPIO" : io);
    out += " (OMPI_MCA_io=" + std::string(env ? env : "unset") + ", " + std::to_string(nkeys) +
           " info keys, cb_nodes=" + cb_nodes + ")";
    return out;
  }

 private:
  std::string path_;
  std::string name_ = "mpiio:/tmp";
  MPI_File fh_ = MPI_FILE_NULL;
};

struct Pattern {
  std::string name;   // "ior_hard" / "ior_easy"
  uint64_t xfer = 0;  // bytes per call
  uint64_t calls = 0; // calls per client
  int clients = 1;
  int me = 0;
  bool hard = false;
  uint64_t offset(uint64_t i) const {
    return hard ? (i * clients + static_cast<uint64_t>(me)) * xfer : (me * calls + i) * xfer;
  }
  double total_mib() const { return static_cast<double>(xfer * calls * clients) / kMiB; }
};

uint8_t byte_at(const Pattern& p, uint64_t pos) {
  const uint64_t x = (pos + 1) * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(p.me) << 40);
  return static_cast<uint8_t>(x >> 56);
}

Status run_calls(System& s, const Pattern& p, bool write, std::vector<uint8_t>& buf) {
  for (uint64_t i = 0; i < p.calls; ++i)
    NACRE_RETURN_IF_ERROR(s.xfer(write, p.offset(i), buf.data() + i * p.xfer, p.xfer));
  return Status::ok();
}

bool run_once(System& s, MPI_Comm comm, const Pattern& p, std::vector<uint8_t>& out,
              std::vector<uint8_t>& in, std::vector<Series>& results, bool verify) {
  Status st = s.open(comm);
  if (!all_ok(comm, st.is_ok())) {
    if (!st) std::cerr << s.name() << ": " << st.to_string() << "\n";
    return false;
  }
  const double tw = timed(comm, [&] {
    Status w = run_calls(s, p, true, out);
    Status f = s.finish_writes();  // collective: every rank calls it
    return w ? f : w;
  });
  std::memset(in.data(), 0, in.size());
  const double tr = tw < 0 ? -1 : timed(comm, [&] { return run_calls(s, p, false, in); });
  uint64_t bad_here = 0, bad = 0;
  if (verify && tr >= 0 && std::memcmp(in.data(), out.data(), out.size()) != 0) bad_here = 1;
  MPI_Allreduce(&bad_here, &bad, 1, MPI_UINT64_T, MPI_SUM, comm);
  st = s.close_and_remove(comm);
  const bool closed = all_ok(comm, st.is_ok());
  if (!st) std::cerr << s.name() << ": " << st.to_string() << "\n";
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (bad && rank == 0)
    std::cerr << s.name() << " " << p.name << ": VERIFICATION FAILED on " << bad << " clients\n";
  if (tw < 0 || tr < 0 || bad || !closed) return false;
  series(results, p.name + "_write_bw", s.name(), "MiB/s").samples.push_back(p.total_mib() / tw);
  series(results, p.name + "_read_bw", s.name(), "MiB/s").samples.push_back(p.total_mib() / tr);
  return true;
}

struct Options {
  std::string systems = "all";  // or a comma list of system names
  uint64_t segments = 1000;
  uint64_t easy_size = 32 * kMiB;
  uint64_t transfer = kMiB;
  int reps = 3;
  int verify_reps = 3;
  bool smoke = false;
  bool write_behind = true;
  std::vector<std::string> wb_hints;  // key=value, for nacre:coll-wb
};

int run(const Options& o) {
  int world = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);
  auto config = job_config(2);
  const std::string tag = job_tag();
  if (!config) return 2;
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

    auto mpiio = std::make_unique<MpiioSystem>("/tmp/" + tag + "-coll.dat");
    const std::string component = mpiio->component(comm);
    std::vector<std::unique_ptr<System>> systems;
    auto* coll = new NacreSystem(rt->fs(), "/" + tag + "-coll.dat", true, false, config->servers);
    systems.emplace_back(coll);
    NacreSystem* wb = nullptr;
    if (o.write_behind) {
      wb = new NacreSystem(rt->fs(), "/" + tag + "-collwb.dat", true, true, config->servers);
      for (const std::string& kv : o.wb_hints) {
        const size_t eq = kv.find('=');
        if (eq != std::string::npos) wb->extra_hints_.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
      }
      systems.emplace_back(wb);
    }
    systems.push_back(std::make_unique<NacreSystem>(rt->fs(), "/" + tag + "-indep.dat", false,
                                                    false, config->servers));
    systems.push_back(std::move(mpiio));
    if (o.systems != "all") {
      const std::string want = "," + o.systems + ",";
      std::vector<std::unique_ptr<System>> kept;
      for (auto& sys : systems) {
        if (sys.get() != coll && want.find("," + sys->name() + ",") == std::string::npos) {
          if (sys.get() == wb) wb = nullptr;
          continue;  // dropped (destroyed with `systems`)
        }
        kept.push_back(std::move(sys));
      }
      systems = std::move(kept);
    }

    Pattern hard{"ior_hard", kRecord, o.segments, clients, me, true};
    Pattern easy{"ior_easy", o.transfer, o.easy_size / o.transfer, clients, me, false};
    if (me == 0)
      std::cout << "nacre-bench-collective: " << config->servers << " servers, " << clients
                << " clients, " << o.reps << " repetitions (interleaved)\n"
                << "  ior-hard: " << hard.calls << " records of " << kRecord
                << " bytes per client, one call per record, " << hard.total_mib() << " MiB\n"
                << "  ior-easy: " << easy.calls << " transfers of " << easy.xfer / 1024
                << " KiB per client, contiguous regions, " << easy.total_mib() << " MiB\n"
                << "  MPI-IO component for mpiio:/tmp: " << component << "\n"
                << std::flush;

    std::vector<Series> results;
    mpiio::TwoPhaseStats hard_stats, hard_wb_stats;
    for (Pattern* p : {&hard, &easy}) {
      std::vector<uint8_t> out(p->xfer * p->calls), in(out.size());
      for (uint64_t i = 0; i < p->calls; ++i)
        for (uint64_t k = 0; k < p->xfer; ++k) out[i * p->xfer + k] = byte_at(*p, p->offset(i) + k);
      std::memset(in.data(), 1, in.size());
      for (int r = 0; r < o.reps && ok; ++r)
        for (auto& sys : systems) {
          ok = run_once(*sys, comm, *p, out, in, results, r < o.verify_reps) && ok;
          if (ok && p->hard && sys.get() == coll) hard_stats = coll->stats();
          if (ok && p->hard && wb && sys.get() == wb) hard_wb_stats = wb->stats();
        }
    }
    if (me == 0) {
      if (ok) {
        std::cout << "verification: every byte read back as written ("
                  << std::min(o.reps, o.verify_reps) << " repetitions checked), on every system\n"
                  << "nacre:collective ior-hard (last record write): "
                  << (hard_stats.aggregated ? "aggregated" : "independent") << ", "
                  << hard_stats.aggregators << " aggregators, " << hard_stats.rounds
                  << " rounds\n";
        std::cout << "client 0 time, all patterns and repetitions: nacre:collective: "
                  << coll->profile() << "\n";
        if (wb) std::cout << "  nacre:coll-wb: " << wb->profile() << "\n";
        if (wb)
          std::cout << "nacre:coll-wb ior-hard (last flush inside a write call): "
                    << (hard_wb_stats.aggregated ? "aggregated" : "independent") << ", "
                    << hard_wb_stats.aggregators << " aggregators, " << hard_wb_stats.rounds
                    << " rounds; client 0 spent " << 1e3 * hard_wb_stats.t_decide
                    << " ms deciding, " << 1e3 * hard_wb_stats.t_plan << " ms planning, "
                    << 1e3 * hard_wb_stats.t_exchange << " ms exchanging, "
                    << 1e3 * hard_wb_stats.t_io << " ms in I/O\n";
        print_table("collective", results, kRef);
        auto med = [&](const std::string& m, const std::string& sys) {
          for (const auto& s : results)
            if (s.metric == m && s.system == sys) return s.med();
          return 0.0;
        };
        const double mw = med("ior_hard_write_bw", "mpiio:/tmp");
        const std::string comp = component.substr(0, 5);
        for (const char* sysname : {kRef, "nacre:coll-wb"}) {
          const double hw = med("ior_hard_write_bw", sysname);
          if (hw <= 0) continue;  // system not run
          const double ew = med("ior_easy_write_bw", sysname);
          const double ewi = med("ior_easy_write_bw", "nacre:independent");
          const double easy_best = std::max(ew, ewi);
          std::printf("%s ior-hard write / Nacre ior-easy write (best of %s %.0f, independent "
                      "%.0f MiB/s): %.2fx\n",
                      sysname, sysname, ew, ewi, easy_best > 0 ? hw / easy_best : 0.0);
          std::printf("NACRE_RESULT {\"job\":\"collective\",\"metric\":\"hard_over_easy_write\","
                      "\"system\":\"%s\",\"unit\":\"ratio\",\"median\":%.4g}\n",
                      sysname, easy_best > 0 ? hw / easy_best : 0.0);
          std::printf("TARGET %s ior-hard write >= 3x %s (mpiio:/tmp) in this run: %.2fx %s\n",
                      sysname, comp.c_str(), mw > 0 ? hw / mw : 0.0,
                      mw > 0 && hw >= 3 * mw ? "MET" : "MISSED");
          std::printf("TARGET %s ior-hard write >= 0.5x Nacre ior-easy write: %.2fx %s\n",
                      sysname, easy_best > 0 ? hw / easy_best : 0.0,
                      easy_best > 0 && hw >= 0.5 * easy_best ? "MET" : "MISSED");
        }
        std::fflush(stdout);
      } else {
        std::cout << "verification: FAILED (see above)\n";
      }
    }
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
  CLI::App app{"nacre-bench-collective: ior-hard and ior-easy through MPI-IO semantics: Nacre "
               "collective, Nacre independent, MPI-IO collective on /tmp"};
  app.add_option("--segments", o.segments, "ior-hard records (47008 bytes) per client");
  app.add_option("--easy-size", o.easy_size, "ior-easy bytes per client (e.g. 32MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--transfer", o.transfer, "ior-easy bytes per call (e.g. 1MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--reps", o.reps, "repetitions per system (interleaved)")->check(CLI::Range(1, 100));
  app.add_option("--verify-reps", o.verify_reps, "repetitions whose read-back is checked (>= 1)")
      ->check(CLI::Range(1, 100));
  app.add_flag("--smoke", o.smoke, "tiny sizes, one repetition (ctest)");
  app.add_flag("!--no-write-behind", o.write_behind, "skip the nacre:coll-wb system");
  app.add_option("--wb-hint", o.wb_hints, "extra MPI_Info key=value for nacre:coll-wb (repeatable)");
  app.add_option("--systems", o.systems,
                 "comma list of systems to run (nacre:collective is always run), or all");
  if (!parse_cli(app, argc, argv, &exit_code)) {
    MPI_Finalize();
    return exit_code;
  }
  if (o.smoke) {
    o.segments = 16;
    o.easy_size = 2 * kMiB;
    o.transfer = 256 * 1024;
    o.reps = 1;
  }
  int world = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);
  if (o.segments == 0 || o.transfer == 0 || o.transfer > (1u << 30) || o.easy_size < o.transfer) {
    if (world == 0) std::cerr << "--segments > 0, --transfer in (0, 1GiB], --easy-size >= --transfer\n";
    MPI_Finalize();
    return 2;
  }
  exit_code = run(o);
  MPI_Finalize();
  return exit_code;
}
