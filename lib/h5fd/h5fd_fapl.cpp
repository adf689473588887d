#include "h5fd/h5fd_fapl.hpp"

#include "h5fd/h5fd_error.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace nacre::h5fd {

namespace {

constexpr int64_t kStripeQuantum = 64 * 1024;
constexpr int64_t kMaxStripeSize = int64_t{4} << 30;

Status check_striping(int64_t size, int64_t count, const char* what) {
  if (size < 0 || size % kStripeQuantum != 0 || size > kMaxStripeSize)
    return Status::error(EINVAL, std::string(what) + ": stripe size " + std::to_string(size) +
                                     " is not 0 or a multiple of 65536 up to 4 GiB");
  if (count < -1 || count > 65535)
    return Status::error(EINVAL, std::string(what) + ": stripe count " + std::to_string(count) +
                                     " is not -1 (all servers), 0 (default) or 1..65535");
  return Status::ok();
}

// Reads an integer environment variable; `present` false if unset or empty.
Result<int64_t> env_int(const char* name, bool* present) {
  *present = false;
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return int64_t{0};
  int64_t out = 0;
  const char* end = v + std::strlen(v);
  auto [p, ec] = std::from_chars(v, end, out);
  if (ec != std::errc() || p != end)
    return Status::error(EINVAL, std::string(name) + "=\"" + v + "\" is not an integer");
  *present = true;
  return out;
}

}  // namespace

Status validate(const H5FD_nacre_fapl_t& fa) {
  if (fa.magic != H5FD_NACRE_FAPL_MAGIC)
    return Status::error(EINVAL, "H5FD_nacre_fapl_t: bad magic (not made by H5Pset_fapl_nacre?)");
  if (fa.version != H5FD_NACRE_FAPL_VERSION)
    return Status::error(EINVAL, "H5FD_nacre_fapl_t: version " + std::to_string(fa.version) +
                                     " is not supported (this driver reads version " +
                                     std::to_string(H5FD_NACRE_FAPL_VERSION) + ")");
  if (fa.comm == MPI_COMM_NULL)
    return Status::error(EINVAL, "H5FD_nacre_fapl_t: comm is MPI_COMM_NULL");
  if (fa.reserved != 0) return Status::error(EINVAL, "H5FD_nacre_fapl_t: reserved field is not 0");
  return check_striping(fa.stripe_size, fa.stripe_count, "H5FD_nacre_fapl_t");
}

void* fapl_copy(const void* p) {
  try {
    if (p == nullptr) {
      push_error("fapl_copy", "H5FD_nacre: no driver configuration");
      return nullptr;
    }
    const auto& src = *static_cast<const H5FD_nacre_fapl_t*>(p);
    Status s = validate(src);
    if (!s) {
      push_status("fapl_copy", s);
      return nullptr;
    }
    auto* dst = new H5FD_nacre_fapl_t(src);
    dst->comm = MPI_COMM_NULL;
    dst->info = MPI_INFO_NULL;
    if (MPI_Comm_dup(src.comm, &dst->comm) != MPI_SUCCESS) {
      delete dst;
      push_error("fapl_copy", "H5FD_nacre: MPI_Comm_dup of the fapl's communicator failed");
      return nullptr;
    }
    if (src.info != MPI_INFO_NULL && MPI_Info_dup(src.info, &dst->info) != MPI_SUCCESS) {
      MPI_Comm_free(&dst->comm);
      delete dst;
      push_error("fapl_copy", "H5FD_nacre: MPI_Info_dup of the fapl's info failed");
      return nullptr;
    }
    return dst;
  } catch (...) {
    push_current_exception("fapl_copy");
    return nullptr;
  }
}

herr_t fapl_free(void* p) {
  if (p == nullptr) return 0;
  auto* fa = static_cast<H5FD_nacre_fapl_t*>(p);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) {
    if (fa->comm != MPI_COMM_NULL) MPI_Comm_free(&fa->comm);
    if (fa->info != MPI_INFO_NULL) MPI_Info_free(&fa->info);
  }
  delete fa;
  return 0;
}

Result<MPI_Info> effective_info(const H5FD_nacre_fapl_t& fa, int server_count) {
  int64_t size = fa.stripe_size, count = fa.stripe_count;
  bool have = false;
  auto es = env_int(H5FD_NACRE_ENV_STRIPE_SIZE, &have);
  if (!es) return es.status();
  if (have) size = *es;
  auto ec = env_int(H5FD_NACRE_ENV_STRIPE_COUNT, &have);
  if (!ec) return ec.status();
  if (have) count = *ec;
  NACRE_RETURN_IF_ERROR(check_striping(size, count, "H5FD_nacre striping"));
  if (count == -1) count = server_count > 0 ? server_count : 0;

  MPI_Info info = MPI_INFO_NULL;
  if (fa.info != MPI_INFO_NULL) {
    if (MPI_Info_dup(fa.info, &info) != MPI_SUCCESS)
      return Status::error(EIO, "H5FD_nacre: MPI_Info_dup failed");
  } else if (MPI_Info_create(&info) != MPI_SUCCESS) {
    return Status::error(EIO, "H5FD_nacre: MPI_Info_create failed");
  }
  if (size > 0) MPI_Info_set(info, "striping_unit", std::to_string(size).c_str());
  if (count != 0) MPI_Info_set(info, "striping_factor", std::to_string(count).c_str());
  return info;
}

}  // namespace nacre::h5fd
