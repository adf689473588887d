/* Outside consumer of the installed C API (nacre.h). Prints
 * "consumer_c: OK" on client rank 0. */
#include <nacre/nacre.h>

#include <mpi.h>

#include <stdio.h>
#include <string.h>

static int check(const char* what, int rc) {
  if (rc != 0) fprintf(stderr, "consumer_c: error: %s: %s\n", what, nacre_last_error());
  return rc == 0;
}

static int client(nacre_runtime_t* rt) {
  int rank = 0, ok;
  char path[64], msg[64], back[64];
  size_t n = 0, count = 0;
  nacre_file_t* f = NULL;
  nacre_stat_t st;
  nacre_dirent_t* entries = NULL;

  MPI_Comm_rank(nacre_client_comm(rt), &rank);
  snprintf(path, sizeof path, "/c-%d", rank);
  snprintf(msg, sizeof msg, "hello from C client %d", rank);
  memset(back, 0, sizeof back);
  ok = check("create", nacre_create(rt, path, 0644, NULL, &f)) &&
       check("pwrite", nacre_pwrite(f, msg, strlen(msg), 0, &n)) &&
       check("pread", nacre_pread(f, back, sizeof back, 0, &n)) &&
       check("close", nacre_close(f)) && check("stat", nacre_stat(rt, path, &st)) &&
       check("readdir", nacre_readdir(rt, "/", &entries, &count));
  if (!ok) return 0;
  nacre_free_dirents(entries);
  if (n != strlen(msg) || strcmp(back, msg) != 0 || st.size != (int64_t)strlen(msg) ||
      st.type != NACRE_TYPE_REGULAR || count < 1) {
    fprintf(stderr, "consumer_c: error: unexpected results\n");
    return 0;
  }
  if (nacre_stat(rt, "/no-such-file", &st) != ENOENT) {
    fprintf(stderr, "consumer_c: error: stat of a missing file was not ENOENT\n");
    return 0;
  }
  return check("unlink", nacre_unlink(rt, path));
}

int main(int argc, char** argv) {
  int rc = 0, rank = 0;
  nacre_runtime_t* rt = NULL;
  MPI_Init(&argc, &argv);
  if (!check("nacre_start", nacre_start(MPI_COMM_WORLD, NULL, &rt))) {
    MPI_Finalize();
    return 1;
  }
  if (!nacre_is_server(rt)) {
    int ok = client(rt), all = 0;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, nacre_client_comm(rt));
    MPI_Comm_rank(nacre_client_comm(rt), &rank);
    if (!check("nacre_shutdown", nacre_shutdown(rt))) all = 0;
    if (all && rank == 0) printf("consumer_c: OK\n");
    rc = all ? 0 : 1;
  }
  if (!check("nacre_finalize", nacre_finalize(rt))) rc = 1;
  MPI_Finalize();
  return rc;
}
