// State and helpers shared by the MPI_* wrappers of libnacre_mpiio.so.
#include "mpiio_preload/preload_support.hpp"

#include <algorithm>

namespace nacre_preload {

// ---- global state -----------------------------------------------------------

nacre::Runtime* g_runtime = nullptr;  // leaked on purpose: no collective at exit
std::string g_runtime_error;          // why there is no runtime (for open)

namespace {
std::mutex g_mutex;                       // guards g_files
std::unordered_set<const void*> g_files;  // the NacreFile handles we gave out
}  // namespace

std::size_t open_file_count() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_files.size();
}

NacreFile* lookup(MPI_File fh) {
  if (fh == MPI_FILE_NULL) return nullptr;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_files.count(static_cast<const void*>(fh)) == 0) return nullptr;
  return reinterpret_cast<NacreFile*>(fh);
}

MPI_File register_file(NacreFile* f) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_files.insert(static_cast<const void*>(f));
  return reinterpret_cast<MPI_File>(f);
}

void unregister_file(NacreFile* f) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_files.erase(static_cast<const void*>(f));
}

int world_rank() {
  int init = 0, fin = 0, r = 0;
  PMPI_Initialized(&init);
  PMPI_Finalized(&fin);
  if (init && !fin) PMPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// ---- errors -----------------------------------------------------------------

int error_class(int code, bool datarep_context) {
  switch (code) {
    case 0: return MPI_SUCCESS;
    case ENOENT: return MPI_ERR_NO_SUCH_FILE;
    case EEXIST: return MPI_ERR_FILE_EXISTS;
    case EACCES:
    case EPERM:
    case EBADF:
    case EROFS: return MPI_ERR_ACCESS;
    case ENOSPC:
    case EDQUOT: return MPI_ERR_NO_SPACE;
    case ENOTDIR:
    case EISDIR:
    case ENAMETOOLONG: return MPI_ERR_BAD_FILE;
    case ENOTSUP: return datarep_context ? MPI_ERR_UNSUPPORTED_DATAREP : MPI_ERR_UNSUPPORTED_OPERATION;
    case EINVAL:
    case EFBIG:
    case EOVERFLOW: return MPI_ERR_ARG;
    default: return MPI_ERR_IO;
  }
}

void print_error(const char* fn, const std::string& msg) {
  std::fprintf(stderr, "nacre_mpiio (rank %d): %s: %s\n", world_rank(), fn, msg.c_str());
  std::fflush(stderr);
}

// An error on a Nacre file: print (unless `quiet`), honour
// MPI_ERRORS_ARE_FATAL, return the class.
int fail(NacreFile* f, const char* fn, const nacre::Status& s, bool collective,
         bool datarep_context) {
  if (!collective || f == nullptr || f->rank == 0) print_error(fn, s.to_string());
  const int cls = error_class(s.code(), datarep_context);
  if (f != nullptr && f->errhandler == MPI_ERRORS_ARE_FATAL) PMPI_Abort(MPI_COMM_WORLD, cls);
  return cls;
}

int internal_error(const char* fn) {
  try {
    throw;
  } catch (const std::exception& e) {
    print_error(fn, std::string("internal error: ") + e.what());
  } catch (...) {
    print_error(fn, "internal error: unknown exception");
  }
  return MPI_ERR_INTERN;
}

void set_status(MPI_Status* status, int64_t bytes) {
  if (status == MPI_STATUS_IGNORE) return;
  PMPI_Status_set_elements_x(status, MPI_BYTE, static_cast<MPI_Count>(bytes));
  PMPI_Status_set_cancelled(status, 0);
  status->MPI_ERROR = MPI_SUCCESS;
}

bool is_nacre_name(const char* name) {
  return name != nullptr && std::strncmp(name, kPrefix, std::strlen(kPrefix)) == 0;
}

// ---- runtime ----------------------------------------------------------------

namespace {
bool nacre_configured() {
  const char* addr = std::getenv(nacre::kEnvAddress);
  const char* cfg = std::getenv(nacre::kEnvConfig);
  return (addr != nullptr && *addr != '\0') || (cfg != nullptr && *cfg != '\0');
}
}  // namespace

int thread_level_to_ask(int required) {
  if (!nacre_configured()) return required;
  const char* v = std::getenv("NACRE_MPI_THREAD_MULTIPLE");
  if (v != nullptr && std::strcmp(v, "0") == 0) return required;
  if (v != nullptr && *v != '\0' && std::strcmp(v, "1") != 0)
    print_error("MPI_Init", std::string("NACRE_MPI_THREAD_MULTIPLE=\"") + v +
                                "\" is not 0 or 1; asking for MPI_THREAD_MULTIPLE (the default)");
  return std::max(required, static_cast<int>(MPI_THREAD_MULTIPLE));
}

void connect_after_init() {
  if (!nacre_configured()) {
    g_runtime_error = "neither NACRE_ADDRESS nor NACRE_CONFIG is set";
    return;
  }
  auto config = nacre::Config::load();
  if (!config) {
    print_error("MPI_Init", "cannot load the Nacre configuration: " + config.status().to_string());
    PMPI_Abort(MPI_COMM_WORLD, 1);
  }
  if (config->address.empty()) {
    g_runtime_error = "no client.address in the Nacre configuration";
    return;
  }
  auto rt = nacre::Runtime::connect(MPI_COMM_WORLD, *config);
  if (!rt) {
    print_error("MPI_Init", "cannot connect to the Nacre server job at " + config->address + ": " +
                                rt.status().to_string());
    PMPI_Abort(MPI_COMM_WORLD, 1);
  }
  g_runtime = new nacre::Runtime(std::move(rt).value());
}

// ---- data calls -------------------------------------------------------------


bool op_collective(Op op) {
  return op == Op::read_at_all || op == Op::write_at_all || op == Op::read_all ||
         op == Op::write_all;
}

int data_call(const char* fn, NacreFile* f, Op op, MPI_Offset offset, void* buf, int count,
              MPI_Datatype type, MPI_Status* status) {
  nacre::Result<int64_t> r = int64_t{0};
  auto& mf = f->mf;
  switch (op) {
    case Op::read_at: r = mf.read_at(offset, buf, count, type); break;
    case Op::write_at: r = mf.write_at(offset, buf, count, type); break;
    case Op::read_at_all: r = mf.read_at_all(offset, buf, count, type); break;
    case Op::write_at_all: r = mf.write_at_all(offset, buf, count, type); break;
    case Op::read: r = mf.read(buf, count, type); break;
    case Op::write: r = mf.write(buf, count, type); break;
    case Op::read_all: r = mf.read_all(buf, count, type); break;
    case Op::write_all: r = mf.write_all(buf, count, type); break;
  }
  if (!r) return fail(f, fn, r.status(), op_collective(op));
  set_status(status, *r);
  return MPI_SUCCESS;
}

// Nonblocking calls: done at once, returned as a completed generalized request.
int grequest_query(void* extra, MPI_Status* status) {
  auto* bytes = static_cast<int64_t*>(extra);
  PMPI_Status_set_elements_x(status, MPI_BYTE, static_cast<MPI_Count>(*bytes));
  PMPI_Status_set_cancelled(status, 0);
  status->MPI_SOURCE = MPI_UNDEFINED;
  status->MPI_TAG = MPI_UNDEFINED;
  status->MPI_ERROR = MPI_SUCCESS;
  return MPI_SUCCESS;
}
int grequest_free(void* extra) {
  delete static_cast<int64_t*>(extra);
  return MPI_SUCCESS;
}
int grequest_cancel(void*, int) { return MPI_SUCCESS; }

int completed_request(int64_t bytes, MPI_Request* request) {
  auto* extra = new int64_t(bytes);
  int rc = PMPI_Grequest_start(grequest_query, grequest_free, grequest_cancel, extra, request);
  if (rc != MPI_SUCCESS) {
    delete extra;
    return rc;
  }
  return PMPI_Grequest_complete(*request);
}

int nonblocking_call(const char* fn, NacreFile* f, Op op, MPI_Offset offset, void* buf, int count,
                     MPI_Datatype type, MPI_Request* request) {
  MPI_Status st;
  int rc = data_call(fn, f, op, offset, buf, count, type, &st);
  if (rc != MPI_SUCCESS) return rc;
  MPI_Count bytes = 0;
  PMPI_Get_elements_x(&st, MPI_BYTE, &bytes);
  return completed_request(static_cast<int64_t>(bytes), request);
}

}  // namespace nacre_preload
