// The C API (include/nacre/nacre.h): converts arguments, forwards to the C++
// API, turns Status into an int code plus a thread-local message. No
// exception leaves this file: every entry point runs inside guard().
#include <nacre/nacre.h>
#include <nacre/nacre.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>

struct nacre_runtime {
  explicit nacre_runtime(nacre::Runtime r) : rt(std::move(r)) {}
  nacre::Runtime rt;
};

struct nacre_file {
  explicit nacre_file(nacre::File f) : file(std::move(f)) {}
  nacre::File file;
};

namespace {

using nacre::Status;

static_assert(NACRE_O_RDONLY == nacre::open_flags::kRead);
static_assert(NACRE_O_WRONLY == nacre::open_flags::kWrite);
static_assert(NACRE_O_RDWR == nacre::open_flags::kReadWrite);
static_assert(NACRE_O_CREAT == nacre::open_flags::kCreate);
static_assert(NACRE_O_EXCL == nacre::open_flags::kExclusive);
static_assert(NACRE_O_TRUNC == nacre::open_flags::kTruncate);
static_assert(NACRE_O_LOCKLESS == nacre::open_flags::kLockless);
static_assert(NACRE_O_NOEXPAND == nacre::open_flags::kNoExpand);
static_assert(NACRE_O_WRITETHROUGH == nacre::open_flags::kWriteThrough);
static_assert(NACRE_TYPE_REGULAR == static_cast<int>(nacre::FileType::kRegular));
static_assert(NACRE_TYPE_DIRECTORY == static_cast<int>(nacre::FileType::kDirectory));
static_assert(NACRE_NAME_MAX == 255);

thread_local std::string t_last_error;

int fail(const Status& s) {
  t_last_error = s.to_string();
  return s.code();
}
int fail(int code, const std::string& message) { return fail(Status::error(code, message)); }
int check(const Status& s) { return s.is_ok() ? 0 : fail(s); }

// Runs body (returning int), converting any escaping exception to a code.
template <class F>
int guard(const char* fn, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    try { return fail(ENOMEM, std::string(fn) + ": out of memory"); } catch (...) { return ENOMEM; }
  } catch (const std::exception& e) {
    try { return fail(EIO, std::string(fn) + ": internal error: " + e.what()); } catch (...) { return EIO; }
  } catch (...) {
    try { return fail(EIO, std::string(fn) + ": internal error"); } catch (...) { return EIO; }
  }
}

#define NACRE_NEED(cond, fn, what) \
  if (!(cond)) return fail(EINVAL, std::string(fn) + ": " + (what))

// Returns the C code of a failed Status expression (sets the message).
#define NACRE_RETURN_IF_ERROR_C(expr)          \
  do {                                         \
    const ::nacre::Status s_ = (expr);         \
    if (!s_.is_ok()) return fail(s_);          \
  } while (0)

// Copies a C++ string into a fixed array, NUL-terminated; false if too long.
bool copy_string(const std::string& from, char* to, size_t cap) {
  if (from.size() >= cap) return false;
  std::memcpy(to, from.c_str(), from.size() + 1);
  return true;
}

// A NUL-terminated field of a fixed array, or an error naming the field.
Status read_field(const char* field, size_t cap, const char* key, std::string* out) {
  const size_t n = strnlen(field, cap);
  if (n == cap) return Status::error(EINVAL, std::string("config key '") + key + "': not NUL-terminated");
  out->assign(field, n);
  return Status::ok();
}

int to_c(const nacre::Config& c, nacre_config_t* out) {
  nacre_config_t r;
  std::memset(&r, 0, sizeof r);
  r.servers = c.servers;
  r.store_kind = c.store == nacre::StoreKind::kMemory ? NACRE_STORE_MEMORY : NACRE_STORE_DIRECTORY;
  r.stripe_size = static_cast<int64_t>(c.stripe_size);
  r.stripe_count = c.stripe_count;
  r.max_rpc_bytes = static_cast<int64_t>(c.max_rpc_bytes);
  if (!copy_string(c.store_dir, r.store_dir, sizeof r.store_dir))
    return fail(ENAMETOOLONG, "config key 'store.dir': longer than NACRE_CONFIG_PATH_MAX-1");
  if (!copy_string(c.address, r.address, sizeof r.address))
    return fail(ENAMETOOLONG, "config key 'client.address': longer than NACRE_CONFIG_ADDRESS_MAX-1");
  if (!copy_string(c.log_level, r.log_level, sizeof r.log_level))
    return fail(EINVAL, "config key 'log.level': '" + c.log_level + "' is not a level");
  r.deployment = c.deployment == nacre::DeploymentType::kPersistent ? NACRE_DEPLOYMENT_PERSISTENT
                                                                    : NACRE_DEPLOYMENT_SCRATCH;
  r.replicas = c.replicas;
  r.checksums = c.checksums ? (*c.checksums ? 1 : 0) : -1;
  r.store_reserve = static_cast<int64_t>(c.store_reserve);
  r.cache_max = static_cast<int64_t>(c.cache_max);
  r.read_cache_max = static_cast<int64_t>(c.read_cache_max);
  *out = r;
  return 0;
}

Status from_c(const nacre_config_t& c, nacre::Config* out) {
  auto bad = [](const std::string& key, const std::string& why) {
    return Status::error(EINVAL, "config key '" + key + "': " + why);
  };
  nacre::Config r;
  r.servers = c.servers;
  if (c.store_kind == NACRE_STORE_MEMORY) r.store = nacre::StoreKind::kMemory;
  else if (c.store_kind == NACRE_STORE_DIRECTORY) r.store = nacre::StoreKind::kDirectory;
  else return bad("store.kind", std::to_string(c.store_kind) +
                                    " is not NACRE_STORE_MEMORY or NACRE_STORE_DIRECTORY");
  if (c.stripe_size < 0) return bad("layout.stripe_size", "negative (" + std::to_string(c.stripe_size) + ")");
  if (c.max_rpc_bytes < 0)
    return bad("transport.max_rpc_bytes", "negative (" + std::to_string(c.max_rpc_bytes) + ")");
  r.stripe_size = static_cast<uint64_t>(c.stripe_size);
  r.stripe_count = c.stripe_count;
  r.max_rpc_bytes = static_cast<uint64_t>(c.max_rpc_bytes);
  NACRE_RETURN_IF_ERROR(read_field(c.store_dir, sizeof c.store_dir, "store.dir", &r.store_dir));
  NACRE_RETURN_IF_ERROR(read_field(c.address, sizeof c.address, "client.address", &r.address));
  NACRE_RETURN_IF_ERROR(read_field(c.log_level, sizeof c.log_level, "log.level", &r.log_level));
  if (c.deployment == NACRE_DEPLOYMENT_SCRATCH) r.deployment = nacre::DeploymentType::kScratch;
  else if (c.deployment == NACRE_DEPLOYMENT_PERSISTENT) r.deployment = nacre::DeploymentType::kPersistent;
  else return bad("deployment.type", std::to_string(c.deployment) +
                                         " is not NACRE_DEPLOYMENT_SCRATCH or NACRE_DEPLOYMENT_PERSISTENT");
  if (c.replicas < 0) return bad("deployment.replicas", "negative (" + std::to_string(c.replicas) + ")");
  r.replicas = c.replicas;
  if (c.checksums == 0 || c.checksums == 1) r.checksums = c.checksums == 1;
  else if (c.checksums != -1)
    return bad("store.checksums", std::to_string(c.checksums) + " is not 1 (on), 0 (off) or -1 (default)");
  if (c.store_reserve < 0)
    return bad("store.reserve", "negative (" + std::to_string(c.store_reserve) + ")");
  if (c.cache_max < 0) return bad("client.cache_max", "negative (" + std::to_string(c.cache_max) + ")");
  r.store_reserve = static_cast<uint64_t>(c.store_reserve);
  r.cache_max = static_cast<uint64_t>(c.cache_max);
  if (c.read_cache_max < 0)
    return bad("client.read_cache_max", "negative (" + std::to_string(c.read_cache_max) + ")");
  r.read_cache_max = static_cast<uint64_t>(c.read_cache_max);
  if (c.reserved != 0 || c.reserved2 != 0)
    return bad("reserved", "the reserved fields must be 0 (fill the struct with nacre_config_init)");
  *out = std::move(r);
  return Status::ok();
}

// The optional config argument of nacre_start / nacre_connect (NULL:
// Config::load()), converted on every rank of comm. Collective: a bad
// struct or environment on one rank fails the call on every rank, or the
// others would wait in Runtime::start/connect forever.
nacre::Result<nacre::Config> agreed_config(MPI_Comm comm, const nacre_config_t* config) {
  nacre::Result<nacre::Config> c = nacre::Config{};
  if (!config) {
    c = nacre::Config::load();
  } else {
    nacre::Config conv;
    Status s = from_c(*config, &conv);
    if (s) c = std::move(conv);
    else c = s;
  }
  int bad = c ? 0 : 1, any_bad = 0;
  MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, comm);
  if (!c) return c;
  if (any_bad) return Status::error(EINVAL, "the configuration is invalid on another rank");
  return c;
}

nacre::LayoutRequest to_request(const nacre_layout_request_t* l) {
  if (!l) return {};
  return nacre::LayoutRequest{static_cast<uint64_t>(l->stripe_size), l->stripe_count,
                              l->first_server};
}

int check_request(const char* fn, const nacre_layout_request_t* l) {
  if (l && l->stripe_size < 0)
    return fail(EINVAL, std::string(fn) + ": negative stripe_size " + std::to_string(l->stripe_size));
  return 0;
}

void fill_layout(const nacre::Layout& l, nacre_layout_t* out, nacre_stripe_t* stripes,
                 size_t max_stripes) {
  out->stripe_size = static_cast<int64_t>(l.stripe_size);
  out->stripe_count = static_cast<int32_t>(l.stripes.size());
  out->copies = static_cast<int32_t>(l.copies());
  const size_t n = std::min(max_stripes, l.stripes.size());
  for (size_t i = 0; i < n; ++i) {
    stripes[i].server = l.stripes[i].server;
    stripes[i].reserved = 0;
    stripes[i].object_id = l.stripes[i].object_id;
  }
}

void fill_dirent(const nacre::DirEntry& e, nacre_dirent_t* out) {
  std::memset(out, 0, sizeof *out);
  const size_t n = std::min<size_t>(e.name.size(), NACRE_NAME_MAX);  // names are <= 255 bytes
  std::memcpy(out->name, e.name.data(), n);
  out->type = static_cast<uint32_t>(e.type);
  out->ino = e.ino;
}

// Start/connect share this: runs the C++ call and wraps the result.
template <class Call>
int open_runtime(const char* fn, nacre_runtime_t** out, Call&& call) {
  return guard(fn, [&]() -> int {
    NACRE_NEED(out, fn, "null runtime out-pointer");
    *out = nullptr;
    auto r = call();
    if (!r) return fail(r.status());
    *out = new nacre_runtime(std::move(*r));
    return 0;
  });
}

nacre::FileSystem* fs_of(nacre_runtime_t* rt) { return &rt->rt.fs(); }

}  // namespace

extern "C" {

// ---- Errors and version ----

const char* nacre_last_error(void) { return t_last_error.c_str(); }

size_t nacre_last_error_copy(char* buf, size_t size) {
  const std::string& m = t_last_error;
  if (buf && size > 0) {
    const size_t n = std::min(size - 1, m.size());
    std::memcpy(buf, m.data(), n);
    buf[n] = '\0';
  }
  return m.size();
}

const char* nacre_errno_name(int code) { return nacre::errno_name(code); }

void nacre_version(int* major, int* minor, int* patch) {
  if (major) *major = NACRE_VERSION_MAJOR;
  if (minor) *minor = NACRE_VERSION_MINOR;
  if (patch) *patch = NACRE_VERSION_PATCH;
}

// ---- Configuration ----

int nacre_config_init(nacre_config_t* config) {
  return guard("nacre_config_init", [&]() -> int {
    NACRE_NEED(config, "nacre_config_init", "null config");
    return to_c(nacre::Config{}, config);
  });
}

int nacre_config_load(nacre_config_t* config) {
  return guard("nacre_config_load", [&]() -> int {
    NACRE_NEED(config, "nacre_config_load", "null config");
    auto c = nacre::Config::load();
    if (!c) return fail(c.status());
    return to_c(*c, config);
  });
}

int nacre_config_validate(const nacre_config_t* config) {
  return guard("nacre_config_validate", [&]() -> int {
    NACRE_NEED(config, "nacre_config_validate", "null config");
    nacre::Config c;
    NACRE_RETURN_IF_ERROR_C(from_c(*config, &c));
    return check(c.validate());
  });
}

// ---- Runtime ----

int nacre_start(MPI_Comm comm, const nacre_config_t* config, nacre_runtime_t** rt) {
  return open_runtime("nacre_start", rt, [&]() -> nacre::Result<nacre::Runtime> {
    if (!config) return nacre::Runtime::start(comm);  // loads and agrees on the config
    auto c = agreed_config(comm, config);
    if (!c) return c.status();
    return nacre::Runtime::start(comm, *c);
  });
}

int nacre_connect(MPI_Comm comm, const nacre_config_t* config, nacre_runtime_t** rt) {
  return open_runtime("nacre_connect", rt, [&]() -> nacre::Result<nacre::Runtime> {
    auto c = agreed_config(comm, config);
    if (!c) return c.status();
    return nacre::Runtime::connect(comm, *c);
  });
}

int nacre_start_f(MPI_Fint comm, const nacre_config_t* config, nacre_runtime_t** rt) {
  return nacre_start(MPI_Comm_f2c(comm), config, rt);
}

int nacre_connect_f(MPI_Fint comm, const nacre_config_t* config, nacre_runtime_t** rt) {
  return nacre_connect(MPI_Comm_f2c(comm), config, rt);
}

int nacre_is_server(const nacre_runtime_t* rt) { return rt && rt->rt.is_server() ? 1 : 0; }

MPI_Comm nacre_client_comm(const nacre_runtime_t* rt) {
  return rt ? rt->rt.client_comm() : MPI_COMM_NULL;
}

MPI_Fint nacre_client_comm_f(const nacre_runtime_t* rt) {
  return MPI_Comm_c2f(nacre_client_comm(rt));
}

int nacre_server_count(const nacre_runtime_t* rt) {
  if (!rt || rt->rt.is_server()) return 0;
  return const_cast<nacre_runtime_t*>(rt)->rt.fs().server_count();
}

int nacre_shutdown(nacre_runtime_t* rt) {
  return guard("nacre_shutdown", [&]() -> int {
    NACRE_NEED(rt, "nacre_shutdown", "null runtime");
    return check(rt->rt.shutdown());
  });
}

int nacre_finalize(nacre_runtime_t* rt) {
  return guard("nacre_finalize", [&]() -> int {
    if (!rt) return 0;
    std::unique_ptr<nacre_runtime> owned(rt);
    return check(owned->rt.shutdown());
  });
}

// ---- Layouts ----

void nacre_layout_request_init(nacre_layout_request_t* req) {
  if (req) *req = nacre_layout_request_t{0, 0, -1};  // NACRE_LAYOUT_REQUEST_INIT
}

// ---- Namespace ----

#define NACRE_NEED_RT_PATH(fn)                        \
  NACRE_NEED(rt, fn, "null runtime");                 \
  NACRE_NEED(path, fn, "null path")

int nacre_mkdir(nacre_runtime_t* rt, const char* path, uint32_t mode) {
  return guard("nacre_mkdir", [&]() -> int {
    NACRE_NEED_RT_PATH("nacre_mkdir");
    return check(fs_of(rt)->mkdir(path, mode));
  });
}

int nacre_rmdir(nacre_runtime_t* rt, const char* path) {
  return guard("nacre_rmdir", [&]() -> int {
    NACRE_NEED_RT_PATH("nacre_rmdir");
    return check(fs_of(rt)->rmdir(path));
  });
}

int nacre_unlink(nacre_runtime_t* rt, const char* path) {
  return guard("nacre_unlink", [&]() -> int {
    NACRE_NEED_RT_PATH("nacre_unlink");
    return check(fs_of(rt)->unlink(path));
  });
}

int nacre_rename(nacre_runtime_t* rt, const char* from, const char* to) {
  return guard("nacre_rename", [&]() -> int {
    NACRE_NEED(rt, "nacre_rename", "null runtime");
    NACRE_NEED(from && to, "nacre_rename", "null path");
    return check(fs_of(rt)->rename(from, to));
  });
}

int nacre_stat(nacre_runtime_t* rt, const char* path, nacre_stat_t* st) {
  return guard("nacre_stat", [&]() -> int {
    NACRE_NEED_RT_PATH("nacre_stat");
    NACRE_NEED(st, "nacre_stat", "null stat buffer");
    auto s = fs_of(rt)->stat(path);
    if (!s) return fail(s.status());
    nacre_stat_t r;
    std::memset(&r, 0, sizeof r);
    r.ino = s->ino;
    r.size = static_cast<int64_t>(s->size);
    r.type = static_cast<uint32_t>(s->type);
    r.mode = s->mode;
    r.uid = s->uid;
    r.gid = s->gid;
    r.nlink = s->nlink;
    r.atime = {s->atime.sec, s->atime.nsec};
    r.mtime = {s->mtime.sec, s->mtime.nsec};
    r.ctime = {s->ctime.sec, s->ctime.nsec};
    *st = r;
    return 0;
  });
}

int nacre_truncate(nacre_runtime_t* rt, const char* path, int64_t size) {
  return guard("nacre_truncate", [&]() -> int {
    NACRE_NEED_RT_PATH("nacre_truncate");
    NACRE_NEED(size >= 0, "nacre_truncate", "negative size " + std::to_string(size));
    return check(fs_of(rt)->truncate(path, static_cast<uint64_t>(size)));
  });
}

int nacre_readdir(nacre_runtime_t* rt, const char* path, nacre_dirent_t** entries, size_t* count) {
  return guard("nacre_readdir", [&]() -> int {
    NACRE_NEED(entries && count, "nacre_readdir", "null out-pointer");
    *entries = nullptr;
    *count = 0;
    NACRE_NEED_RT_PATH("nacre_readdir");
    auto ls = fs_of(rt)->readdir(path);
    if (!ls) return fail(ls.status());
    if (ls->empty()) return 0;
    auto* arr = static_cast<nacre_dirent_t*>(std::malloc(ls->size() * sizeof(nacre_dirent_t)));
    if (!arr) return fail(ENOMEM, "nacre_readdir " + std::string(path) + ": out of memory");
    for (size_t i = 0; i < ls->size(); ++i) fill_dirent((*ls)[i], &arr[i]);
    *entries = arr;
    *count = ls->size();
    return 0;
  });
}

void nacre_free_dirents(nacre_dirent_t* entries) { std::free(entries); }

int nacre_readdir_cb(nacre_runtime_t* rt, const char* path, nacre_dirent_fn cb, void* arg) {
  return guard("nacre_readdir_cb", [&]() -> int {
    NACRE_NEED_RT_PATH("nacre_readdir_cb");
    NACRE_NEED(cb, "nacre_readdir_cb", "null callback");
    auto ls = fs_of(rt)->readdir(path);
    if (!ls) return fail(ls.status());
    nacre_dirent_t e;
    for (const auto& d : *ls) {
      fill_dirent(d, &e);
      if (int stop = cb(&e, arg)) return stop;
    }
    return 0;
  });
}

int nacre_set_default_layout(nacre_runtime_t* rt, const char* dir,
                             const nacre_layout_request_t* layout) {
  return guard("nacre_set_default_layout", [&]() -> int {
    NACRE_NEED(rt && dir && layout, "nacre_set_default_layout", "null argument");
    if (int e = check_request("nacre_set_default_layout", layout)) return e;
    return check(fs_of(rt)->set_default_layout(dir, to_request(layout)));
  });
}

int nacre_get_default_layout(nacre_runtime_t* rt, const char* dir, nacre_layout_request_t* layout) {
  return guard("nacre_get_default_layout", [&]() -> int {
    NACRE_NEED(rt && dir && layout, "nacre_get_default_layout", "null argument");
    auto l = fs_of(rt)->get_default_layout(dir);
    if (!l) return fail(l.status());
    layout->stripe_size = static_cast<int64_t>(l->stripe_size);
    layout->stripe_count = l->stripe_count;
    layout->first_server = l->first_server;
    return 0;
  });
}

int nacre_get_layout(nacre_runtime_t* rt, const char* path, nacre_layout_t* layout,
                     nacre_stripe_t* stripes, size_t max_stripes) {
  return guard("nacre_get_layout", [&]() -> int {
    NACRE_NEED_RT_PATH("nacre_get_layout");
    NACRE_NEED(layout, "nacre_get_layout", "null layout");
    NACRE_NEED(stripes || max_stripes == 0, "nacre_get_layout", "null stripes with max_stripes > 0");
    auto l = fs_of(rt)->get_layout(path);
    if (!l) return fail(l.status());
    fill_layout(*l, layout, stripes, max_stripes);
    return 0;
  });
}

// ---- Files ----

int nacre_open(nacre_runtime_t* rt, const char* path, int flags, uint32_t mode,
               const nacre_layout_request_t* layout, nacre_file_t** file) {
  return guard("nacre_open", [&]() -> int {
    NACRE_NEED(file, "nacre_open", "null file out-pointer");
    *file = nullptr;
    NACRE_NEED_RT_PATH("nacre_open");
    NACRE_NEED(flags >= 0 && (static_cast<uint32_t>(flags) & ~nacre::open_flags::kAll) == 0,
               "nacre_open", "unknown bits in flags " + std::to_string(flags));
    if (int e = check_request("nacre_open", layout)) return e;
    auto f = fs_of(rt)->open(path, static_cast<uint32_t>(flags), mode, to_request(layout));
    if (!f) return fail(f.status());
    *file = new nacre_file(std::move(*f));
    return 0;
  });
}

int nacre_create(nacre_runtime_t* rt, const char* path, uint32_t mode,
                 const nacre_layout_request_t* layout, nacre_file_t** file) {
  return nacre_open(rt, path, NACRE_O_CREAT | NACRE_O_EXCL | NACRE_O_RDWR, mode, layout, file);
}

int nacre_pwrite(nacre_file_t* file, const void* buf, size_t count, int64_t offset, size_t* nbytes) {
  return guard("nacre_pwrite", [&]() -> int {
    if (nbytes) *nbytes = 0;
    NACRE_NEED(file, "nacre_pwrite", "null file");
    NACRE_NEED(offset >= 0, "nacre_pwrite", "negative offset " + std::to_string(offset));
    auto n = file->file.write_at(static_cast<uint64_t>(offset), buf, count);
    if (!n) return fail(n.status());
    if (nbytes) *nbytes = *n;
    return 0;
  });
}

int nacre_append(nacre_file_t* file, const void* buf, size_t count, int64_t* offset) {
  return guard("nacre_append", [&]() -> int {
    if (offset) *offset = -1;
    NACRE_NEED(file, "nacre_append", "null file");
    auto at = file->file.append(buf, count);
    if (!at) return fail(at.status());
    if (offset) *offset = static_cast<int64_t>(*at);
    return 0;
  });
}

int nacre_pread(nacre_file_t* file, void* buf, size_t count, int64_t offset, size_t* nbytes) {
  return guard("nacre_pread", [&]() -> int {
    if (nbytes) *nbytes = 0;
    NACRE_NEED(file, "nacre_pread", "null file");
    NACRE_NEED(offset >= 0, "nacre_pread", "negative offset " + std::to_string(offset));
    auto n = file->file.read_at(static_cast<uint64_t>(offset), buf, count);
    if (!n) return fail(n.status());
    if (nbytes) *nbytes = *n;
    return 0;
  });
}

int nacre_file_sync(nacre_file_t* file) {
  return guard("nacre_file_sync", [&]() -> int {
    NACRE_NEED(file, "nacre_file_sync", "null file");
    return check(file->file.sync());
  });
}

int nacre_file_size(nacre_file_t* file, int64_t* size) {
  return guard("nacre_file_size", [&]() -> int {
    NACRE_NEED(file && size, "nacre_file_size", "null argument");
    auto n = file->file.size();
    if (!n) return fail(n.status());
    *size = static_cast<int64_t>(*n);
    return 0;
  });
}

int nacre_file_set_size(nacre_file_t* file, int64_t size) {
  return guard("nacre_file_set_size", [&]() -> int {
    NACRE_NEED(file, "nacre_file_set_size", "null file");
    NACRE_NEED(size >= 0, "nacre_file_set_size", "negative size " + std::to_string(size));
    return check(file->file.set_size(static_cast<uint64_t>(size)));
  });
}

int nacre_file_layout(const nacre_file_t* file, nacre_layout_t* layout, nacre_stripe_t* stripes,
                      size_t max_stripes) {
  return guard("nacre_file_layout", [&]() -> int {
    NACRE_NEED(file && layout, "nacre_file_layout", "null argument");
    NACRE_NEED(stripes || max_stripes == 0, "nacre_file_layout", "null stripes with max_stripes > 0");
    NACRE_NEED(file->file.is_open(), "nacre_file_layout", "file is not open");
    fill_layout(file->file.layout(), layout, stripes, max_stripes);
    return 0;
  });
}

namespace {
bool lock_type_ok(int type) {
  return type == NACRE_LOCK_UN || type == NACRE_LOCK_SH || type == NACRE_LOCK_EX;
}
}  // namespace

int nacre_file_lock(nacre_file_t* file, int type, int64_t start, int64_t len, int wait) {
  return guard("nacre_file_lock", [&]() -> int {
    NACRE_NEED(file, "nacre_file_lock", "null file");
    NACRE_NEED(lock_type_ok(type), "nacre_file_lock", "bad lock type " + std::to_string(type));
    NACRE_NEED(start >= 0 && len >= 0, "nacre_file_lock", "negative start or length");
    return check(file->file.lock(static_cast<nacre::LockType>(type), static_cast<uint64_t>(start),
                                 static_cast<uint64_t>(len), wait != 0));
  });
}

int nacre_file_test_lock(nacre_file_t* file, int type, int64_t start, int64_t len,
                         nacre_lock_info_t* info) {
  return guard("nacre_file_test_lock", [&]() -> int {
    NACRE_NEED(file && info, "nacre_file_test_lock", "null argument");
    NACRE_NEED(type == NACRE_LOCK_SH || type == NACRE_LOCK_EX, "nacre_file_test_lock",
               "lock type " + std::to_string(type) + " is not NACRE_LOCK_SH or NACRE_LOCK_EX");
    NACRE_NEED(start >= 0 && len >= 0, "nacre_file_test_lock", "negative start or length");
    auto r = file->file.test_lock(static_cast<nacre::LockType>(type),
                                  static_cast<uint64_t>(start), static_cast<uint64_t>(len));
    if (!r) return check(r.status());
    *info = nacre_lock_info_t{};
    info->type = static_cast<int>(r->type);
    info->start = static_cast<int64_t>(r->start);
    info->len = static_cast<int64_t>(r->len);
    info->pid = r->pid;
    info->job = r->job;
    info->rank = r->rank;
    return 0;
  });
}

int nacre_file_flock(nacre_file_t* file, int type, int wait) {
  return guard("nacre_file_flock", [&]() -> int {
    NACRE_NEED(file, "nacre_file_flock", "null file");
    NACRE_NEED(lock_type_ok(type), "nacre_file_flock", "bad lock type " + std::to_string(type));
    return check(file->file.flock(static_cast<nacre::LockType>(type), wait != 0));
  });
}

int nacre_file_group_lock(nacre_file_t* file, uint64_t gid) {
  return guard("nacre_file_group_lock", [&]() -> int {
    NACRE_NEED(file, "nacre_file_group_lock", "null file");
    return check(file->file.group_lock(gid));
  });
}

int nacre_file_group_unlock(nacre_file_t* file) {
  return guard("nacre_file_group_unlock", [&]() -> int {
    NACRE_NEED(file, "nacre_file_group_unlock", "null file");
    return check(file->file.group_unlock());
  });
}

int nacre_close(nacre_file_t* file) {
  return guard("nacre_close", [&]() -> int {
    if (!file) return 0;
    std::unique_ptr<nacre_file> owned(file);
    return check(owned->file.close());
  });
}

}  // extern "C"
