// mpi.striped_io: disjoint random writes by every client to shared striped
// files, then every client reads everything back and compares with a model
// rebuilt from the seeds of all ranks (see striped_model.hpp).
//
//   test_striped_io --servers N [--seed S] [--max-rpc BYTES]
#include "mpi_check.hpp"
#include "striped_model.hpp"

#include <cstdlib>

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  nacre::Config config;
  config.servers = std::atoi(mpicheck::arg_value(args, "--servers", "2").c_str());
  config.max_rpc_bytes = std::strtoull(
      mpicheck::arg_value(args, "--max-rpc", std::to_string(4 << 20)).c_str(), nullptr, 10);
  const uint64_t seed =
      std::strtoull(mpicheck::arg_value(args, "--seed", "20240611").c_str(), nullptr, 10);

  return mpicheck::run_embedded(argc, argv, config, [&](mpicheck::Env& env) {
    striped::print_seed(env, seed, "mpi.striped_io");
    std::vector<striped::Case> cases;
    for (int count = 1; count <= env.servers; ++count)
      cases.push_back({64 << 10, count, 3 << 20});
    cases.push_back({1 << 20, 1, 6 << 20});
    cases.push_back({1 << 20, -1, 6 << 20});
    for (size_t i = 0; i < cases.size(); ++i) {
      const std::string path = "/striped-" + std::to_string(i);
      const double t = MPI_Wtime();
      auto out = striped::run_case(env, path, static_cast<int>(i), cases[i], seed);
      if (env.rank == 0) {
        std::printf("  case %zu: stripe_size %llu, stripe_count %d: %llu bytes, %.2f s\n", i,
                    static_cast<unsigned long long>(cases[i].stripe_size), cases[i].stripe_count,
                    static_cast<unsigned long long>(out.size), MPI_Wtime() - t);
        std::fflush(stdout);
      }
      if (env.rank == 0) CHECK_OK(env.fs.unlink(path));
      env.barrier();
    }
    auto ls = env.fs.readdir("/");
    CHECK_OK(ls);
    if (ls) CHECK_EQ(ls->size(), size_t{0});
  });
}
