// doctest main that initializes MPI (decode needs only MPI_Init: no
// communication, so it runs as a singleton or under mpirun -n 1).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <mpi.h>

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  doctest::Context ctx(argc, argv);
  const int rc = ctx.run();
  MPI_Finalize();
  return rc;
}
