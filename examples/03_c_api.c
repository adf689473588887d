/* 03: example 02 (a shared file striped over every server) in C99, with
 * the C API of include/nacre/nacre.h.
 *
 *   NACRE_SERVERS=2 mpirun -np 4 ./03_c_api
 *
 * Every client rank writes its own block of /shared_c.dat, the clients meet
 * on the client communicator, each reads its neighbour's block back and
 * checks it. Prints OK on client rank 0; exits non-zero with the error
 * message on any failure. */
#include <nacre/nacre.h>

#include <mpi.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PATH "/shared_c.dat"
#define BLOCK ((size_t)(3 * 64 * 1024 + 4321)) /* spans stripes and servers */

static uint8_t pattern(int rank, size_t i) {
  return (uint8_t)(rank * 31 + i * 7 + (i >> 9));
}

/* Prints the failed call with nacre_last_error() ("ENOENT: ..."); returns rc != 0. */
static int failed(int rank, const char* what, int rc) {
  if (rc != 0)
    fprintf(stderr, "rank %d: error: %s: %s\n", rank, what, nacre_last_error());
  return rc != 0;
}

/* Collective over comm: 1 on every rank iff ok on every rank (and a barrier). */
static int all_ok(MPI_Comm comm, int ok) {
  int global = 0;
  MPI_Allreduce(&ok, &global, 1, MPI_INT, MPI_MIN, comm);
  return global;
}

/* The client part: 1 on success. */
static int client(nacre_runtime_t* rt, int world_rank) {
  MPI_Comm comm = nacre_client_comm(rt);
  int rank = 0, n = 0, ok = 1, other;
  size_t i, got = 0;
  int64_t size = 0;
  nacre_file_t* file = NULL;
  nacre_layout_request_t layout = NACRE_LAYOUT_REQUEST_INIT;
  nacre_layout_t actual;
  uint8_t* buf = (uint8_t*)malloc(BLOCK);

  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &n);
  if (!buf) {
    fprintf(stderr, "rank %d: error: out of memory\n", world_rank);
    ok = 0;
  }

  /* Phase 1: open (creating if needed), 64 KiB stripes over every server. */
  layout.stripe_size = 64 * 1024;
  layout.stripe_count = -1;
  if (ok && failed(world_rank, "open " PATH,
                   nacre_open(rt, PATH, NACRE_O_RDWR | NACRE_O_CREAT, 0644, &layout, &file)))
    ok = 0;
  if (ok && failed(world_rank, "layout", nacre_file_layout(file, &actual, NULL, 0))) ok = 0;
  if (ok && actual.stripe_count != nacre_server_count(rt)) {
    fprintf(stderr, "rank %d: error: %d stripes, expected %d\n", world_rank,
            (int)actual.stripe_count, nacre_server_count(rt));
    ok = 0;
  }
  if (ok) {
    for (i = 0; i < BLOCK; ++i) buf[i] = pattern(rank, i);
    if (failed(world_rank, "pwrite",
               nacre_pwrite(file, buf, BLOCK, (int64_t)rank * (int64_t)BLOCK, &got)))
      ok = 0;
  }
  if (!all_ok(comm, ok)) goto out; /* also the barrier: every block is written */

  /* Phase 2: read the next rank's block back, check the file size. */
  other = (rank + 1) % n;
  if (failed(world_rank, "pread",
             nacre_pread(file, buf, BLOCK, (int64_t)other * (int64_t)BLOCK, &got))) {
    ok = 0;
  } else if (got != BLOCK) {
    fprintf(stderr, "rank %d: error: short read %zu of %zu\n", world_rank, got, BLOCK);
    ok = 0;
  }
  for (i = 0; ok && i < BLOCK; ++i) {
    if (buf[i] != pattern(other, i)) {
      fprintf(stderr, "rank %d: error: byte %zu of rank %d's block is %u, expected %u\n",
              world_rank, i, other, buf[i], pattern(other, i));
      ok = 0;
    }
  }
  if (ok && failed(world_rank, "size", nacre_file_size(file, &size))) ok = 0;
  if (ok && size != (int64_t)n * (int64_t)BLOCK) {
    fprintf(stderr, "rank %d: error: file size %lld, expected %lld\n", world_rank,
            (long long)size, (long long)n * (long long)BLOCK);
    ok = 0;
  }
  /* A negative offset is rejected at the C edge. */
  if (ok && nacre_pread(file, buf, 1, -1, &got) != EINVAL) {
    fprintf(stderr, "rank %d: error: negative offset was not EINVAL\n", world_rank);
    ok = 0;
  }

out:
  if (file && failed(world_rank, "close", nacre_close(file))) ok = 0;
  free(buf);
  if (!all_ok(comm, ok)) return 0;
  if (rank == 0) {
    if (failed(world_rank, "unlink " PATH, nacre_unlink(rt, PATH))) ok = 0;
    if (ok) printf("03_c_api: OK (%d clients, %d servers, %zu bytes each)\n", n,
                   nacre_server_count(rt), BLOCK);
  }
  return all_ok(comm, ok);
}

int main(int argc, char** argv) {
  int rank = 0, rc = 0;
  nacre_runtime_t* rt = NULL;

  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);

  /* Collective; NULL: configuration from NACRE_CONFIG / NACRE_* variables.
   * Server ranks return from here only after every client shut down. */
  if (failed(rank, "nacre_start", nacre_start(MPI_COMM_WORLD, NULL, &rt))) {
    MPI_Finalize();
    return 1;
  }
  if (!nacre_is_server(rt)) {
    if (!client(rt, rank)) rc = 1;
    /* Collective over the client ranks. */
    if (failed(rank, "nacre_shutdown", nacre_shutdown(rt))) rc = 1;
  }
  if (failed(rank, "nacre_finalize", nacre_finalize(rt))) rc = 1;
  MPI_Finalize();
  return rc;
}
