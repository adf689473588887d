/* mpi.locks.app_c: the C API of application locks (nacre_file_lock,
 * nacre_file_test_lock, nacre_file_flock) between two client ranks of an
 * embedded job, plus argument checks, concurrent nacre_append, and group
 * locks (nacre_file_group_lock / _unlock). Prints "app_locks_c: OK" on client
 * rank 0 and exits non-zero on any failure. */
#include <nacre/nacre.h>

#include <mpi.h>

#include <stdint.h>
#include <stdio.h>

static int failures = 0;

static void expect(const char* what, int rc, int want) {
  if (rc != want) {
    fprintf(stderr, "app_locks_c: %s: got %s (%s), expected %s\n", what, nacre_errno_name(rc),
            nacre_last_error(), nacre_errno_name(want));
    ++failures;
  }
}

static void client(nacre_runtime_t* rt) {
  MPI_Comm comm = nacre_client_comm(rt);
  int rank = 0;
  nacre_file_t* f = NULL;
  nacre_lock_info_t info;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0) expect("create", nacre_create(rt, "/c-locks", 0644, NULL, &f), 0);
  if (rank == 0) expect("close", nacre_close(f), 0);
  MPI_Barrier(comm);
  expect("open", nacre_open(rt, "/c-locks", NACRE_O_RDWR, 0, NULL, &f), 0);
  if (!f) { ++failures; return; }
  expect("bad type", nacre_file_lock(f, 7, 0, 1, 0), EINVAL);
  expect("negative start", nacre_file_lock(f, NACRE_LOCK_EX, -1, 1, 0), EINVAL);
  expect("test of unlock", nacre_file_test_lock(f, NACRE_LOCK_UN, 0, 1, &info), EINVAL);
  expect("null info", nacre_file_test_lock(f, NACRE_LOCK_EX, 0, 1, NULL), EINVAL);
  expect("null file", nacre_file_flock(NULL, NACRE_LOCK_EX, 0), EINVAL);
  if (rank == 0) {
    expect("lock", nacre_file_lock(f, NACRE_LOCK_EX, 10, 20, 0), 0);
    expect("flock", nacre_file_flock(f, NACRE_LOCK_SH, 0), 0);
  }
  MPI_Barrier(comm);
  if (rank == 1) {
    expect("conflicting lock", nacre_file_lock(f, NACRE_LOCK_SH, 0, 0, 0), EAGAIN);
    expect("test", nacre_file_test_lock(f, NACRE_LOCK_SH, 0, 0, &info), 0);
    if (info.type != NACRE_LOCK_EX || info.start != 10 || info.len != 20) {
      fprintf(stderr, "app_locks_c: test answered type %d [%lld, +%lld)\n", info.type,
              (long long)info.start, (long long)info.len);
      ++failures;
    }
    expect("free range", nacre_file_lock(f, NACRE_LOCK_EX, 30, 0, 0), 0);
    expect("shared flock", nacre_file_flock(f, NACRE_LOCK_SH, 0), 0);
    expect("exclusive flock", nacre_file_flock(f, NACRE_LOCK_EX, 0), EAGAIN);
  }
  MPI_Barrier(comm);
  if (rank == 0) expect("close", nacre_close(f), 0);  /* drops rank 0's locks */
  MPI_Barrier(comm);
  if (rank == 1) {
    expect("after close", nacre_file_lock(f, NACRE_LOCK_EX, 0, 0, 1), 0);
    expect("flock after close", nacre_file_flock(f, NACRE_LOCK_EX, 1), 0);
    expect("close", nacre_close(f), 0);
  }
  MPI_Barrier(comm);

  /* nacre_append: both ranks append 100 bytes 10 times; the offsets they
   * get are distinct multiples of 100 and the file ends at 2000 bytes. */
  {
    char rec[100];
    int64_t at = -1, offs[10];
    uint64_t size = 0;
    int i, bad = 0;
    for (i = 0; i < 100; ++i) rec[i] = (char)('a' + rank);
    expect("open for append", nacre_open(rt, "/c-locks", NACRE_O_RDWR, 0, NULL, &f), 0);
    if (!f) { ++failures; return; }
    expect("append of a null buffer", nacre_append(f, NULL, 5, &at), EINVAL);
    for (i = 0; i < 10; ++i) {
      expect("append", nacre_append(f, rec, sizeof rec, &at), 0);
      offs[i] = at;
      if (at < 0 || at % 100 != 0) bad = 1;
    }
    for (i = 1; i < 10; ++i) if (offs[i] <= offs[i - 1]) bad = 1;
    if (bad) { fprintf(stderr, "app_locks_c: append offsets out of order\n"); ++failures; }
    expect("close after append", nacre_close(f), 0);
    MPI_Barrier(comm);
    if (rank == 0) {
      nacre_stat_t st;
      expect("stat", nacre_stat(rt, "/c-locks", &st), 0);
      size = st.size;
      if (size != 2000) {
        fprintf(stderr, "app_locks_c: size after appends %llu, expected 2000\n",
                (unsigned long long)size);
        ++failures;
      }
    }
  }
  MPI_Barrier(comm);

  /* Group lock: both ranks join group 5 and write their own 10 bytes. */
  {
    char mine[10], back[20];
    size_t got = 0;
    int i;
    for (i = 0; i < 10; ++i) mine[i] = (char)('A' + rank);
    expect("null file group lock", nacre_file_group_lock(NULL, 5), EINVAL);
    expect("null file group unlock", nacre_file_group_unlock(NULL), EINVAL);
    expect("open for group lock", nacre_open(rt, "/c-locks", NACRE_O_RDWR, 0, NULL, &f), 0);
    if (!f) { ++failures; return; }
    expect("group lock gid 0", nacre_file_group_lock(f, 0), EINVAL);
    expect("group unlock of nothing", nacre_file_group_unlock(f), EINVAL);
    expect("group lock", nacre_file_group_lock(f, 5), 0);
    expect("group lock twice", nacre_file_group_lock(f, 5), EINVAL);
    MPI_Barrier(comm);
    expect("write under the group lock", nacre_pwrite(f, mine, sizeof mine, rank * 10, NULL), 0);
    MPI_Barrier(comm);
    expect("read under the group lock", nacre_pread(f, back, sizeof back, 0, &got), 0);
    if (got != 20 || back[0] != 'A' || back[10] != 'B') {
      fprintf(stderr, "app_locks_c: group members read %zu bytes '%c' '%c'\n", got, back[0],
              back[10]);
      ++failures;
    }
    expect("group unlock", nacre_file_group_unlock(f), 0);
    expect("group unlock twice", nacre_file_group_unlock(f), EINVAL);
    expect("close after group lock", nacre_close(f), 0);
  }
}

int main(int argc, char** argv) {
  int rc = 0, provided = 0, all = 0, rank = 0;
  nacre_runtime_t* rt = NULL;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  if (nacre_start(MPI_COMM_WORLD, NULL, &rt) != 0) {
    fprintf(stderr, "app_locks_c: nacre_start: %s\n", nacre_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (!nacre_is_server(rt)) {
    client(rt);
    MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, nacre_client_comm(rt));
    MPI_Comm_rank(nacre_client_comm(rt), &rank);
    if (nacre_shutdown(rt) != 0) all = 1;
    if (all == 0 && rank == 0) printf("app_locks_c: OK\n");
    rc = all == 0 ? 0 : 1;
  }
  if (nacre_finalize(rt) != 0) rc = 1;
  MPI_Finalize();
  return rc;
}
