// A client job for the application-lock end-to-end test (app_locks.sh).
// One rank; connects to the server job (NACRE_ADDRESS), then:
//   hold <path> <dir>   creates <path>, takes an exclusive fcntl lock on the
//                       whole file and an exclusive flock, creates
//                       <dir>/locked, waits for <dir>/release to appear, and
//                       exits WITHOUT unlocking or closing (the handle is
//                       leaked): the server must drop the locks when the
//                       job's session ends
//   busy <path>         the locks of another job are there: fcntl and flock
//                       tries fail with EAGAIN, test_lock names another job
//   wait <path> <dir>   creates <dir>/waiting, blocks for an exclusive fcntl
//                       lock, then unlocks
//   free <path>         exclusive fcntl and flock tries succeed
// Exits non-zero (with the error) on any failure. <dir>/locked holds the
// holder's pid (the test kills it with SIGKILL in the lease phase).
// With --threads MPI is initialised with MPI_THREAD_MULTIPLE, so the client
// has a lock progress thread and keeps a lease on the servers (PING).
#include <nacre/nacre.hpp>

#include <mpi.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

namespace {

int failed(const std::string& what, const nacre::Status& s) {
  std::fprintf(stderr, "app_lock_client: %s: %s\n", what.c_str(), s.to_string().c_str());
  return 1;
}

int expect_errno(const std::string& what, const nacre::Status& s, int code) {
  if (s.code() == code) return 0;
  std::fprintf(stderr, "app_lock_client: %s: expected %s, got %s\n", what.c_str(),
               nacre::errno_name(code), s.is_ok() ? "success" : s.to_string().c_str());
  return 1;
}

int run(nacre::FileSystem& fs, const std::string& mode, const std::string& path,
        const std::string& dir) {
  using nacre::LockType;
  if (mode == "hold") {
    auto f = fs.open(path, nacre::open_flags::kReadWrite | nacre::open_flags::kCreate, 0644);
    if (!f) return failed("open " + path, f.status());
    if (auto s = f->lock(LockType::kExclusive, 0, 0, false); !s) return failed("lock", s);
    if (auto s = f->flock(LockType::kExclusive, false); !s) return failed("flock", s);
    // Written whole, then renamed: the test reads the pid as soon as it appears.
    std::FILE* flag = std::fopen((dir + "/locked.tmp").c_str(), "w");
    if (!flag) return failed("flag file", nacre::Status::error(errno, dir + "/locked"));
    std::fprintf(flag, "%d\n", static_cast<int>(getpid()));
    std::fclose(flag);
    std::filesystem::rename(dir + "/locked.tmp", dir + "/locked");
    while (!std::filesystem::exists(dir + "/release"))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    new nacre::File(std::move(*f));  // leaked on purpose: no unlock, no close
    std::printf("hold: exiting without unlocking\n");
    return 0;
  }
  auto f = fs.open(path, nacre::open_flags::kReadWrite);
  if (!f) return failed("open " + path, f.status());
  if (mode == "busy") {
    int bad = expect_errno("fcntl try", f->lock(LockType::kShared, 10, 1, false), EAGAIN);
    bad |= expect_errno("flock try", f->flock(LockType::kShared, false), EAGAIN);
    auto info = f->test_lock(LockType::kShared, 0, 1);
    if (!info) return failed("test_lock", info.status());
    if (info->type != LockType::kExclusive || info->start != 0 || info->len != 0) {
      std::fprintf(stderr, "app_lock_client: test_lock: expected the holder's whole-file lock\n");
      bad = 1;
    }
    std::printf("busy: held by job %u rank %u pid %u\n", info->job, info->rank, info->pid);
    return bad;
  }
  if (mode == "wait") {
    std::FILE* flag = std::fopen((dir + "/waiting").c_str(), "w");
    if (!flag) return failed("flag file", nacre::Status::error(errno, dir + "/waiting"));
    std::fclose(flag);
    const auto t0 = std::chrono::steady_clock::now();
    if (auto s = f->lock(LockType::kExclusive, 0, 0, true); !s) return failed("blocking lock", s);
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("wait: granted after %.3f s\n", waited);
    return f->unlock(0, 0) ? 0 : 1;
  }
  if (mode == "free") {
    if (auto s = f->lock(LockType::kExclusive, 0, 0, false); !s) return failed("lock", s);
    if (auto s = f->flock(LockType::kExclusive, false); !s) return failed("flock", s);
    std::printf("free: both locks taken\n");
    return 0;
  }
  std::fprintf(stderr, "app_lock_client: unknown mode %s\n", mode.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool threads = false;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--threads") {
      threads = true;
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      break;
    }
  int provided = 0;
  if (threads) MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  else MPI_Init(&argc, &argv);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (argc < 3 || ((mode == "hold" || mode == "wait") && argc < 4)) {
    std::fprintf(stderr, "usage: app_lock_client hold|busy|wait|free <path> [dir]\n");
    MPI_Finalize();
    return 2;
  }
  auto config = nacre::Config::load();
  if (!config) {
    failed("config", config.status());
    MPI_Finalize();
    return 1;
  }
  auto rt = nacre::Runtime::connect(MPI_COMM_WORLD, *config);
  if (!rt) {
    failed("connect", rt.status());
    MPI_Finalize();
    return 1;
  }
  int rc = run(rt->fs(), argv[1], argv[2], argc > 3 ? argv[3] : "");
  if (auto s = rt->shutdown(); !s) rc = failed("shutdown", s);
  MPI_Finalize();
  return rc;
}
