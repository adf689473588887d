/* Parallel HDF5 through one driver, verified in the program.
 *
 *   h5_check <nacre|mpio> write  <file>   create and fill <file>, read it back, verify
 *   h5_check <nacre|mpio> verify <file>   reopen read-only (any rank count), verify
 *   h5_check nacre        errors <dir>    bad input must fail with Nacre's message
 *
 * The content depends on neither the rank count nor the driver, so files
 * written at any rank count through either driver compare equal (h5diff),
 * and "verify" may run at another rank count than "write":
 *   /                 attributes "title" (string), "version" (int[3])
 *   /g                group, attribute "step"
 *   /g/contig_ind     int32 [24][33] contiguous, row blocks, independent I/O
 *   /g/contig_coll    float64 [24][33] contiguous, rows r, r+n, ... collective
 *   /chunked          int64 [64][48] chunks 16x12, column blocks, collective
 *   /ext              int32 [36][10] unlimited rows, chunks 8x10, extended
 *                     three times by 12 rows (collective H5Dset_extent + write)
 *   /atomic           int32 [12], written with H5Fset_mpi_atomicity on
 * with collective metadata operations and writes, and H5Fflush. Each check
 * failure prints what differs and exits non-zero on every rank.
 * nacre: files are absolute Nacre paths (a standalone server job through
 * NACRE_ADDRESS); mpio: local paths. Striping for nacre files comes from
 * H5Pset_fapl_nacre_striping(65536, -1). */
#include <nacre/h5fd_nacre.h>

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 24
#define COLS 33
#define CR 64
#define CC 48
#define EXT_STEP 12
#define EXT_COLS 10
#define EXT_STEPS 3
#define NATOMIC 12

static int rank, nprocs, use_nacre;

static void die(const char* what, int line) {
  fprintf(stderr, "rank %d: h5_check.c:%d: %s failed\n", rank, line, what);
  H5Eprint2(H5E_DEFAULT, stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
}
#define HCHK(expr) do { if ((expr) < 0) die(#expr, __LINE__); } while (0)

static long v_ind(long i, long j) { return 1000000 + i * 1000 + j; }
static double v_coll(long i, long j) { return (double)i * 0.25 + (double)j * 1.5 + 0.125; }
static long long v_chunk(long i, long j) { return 3000000000LL + i * 100000 + j; }
static long v_ext(long i, long j) { return 4000000 + i * 100 + j; }
static long v_atomic(long i) { return 5000 + i * 7; }

/* [lo, hi) of n items for this rank */
static void split(long n, long* lo, long* hi) {
  *lo = n * rank / nprocs;
  *hi = n * (rank + 1) / nprocs;
}

static hid_t make_fapl(void) {
  hid_t p = H5Pcreate(H5P_FILE_ACCESS);
  if (use_nacre) {
    HCHK(H5Pset_fapl_nacre(p, MPI_COMM_WORLD, MPI_INFO_NULL));
    HCHK(H5Pset_fapl_nacre_striping(p, 65536, -1));
    MPI_Comm c;
    MPI_Info i;
    HCHK(H5Pget_fapl_nacre(p, &c, &i));
    int cmp = 0;
    MPI_Comm_compare(c, MPI_COMM_WORLD, &cmp);
    if (cmp != MPI_CONGRUENT) die("H5Pget_fapl_nacre returns a congruent communicator", __LINE__);
    MPI_Comm_free(&c);
    if (i != MPI_INFO_NULL) MPI_Info_free(&i);
  } else {
    HCHK(H5Pset_fapl_mpio(p, MPI_COMM_WORLD, MPI_INFO_NULL));
  }
  HCHK(H5Pset_all_coll_metadata_ops(p, 1));
  HCHK(H5Pset_coll_metadata_write(p, 1));
  return p;
}

static hid_t xfer(int collective) {
  hid_t p = H5Pcreate(H5P_DATASET_XFER);
  HCHK(H5Pset_dxpl_mpio(p, collective ? H5FD_MPIO_COLLECTIVE : H5FD_MPIO_INDEPENDENT));
  return p;
}

static int bad_count = 0;
static void mismatch(const char* ds, long i, long j, double got, double want) {
  if (bad_count++ < 5)
    fprintf(stderr, "rank %d: %s[%ld][%ld] = %g, expected %g\n", rank, ds, i, j, got, want);
}

/* ---- writers: each writes this rank's share; collective where said */

static void write_contig_ind(hid_t file) {
  hsize_t dims[2] = {ROWS, COLS};
  hid_t space = H5Screate_simple(2, dims, NULL);
  hid_t ds = H5Dcreate2(file, "/g/contig_ind", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
  HCHK(ds);
  long lo, hi;
  split(ROWS, &lo, &hi);
  hsize_t start[2] = {(hsize_t)lo, 0}, count[2] = {(hsize_t)(hi - lo), COLS};
  int* buf = malloc(sizeof(int) * ROWS * COLS);
  for (long i = lo; i < hi; ++i)
    for (long j = 0; j < COLS; ++j) buf[(i - lo) * COLS + j] = (int)v_ind(i, j);
  HCHK(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL));
  hid_t mem = H5Screate_simple(2, count, NULL);
  hid_t x = xfer(0);
  HCHK(H5Dwrite(ds, H5T_NATIVE_INT, mem, space, x, buf));
  H5Pclose(x);
  H5Sclose(mem);
  H5Sclose(space);
  H5Dclose(ds);
  free(buf);
}

static void write_contig_coll(hid_t file) {
  hsize_t dims[2] = {ROWS, COLS};
  hid_t space = H5Screate_simple(2, dims, NULL);
  hid_t ds = H5Dcreate2(file, "/g/contig_coll", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
  HCHK(ds);
  /* rows rank, rank + n, rank + 2n, ... (strided: a derived file type) */
  const long mine = ROWS / nprocs + (rank < ROWS % nprocs ? 1 : 0);
  hsize_t start[2] = {(hsize_t)rank, 0}, stride[2] = {(hsize_t)nprocs, 1};
  hsize_t count[2] = {(hsize_t)mine, 1}, block[2] = {1, COLS};
  double* buf = malloc(sizeof(double) * ROWS * COLS);
  for (long k = 0; k < mine; ++k)
    for (long j = 0; j < COLS; ++j) buf[k * COLS + j] = v_coll(rank + k * nprocs, j);
  HCHK(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, stride, count, block));
  hsize_t mdims[2] = {(hsize_t)mine, COLS};
  hid_t mem = H5Screate_simple(2, mdims, NULL);
  hid_t x = xfer(1);
  HCHK(H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, space, x, buf));
  H5Pclose(x);
  H5Sclose(mem);
  H5Sclose(space);
  H5Dclose(ds);
  free(buf);
}

static void write_chunked(hid_t file) {
  hsize_t dims[2] = {CR, CC}, chunk[2] = {16, 12};
  hid_t space = H5Screate_simple(2, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  HCHK(H5Pset_chunk(dcpl, 2, chunk));
  hid_t ds = H5Dcreate2(file, "/chunked", H5T_STD_I64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  HCHK(ds);
  long lo, hi;
  split(CC, &lo, &hi);
  hsize_t start[2] = {0, (hsize_t)lo}, count[2] = {CR, (hsize_t)(hi - lo)};
  long long* buf = malloc(sizeof(long long) * CR * CC);
  for (long i = 0; i < CR; ++i)
    for (long j = lo; j < hi; ++j) buf[i * (hi - lo) + (j - lo)] = v_chunk(i, j);
  HCHK(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL));
  hid_t mem = H5Screate_simple(2, count, NULL);
  hid_t x = xfer(1);
  HCHK(H5Dwrite(ds, H5T_NATIVE_LLONG, mem, space, x, buf));
  H5Pclose(x);
  H5Sclose(mem);
  H5Sclose(space);
  H5Pclose(dcpl);
  H5Dclose(ds);
  free(buf);
}

static void write_ext(hid_t file) {
  hsize_t dims[2] = {0, EXT_COLS}, maxd[2] = {H5S_UNLIMITED, EXT_COLS}, chunk[2] = {8, EXT_COLS};
  hid_t space = H5Screate_simple(2, dims, maxd);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  HCHK(H5Pset_chunk(dcpl, 2, chunk));
  hid_t ds = H5Dcreate2(file, "/ext", H5T_STD_I32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  HCHK(ds);
  H5Sclose(space);
  int buf[EXT_STEP * EXT_COLS];
  hid_t x = xfer(1);
  for (int step = 0; step < EXT_STEPS; ++step) {
    hsize_t nd[2] = {(hsize_t)(step + 1) * EXT_STEP, EXT_COLS};
    HCHK(H5Dset_extent(ds, nd));
    long lo, hi;
    split(EXT_STEP, &lo, &hi);
    for (long i = lo; i < hi; ++i)
      for (long j = 0; j < EXT_COLS; ++j)
        buf[(i - lo) * EXT_COLS + j] = (int)v_ext(step * EXT_STEP + i, j);
    hid_t fs = H5Dget_space(ds);
    hsize_t start[2] = {(hsize_t)(step * EXT_STEP + lo), 0}, count[2] = {(hsize_t)(hi - lo), EXT_COLS};
    HCHK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL));
    hid_t mem = H5Screate_simple(2, count, NULL);
    HCHK(H5Dwrite(ds, H5T_NATIVE_INT, mem, fs, x, buf));
    H5Sclose(mem);
    H5Sclose(fs);
  }
  H5Pclose(x);
  H5Pclose(dcpl);
  H5Dclose(ds);
}

static void write_atomic(hid_t file) {
  HCHK(H5Fset_mpi_atomicity(file, 1));
  hbool_t flag = 0;
  HCHK(H5Fget_mpi_atomicity(file, &flag));
  if (!flag) die("H5Fget_mpi_atomicity after setting it", __LINE__);
  hsize_t dims[1] = {NATOMIC};
  hid_t space = H5Screate_simple(1, dims, NULL);
  hid_t ds = H5Dcreate2(file, "/atomic", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
  HCHK(ds);
  long lo, hi;
  split(NATOMIC, &lo, &hi);
  int buf[NATOMIC];
  for (long i = lo; i < hi; ++i) buf[i - lo] = (int)v_atomic(i);
  hsize_t start[1] = {(hsize_t)lo}, count[1] = {(hsize_t)(hi - lo)};
  HCHK(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL));
  hid_t mem = H5Screate_simple(1, count, NULL);
  hid_t x = xfer(1);
  HCHK(H5Dwrite(ds, H5T_NATIVE_INT, mem, space, x, buf));
  H5Pclose(x);
  H5Sclose(mem);
  H5Sclose(space);
  H5Dclose(ds);
  HCHK(H5Fset_mpi_atomicity(file, 0));
  HCHK(H5Fget_mpi_atomicity(file, &flag));
  if (flag) die("H5Fget_mpi_atomicity after clearing it", __LINE__);
}

static void write_attrs(hid_t file) {
  const char* title = "Nacre HDF5 driver check";
  hid_t st = H5Tcopy(H5T_C_S1);
  HCHK(H5Tset_size(st, strlen(title) + 1));
  hid_t sc = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(file, "title", st, sc, H5P_DEFAULT, H5P_DEFAULT);
  HCHK(a);
  HCHK(H5Awrite(a, st, title));
  H5Aclose(a);
  hsize_t three = 3;
  hid_t s3 = H5Screate_simple(1, &three, NULL);
  int version[3] = {1, 10, 8};
  a = H5Acreate2(file, "version", H5T_STD_I32LE, s3, H5P_DEFAULT, H5P_DEFAULT);
  HCHK(a);
  HCHK(H5Awrite(a, H5T_NATIVE_INT, version));
  H5Aclose(a);
  hid_t g = H5Gcreate2(file, "/g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  HCHK(g);
  int step = 42;
  a = H5Acreate2(g, "step", H5T_STD_I32LE, sc, H5P_DEFAULT, H5P_DEFAULT);
  HCHK(a);
  HCHK(H5Awrite(a, H5T_NATIVE_INT, &step));
  H5Aclose(a);
  H5Gclose(g);
  H5Sclose(s3);
  H5Sclose(sc);
  H5Tclose(st);
}

/* ---- verification: every rank reads its row share of every dataset, once
 * independently and once collectively, and checks each element. */

static void read_rows(hid_t file, const char* name, hid_t mtype, size_t esize, long rows,
                      long cols, int collective, void* buf, long* lo_out, long* hi_out) {
  hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
  HCHK(ds);
  hid_t fs = H5Dget_space(ds);
  hsize_t dims[2] = {0, 0};
  int nd = H5Sget_simple_extent_dims(fs, dims, NULL);
  if (nd != (cols ? 2 : 1) || dims[0] != (hsize_t)rows || (cols && dims[1] != (hsize_t)cols)) {
    fprintf(stderr, "rank %d: %s has dims %llu x %llu, expected %ld x %ld\n", rank, name,
            (unsigned long long)dims[0], (unsigned long long)dims[1], rows, cols);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  long lo, hi;
  split(rows, &lo, &hi);
  hsize_t start[2] = {(hsize_t)lo, 0}, count[2] = {(hsize_t)(hi - lo), (hsize_t)cols};
  HCHK(H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL));
  hid_t mem = H5Screate_simple(nd, count, NULL);
  memset(buf, 0xab, esize * (size_t)rows * (size_t)(cols ? cols : 1));
  hid_t x = xfer(collective);
  HCHK(H5Dread(ds, mtype, mem, fs, x, buf));
  H5Pclose(x);
  H5Sclose(mem);
  H5Sclose(fs);
  H5Dclose(ds);
  *lo_out = lo;
  *hi_out = hi;
}

static void verify_data(hid_t file) {
  void* buf = malloc(sizeof(long long) * CR * CC);
  for (int coll = 0; coll < 2; ++coll) {
    long lo, hi;
    read_rows(file, "/g/contig_ind", H5T_NATIVE_INT, sizeof(int), ROWS, COLS, coll, buf, &lo, &hi);
    for (long i = lo; i < hi; ++i)
      for (long j = 0; j < COLS; ++j) {
        int got = ((int*)buf)[(i - lo) * COLS + j];
        if (got != v_ind(i, j)) mismatch("contig_ind", i, j, got, (double)v_ind(i, j));
      }
    read_rows(file, "/g/contig_coll", H5T_NATIVE_DOUBLE, sizeof(double), ROWS, COLS, coll, buf,
              &lo, &hi);
    for (long i = lo; i < hi; ++i)
      for (long j = 0; j < COLS; ++j) {
        double got = ((double*)buf)[(i - lo) * COLS + j];
        if (got != v_coll(i, j)) mismatch("contig_coll", i, j, got, v_coll(i, j));
      }
    read_rows(file, "/chunked", H5T_NATIVE_LLONG, sizeof(long long), CR, CC, coll, buf, &lo, &hi);
    for (long i = lo; i < hi; ++i)
      for (long j = 0; j < CC; ++j) {
        long long got = ((long long*)buf)[(i - lo) * CC + j];
        if (got != v_chunk(i, j)) mismatch("chunked", i, j, (double)got, (double)v_chunk(i, j));
      }
    read_rows(file, "/ext", H5T_NATIVE_INT, sizeof(int), EXT_STEP * EXT_STEPS, EXT_COLS, coll,
              buf, &lo, &hi);
    for (long i = lo; i < hi; ++i)
      for (long j = 0; j < EXT_COLS; ++j) {
        int got = ((int*)buf)[(i - lo) * EXT_COLS + j];
        if (got != v_ext(i, j)) mismatch("ext", i, j, got, (double)v_ext(i, j));
      }
    read_rows(file, "/atomic", H5T_NATIVE_INT, sizeof(int), NATOMIC, 0, coll, buf, &lo, &hi);
    for (long i = lo; i < hi; ++i) {
      int got = ((int*)buf)[i - lo];
      if (got != v_atomic(i)) mismatch("atomic", i, 0, got, (double)v_atomic(i));
    }
  }
  free(buf);
}

static void verify_attrs(hid_t file) {
  char title[64] = {0};
  hid_t a = H5Aopen(file, "title", H5P_DEFAULT);
  HCHK(a);
  hid_t t = H5Aget_type(a);
  HCHK(H5Aread(a, t, title));
  H5Tclose(t);
  H5Aclose(a);
  if (strcmp(title, "Nacre HDF5 driver check") != 0) {
    fprintf(stderr, "rank %d: title attribute is \"%s\"\n", rank, title);
    ++bad_count;
  }
  int version[3] = {0, 0, 0}, step = 0;
  a = H5Aopen(file, "version", H5P_DEFAULT);
  HCHK(a);
  HCHK(H5Aread(a, H5T_NATIVE_INT, version));
  H5Aclose(a);
  a = H5Aopen_by_name(file, "/g", "step", H5P_DEFAULT, H5P_DEFAULT);
  HCHK(a);
  HCHK(H5Aread(a, H5T_NATIVE_INT, &step));
  H5Aclose(a);
  if (version[0] != 1 || version[1] != 10 || version[2] != 8 || step != 42) {
    fprintf(stderr, "rank %d: attributes version={%d,%d,%d} step=%d\n", rank, version[0],
            version[1], version[2], step);
    ++bad_count;
  }
}

static int all_ok(void) {
  int mine = bad_count == 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all;
}

static int do_write(const char* name) {
  hid_t fa = make_fapl();
  hid_t file = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fa);
  HCHK(file);
  write_attrs(file);
  write_contig_ind(file);
  write_contig_coll(file);
  write_chunked(file);
  write_ext(file);
  write_atomic(file);
  HCHK(H5Fflush(file, H5F_SCOPE_GLOBAL));
  MPI_Barrier(MPI_COMM_WORLD); /* independent writes of others are visible after flush+barrier */
  verify_attrs(file);
  verify_data(file);
  HCHK(H5Fclose(file));
  /* reopen read-write at the same rank count: everything is still there */
  file = H5Fopen(name, H5F_ACC_RDWR, fa);
  HCHK(file);
  verify_attrs(file);
  verify_data(file);
  HCHK(H5Fclose(file));
  H5Pclose(fa);
  return all_ok();
}

static int do_verify(const char* name) {
  hid_t fa = make_fapl();
  hid_t file = H5Fopen(name, H5F_ACC_RDONLY, fa);
  HCHK(file);
  verify_attrs(file);
  verify_data(file);
  HCHK(H5Fclose(file));
  H5Pclose(fa);
  return all_ok();
}

int do_errors(const char* dir);  /* h5_check_errors.c */

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
  if (argc != 4 || (strcmp(argv[1], "nacre") != 0 && strcmp(argv[1], "mpio") != 0)) {
    if (rank == 0) fprintf(stderr, "usage: h5_check <nacre|mpio> <write|verify|errors> <file>\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  use_nacre = strcmp(argv[1], "nacre") == 0;
  int ok = 0;
  if (strcmp(argv[2], "write") == 0) ok = do_write(argv[3]);
  else if (strcmp(argv[2], "verify") == 0) ok = do_verify(argv[3]);
  else if (strcmp(argv[2], "errors") == 0 && use_nacre) ok = do_errors(argv[3]);
  else {
    if (rank == 0) fprintf(stderr, "unknown mode %s\n", argv[2]);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  if (rank == 0) printf("h5_check %s %s %s on %d ranks: %s\n", argv[1], argv[2], argv[3], nprocs,
                        ok ? "OK" : "FAILED");
  H5close();
  MPI_Finalize();
  return ok ? 0 : 1;
}
