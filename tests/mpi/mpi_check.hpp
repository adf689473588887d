// A tiny check harness for Nacre's MPI test jobs (doctest's MPI extension is
// not packaged on Debian).
//
//   CHECK(cond)               record a failure (file:line, rank) and go on
//   CHECK_EQ(a, b)            same, printing both values
//   CHECK_OK(expr)            expr is a Status or Result<T>; must be OK
//   CHECK_ERRNO(expr, code)   must fail with errno `code` and a non-empty message
//   CHECK_ERRNO_PATH(expr, code, path)   ... whose message also mentions path
//   REQUIRE(cond), REQUIRE_OK(expr)      on failure: print, run cleanups, MPI_Abort
//
// Every check is local to the calling rank; mpicheck::finish(comm) adds the
// failures of all ranks up, prints a summary on rank 0 and returns the exit
// code (0 only if no rank failed).
//
// mpicheck::run_embedded(argc, argv, config, body) starts the Nacre runtime
// over MPI_COMM_WORLD, runs body on every client rank, shuts the clients
// down; server ranks just wait inside Runtime::start and then finalize.
#pragma once

#include <nacre/nacre.hpp>

#include <mpi.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpicheck {

struct State {
  int failures = 0;
  long checks = 0;
  double t0 = 0;
  bool timing = false;
  std::vector<std::function<void()>> cleanups;
};

inline State& state() {
  static State s;
  return s;
}

inline int world_rank() {
  int init = 0, fin = 0, r = -1;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  if (init && !fin) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Runs on the rank that aborts (for example: remove a temporary directory).
inline void add_cleanup(std::function<void()> fn) { state().cleanups.push_back(std::move(fn)); }

inline void fail(const char* file, int line, const std::string& what) {
  ++state().failures;
  std::string text = what;
  if (text.size() > 600)  // very long paths in messages
    text = text.substr(0, 400) + "...<" + std::to_string(what.size() - 600) + " bytes>..." +
           text.substr(text.size() - 200);
  std::fprintf(stderr, "[rank %d] %s:%d: FAILED: %s\n", world_rank(), file, line, text.c_str());
  std::fflush(stderr);
}

[[noreturn]] inline void abort_job(const char* file, int line, const std::string& what) {
  fail(file, line, "REQUIRE " + what + " (aborting the job)");
  for (auto& c : state().cleanups) c();
  MPI_Abort(MPI_COMM_WORLD, 3);
  std::abort();
}

inline const nacre::Status& status_of(const nacre::Status& s) { return s; }
template <class T>
const nacre::Status& status_of(const nacre::Result<T>& r) { return r.status(); }

template <class T>
std::string show(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return std::to_string(static_cast<long long>(v));
  } else if constexpr (requires(std::ostream& o, const T& x) { o << x; }) {
    std::ostringstream o;
    if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t> ||
                  std::is_same_v<T, char>)
      o << static_cast<int>(v);
    else
      o << v;
    return o.str();
  } else {
    return "<value>";
  }
}

inline std::string describe(const nacre::Status& s) {
  return s.is_ok() ? std::string("OK") : s.to_string();
}

// Checks an expected error; returns the empty string when it matches.
inline std::string errno_mismatch(const nacre::Status& s, int code, const std::string* path) {
  if (s.is_ok()) return std::string("expected ") + nacre::errno_name(code) + ", got OK";
  if (s.code() != code)
    return std::string("expected ") + nacre::errno_name(code) + ", got " + s.to_string();
  if (s.message().empty()) return std::string("error ") + nacre::errno_name(code) + " has no message";
  if (path && s.message().find(*path) == std::string::npos)
    return "message of " + s.to_string() + " does not mention '" + *path + "'";
  return {};
}

inline double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Wall time of this rank since MPI_Init (set by run_embedded or init()).
inline void start_clock() {
  state().t0 = now_seconds();
  state().timing = true;
}

// Allreduces the failure count over comm, prints a summary on its rank 0
// and returns the exit code every rank should exit with.
inline int finish(MPI_Comm comm) {
  int mine = state().failures, total = 0;
  long checks = state().checks, all_checks = 0;
  MPI_Allreduce(&mine, &total, 1, MPI_INT, MPI_SUM, comm);
  MPI_Allreduce(&checks, &all_checks, 1, MPI_LONG, MPI_SUM, comm);
  int bad_ranks = 0, mine_bad = mine ? 1 : 0;
  MPI_Allreduce(&mine_bad, &bad_ranks, 1, MPI_INT, MPI_SUM, comm);
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (rank == 0) {
    const double secs = state().timing ? now_seconds() - state().t0 : 0;
    if (total == 0)
      std::printf("mpicheck: PASSED: %ld checks on %d ranks, %.2f s\n", all_checks, size, secs);
    else
      std::printf("mpicheck: FAILED: %d of %ld checks failed on %d of %d ranks, %.2f s\n", total,
                  all_checks, bad_ranks, size, secs);
    std::fflush(stdout);
  }
  return total == 0 ? 0 : 1;
}

// True on every rank iff text is the same on every rank of comm.
inline bool same_on_all(MPI_Comm comm, const std::string& text) {
  int len = static_cast<int>(text.size());
  MPI_Bcast(&len, 1, MPI_INT, 0, comm);
  std::string root(static_cast<size_t>(len), '\0');
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) root = text;
  MPI_Bcast(root.data(), len, MPI_CHAR, 0, comm);
  int same = root == text ? 1 : 0, all = 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, comm);
  return all == 1;
}

inline int sum_over(MPI_Comm comm, int v) {
  int out = 0;
  MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_SUM, comm);
  return out;
}

// What a client rank's test body gets.
struct Env {
  nacre::Runtime& rt;
  nacre::FileSystem& fs;
  MPI_Comm comm;     // the client ranks only
  int rank;          // in comm
  int size;          // of comm
  int servers;       // server ranks of the job
  std::vector<std::string> args;  // argv[1..]
  void barrier() const { MPI_Barrier(comm); }
};

// A fresh directory (mkdtemp on rank 0 of comm, broadcast); "" on error.
// Collective. Registers its removal as an abort cleanup.
inline std::string make_shared_tempdir(MPI_Comm comm, const char* prefix) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::string dir;
  if (rank == 0) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
    if (::mkdtemp(templ.data())) dir = templ;
    else std::perror("mkdtemp");
  }
  int len = static_cast<int>(dir.size());
  MPI_Bcast(&len, 1, MPI_INT, 0, comm);
  dir.resize(static_cast<size_t>(len));
  MPI_Bcast(dir.data(), len, MPI_CHAR, 0, comm);
  if (!dir.empty())
    add_cleanup([dir] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
  return dir;
}

// A config of `servers` servers on the directory store in a fresh shared
// temporary directory (*dir; removed at exit). Collective over
// MPI_COMM_WORLD. False (a failure recorded) if no directory could be made:
// the caller then returns finish_without_runtime().
inline bool directory_store_config(const char* prefix, int servers, nacre::Config* config,
                                   std::string* dir) {
  *dir = make_shared_tempdir(MPI_COMM_WORLD, prefix);
  if (dir->empty()) {
    fail(__FILE__, __LINE__, "no temporary directory");
    return false;
  }
  config->servers = servers;
  config->store = nacre::StoreKind::kDirectory;
  config->store_dir = *dir;
  return true;
}

// The exit code of a job that stops before starting the runtime.
inline int finish_without_runtime() {
  const int code = finish(MPI_COMM_WORLD);
  MPI_Finalize();
  return code;
}

// Looks up "--name value" in args; returns fallback when absent.
inline std::string arg_value(const std::vector<std::string>& args, const std::string& name,
                             const std::string& fallback) {
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == name) return args[i + 1];
  return fallback;
}

// MPI_Init (unless the caller did), Runtime::start(MPI_COMM_WORLD, config),
// body on clients, shutdown, finish(MPI_COMM_WORLD), MPI_Finalize (always).
// Returns the exit code.
// before_finish (optional) runs on every rank after the runtime is gone.
inline int run_embedded(int argc, char** argv, const nacre::Config& config,
                        const std::function<void(Env&)>& body,
                        const std::function<void()>& before_finish = {}) {
  int init = 0;
  MPI_Initialized(&init);
  if (!init) MPI_Init(&argc, &argv);
  if (!state().timing) start_clock();
  {
    auto rt = nacre::Runtime::start(MPI_COMM_WORLD, config);
    if (!rt) {
      fail(__FILE__, __LINE__, "Runtime::start: " + rt.status().to_string());
    } else if (rt->is_client()) {
      MPI_Comm comm = rt->client_comm();
      int rank = 0, size = 0;
      MPI_Comm_rank(comm, &rank);
      MPI_Comm_size(comm, &size);
      Env env{*rt, rt->fs(), comm, rank, size, config.servers,
              std::vector<std::string>(argv + 1, argv + argc)};
      body(env);
      const nacre::Status s = rt->shutdown();
      ++state().checks;
      if (!s) fail(__FILE__, __LINE__, "Runtime::shutdown: " + s.to_string());
    }
    // Server ranks arrive here once every client has shut down.
  }
  if (before_finish) before_finish();
  const int code = finish(MPI_COMM_WORLD);
  MPI_Finalize();
  return code;
}

}  // namespace mpicheck

#define MPICHECK_STR2(x) #x
#define MPICHECK_STR(x) MPICHECK_STR2(x)

#define CHECK(cond)                                                   \
  do {                                                                \
    ++::mpicheck::state().checks;                                     \
    if (!(cond)) ::mpicheck::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                                                    \
  do {                                                                                    \
    ++::mpicheck::state().checks;                                                         \
    const auto mpicheck_a_ = (a);                                                         \
    const auto mpicheck_b_ = (b);                                                         \
    if (!(mpicheck_a_ == mpicheck_b_))                                                    \
      ::mpicheck::fail(__FILE__, __LINE__,                                                \
                       "CHECK_EQ(" #a ", " #b "): " + ::mpicheck::show(mpicheck_a_) +     \
                           " != " + ::mpicheck::show(mpicheck_b_));                       \
  } while (0)

#define CHECK_OK(expr)                                                                  \
  do {                                                                                  \
    ++::mpicheck::state().checks;                                                       \
    const auto& mpicheck_r_ = (expr);                                                   \
    const ::nacre::Status& mpicheck_s_ = ::mpicheck::status_of(mpicheck_r_);            \
    if (!mpicheck_s_.is_ok())                                                           \
      ::mpicheck::fail(__FILE__, __LINE__, "CHECK_OK(" #expr "): " + mpicheck_s_.to_string()); \
  } while (0)

#define CHECK_ERRNO(expr, code)                                                          \
  do {                                                                                   \
    ++::mpicheck::state().checks;                                                        \
    const auto& mpicheck_r_ = (expr);                                                    \
    std::string mpicheck_m_ =                                                            \
        ::mpicheck::errno_mismatch(::mpicheck::status_of(mpicheck_r_), (code), nullptr); \
    if (!mpicheck_m_.empty())                                                            \
      ::mpicheck::fail(__FILE__, __LINE__, "CHECK_ERRNO(" #expr "): " + mpicheck_m_);     \
  } while (0)

#define CHECK_ERRNO_PATH(expr, code, path)                                               \
  do {                                                                                   \
    ++::mpicheck::state().checks;                                                        \
    const auto& mpicheck_r_ = (expr);                                                    \
    const std::string mpicheck_p_ = (path);                                              \
    std::string mpicheck_m_ = ::mpicheck::errno_mismatch(::mpicheck::status_of(mpicheck_r_), \
                                                         (code), &mpicheck_p_);          \
    if (!mpicheck_m_.empty())                                                            \
      ::mpicheck::fail(__FILE__, __LINE__, "CHECK_ERRNO_PATH(" #expr "): " + mpicheck_m_); \
  } while (0)

#define REQUIRE(cond)                                                          \
  do {                                                                         \
    ++::mpicheck::state().checks;                                              \
    if (!(cond)) ::mpicheck::abort_job(__FILE__, __LINE__, "(" #cond ")");     \
  } while (0)

#define REQUIRE_OK(expr)                                                                   \
  do {                                                                                     \
    ++::mpicheck::state().checks;                                                          \
    const auto& mpicheck_r_ = (expr);                                                      \
    const ::nacre::Status& mpicheck_s_ = ::mpicheck::status_of(mpicheck_r_);               \
    if (!mpicheck_s_.is_ok())                                                              \
      ::mpicheck::abort_job(__FILE__, __LINE__, "_OK(" #expr "): " + mpicheck_s_.to_string()); \
  } while (0)
