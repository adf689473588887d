/* mpi.capi.config: the C configuration struct (nacre_config_init / _load /
 * _validate) and a persistent deployment started from it alone.
 *
 * Every rank: defaults of nacre_config_init; each field's bad value gives
 * EINVAL naming its config key; nacre_config_load takes NACRE_DEPLOYMENT,
 * NACRE_REPLICAS, NACRE_CHECKSUMS, NACRE_CACHE_MAX, NACRE_STORE_RESERVE from
 * the environment. Then, with the environment cleared, an embedded job on 3
 * servers + the remaining ranks as clients is started from a struct that
 * asks for a persistent directory store with 2 replicas under a fresh
 * directory: a file created there reports 2 copies in nacre_get_layout, its
 * data reads back, and each server directory holds object files. Rank 0
 * removes the directory. Prints "capi_config: OK" and exits non-zero on any
 * failure. Needs at least 4 ranks. */
#include <nacre/nacre.h>

#include <mpi.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "capi_config:%d: failed: %s\n", __LINE__, #cond);    \
      ++failures;                                                          \
    }                                                                      \
  } while (0)

/* rc must be EINVAL and the message must name key. */
static void expect_bad(const char* what, const nacre_config_t* c, const char* key) {
  int rc = nacre_config_validate(c);
  if (rc != EINVAL || strstr(nacre_last_error(), key) == NULL) {
    fprintf(stderr, "capi_config: %s: got %s \"%s\", expected EINVAL naming '%s'\n", what,
            nacre_errno_name(rc), nacre_last_error(), key);
    ++failures;
  }
}

static void check_fields(void) {
  nacre_config_t c, bad;
  CHECK(nacre_config_init(&c) == 0);
  CHECK(c.deployment == NACRE_DEPLOYMENT_SCRATCH);
  CHECK(c.replicas == 0);
  CHECK(c.checksums == -1);
  CHECK(c.store_reserve == 0);
  CHECK(c.cache_max == 64 << 20);
  CHECK(c.read_cache_max == 32 << 20);
  CHECK(c.reserved == 0 && c.reserved2 == 0);
  CHECK(nacre_config_validate(&c) == 0);

  bad = c; bad.deployment = 7;      expect_bad("deployment 7", &bad, "deployment.type");
  bad = c; bad.replicas = -1;       expect_bad("replicas -1", &bad, "deployment.replicas");
  bad = c; bad.checksums = 2;       expect_bad("checksums 2", &bad, "store.checksums");
  bad = c; bad.store_reserve = -5;  expect_bad("store_reserve -5", &bad, "store.reserve");
  bad = c; bad.cache_max = -1;      expect_bad("cache_max -1", &bad, "client.cache_max");
  bad = c; bad.read_cache_max = -1; expect_bad("read_cache_max -1", &bad, "client.read_cache_max");
  bad = c; bad.read_cache_max = (int64_t)65 << 30;
  expect_bad("read_cache_max 65 GiB", &bad, "client.read_cache_max");
  bad = c; bad.reserved2 = 1;       expect_bad("reserved2 1", &bad, "reserved");
  /* A scratch deployment cannot have replicas (the C++ validation says why). */
  bad = c; bad.replicas = 2;        expect_bad("scratch with replicas", &bad, "replicas");

  setenv("NACRE_DEPLOYMENT", "persistent", 1);
  setenv("NACRE_STORE", "directory", 1);
  setenv("NACRE_STORE_DIR", "/tmp/nacre-capi-unused", 1);
  setenv("NACRE_REPLICAS", "2", 1);
  setenv("NACRE_CHECKSUMS", "0", 1);
  setenv("NACRE_CACHE_MAX", "8MiB", 1);
  setenv("NACRE_READ_CACHE_MAX", "2MiB", 1);
  CHECK(nacre_config_load(&c) == 0);
  CHECK(c.deployment == NACRE_DEPLOYMENT_PERSISTENT);
  CHECK(c.store_kind == NACRE_STORE_DIRECTORY);
  CHECK(c.replicas == 2);
  CHECK(c.checksums == 0);
  CHECK(c.cache_max == 8 << 20);
  CHECK(c.read_cache_max == 2 << 20);
  unsetenv("NACRE_CHECKSUMS");
  CHECK(nacre_config_load(&c) == 0);
  CHECK(c.checksums == -1); /* unset: the deployment decides */
  const char* vars[] = {"NACRE_DEPLOYMENT", "NACRE_STORE", "NACRE_STORE_DIR", "NACRE_REPLICAS",
                        "NACRE_CACHE_MAX", "NACRE_READ_CACHE_MAX", "NACRE_SERVERS"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; ++i) unsetenv(vars[i]);
}

/* Object files (not the stamp, lock or checksum files) in dir. */
static int count_objects(const char* dir) {
  int n = 0;
  DIR* d = opendir(dir);
  if (!d) return -1;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || strncmp(e->d_name, "nacre-", 6) == 0) continue;
    if (strstr(e->d_name, ".sum") || strstr(e->d_name, ".stale")) continue;
    ++n;
  }
  closedir(d);
  return n;
}

static void client(nacre_runtime_t* rt) {
  MPI_Comm comm = nacre_client_comm(rt);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  char path[64], buf[100000], back[100000];
  snprintf(path, sizeof path, "/c-%d", rank);
  for (size_t i = 0; i < sizeof buf; ++i) buf[i] = (char)(i * 7 + rank);
  nacre_file_t* f = NULL;
  CHECK(nacre_create(rt, path, 0644, NULL, &f) == 0);
  if (!f) return;
  size_t n = 0;
  CHECK(nacre_pwrite(f, buf, sizeof buf, 12345, &n) == 0 && n == sizeof buf);
  CHECK(nacre_file_sync(f) == 0);
  CHECK(nacre_pread(f, back, sizeof back, 12345, &n) == 0 && n == sizeof back);
  CHECK(memcmp(buf, back, sizeof buf) == 0);
  CHECK(nacre_close(f) == 0);
  nacre_layout_t l;
  nacre_stripe_t stripes[8];
  CHECK(nacre_get_layout(rt, path, &l, stripes, 8) == 0);
  if (l.copies != 2) fprintf(stderr, "capi_config: %s has %d copies\n", path, (int)l.copies);
  CHECK(l.copies == 2);
  CHECK(l.stripe_count == 3);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size < 4) {
    if (rank == 0) fprintf(stderr, "capi_config: needs at least 4 ranks\n");
    MPI_Finalize();
    return 2;
  }
  check_fields();

  char dir[256] = "/tmp/nacre-capi-XXXXXX";
  if (rank == 0 && mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    dir[0] = '\0';
  }
  MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (dir[0] == '\0') MPI_Abort(MPI_COMM_WORLD, 1);

  nacre_config_t c;
  CHECK(nacre_config_init(&c) == 0);
  c.servers = 3;
  c.store_kind = NACRE_STORE_DIRECTORY;
  snprintf(c.store_dir, sizeof c.store_dir, "%s", dir);
  c.deployment = NACRE_DEPLOYMENT_PERSISTENT;
  c.replicas = 2;
  c.stripe_size = 64 << 10;
  nacre_runtime_t* rt = NULL;
  int rc = nacre_start(MPI_COMM_WORLD, &c, &rt);
  if (rc != 0) {
    fprintf(stderr, "capi_config: nacre_start: %s\n", nacre_last_error());
    ++failures;
  } else {
    if (!nacre_is_server(rt)) {
      client(rt);
      CHECK(nacre_shutdown(rt) == 0);
    }
    CHECK(nacre_finalize(rt) == 0);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0 && rc == 0) {
    for (int k = 0; k < 3; ++k) {
      char sdir[512];
      snprintf(sdir, sizeof sdir, "%s/server-%d", dir, k);
      const int n = count_objects(sdir);
      if (n <= 0) fprintf(stderr, "capi_config: %s holds %d object files\n", sdir, n);
      CHECK(n > 0);
    }
  }
  if (rank == 0) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "capi_config: could not remove %s\n", dir);
  }
  int all = 0;
  MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0 && all == 0) printf("capi_config: OK\n");
  MPI_Finalize();
  return all == 0 ? 0 : 1;
}
