#include "h5fd/h5fd_connection.hpp"

#include <nacre/config.hpp>
#include <nacre/runtime.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace nacre::h5fd {

namespace {

Runtime* g_runtime = nullptr;  // released by the MPI_COMM_SELF delete callback
int g_keyval = MPI_KEYVAL_INVALID;

// Runs at the start of MPI_Finalize (MPI-3: attributes of MPI_COMM_SELF are
// deleted first, in reverse order of setting), while MPI still works. Every
// rank that connected calls MPI_Finalize, so the collective shutdown meets.
int on_finalize(MPI_Comm, int, void*, void*) {
  if (g_runtime != nullptr) {
    (void)g_runtime->shutdown();
    delete g_runtime;
    g_runtime = nullptr;
  }
  return MPI_SUCCESS;
}

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

// Local: the configuration this rank would connect with.
Result<Config> local_config() {
  if (!env_set(kEnvAddress) && !env_set(kEnvConfig))
    return Status::error(ENOTCONN,
                         "H5FD_nacre: no Nacre server job to talk to: set NACRE_ADDRESS (or "
                         "NACRE_CONFIG with client.address), or use nacre::h5fd::set_fapl with "
                         "an in-process FileSystem");
  auto config = Config::load();
  if (!config) return config.status().with_context("H5FD_nacre: Nacre configuration");
  if (config->address.empty())
    return Status::error(ENOTCONN, "H5FD_nacre: the Nacre configuration has no client.address");
  return config;
}

// COLLECTIVE over sub (the ranks without a connection). The configuration
// is checked on every rank first, and only if all ranks have one do they
// call Runtime::connect (which agrees on its own errors), so a rank with a
// missing setting never leaves the others waiting inside connect.
Status connect_ranks(MPI_Comm sub) {
  auto config = local_config();
  const int ok = config ? 1 : 0;
  int all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, sub);
  if (!config) return config.status();
  if (!all_ok)
    return Status::error(ENOTCONN, "H5FD_nacre: another rank has no Nacre configuration");
  auto rt = Runtime::connect(sub, *config);
  if (!rt)
    return rt.status().with_context("H5FD_nacre: cannot connect to the Nacre server job at " +
                                    config->address);
  g_runtime = new Runtime(std::move(rt).value());
  if (g_keyval == MPI_KEYVAL_INVALID)
    MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, on_finalize, &g_keyval, nullptr);
  MPI_Comm_set_attr(MPI_COMM_SELF, g_keyval, nullptr);
  return Status::ok();
}

}  // namespace

Result<FileSystem*> shared_connection(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const int have = g_runtime != nullptr ? 1 : 0;
  int all_have = 0;
  MPI_Allreduce(&have, &all_have, 1, MPI_INT, MPI_MIN, comm);

  Status local = Status::ok();
  if (!all_have) {
    MPI_Comm sub = MPI_COMM_NULL;
    MPI_Comm_split(comm, have ? MPI_UNDEFINED : 0, rank, &sub);
    if (sub != MPI_COMM_NULL) {
      local = connect_ranks(sub);
      MPI_Comm_free(&sub);
    }
  }

  // Agree over comm: the lowest failing rank's message wins.
  const int bad = local ? 0 : 1;
  int first_bad = 0;
  const int mine = bad ? rank : INT32_MAX;
  MPI_Allreduce(&mine, &first_bad, 1, MPI_INT, MPI_MIN, comm);
  if (first_bad == INT32_MAX) return &g_runtime->fs();
  std::string msg = local ? std::string() : local.message();
  int len = static_cast<int>(msg.size());
  int code = local ? 0 : local.code();
  MPI_Bcast(&len, 1, MPI_INT, first_bad, comm);
  MPI_Bcast(&code, 1, MPI_INT, first_bad, comm);
  msg.resize(static_cast<size_t>(len));
  MPI_Bcast(msg.data(), len, MPI_CHAR, first_bad, comm);
  if (first_bad != rank) msg += " (rank " + std::to_string(first_bad) + ")";
  return Status::error(code != 0 ? code : EIO, msg);
}

}  // namespace nacre::h5fd
