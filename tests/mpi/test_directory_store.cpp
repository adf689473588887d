// mpi.directory_store: a small striped I/O run (see striped_model.hpp) with
// the servers on the directory object store under a fresh temporary
// directory; object files appear under <dir>/server-<k>, disappear when their
// file is removed, and the directory is removed at the end (on failure too).
//
//   test_directory_store [--seed S]
#include "mpi_check.hpp"
#include "striped_model.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

using namespace nacre;

namespace {

std::string g_dir;

std::string object_path(const StripeTarget& t) {
  char name[64];
  std::snprintf(name, sizeof name, "/server-%u/%016llx.obj", t.server,
                static_cast<unsigned long long>(t.object_id));
  return g_dir + name;
}

int count_objects(const std::string& dir) {
  std::error_code ec;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); ++it)
    n += it->path().extension() == ".obj";
  return ec ? -1 : n;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  mpicheck::start_clock();
  std::vector<std::string> args(argv + 1, argv + argc);
  const uint64_t seed =
      std::strtoull(mpicheck::arg_value(args, "--seed", "4242").c_str(), nullptr, 10);
  Config config;
  if (!mpicheck::directory_store_config("nacre-dirstore", 2, &config, &g_dir))
    return mpicheck::finish_without_runtime();
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);

  return mpicheck::run_embedded(argc, argv, config, [&](mpicheck::Env& env) {
    striped::print_seed(env, seed, "mpi.directory_store");
    if (env.rank == 0) std::printf("  store directory %s\n", g_dir.c_str());
    const striped::Case cases[] = {{64 << 10, 1, 1 << 20}, {64 << 10, 2, 2 << 20},
                                   {1 << 20, -1, 2 << 20}};
    std::vector<Layout> layouts;
    for (int i = 0; i < 3; ++i) {
      const std::string path = "/dir-" + std::to_string(i);
      auto out = striped::run_case(env, path, i, cases[i], seed);
      layouts.push_back(out.layout);
      // Make it durable, then look for the objects on disk.
      auto f = env.fs.open(path, open_flags::kRead);
      CHECK_OK(f);
      if (f) CHECK_OK(f->sync());
      env.barrier();
      for (const auto& t : out.layout.stripes) {
        ++mpicheck::state().checks;
        if (!std::filesystem::exists(object_path(t)))
          mpicheck::fail(__FILE__, __LINE__, "missing object file " + object_path(t));
      }
    }
    CHECK(count_objects(g_dir + "/server-0") > 0);
    CHECK(count_objects(g_dir + "/server-1") > 0);
    env.barrier();
    // Removing a file removes its objects from disk.
    if (env.rank == 0) CHECK_OK(env.fs.unlink("/dir-1"));
    env.barrier();
    for (const auto& t : layouts[1].stripes) {
      ++mpicheck::state().checks;
      if (std::filesystem::exists(object_path(t)))
        mpicheck::fail(__FILE__, __LINE__, "object file left after unlink: " + object_path(t));
    }
    // The other files are intact.
    for (const auto& t : layouts[2].stripes) CHECK(std::filesystem::exists(object_path(t)));
    env.barrier();
  }, [&] {
    // Every rank is past the runtime; rank 0 checks what is left, then
    // removes the directory whatever the outcome.
    if (world_rank == 0) {
      CHECK(count_objects(g_dir + "/server-0") > 0);
      CHECK(count_objects(g_dir + "/server-1") > 0);
      std::error_code ec;
      std::filesystem::remove_all(g_dir, ec);
      CHECK(!ec);
      CHECK(!std::filesystem::exists(g_dir));
    }
  });
}
