#include "runtime/collective_status.hpp"

#include <climits>
#include <string>
#include <vector>

namespace nacre::runtime {

Status agree(MPI_Comm comm, const Status& local) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  int mine = local.is_ok() ? INT_MAX : rank;
  int first = INT_MAX;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == INT_MAX) return Status::ok();
  int code = local.code();
  int len = static_cast<int>(local.message().size());
  MPI_Bcast(&code, 1, MPI_INT, first, comm);
  MPI_Bcast(&len, 1, MPI_INT, first, comm);
  std::string text(static_cast<size_t>(len), '\0');
  if (rank == first) text = local.message();
  MPI_Bcast(text.data(), len, MPI_CHAR, first, comm);
  return Status::error(code, "rank " + std::to_string(first) + ": " + text);
}

}  // namespace nacre::runtime
