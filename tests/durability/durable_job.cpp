// A job for the restart and crash tests (tests/durability/*.sh). Embedded
// runtime over MPI_COMM_WORLD, configured by the environment (NACRE_SERVERS,
// NACRE_STORE=directory, NACRE_STORE_DIR, NACRE_DEPLOYMENT, NACRE_REPLICAS).
//
//   durable_job write <tag> <files>     files of several layouts under /<tag>, synced
//   durable_job verify <tag> <files>    the same namespace, layouts, modes and bytes
//   durable_job refused <text>          Runtime::start must fail with a message containing text
//   durable_job crash-writer <log> <seed> <cycle>   writes+syncs until killed; after
//                                       each operation returns, logs it in <log>.<rank> (fsynced)
//   durable_job crash-verify <log>      every logged (synced) byte is intact, the
//                                       namespace matches the logs (see below)
//
// Exit code 0 on success; failures are printed with the rank.
#include "durable_job.hpp"

#include <nacre/nacre.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace nacre;

using namespace durable;

namespace durable {
int g_failures = 0;
int g_rank = 0;

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
                       const std::string& content_of) {
  auto f = fs.open(path, open_flags::kRead);
  if (!f) return path + ": open: " + f.status().to_string();
  auto sz = f->size();
  if (!sz) return path + ": size: " + sz.status().to_string();
  if (*sz != size) return path + ": size " + std::to_string(*sz) + ", expected " + std::to_string(size);
  std::vector<uint8_t> got(size);
  if (size) {
    auto r = f->read_at(0, got.data(), size);
    if (!r) return path + ": read failed: " + r.status().to_string();
    if (*r != size) return path + ": short read of " + std::to_string(*r) + " bytes";
  }
  auto want = content(content_of.empty() ? path : content_of, size, gen);
  for (uint64_t i = 0; i < size; ++i)
    if (got[i] != want[i]) return path + ": byte " + std::to_string(i) + " differs";
  (void)f->close();
  return {};
}

}  // namespace durable

namespace {

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


}  // namespace


int main(int argc, char** argv) {
  // MPI_THREAD_MULTIPLE: extent locks and the write-back cache are on, as in
  // a real application (without it every write goes straight to the servers,
  // and a sync() that forgot the cache would go unnoticed).
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
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
    if (args[0] == "write") rc = run_write(fs, comm, args.at(1), std::stoi(args.at(2)));
    else if (args[0] == "verify") rc = run_verify(fs, comm, args.at(1), std::stoi(args.at(2)));
    else if (args[0] == "crash-writer")
      rc = run_crash_writer(fs, comm, args.at(1), std::stoull(args.at(2)), std::stoull(args.at(3)));
    else if (args[0] == "crash-verify") rc = run_crash_verify(fs, comm, args.at(1));
    else if (args[0] == "maint") {  // health | fsck | fsck-repair | scrub | rebuild, on rank 0
      int crank = 0;
      MPI_Comm_rank(comm, &crank);
      int code = crank == 0 ? run_maintenance_command(fs, args.at(1)) : 0;
      MPI_Bcast(&code, 1, MPI_INT, 0, comm);
      rc = code;
    }
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
