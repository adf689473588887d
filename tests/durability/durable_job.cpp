// A job for the restart and crash tests (tests/durability/*.sh). Embedded
// runtime over MPI_COMM_WORLD, configured by the environment (NACRE_SERVERS,
// NACRE_STORE=directory, NACRE_STORE_DIR, NACRE_DEPLOYMENT, NACRE_REPLICAS).
//
//   durable_job write <tag> <files>     files of several layouts under /<tag>, synced
//   durable_job verify <tag> <files>    the same namespace, layouts, modes and bytes
//   durable_job refused <text>          Runtime::start must fail with a message containing text
//   durable_job crash-writer <log> <seed>   writes+syncs forever; after each sync,
//                                       appends "<path> <size> <gen>" to log and fsyncs it
//   durable_job crash-verify <log>      every logged (synced) file holds its bytes
//
// Exit code 0 on success; failures are printed with the rank.
#include <nacre/nacre.hpp>

#include <fcntl.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace nacre;

namespace {

int g_failures = 0;
int g_rank = 0;

#define EXPECT(cond, what)                                                          \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      ++g_failures;                                                                 \
      std::fprintf(stderr, "[rank %d] %s:%d: FAILED: %s\n", g_rank, __FILE__, __LINE__, \
                   std::string(what).c_str());                                     \
    }                                                                               \
  } while (0)

// The byte at offset off of a file named path in generation gen.
uint8_t pattern(const std::string& path, uint64_t off, uint64_t gen) {
  uint64_t h = std::hash<std::string>{}(path) ^ (gen * 0x9e3779b97f4a7c15ull);
  uint64_t x = (off / 8 + 1) * 0xbf58476d1ce4e5b9ull ^ h;
  x ^= x >> 31;
  return static_cast<uint8_t>(x >> ((off % 8) * 8));
}

std::vector<uint8_t> content(const std::string& path, uint64_t size, uint64_t gen) {
  std::vector<uint8_t> v(size);
  for (uint64_t i = 0; i < size; ++i) v[i] = pattern(path, i, gen);
  return v;
}

// File i of a tag: size, layout request and mode vary with i.
struct Spec {
  std::string path;
  uint64_t size;
  LayoutRequest layout;
  uint32_t mode;
};
Spec spec(const std::string& tag, int i, int servers) {
  Spec s;
  s.path = "/" + tag + (i % 3 == 2 ? "/sub" : "") + "/file-" + std::to_string(i);
  s.size = static_cast<uint64_t>(i) * 200003 % (3 << 20) + static_cast<uint64_t>(i % 2);
  s.layout = LayoutRequest{i % 2 ? 65536u : 0u, static_cast<int32_t>(i % servers) + 1, -1};
  s.mode = i % 4 == 0 ? 0600 : 0644;
  return s;
}

Status write_file(FileSystem& fs, const std::string& path, uint64_t size, uint64_t gen,
                  const LayoutRequest& layout, uint32_t mode) {
  auto f = fs.open(path, open_flags::kReadWrite | open_flags::kCreate | open_flags::kTruncate, mode, layout);
  if (!f) return f.status();
  auto data = content(path, size, gen);
  if (size) {
    auto w = f->write_at(0, data.data(), data.size());
    if (!w) return w.status();
  }
  NACRE_RETURN_IF_ERROR(f->sync());
  return f->close();
}

// content_of: the name the bytes were generated for (the old name of a renamed file).
std::string check_file(FileSystem& fs, const std::string& path, uint64_t size, uint64_t gen,
                       const std::string& content_of = {}) {
  auto f = fs.open(path, open_flags::kRead);
  if (!f) return path + ": open: " + f.status().to_string();
  auto sz = f->size();
  if (!sz) return path + ": size: " + sz.status().to_string();
  if (*sz != size) return path + ": size " + std::to_string(*sz) + ", expected " + std::to_string(size);
  std::vector<uint8_t> got(size);
  if (size) {
    auto r = f->read_at(0, got.data(), size);
    if (!r || *r != size) return path + ": read failed or short";
  }
  auto want = content(content_of.empty() ? path : content_of, size, gen);
  for (uint64_t i = 0; i < size; ++i)
    if (got[i] != want[i]) return path + ": byte " + std::to_string(i) + " differs";
  (void)f->close();
  return {};
}

int run_write(FileSystem& fs, MPI_Comm comm, const std::string& tag, int files) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int servers = fs.server_count();
  if (rank == 0) {
    EXPECT(fs.mkdir("/" + tag, 0750).is_ok(), "mkdir /" + tag);
    EXPECT(fs.mkdir("/" + tag + "/sub", 0700).is_ok(), "mkdir sub");
    EXPECT(fs.set_default_layout("/" + tag + "/sub", LayoutRequest{131072, 1, -1}).is_ok(), "setstripe");
  }
  MPI_Barrier(comm);
  for (int i = rank; i < files; i += size) {
    Spec s = spec(tag, i, servers);
    Status st = write_file(fs, s.path, s.size, 1, s.layout, s.mode);
    EXPECT(st.is_ok(), s.path + ": " + st.to_string());
  }
  if (rank == 0) {  // a rename and an unlink must survive too
    EXPECT(write_file(fs, "/" + tag + "/gone", 1000, 1, {}, 0644).is_ok(), "gone");
    EXPECT(fs.unlink("/" + tag + "/gone").is_ok(), "unlink");
    EXPECT(write_file(fs, "/" + tag + "/old-name", 5000, 7, {}, 0644).is_ok(), "old-name");
    EXPECT(fs.rename("/" + tag + "/old-name", "/" + tag + "/new-name").is_ok(), "rename");
  }
  return 0;
}

int run_verify(FileSystem& fs, MPI_Comm comm, const std::string& tag, int files) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int servers = fs.server_count();
  for (int i = rank; i < files; i += size) {
    Spec s = spec(tag, i, servers);
    std::string bad = check_file(fs, s.path, s.size, 1);
    EXPECT(bad.empty(), bad);
    auto st = fs.stat(s.path);
    EXPECT(st && st->mode == s.mode, s.path + ": mode");
    auto l = fs.get_layout(s.path);
    const bool sub = i % 3 == 2;
    const uint64_t want_stripe = s.layout.stripe_size ? s.layout.stripe_size : sub ? 131072 : 1 << 20;
    EXPECT(l && l->stripe_size == want_stripe, s.path + ": stripe size");
    EXPECT(l && static_cast<int>(l->stripe_count()) == s.layout.stripe_count, s.path + ": stripe count");
  }
  if (rank == 0) {
    auto top = fs.stat("/" + tag);
    EXPECT(top && top->mode == 0750 && top->type == FileType::kDirectory, "/" + tag + " attributes");
    auto dl = fs.get_default_layout("/" + tag + "/sub");
    EXPECT(dl && dl->stripe_size == 131072 && dl->stripe_count == 1, "sub default layout");
    EXPECT(fs.stat("/" + tag + "/gone").status().code() == ENOENT, "unlinked file is back");
    EXPECT(fs.stat("/" + tag + "/old-name").status().code() == ENOENT, "old name is back");
    std::string bad = check_file(fs, "/" + tag + "/new-name", 5000, 7, "/" + tag + "/old-name");
    EXPECT(bad.empty(), bad);
    auto list = fs.readdir("/" + tag);
    size_t expect = 2;  // sub, new-name
    for (int i = 0; i < files; ++i) expect += i % 3 != 2;
    EXPECT(list && list->size() == expect, "readdir /" + tag + " count");
    // The file system keeps working: a new file gets a fresh object id.
    auto f = fs.create("/" + tag + "/after-restart");
    EXPECT(f.is_ok(), "create after restart");
    if (f) {
      for (int i = 0; i < files; ++i) {
        auto st = fs.stat(spec(tag, i, servers).path);
        EXPECT(st && st->ino != f->layout().stripes[0].object_id, "object id reused");
      }
      (void)f->close();
      (void)fs.unlink("/" + tag + "/after-restart");
    }
  }
  return 0;
}

// Writes forever (until SIGKILL). Each step either writes a new file (a
// name never used before) or appends to the rank's growing log file, then
// syncs, then records the promise in the local log (fsynced):
//   "new <path> <size> <gen>"     the file holds exactly these bytes
//   "grow <path> <size>"          the file holds at least these bytes
// Synced data is never overwritten, so every promise must hold after a kill.
int run_crash_writer(FileSystem& fs, MPI_Comm comm, const std::string& log, unsigned seed) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::mt19937 rng(seed * 1000 + static_cast<unsigned>(rank));
  const std::string dir = "/crash-" + std::to_string(rank);
  Status mk = fs.mkdir(dir);
  EXPECT(mk.is_ok() || mk.code() == EEXIST, "mkdir " + dir);
  const std::string mylog = log + "." + std::to_string(rank);
  int fd = ::open(mylog.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) {
    std::perror(mylog.c_str());
    return 1;
  }
  const std::string grow_path = dir + "/growing";
  auto g = fs.open(grow_path, open_flags::kReadWrite | open_flags::kCreate, 0644);
  if (!g) {
    std::fprintf(stderr, "crash-writer: %s\n", g.status().to_string().c_str());
    return 1;
  }
  auto gsz = g->size();
  uint64_t grown = gsz ? *gsz : 0;
  for (uint64_t n = 0;; ++n) {
    std::string line;
    Status s;
    if (rng() % 3 == 0) {
      const uint64_t add = rng() % (256 << 10) + 1;
      auto data = content(grow_path, grown + add, 0);
      auto w = g->write_at(grown, data.data() + grown, add);
      s = w ? g->sync() : w.status();
      grown += add;
      line = "grow " + grow_path + " " + std::to_string(grown) + "\n";
    } else {
      const std::string path = dir + "/s" + std::to_string(seed) + "-" + std::to_string(n);
      const uint64_t size = rng() % 3 ? rng() % (1 << 20) : rng() % 4096;
      LayoutRequest l{0, static_cast<int32_t>(rng() % static_cast<unsigned>(fs.server_count())) + 1, -1};
      s = write_file(fs, path, size, n, l, 0644);
      line = "new " + path + " " + std::to_string(size) + " " + std::to_string(n) + "\n";
    }
    if (!s) {
      std::fprintf(stderr, "crash-writer: %s\n", s.to_string().c_str());
      return 1;
    }
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(fd) != 0) {
      std::perror("crash-writer log");
      return 1;
    }
  }
}

// The prefix [0, size) of path holds the growing file's bytes.
std::string check_prefix(FileSystem& fs, const std::string& path, uint64_t size) {
  auto f = fs.open(path, open_flags::kRead);
  if (!f) return path + ": open: " + f.status().to_string();
  std::vector<uint8_t> got(size);
  auto r = f->read_at(0, got.data(), size);
  if (!r || *r != size) return path + ": shorter than the synced " + std::to_string(size) + " bytes";
  auto want = content(path, size, 0);
  for (uint64_t i = 0; i < size; ++i)
    if (got[i] != want[i]) return path + ": synced byte " + std::to_string(i) + " differs";
  (void)f->close();
  return {};
}

int run_crash_verify(FileSystem& fs, MPI_Comm comm, const std::string& log, int writers) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  long files = 0, bytes = 0;
  for (int w = rank; w < writers; w += size) {
    std::ifstream in(log + "." + std::to_string(w));
    std::map<std::string, uint64_t> grown;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string kind, p;
      uint64_t sz = 0, gen = 0;
      if (!(ls >> kind >> p >> sz)) continue;  // a torn last line was never a promise
      if (kind == "new" && (ls >> gen)) {
        std::string bad = check_file(fs, p, sz, gen);
        EXPECT(bad.empty(), "synced data lost: " + bad);
        ++files;
        bytes += static_cast<long>(sz);
      } else if (kind == "grow") {
        grown[p] = std::max(grown[p], sz);
      }
    }
    for (const auto& [p, sz] : grown) {
      std::string bad = check_prefix(fs, p, sz);
      EXPECT(bad.empty(), "synced data lost: " + bad);
      ++files;
      bytes += static_cast<long>(sz);
    }
  }
  long v[2] = {files, bytes}, t[2] = {0, 0};
  MPI_Reduce(v, t, 2, MPI_LONG, MPI_SUM, 0, comm);
  if (rank == 0) std::printf("crash-verify: %ld synced files (%ld bytes) intact\n", t[0], t[1]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fprintf(stderr, "usage: durable_job write|verify|refused|crash-writer|crash-verify ...\n");
    MPI_Finalize();
    return 2;
  }
  auto rt = Runtime::start(MPI_COMM_WORLD);
  if (args[0] == "refused") {
    int rc = 0;
    if (rt) {
      std::fprintf(stderr, "[rank %d] FAILED: the runtime started; expected a refusal\n", g_rank);
      rc = 1;
    } else if (rt.status().message().find(args.at(1)) == std::string::npos) {
      std::fprintf(stderr, "[rank %d] FAILED: refusal '%s' does not mention '%s'\n", g_rank,
                   rt.status().to_string().c_str(), args.at(1).c_str());
      rc = 1;
    } else if (g_rank == 0) {
      std::printf("refused as expected: %s\n", rt.status().to_string().c_str());
    }
    if (rt && rt->is_client()) (void)rt->shutdown();
    MPI_Finalize();
    return rc;
  }
  if (!rt) {
    std::fprintf(stderr, "[rank %d] FAILED: Runtime::start: %s\n", g_rank, rt.status().to_string().c_str());
    MPI_Finalize();
    return 1;
  }
  int rc = 0;
  if (rt->is_client()) {
    FileSystem& fs = rt->fs();
    MPI_Comm comm = rt->client_comm();
    int clients = 1;
    MPI_Comm_size(comm, &clients);
    if (args[0] == "write") rc = run_write(fs, comm, args.at(1), std::stoi(args.at(2)));
    else if (args[0] == "verify") rc = run_verify(fs, comm, args.at(1), std::stoi(args.at(2)));
    else if (args[0] == "crash-writer") rc = run_crash_writer(fs, comm, args.at(1), static_cast<unsigned>(std::stoul(args.at(2))));
    else if (args[0] == "crash-verify") rc = run_crash_verify(fs, comm, args.at(1), clients);
    else rc = 2;
    int all = 0, mine = g_failures + rc;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, comm);
    rc = all ? 1 : 0;
    Status s = rt->shutdown();
    if (!s) rc = 1;
    int crank = 0;
    MPI_Comm_rank(comm, &crank);
    if (crank == 0) std::printf("durable_job %s: %s\n", args[0].c_str(), rc ? "FAILED" : "OK");
  }
  MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return rc;
}
