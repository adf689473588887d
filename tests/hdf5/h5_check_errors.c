/* Bad input through the Nacre driver: every case must fail (on every rank,
 * without hanging) and leave a message on HDF5's error stack that says what
 * went wrong. <dir> is a Nacre directory holding "not_hdf5.txt" (a text
 * file put there by the test script) and no "missing.h5". */
#include <nacre/h5fd_nacre.h>

#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

static char stack_text[8192];

static herr_t walk(unsigned n, const H5E_error2_t* e, void* data) {
  (void)n;
  (void)data;
  char cls[64] = {0};
  H5Eget_class_name(e->cls_id, cls, sizeof(cls));
  size_t used = strlen(stack_text);
  snprintf(stack_text + used, sizeof(stack_text) - used, "  [%s] %s: %s\n", cls,
           e->func_name ? e->func_name : "?", e->desc ? e->desc : "");
  return 0;
}

/* Checks that the last call failed (rc < 0) and that the error stack holds
 * `want` (under the class "Nacre" if nacre_class). Prints the stack on rank 0. */
static int expect_failure(const char* what, long rc, const char* want, int nacre_class) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  stack_text[0] = '\0';
  /* Walk a copy: H5Eget_class_name (an API call) clears the default stack. */
  hid_t stack = H5Eget_current_stack();
  H5Ewalk2(stack, H5E_WALK_DOWNWARD, walk, NULL);
  H5Eclose_stack(stack);
  int ok = rc < 0 && strstr(stack_text, want) != NULL &&
           (!nacre_class || strstr(stack_text, "[Nacre]") != NULL);
  if (rank == 0 || !ok)
    printf("rank %d: %s: %s (rc %ld, want \"%s\")\n%s", rank, what, ok ? "fails as expected" : "WRONG",
           rc, want, stack_text);
  return ok;
}

int do_errors(const char* dir) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  int ok = 1;
  char path[512];
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (H5Pset_fapl_nacre(fapl, MPI_COMM_WORLD, MPI_INFO_NULL) < 0) return 0;

  /* 1. a Nacre file that is not HDF5 */
  snprintf(path, sizeof(path), "%s/not_hdf5.txt", dir);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  ok &= expect_failure("open of a non-HDF5 Nacre file", f, "signature", 0);
  if (f >= 0) H5Fclose(f);

  /* 2. a missing file */
  snprintf(path, sizeof(path), "%s/missing.h5", dir);
  f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  ok &= expect_failure("open of a missing file", f, "ENOENT", 1);
  if (f >= 0) H5Fclose(f);

  /* 3. a missing directory on create */
  snprintf(path, sizeof(path), "%s/no/such/dir.h5", dir);
  f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  ok &= expect_failure("create in a missing directory", f, "ENOENT", 1);
  if (f >= 0) H5Fclose(f);

  /* 4. a relative name */
  f = H5Fcreate("relative.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  ok &= expect_failure("create with a relative name", f, "must be an absolute Nacre path", 1);
  if (f >= 0) H5Fclose(f);

  /* 5. bad fapls */
  hid_t bad = H5Pcreate(H5P_FILE_ACCESS);
  ok &= expect_failure("H5Pset_fapl_nacre with MPI_COMM_NULL",
                       H5Pset_fapl_nacre(bad, MPI_COMM_NULL, MPI_INFO_NULL), "MPI_COMM_NULL", 1);
  H5FD_nacre_fapl_t raw;
  memset(&raw, 0, sizeof(raw));
  raw.magic = H5FD_NACRE_FAPL_MAGIC;
  raw.version = 99;
  raw.comm = MPI_COMM_WORLD;
  raw.info = MPI_INFO_NULL;
  ok &= expect_failure("fapl of an unknown version", H5Pset_driver(bad, H5FD_NACRE, &raw),
                       "version 99 is not supported", 1);
  raw.version = H5FD_NACRE_FAPL_VERSION;
  raw.magic = 0x12345678u;
  ok &= expect_failure("fapl with a bad magic", H5Pset_driver(bad, H5FD_NACRE, &raw), "bad magic", 1);
  ok &= expect_failure("H5Pget_fapl_nacre on a fapl of another driver",
                       H5Pget_fapl_nacre(bad, NULL, NULL), "does not use the Nacre driver", 1);
  ok &= expect_failure("striping unit not a multiple of 64 KiB",
                       H5Pset_fapl_nacre_striping(fapl, 1000, 2), "multiple of 65536", 1);
  ok &= expect_failure("striping count below -1", H5Pset_fapl_nacre_striping(fapl, 0, -7),
                       "stripe count -7", 1);
  ok &= expect_failure("H5Pset_fapl_nacre on a dataset-transfer list",
                       H5Pset_fapl_nacre(H5P_DATASET_XFER_DEFAULT, MPI_COMM_WORLD, MPI_INFO_NULL),
                       "not a file access property list", 1);
  H5Pclose(bad);

  /* 6. after all that, the driver still works on the same fapl */
  snprintf(path, sizeof(path), "%s/after_errors.h5", dir);
  f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (f < 0) {
    H5Eprint2(H5E_DEFAULT, stderr);
    ok = 0;
  } else if (H5Fclose(f) < 0) {
    ok = 0;
  }
  H5Pclose(fapl);
  int all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all;
}
