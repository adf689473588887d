#include "mpiio_file/agree.hpp"

#include <climits>
#include <string>

namespace nacre::mpiio {

Status agree(MPI_Comm comm, const Status& local) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  int mine = local.is_ok() ? INT_MAX : rank, root = INT_MAX;
  MPI_Allreduce(&mine, &root, 1, MPI_INT, MPI_MIN, comm);
  if (root == INT_MAX) return Status::ok();
  int head[2] = {local.code(), static_cast<int>(local.message().size())};
  MPI_Bcast(head, 2, MPI_INT, root, comm);
  std::string msg = local.message();
  msg.resize(static_cast<size_t>(head[1]));
  MPI_Bcast(msg.data(), head[1], MPI_CHAR, root, comm);
  return Status::error(head[0], msg + " (client rank " + std::to_string(root) + ")");
}

}  // namespace nacre::mpiio
