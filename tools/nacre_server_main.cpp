// nacre-server: a standalone Nacre server job. Launch with mpirun; every
// rank becomes a server (rank 0 also the metadata server). Client jobs
// connect through the published service name or the port file; see
// scripts/nacre-up.sh and docs/USER_GUIDE.md.
#include "runtime/standalone.hpp"

#include <CLI/CLI.hpp>
#include <mpi.h>

#include <cstdio>

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);

  CLI::App app{"nacre-server: a standalone Nacre server job (launch with mpirun)"};
  nacre::runtime::StandaloneOptions opts;
  std::string config_file;
  app.add_option("--service", opts.service_name,
                 "publish the port under this name (needs mpirun --ompi-server file:<uri>)");
  app.add_option("--port-file", opts.port_file, "write the port string to this file");
  app.add_option("--config", config_file, "TOML config file (default: $NACRE_CONFIG)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = rank == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 2);
    MPI_Finalize();
    return code;
  }

  nacre::Config config;
  nacre::Status s;
  if (!config_file.empty()) s = config.merge_toml_file(config_file);
  else if (auto loaded = nacre::Config::load(); loaded) config = *loaded;
  else s = loaded.status();
  if (s) s = config.merge_environment();
  if (s) s = nacre::runtime::run_standalone_server(MPI_COMM_WORLD, config, opts);
  if (!s) {
    if (rank == 0) std::fprintf(stderr, "nacre-server: %s\n", s.to_string().c_str());
    MPI_Finalize();
    return 1;
  }
  MPI_Finalize();
  return 0;
}
