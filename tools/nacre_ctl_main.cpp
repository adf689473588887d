// nacre-ctl: command-line client of a standalone Nacre server job.
//   mpirun -n 1 [--ompi-server file:<uri>] nacre-ctl --address file:<port> <command> ...
// Commands: shutdown | ls <dir> | mkdir <dir> | stat <path> | rm <path> |
//           put <local> <path> | get <path> <local> | setstripe -S <size> -c <count> <dir> |
//           getstripe <path> | health | fsck | fsck-repair | scrub | rebuild
//           (docs/DURABILITY.md: replicas, checksums, repair)
#include <nacre/nacre.hpp>

#include <CLI/CLI.hpp>
#include <mpi.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace {

// Progress of a long copy on stderr (at most once a second, and at the end),
// only when stderr is a terminal or NACRE_PROGRESS=1.
class Progress {
 public:
  Progress(const char* what, uint64_t total) : what_(what), total_(total) {
    const char* env = std::getenv("NACRE_PROGRESS");
    on_ = (env && *env == '1') || isatty(2);
  }
  void update(uint64_t done, bool final = false) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double mib = static_cast<double>(done) / (1 << 20);
    if (total_)
      std::fprintf(stderr, "%s: %.1f / %.1f MiB (%.0f%%), %.0f MiB/s\n", what_, mib,
                   static_cast<double>(total_) / (1 << 20), 100.0 * static_cast<double>(done) / static_cast<double>(total_),
                   secs > 0 ? mib / secs : 0.0);
    else
      std::fprintf(stderr, "%s: %.1f MiB, %.0f MiB/s\n", what_, mib, secs > 0 ? mib / secs : 0.0);
  }

 private:
  const char* what_;
  uint64_t total_;
  bool on_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

int fail(const nacre::Status& s) {
  std::fprintf(stderr, "nacre-ctl: %s\n", s.to_string().c_str());
  return 1;
}

int copy_in(nacre::FileSystem& fs, const std::string& local, const std::string& path) {
  std::ifstream in(local, std::ios::binary);
  if (!in) return fail(nacre::Status::error(ENOENT, "cannot read " + local));
  auto f = fs.open(path, nacre::open_flags::kWrite | nacre::open_flags::kCreate |
                             nacre::open_flags::kTruncate);
  if (!f) return fail(f.status());
  in.seekg(0, std::ios::end);
  Progress progress("put", static_cast<uint64_t>(in.tellg()));
  in.seekg(0, std::ios::beg);
  std::vector<char> buf(4 << 20);
  uint64_t off = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    if (auto w = f->write_at(off, buf.data(), n); !w) return fail(w.status());
    off += n;
    progress.update(off);
  }
  progress.update(off, true);
  if (auto s = f->close(); !s) return fail(s);
  std::printf("copied %llu bytes to %s\n", static_cast<unsigned long long>(off), path.c_str());
  return 0;
}

int copy_out(nacre::FileSystem& fs, const std::string& path, const std::string& local) {
  auto f = fs.open(path, nacre::open_flags::kRead);
  if (!f) return fail(f.status());
  std::ofstream out(local, std::ios::binary | std::ios::trunc);
  if (!out) return fail(nacre::Status::error(EACCES, "cannot write " + local));
  auto total = f->size();
  Progress progress("get", total ? *total : 0);
  std::vector<char> buf(4 << 20);
  uint64_t off = 0;
  for (;;) {
    auto n = f->read_at(off, buf.data(), buf.size());
    if (!n) return fail(n.status());
    if (*n == 0) break;
    out.write(buf.data(), static_cast<std::streamsize>(*n));
    off += *n;
    progress.update(off);
  }
  progress.update(off, true);
  if (!out.flush()) return fail(nacre::Status::error(EIO, "cannot write " + local));
  std::printf("copied %llu bytes to %s\n", static_cast<unsigned long long>(off), local.c_str());
  return 0;
}

int run(nacre::Runtime& rt, const std::string& cmd, const std::vector<std::string>& args,
        uint64_t stripe_size, int stripe_count) {
  nacre::FileSystem& fs = rt.fs();
  auto need = [&](size_t n) {
    if (args.size() == n) return true;
    std::fprintf(stderr, "nacre-ctl: %s needs %zu argument(s)\n", cmd.c_str(), n);
    return false;
  };
  if (cmd == "shutdown") {
    auto s = rt.request_server_shutdown();
    if (!s) return fail(s);
    std::printf("shutdown requested; the server job exits when all client jobs are gone\n");
    return 0;
  }
  if (cmd == "health" || cmd == "fsck" || cmd == "fsck-repair" || cmd == "scrub" ||
      cmd == "rebuild")
    return need(0) ? nacre::run_maintenance_command(fs, cmd) : 2;
  if (cmd == "ls") {
    if (!need(1)) return 2;
    auto ls = fs.readdir(args[0]);
    if (!ls) return fail(ls.status());
    for (const auto& e : *ls)
      std::printf("%s%s\n", e.name.c_str(), e.type == nacre::FileType::kDirectory ? "/" : "");
    return 0;
  }
  if (cmd == "mkdir") {
    if (!need(1)) return 2;
    auto s = fs.mkdir(args[0]);
    return s ? 0 : fail(s);
  }
  if (cmd == "rm") {
    if (!need(1)) return 2;
    auto s = fs.unlink(args[0]);
    return s ? 0 : fail(s);
  }
  if (cmd == "stat") {
    if (!need(1)) return 2;
    auto st = fs.stat(args[0]);
    if (!st) return fail(st.status());
    std::printf("%s: %s size=%llu mode=%o uid=%u gid=%u nlink=%u mtime=%lld\n", args[0].c_str(),
                st->type == nacre::FileType::kDirectory ? "directory" : "file",
                static_cast<unsigned long long>(st->size), st->mode, st->uid, st->gid, st->nlink,
                static_cast<long long>(st->mtime.sec));
    return 0;
  }
  if (cmd == "put") return need(2) ? copy_in(fs, args[0], args[1]) : 2;
  if (cmd == "get") return need(2) ? copy_out(fs, args[0], args[1]) : 2;
  if (cmd == "setstripe") {
    if (!need(1)) return 2;
    auto s = fs.set_default_layout(args[0], nacre::LayoutRequest{stripe_size, stripe_count, -1});
    return s ? 0 : fail(s);
  }
  if (cmd == "getstripe") {
    if (!need(1)) return 2;
    auto l = fs.get_layout(args[0]);
    if (!l) {
      auto d = fs.get_default_layout(args[0]);
      if (!d) return fail(l.status());
      std::printf("%s: default stripe_size=%llu stripe_count=%d\n", args[0].c_str(),
                  static_cast<unsigned long long>(d->stripe_size), d->stripe_count);
      return 0;
    }
    std::printf("%s: stripe_size=%llu stripe_count=%u\n", args[0].c_str(),
                static_cast<unsigned long long>(l->stripe_size), l->stripe_count());
    for (uint32_t i = 0; i < l->stripe_count(); ++i)
      std::printf("  stripe %u: server %u object %llu\n", i, l->stripes[i].server,
                  static_cast<unsigned long long>(l->stripes[i].object_id));
    return 0;
  }
  std::fprintf(stderr, "nacre-ctl: unknown command '%s'\n", cmd.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  CLI::App app{"nacre-ctl: talk to a standalone Nacre server job"};
  std::string address;
  std::string cmd;
  std::vector<std::string> args;
  uint64_t stripe_size = 0;
  int stripe_count = 0;
  app.add_option("--address", address, "server address (default: $NACRE_ADDRESS)");
  app.add_option("-S,--stripe-size", stripe_size, "setstripe: stripe size in bytes");
  app.add_option("-c,--stripe-count", stripe_count, "setstripe: stripe count (-1 = all)");
  app.add_option("command", cmd, "shutdown|ls|mkdir|rm|stat|put|get|setstripe|getstripe|health|fsck|fsck-repair|scrub|rebuild")->required();
  app.add_option("args", args, "command arguments");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    MPI_Finalize();
    return code;
  }
  auto config = nacre::Config::load();
  if (!config) {
    fail(config.status());
    MPI_Finalize();
    return 1;
  }
  if (!address.empty()) config->address = address;
  auto rt = nacre::Runtime::connect(MPI_COMM_WORLD, *config);
  if (!rt) {
    fail(rt.status());
    MPI_Finalize();
    return 1;
  }
  int rc = run(*rt, cmd, args, stripe_size, stripe_count);
  if (auto s = rt->shutdown(); !s && rc == 0) rc = fail(s);
  MPI_Finalize();
  return rc;
}
