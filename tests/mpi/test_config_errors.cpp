// mpi.config_errors: Runtime::start with a bad configuration returns the same
// clear error on every rank (naming the key), nothing hangs, and a good
// configuration still starts afterwards. The job exits 0 when every error
// is as expected.
#include "mpi_check.hpp"

#include <stdlib.h>

#include <string>

using namespace nacre;

namespace {

int g_rank = 0, g_size = 0;

// Starts with cfg (which may differ per rank) and expects an error with code
// and a message containing `needle`, identical on every rank.
void expect_error(const char* what, const Config& cfg, int code, const std::string& needle) {
  auto rt = Runtime::start(MPI_COMM_WORLD, cfg);
  ++mpicheck::state().checks;
  if (rt) {
    mpicheck::fail(__FILE__, __LINE__, std::string(what) + ": Runtime::start succeeded");
    // Started by mistake: leave in order (clients shut down, servers return).
    if (rt->is_client()) (void)rt->shutdown();
  } else {
    const Status& s = rt.status();
    if (s.code() != code || s.message().find(needle) == std::string::npos)
      mpicheck::fail(__FILE__, __LINE__,
                     std::string(what) + ": expected " + errno_name(code) + " mentioning '" +
                         needle + "', got " + s.to_string());
    if (g_rank == 0) std::printf("  %-28s -> %s\n", what, s.to_string().c_str());
  }
  const std::string text = rt ? std::string("OK") : rt.status().to_string();
  ++mpicheck::state().checks;
  if (!mpicheck::same_on_all(MPI_COMM_WORLD, text))
    mpicheck::fail(__FILE__, __LINE__, std::string(what) + ": ranks disagree; this rank got " + text);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  mpicheck::start_clock();
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);

  {
    Config c;
    c.servers = g_size;  // no client left
    expect_error("servers == ranks", c, EINVAL, "runtime.servers");
    c.servers = g_size + 2;
    expect_error("servers > ranks", c, EINVAL, "runtime.servers");
    c.servers = 0;
    expect_error("servers = 0", c, EINVAL, "runtime.servers");
  }
  {
    Config c;
    c.stripe_size = 1000;
    expect_error("stripe_size 1000", c, EINVAL, "layout.stripe_size");
    c.stripe_size = 0;
    expect_error("stripe_size 0", c, EINVAL, "layout.stripe_size");
  }
  {
    Config c;
    c.servers = 1;
    c.stripe_count = 2;
    expect_error("stripe_count > servers", c, EINVAL, "layout.stripe_count");
    c.stripe_count = 0;
    expect_error("stripe_count 0", c, EINVAL, "layout.stripe_count");
  }
  {
    Config c;
    c.max_rpc_bytes = 1000;
    expect_error("max_rpc_bytes 1000", c, EINVAL, "transport.max_rpc_bytes");
  }
  {
    Config c;
    c.log_level = "loud";
    expect_error("log level", c, EINVAL, "log.level");
  }
  {
    Config c;
    c.store = StoreKind::kDirectory;
    expect_error("directory store, no dir", c, EINVAL, "store.dir");
  }
  {
    // Only one rank has the bad value: everyone gets that rank's error.
    Config c;
    if (g_rank == g_size - 1) c.stripe_size = 1000;
    expect_error("one rank's bad stripe_size", c, EINVAL, "layout.stripe_size");
    Config d;
    d.servers = g_rank == 0 ? 1 : 2;
    expect_error("servers differ by rank", d, EINVAL, "runtime.servers");
  }
  {
    // The servers cannot create their store: every rank learns it.
    Config c;
    c.store = StoreKind::kDirectory;
    c.store_dir = "/proc/nacre-cannot-create";
    expect_error("unusable store.dir", c, ENOENT, "/proc/nacre-cannot-create/server-0");
  }
  {
    // The environment: a bad NACRE_* value names the variable.
    setenv(kEnvStripeSize, "12 XB", 1);
    auto rt = Runtime::start(MPI_COMM_WORLD);
    ++mpicheck::state().checks;
    if (rt || rt.status().message().find(kEnvStripeSize) == std::string::npos)
      mpicheck::fail(__FILE__, __LINE__, "NACRE_STRIPE_SIZE=12 XB: " +
                                             (rt ? std::string("OK") : rt.status().to_string()));
    CHECK(mpicheck::same_on_all(MPI_COMM_WORLD, rt ? "OK" : rt.status().to_string()));
    if (g_rank == 0 && !rt) std::printf("  %-28s -> %s\n", "NACRE_STRIPE_SIZE=12 XB", rt.status().to_string().c_str());
    unsetenv(kEnvStripeSize);
    setenv(kEnvConfig, "/nonexistent/nacre.toml", 1);
    auto rt2 = Runtime::start(MPI_COMM_WORLD);
    ++mpicheck::state().checks;
    if (rt2 || rt2.status().message().find("/nonexistent/nacre.toml") == std::string::npos)
      mpicheck::fail(__FILE__, __LINE__, "NACRE_CONFIG missing: " +
                                             (rt2 ? std::string("OK") : rt2.status().to_string()));
    CHECK(mpicheck::same_on_all(MPI_COMM_WORLD, rt2 ? "OK" : rt2.status().to_string()));
    unsetenv(kEnvConfig);
  }

  // After all that, a good configuration starts, works and stops.
  {
    Config c;
    c.servers = 1;
    auto rt = Runtime::start(MPI_COMM_WORLD, c);
    CHECK_OK(rt);
    if (rt && rt->is_client()) {
      const std::string p = "/alive-" + std::to_string(g_rank);
      CHECK_OK(rt->fs().mkdir(p));
      CHECK_OK(rt->fs().stat(p));
      CHECK_OK(rt->shutdown());
    }
  }
  const int code = mpicheck::finish(MPI_COMM_WORLD);
  MPI_Finalize();
  return code;
}
