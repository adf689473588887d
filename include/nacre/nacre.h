/* nacre.h: the C API of Nacre (C99; callable from Fortran via ISO_C_BINDING).
 *
 * A thin layer over the C++ API (nacre/runtime.hpp, filesystem.hpp,
 * file.hpp): same semantics, same errors, no exceptions.
 *
 * Conventions
 *   - Fallible calls return int: 0 on success, a positive errno value on
 *     failure (ENOENT, EEXIST, EINVAL, EBADF, ENOTCONN, EIO, ...). The
 *     message of the latest failure on the calling thread is returned by
 *     nacre_last_error(); successful calls leave it unchanged.
 *   - Queries that cannot fail (nacre_is_server, nacre_client_comm, ...)
 *     return their value directly.
 *   - Handles (nacre_runtime_t*, nacre_file_t*) are opaque, created by the
 *     library and released only by nacre_finalize / nacre_close.
 *   - Byte counts and offsets are int64_t (Fortran has no unsigned types);
 *     negative values fail with EINVAL. Buffer lengths are size_t.
 *   - Strings passed in are NUL-terminated and only borrowed for the call.
 *   - Collective calls are marked COLLECTIVE; every other call involves only
 *     the calling rank (and the servers). Handles are not thread-safe: use a
 *     file handle from one thread at a time.
 *
 * Typical embedded use (see examples/03_c_api.c):
 *
 *   MPI_Init(&argc, &argv);
 *   nacre_runtime_t* rt;
 *   if (nacre_start(MPI_COMM_WORLD, NULL, &rt)) {      // config from NACRE_*
 *     fprintf(stderr, "%s\n", nacre_last_error()); MPI_Abort(MPI_COMM_WORLD, 1);
 *   }
 *   if (!nacre_is_server(rt)) {
 *     ... nacre_create / nacre_pwrite / nacre_close, nacre_client_comm(rt) ...
 *     nacre_shutdown(rt);            // collective over the client ranks
 *   }
 *   nacre_finalize(rt);              // every rank, before MPI_Finalize
 *   MPI_Finalize();
 *
 * Fortran (ISO_C_BINDING), no module needed; declare what you use, e.g.
 *
 *   interface
 *     integer(c_int) function nacre_start_f(comm, config, rt) bind(C, name="nacre_start_f")
 *       import :: c_int, c_ptr
 *       integer(c_int), value :: comm      ! MPI_COMM_WORLD, or comm%MPI_VAL (mpi_f08)
 *       type(c_ptr), value :: config       ! c_null_ptr: configuration from NACRE_*
 *       type(c_ptr) :: rt                  ! out: the runtime handle
 *     end function
 *     integer(c_int) function nacre_pwrite(f, buf, count, offset, nbytes) bind(C, name="nacre_pwrite")
 *       import :: c_int, c_ptr, c_size_t, c_int64_t
 *       type(c_ptr), value :: f, buf       ! buf: c_loc(array)
 *       integer(c_size_t), value :: count
 *       integer(c_int64_t), value :: offset
 *       integer(c_size_t) :: nbytes
 *     end function
 *   end interface
 *
 *   - Handles are type(c_ptr). Pass strings as character(kind=c_char) with
 *     a trailing c_null_char (trim(path)//c_null_char).
 *   - Use the *_f variants taking/returning an MPI_Fint (a Fortran integer
 *     communicator handle) instead of MPI_Comm.
 *   - The structs below are interoperable as type, bind(C) with the same
 *     field order; uint32_t fields map to integer(c_int32_t).
 *   - nacre_last_error() returns a C string: bind it as type(c_ptr) and
 *     copy with c_f_pointer, or use nacre_last_error_copy().
 */
#ifndef NACRE_NACRE_H
#define NACRE_NACRE_H

#include <nacre/export.h>
#include <nacre/version.hpp>

#include <errno.h> /* the codes returned are errno values */
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Handles --------------------------------------------------------- */

/* One rank's membership in a Nacre job (server or client). Also the file
 * system handle of a client rank. */
typedef struct nacre_runtime nacre_runtime_t;
/* An open file of a client rank. */
typedef struct nacre_file nacre_file_t;

/* ---- Errors and version ---------------------------------------------- */

/* Message of the latest failed call on this thread, starting with the errno
 * name ("ENOENT: open /a: no such file"); "" if none. The pointer
 * stays valid until the next failing call on this thread. Never NULL. */
NACRE_API const char* nacre_last_error(void);
/* Copies the message into buf (always NUL-terminated, truncated to fit).
 * Returns the full message length. For Fortran and other copying callers. */
NACRE_API size_t nacre_last_error_copy(char* buf, size_t size);
/* Symbolic name of an errno value ("ENOENT"), "E?" when unknown. Static. */
NACRE_API const char* nacre_errno_name(int code);
/* Version of the library actually linked (compare with NACRE_VERSION_*). */
NACRE_API void nacre_version(int* major, int* minor, int* patch);

/* ---- Configuration (nacre/config.hpp) -------------------------------- */

#define NACRE_STORE_MEMORY 0    /* objects in server memory */
#define NACRE_STORE_DIRECTORY 1 /* objects as files under <store_dir>/server-<k> */

#define NACRE_DEPLOYMENT_SCRATCH 0    /* no replicas; checksums off by default */
#define NACRE_DEPLOYMENT_PERSISTENT 1 /* replicas (default 2), checksums on by default */

#define NACRE_CONFIG_PATH_MAX 4096
#define NACRE_CONFIG_ADDRESS_MAX 1024
#define NACRE_CONFIG_LEVEL_MAX 16

/* Plain data; fill it with nacre_config_init() or nacre_config_load()
 * before changing fields. Strings are NUL-terminated within their arrays.
 * The fields after log_level came with version 0.2, read_cache_max with 0.3
 * (the library's soname changed with each). Each field is the config key named in its comment
 * (docs/USER_GUIDE.md, "Configuration"). */
typedef struct nacre_config {
  int32_t servers;        /* ranks that become servers (embedded mode), >= 1 */
  int32_t store_kind;     /* NACRE_STORE_MEMORY or NACRE_STORE_DIRECTORY */
  int64_t stripe_size;    /* root directory default, multiple of 64 KiB */
  int32_t stripe_count;   /* root directory default, -1 = all servers */
  int32_t reserved;       /* keep 0 */
  int64_t max_rpc_bytes;  /* largest RPC payload, 64 KiB .. 16 MiB */
  char store_dir[NACRE_CONFIG_PATH_MAX];   /* directory store root */
  char address[NACRE_CONFIG_ADDRESS_MAX];  /* standalone server address */
  char log_level[NACRE_CONFIG_LEVEL_MAX];  /* error | warn | info | debug */
  int32_t deployment;     /* deployment.type: NACRE_DEPLOYMENT_SCRATCH or _PERSISTENT */
  int32_t replicas;       /* deployment.replicas: copies per object, 0 = the
                             deployment's default (scratch 1, persistent 2) */
  int32_t checksums;      /* store.checksums: 1 on, 0 off, -1 = the deployment's
                             default (persistent on, scratch off) */
  int32_t reserved2;      /* keep 0 */
  int64_t store_reserve;  /* store.reserve: memory store bytes faulted in at start */
  int64_t cache_max;      /* client.cache_max: write-back cache bytes, 0 = no cache */
  int64_t read_cache_max; /* client.read_cache_max: read cache bytes, 0 = none */
} nacre_config_t;

/* Built-in defaults (1 server, memory store, 1 MiB stripes over all
 * servers, 4 MiB RPCs, log level "warn"). Not collective. */
NACRE_API int nacre_config_init(nacre_config_t* config);
/* Defaults, then the TOML file named by NACRE_CONFIG (if set), then the
 * NACRE_* environment variables; validated. Not collective. Errors name the
 * offending key or variable. */
NACRE_API int nacre_config_load(nacre_config_t* config);
/* Checks every field; EINVAL names the offending key. Not collective. */
NACRE_API int nacre_config_validate(const nacre_config_t* config);

/* ---- Runtime (nacre/runtime.hpp) ------------------------------------- */

/* Embedded mode. COLLECTIVE over comm, with the same config->servers on
 * every rank; config NULL means nacre_config_load(). Ranks 0..servers-1
 * become servers: on them the call blocks until every client has shut down,
 * then returns a runtime with nacre_is_server() true. The other ranks return
 * at once as clients. MPI must be initialised. On success *rt is a new handle
 * (release with nacre_finalize); on failure *rt is NULL, on every rank. */
NACRE_API int nacre_start(MPI_Comm comm, const nacre_config_t* config, nacre_runtime_t** rt);
/* Standalone mode: every rank of comm becomes a client of the server job at
 * config->address. COLLECTIVE over comm. config NULL: nacre_config_load().
 * May fail with ENOSYS where standalone mode is not available. */
NACRE_API int nacre_connect(MPI_Comm comm, const nacre_config_t* config, nacre_runtime_t** rt);
/* The same, with a Fortran communicator handle (MPI_COMM_WORLD, comm%MPI_VAL). */
NACRE_API int nacre_start_f(MPI_Fint comm, const nacre_config_t* config, nacre_runtime_t** rt);
NACRE_API int nacre_connect_f(MPI_Fint comm, const nacre_config_t* config, nacre_runtime_t** rt);

/* 1 on server ranks, 0 on client ranks (and for NULL). */
NACRE_API int nacre_is_server(const nacre_runtime_t* rt);
/* Clients: a communicator of the client ranks, to use instead of the job's
 * communicator. MPI_COMM_NULL on servers. Owned by the runtime: do not free. */
NACRE_API MPI_Comm nacre_client_comm(const nacre_runtime_t* rt);
NACRE_API MPI_Fint nacre_client_comm_f(const nacre_runtime_t* rt);
/* Number of object servers (the largest useful stripe count); 0 on servers
 * and after shutdown. */
NACRE_API int nacre_server_count(const nacre_runtime_t* rt);

/* Clients: disconnect from the servers. COLLECTIVE over nacre_client_comm().
 * Close every file first. Idempotent; a no-op on server ranks. The handle
 * stays valid (calls on it fail with ENOTCONN) until nacre_finalize. */
NACRE_API int nacre_shutdown(nacre_runtime_t* rt);
/* Releases the handle (NULL is fine). On a client that has not called
 * nacre_shutdown it shuts down first, so it is then COLLECTIVE over the
 * clients. Call it on every rank before MPI_Finalize. The handle is freed
 * even when the implied shutdown fails (the error is returned). */
NACRE_API int nacre_finalize(nacre_runtime_t* rt);

/* ---- Layouts (nacre/layout.hpp) -------------------------------------- */

/* What a caller asks for when creating a file or setting a directory
 * default. 0 = inherit; stripe_count -1 = every server; first_server -1 =
 * chosen by the metadata server. */
typedef struct nacre_layout_request {
  int64_t stripe_size;   /* 0 or a multiple of 64 KiB */
  int32_t stripe_count;  /* 0, -1, or 1..servers */
  int32_t first_server;  /* -1, or 0..servers-1 */
} nacre_layout_request_t;
#define NACRE_LAYOUT_REQUEST_INIT {0, 0, -1}
/* Sets *req to NACRE_LAYOUT_REQUEST_INIT (inherit everything). */
NACRE_API void nacre_layout_request_init(nacre_layout_request_t* req);

/* One stripe's home: server index and object id on that server. */
typedef struct nacre_stripe {
  uint32_t server;
  uint32_t reserved;
  uint64_t object_id;
} nacre_stripe_t;

/* The layout of an existing file. */
typedef struct nacre_layout {
  int64_t stripe_size;
  int32_t stripe_count;  /* number of stripes of the file */
  int32_t copies;        /* copies of every stripe on distinct servers (>= 1;
                            the stripes below are the first copy's) */
} nacre_layout_t;

/* ---- Namespace (nacre/filesystem.hpp); clients only -------------------
 * Paths are absolute ("/a/b"). On a server rank or after shutdown these
 * fail with ENOTCONN. Not collective. */

#define NACRE_TYPE_REGULAR 1
#define NACRE_TYPE_DIRECTORY 2

typedef struct nacre_timespec {
  int64_t sec;
  int64_t nsec;
} nacre_timespec_t;

/* (The tag is not "nacre_stat": in C++ the function nacre_stat would hide it.) */
typedef struct nacre_stat_info {
  uint64_t ino;
  int64_t size;       /* across all stripes */
  uint32_t type;      /* NACRE_TYPE_* */
  uint32_t mode;      /* permission bits (07777) */
  uint32_t uid;
  uint32_t gid;
  uint32_t nlink;
  uint32_t reserved;
  nacre_timespec_t atime, mtime, ctime;
} nacre_stat_t;

#define NACRE_NAME_MAX 255
typedef struct nacre_dirent {
  char name[NACRE_NAME_MAX + 1]; /* NUL-terminated */
  uint32_t type;                 /* NACRE_TYPE_* */
  uint32_t reserved;
  uint64_t ino;
} nacre_dirent_t;

NACRE_API int nacre_mkdir(nacre_runtime_t* rt, const char* path, uint32_t mode);
NACRE_API int nacre_rmdir(nacre_runtime_t* rt, const char* path);
/* Removes a file; its data is freed once the last open handle closes. */
NACRE_API int nacre_unlink(nacre_runtime_t* rt, const char* path);
/* POSIX rename: replaces a file, or an empty directory by a directory. */
NACRE_API int nacre_rename(nacre_runtime_t* rt, const char* from, const char* to);
NACRE_API int nacre_stat(nacre_runtime_t* rt, const char* path, nacre_stat_t* st);
/* Truncates or extends (with a hole) the file at path to size bytes. */
NACRE_API int nacre_truncate(nacre_runtime_t* rt, const char* path, int64_t size);

/* Reads a whole directory, sorted by name. On success *entries is a new
 * array of *count entries owned by the caller: release it with
 * nacre_free_dirents() (also when *count is 0; *entries may then be NULL).
 * On failure *entries is NULL and *count 0. */
NACRE_API int nacre_readdir(nacre_runtime_t* rt, const char* path, nacre_dirent_t** entries,
                            size_t* count);
NACRE_API void nacre_free_dirents(nacre_dirent_t* entries);
/* The same as a callback: cb is called once per entry (the entry is only
 * valid during the call) until it returns non-zero, which stops the walk;
 * that value is then returned (so pick a positive errno-like code, or
 * treat it as your own sentinel). */
typedef int (*nacre_dirent_fn)(const nacre_dirent_t* entry, void* arg);
NACRE_API int nacre_readdir_cb(nacre_runtime_t* rt, const char* path, nacre_dirent_fn cb,
                               void* arg);

/* Directory default layout, inherited by files and subdirectories created in
 * it afterwards (like `lfs setstripe`). */
NACRE_API int nacre_set_default_layout(nacre_runtime_t* rt, const char* dir,
                                       const nacre_layout_request_t* layout);
NACRE_API int nacre_get_default_layout(nacre_runtime_t* rt, const char* dir,
                                       nacre_layout_request_t* layout);
/* The layout of a file (like `lfs getstripe`). layout->stripe_count is the
 * file's stripe count; the first min(stripe_count, max_stripes) stripes are
 * copied to the caller's array stripes (may be NULL when max_stripes is 0). */
NACRE_API int nacre_get_layout(nacre_runtime_t* rt, const char* path, nacre_layout_t* layout,
                               nacre_stripe_t* stripes, size_t max_stripes);

/* ---- Files (nacre/file.hpp); clients only, not collective ------------ */

/* Open flags, combinable with |. Exactly one of RDONLY, WRONLY, RDWR. */
#define NACRE_O_RDONLY 1
#define NACRE_O_WRONLY 2
#define NACRE_O_RDWR 3
#define NACRE_O_CREAT 4  /* create if missing */
#define NACRE_O_EXCL 8   /* with CREAT: EEXIST if present */
#define NACRE_O_TRUNC 16 /* truncate to 0 (needs write access) */
/* Locking and caching of this handle (docs/LOCKS.md; the default is POSIX
 * consistency with client write-back caching under locks). */
#define NACRE_O_LOCKLESS 32      /* no locks, no cache (application synchronises) */
#define NACRE_O_NOEXPAND 64      /* locks cover exactly the bytes touched */
#define NACRE_O_WRITETHROUGH 128 /* locks, but every write goes out at once */

/* Opens (or creates, with NACRE_O_CREAT) a file. layout (NULL = inherit) is
 * used only when the call creates the file. On success *file is a new handle
 * owned by the caller (release with nacre_close); on failure NULL. */
NACRE_API int nacre_open(nacre_runtime_t* rt, const char* path, int flags, uint32_t mode,
                         const nacre_layout_request_t* layout, nacre_file_t** file);
/* nacre_open with NACRE_O_CREAT | NACRE_O_EXCL | NACRE_O_RDWR. */
NACRE_API int nacre_create(nacre_runtime_t* rt, const char* path, uint32_t mode,
                           const nacre_layout_request_t* layout, nacre_file_t** file);

/* Writes count bytes of buf at offset (all or nothing per stripe object).
 * *nbytes (may be NULL) gets the bytes written: count on success, 0 on
 * failure. EBADF: not open for writing; EFBIG: beyond the largest file. */
NACRE_API int nacre_pwrite(nacre_file_t* file, const void* buf, size_t count, int64_t offset,
                           size_t* nbytes);
/* Appends count bytes of buf at the current end of file (POSIX O_APPEND:
 * concurrent appends never overlap, under locks). *offset (may be NULL)
 * gets the offset they went to. */
NACRE_API int nacre_append(nacre_file_t* file, const void* buf, size_t count, int64_t* offset);
/* Reads up to count bytes at offset into buf; holes read as zeros. *nbytes
 * (may be NULL) gets the bytes read: fewer than count only at end of file
 * (0 at or past it). */
NACRE_API int nacre_pread(nacre_file_t* file, void* buf, size_t count, int64_t offset,
                          size_t* nbytes);
/* Makes written data durable on the object stores. */
NACRE_API int nacre_file_sync(nacre_file_t* file);
/* Current size of the file (asks every stripe's server). */
NACRE_API int nacre_file_size(nacre_file_t* file, int64_t* size);
/* Truncates or extends (with a hole). Needs write access. */
NACRE_API int nacre_file_set_size(nacre_file_t* file, int64_t size);
/* The layout of the open file; see nacre_get_layout for the arguments. */
NACRE_API int nacre_file_layout(const nacre_file_t* file, nacre_layout_t* layout,
                                nacre_stripe_t* stripes, size_t max_stripes);
/* Application locks (advisory, docs/LOCKS.md): fcntl-style record locks
 * owned by the calling process, and flock-style whole-file locks owned by
 * the handle. Types: */
#define NACRE_LOCK_UN 0 /* unlock */
#define NACRE_LOCK_SH 1 /* shared (fcntl: needs read access) */
#define NACRE_LOCK_EX 2 /* exclusive (fcntl: needs write access) */
typedef struct nacre_lock_info {
  int type;       /* NACRE_LOCK_UN: no conflicting lock (other fields 0) */
  int64_t start;
  int64_t len;    /* 0: to end of file */
  uint32_t pid;   /* the holder's process id (on its own node) */
  uint32_t job;   /* the holder's client job as the metadata server numbers them */
  uint32_t rank;  /* the holder's rank in its job */
} nacre_lock_info_t;
/* Like fcntl(F_SETLK) (wait = 0) or fcntl(F_SETLKW) (wait != 0) on
 * [start, start+len), len 0 meaning to end of file. Errors: EAGAIN (a lock of
 * another process conflicts, wait = 0), EDEADLK (waiting would deadlock),
 * EBADF (access mode), EINVAL (type or range). */
NACRE_API int nacre_file_lock(nacre_file_t* file, int type, int64_t start, int64_t len, int wait);
/* Like fcntl(F_GETLK): *info gets a lock of another process that would block
 * a lock of type (SH or EX) on the range, or type NACRE_LOCK_UN. */
NACRE_API int nacre_file_test_lock(nacre_file_t* file, int type, int64_t start, int64_t len,
                                   nacre_lock_info_t* info);
/* Like flock(2): LOCK_SH / LOCK_EX / LOCK_UN, wait = 0 as LOCK_NB. */
NACRE_API int nacre_file_flock(nacre_file_t* file, int type, int wait);
/* Group lock (like Lustre's llapi_group_lock; docs/LOCKS.md "Group locks"):
 * an extent lock on the whole file shared by every handle that holds the
 * group lock of the same gid (> 0); everyone else's access waits until all
 * have dropped it. Blocks until granted. While held, the handle's data
 * calls take no extent locks and cache nothing. EINVAL: gid 0 or already
 * held by this handle. nacre_file_group_unlock: EINVAL if none is held;
 * nacre_close drops it too. */
NACRE_API int nacre_file_group_lock(nacre_file_t* file, uint64_t gid);
NACRE_API int nacre_file_group_unlock(nacre_file_t* file);

/* Closes and frees the handle (NULL is fine). The handle is freed even when
 * closing fails (the error is returned), like close(2). */
NACRE_API int nacre_close(nacre_file_t* file);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* NACRE_NACRE_H */
