#include <nacre/status.hpp>

#include <cstdio>
#include <cstdlib>

namespace nacre {

const char* errno_name(int code) {
  switch (code) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENOSYS: return "ENOSYS";
    case EPROTO: return "EPROTO";
    case EBADMSG: return "EBADMSG";
    case EMSGSIZE: return "EMSGSIZE";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOTCONN: return "ENOTCONN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EDEADLK: return "EDEADLK";
    case ENOTSUP: return "ENOTSUP";
    case ERANGE: return "ERANGE";
    default: return "E?";
  }
}

std::string Status::to_string() const {
  if (is_ok()) return "OK";
  std::string name = errno_name(code_);
  if (name == "E?") name = "E" + std::to_string(code_);
  return name + ": " + message_;
}

void die_on_bad_result_access(const Status& s) {
  std::fprintf(stderr, "nacre: value() called on an error Result: %s\n", s.to_string().c_str());
  std::abort();
}

}  // namespace nacre
