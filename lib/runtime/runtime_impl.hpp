// Internal state of nacre::Runtime (embedded and standalone).
#pragma once

#include "client/client_core.hpp"
#include "store/object_store.hpp"

#include <nacre/runtime.hpp>

#include <mpi.h>

#include <memory>
#include <string>

namespace nacre {

struct Runtime::Impl {
  bool server = false;
  bool shut_down = false;
  MPI_Comm nacre_comm = MPI_COMM_NULL;   // embedded: dup of the job's comm
  MPI_Comm client_comm = MPI_COMM_NULL;  // clients only
  MPI_Comm inter = MPI_COMM_NULL;        // standalone: link to the server job
  std::string port;                      // standalone: the server job's MPI port
  std::string address;                   // standalone: the address it was found at
  std::shared_ptr<client::ClientCore> core;
  FileSystem fs;
  ~Impl();
};

namespace runtime {
// Applies config.log_level to this process's logging.
void apply_log_level(const Config& config);
}  // namespace runtime

}  // namespace nacre
