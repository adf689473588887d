#include "oss/replica_marks.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nacre::oss {
namespace {

Status sys_error(const std::string& what, const std::string& path) {
  const int e = errno;
  return Status::error(e, "replica marks: " + what + " " + path + ": " + std::strerror(e));
}

// Marker names follow the directory store's object names: 16 lower-case
// hex digits, then ".stale".
std::string stale_name(uint64_t id) {
  char n[40];
  std::snprintf(n, sizeof n, "%016llx%s", static_cast<unsigned long long>(id),
                ReplicaMarks::kStaleSuffix);
  return n;
}

// "<16 hex digits>.stale" -> id; false for any other name.
bool parse_stale_name(const char* name, uint64_t* id) {
  if (std::strlen(name) != 16 + std::strlen(ReplicaMarks::kStaleSuffix) ||
      std::strcmp(name + 16, ReplicaMarks::kStaleSuffix) != 0)
    return false;
  uint64_t v = 0;
  for (int i = 0; i < 16; ++i) {
    const char c = name[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return false;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  *id = v;
  return true;
}

}  // namespace

Result<ReplicaMarks> ReplicaMarks::open(const std::string& dir) {
  ReplicaMarks m;
  m.dir_ = dir;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return sys_error("cannot list", dir);
  while (dirent* e = ::readdir(d)) {
    uint64_t id = 0;
    if (parse_stale_name(e->d_name, &id)) m.stale_.insert(id);
    else if (std::strcmp(e->d_name, kRebuildingFile) == 0) m.rebuilding_ = true;
  }
  ::closedir(d);
  return m;
}

Status ReplicaMarks::persist(const std::string& name, bool present) {
  if (dir_.empty()) return Status::ok();
  const std::string path = dir_ + "/" + name;
  if (present) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return sys_error("cannot create", path);
    ::close(fd);
  } else if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return sys_error("cannot remove", path);
  }
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return sys_error("cannot open", dir_);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return sys_error("cannot fsync", dir_);
  return Status::ok();
}

Status ReplicaMarks::set_stale(uint64_t id, bool stale) {
  if (stale) {
    fresh_.erase(id);
    if (stale_.count(id)) return Status::ok();
    NACRE_RETURN_IF_ERROR(persist(stale_name(id), true));
    stale_.insert(id);
    return Status::ok();
  }
  if (stale_.count(id)) {
    NACRE_RETURN_IF_ERROR(persist(stale_name(id), false));
    stale_.erase(id);
  }
  if (rebuilding_) fresh_.insert(id);
  return Status::ok();
}

Status ReplicaMarks::forget(uint64_t id) {
  fresh_.erase(id);
  if (!stale_.count(id)) return Status::ok();
  NACRE_RETURN_IF_ERROR(persist(stale_name(id), false));
  stale_.erase(id);
  return Status::ok();
}

Status ReplicaMarks::set_rebuilding(bool on) {
  if (on == rebuilding_) return Status::ok();
  NACRE_RETURN_IF_ERROR(persist(kRebuildingFile, on));
  rebuilding_ = on;
  fresh_.clear();
  return Status::ok();
}

}  // namespace nacre::oss
