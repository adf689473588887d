/* An unmodified parallel HDF5 program (MPI-IO driver, H5Pset_fapl_mpio).
 *
 *   hdf5_parallel <file>
 *
 * Creates <file> with
 *   /grid    int32 [ROWS*nprocs][COLS], each rank writes its row block
 *            (collective H5Dwrite, hyperslab)
 *   /chunked float64 [N*nprocs], chunked, each rank writes every nprocs-th
 *            element (collective, strided hyperslab)
 *   an attribute "ranks" on the root group
 * with collective metadata I/O, closes it, reopens it read-only, reads both
 * datasets back collectively and verifies every element.
 */
#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define ROWS 37
#define COLS 101
#define N 5003
#define CHUNK 1000

static int rank, nprocs;

#define HCHK(expr)                                                               \
  do {                                                                              \
    if ((expr) < 0) {                                                               \
      fprintf(stderr, "rank %d: %s:%d: %s failed\n", rank, __FILE__, __LINE__, #expr); \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                 \
    }                                                                               \
  } while (0)

static int grid_value(long row, long col) { return (int)(row * 1000003 + col * 7 + 11); }
static double chunked_value(long i) { return (double)i * 0.5 + 3.25; }

static hid_t fapl(void) {
  hid_t p = H5Pcreate(H5P_FILE_ACCESS);
  HCHK(H5Pset_fapl_mpio(p, MPI_COMM_WORLD, MPI_INFO_NULL));
  HCHK(H5Pset_all_coll_metadata_ops(p, 1));
  HCHK(H5Pset_coll_metadata_write(p, 1));
  return p;
}

static hid_t collective(void) {
  hid_t p = H5Pcreate(H5P_DATASET_XFER);
  HCHK(H5Pset_dxpl_mpio(p, H5FD_MPIO_COLLECTIVE));
  return p;
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
  if (argc != 2) {
    if (rank == 0) fprintf(stderr, "usage: hdf5_parallel <file>\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  const char* name = argv[1];
  const long nrows = (long)ROWS * nprocs, nchunked = (long)N * nprocs;

  /* ---- write */
  hid_t fa = fapl();
  hid_t file = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fa);
  HCHK(file);
  H5Pclose(fa);
  hid_t xfer = collective();

  hsize_t gdims[2] = {(hsize_t)nrows, COLS};
  hid_t gspace = H5Screate_simple(2, gdims, NULL);
  hid_t grid = H5Dcreate2(file, "grid", H5T_STD_I32LE, gspace, H5P_DEFAULT, H5P_DEFAULT,
                          H5P_DEFAULT);
  HCHK(grid);
  int* g = malloc(sizeof(int) * ROWS * COLS);
  for (long r = 0; r < ROWS; ++r)
    for (long c = 0; c < COLS; ++c) g[r * COLS + c] = grid_value(rank * ROWS + r, c);
  hsize_t gstart[2] = {(hsize_t)rank * ROWS, 0}, gcount[2] = {ROWS, COLS};
  HCHK(H5Sselect_hyperslab(gspace, H5S_SELECT_SET, gstart, NULL, gcount, NULL));
  hid_t gmem = H5Screate_simple(2, gcount, NULL);
  HCHK(H5Dwrite(grid, H5T_NATIVE_INT, gmem, gspace, xfer, g));

  hsize_t cdims[1] = {(hsize_t)nchunked}, chunk[1] = {CHUNK};
  hid_t cspace = H5Screate_simple(1, cdims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  HCHK(H5Pset_chunk(dcpl, 1, chunk));
  hid_t chunked = H5Dcreate2(file, "chunked", H5T_IEEE_F64LE, cspace, H5P_DEFAULT, dcpl,
                             H5P_DEFAULT);
  HCHK(chunked);
  double* d = malloc(sizeof(double) * N);
  for (long i = 0; i < N; ++i) d[i] = chunked_value(i * nprocs + rank);
  hsize_t cstart[1] = {(hsize_t)rank}, cstride[1] = {(hsize_t)nprocs}, ccount[1] = {N};
  HCHK(H5Sselect_hyperslab(cspace, H5S_SELECT_SET, cstart, cstride, ccount, NULL));
  hid_t cmem = H5Screate_simple(1, ccount, NULL);
  HCHK(H5Dwrite(chunked, H5T_NATIVE_DOUBLE, cmem, cspace, xfer, d));

  hid_t aspace = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(file, "ranks", H5T_STD_I32LE, aspace, H5P_DEFAULT, H5P_DEFAULT);
  HCHK(attr);
  HCHK(H5Awrite(attr, H5T_NATIVE_INT, &nprocs));
  H5Aclose(attr);
  H5Sclose(aspace);

  H5Dclose(grid);
  H5Dclose(chunked);
  H5Pclose(dcpl);
  HCHK(H5Fclose(file));

  /* ---- read back */
  fa = fapl();
  file = H5Fopen(name, H5F_ACC_RDONLY, fa);
  HCHK(file);
  H5Pclose(fa);
  grid = H5Dopen2(file, "grid", H5P_DEFAULT);
  chunked = H5Dopen2(file, "chunked", H5P_DEFAULT);
  HCHK(grid);
  HCHK(chunked);
  for (long i = 0; i < ROWS * COLS; ++i) g[i] = -1;
  for (long i = 0; i < N; ++i) d[i] = -1;
  HCHK(H5Dread(grid, H5T_NATIVE_INT, gmem, gspace, xfer, g));
  HCHK(H5Dread(chunked, H5T_NATIVE_DOUBLE, cmem, cspace, xfer, d));
  long bad = 0;
  for (long r = 0; r < ROWS; ++r)
    for (long c = 0; c < COLS; ++c) bad += g[r * COLS + c] != grid_value(rank * ROWS + r, c);
  for (long i = 0; i < N; ++i) bad += d[i] != chunked_value(i * nprocs + rank);
  if (bad != 0) {
    fprintf(stderr, "rank %d: %ld wrong elements\n", rank, bad);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  H5Dclose(grid);
  H5Dclose(chunked);
  H5Sclose(gspace);
  H5Sclose(gmem);
  H5Sclose(cspace);
  H5Sclose(cmem);
  H5Pclose(xfer);
  HCHK(H5Fclose(file));
  free(g);
  free(d);
  H5close();
  if (rank == 0) printf("hdf5_parallel %s: OK (%d ranks)\n", name, nprocs);
  MPI_Finalize();
  return 0;
}
