#include "store/object_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_map>

namespace nacre::store {
namespace {

Status sys_error(const std::string& what, const std::string& path) {
  const int e = errno;
  return Status::error(e, "directory store: " + what + " " + path + ": " + std::strerror(e));
}

class DirectoryStore final : public ObjectStore {
 public:
  explicit DirectoryStore(std::string dir) : dir_(std::move(dir)) {}
  ~DirectoryStore() override {
    for (auto& [id, fd] : fds_) ::close(fd);
  }
  const char* kind() const override { return "directory"; }

  Result<uint64_t> write(uint64_t id, uint64_t offset, std::span<const uint8_t> data) override {
    auto fd = open_fd(id, true);
    if (!fd) return fd.status();
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::pwrite(*fd, data.data() + done, data.size() - done,
                           static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_error("write", path(id));
      }
      done += static_cast<size_t>(n);
    }
    struct stat st;
    if (::fstat(*fd, &st) != 0) return sys_error("stat", path(id));
    return static_cast<uint64_t>(st.st_size);
  }

  Result<uint64_t> read(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                        uint64_t* object_size) override {
    auto fd = open_fd(id, false);
    *object_size = 0;
    if (!fd) return fd.status().code() == ENOENT ? Result<uint64_t>(uint64_t{0}) : fd.status();
    struct stat st;
    if (::fstat(*fd, &st) != 0) return sys_error("stat", path(id));
    *object_size = static_cast<uint64_t>(st.st_size);
    if (offset >= *object_size) return uint64_t{0};
    const size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), *object_size - offset));
    size_t done = 0;
    while (done < want) {
      ssize_t n = ::pread(*fd, out.data() + done, want - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_error("read", path(id));
      }
      if (n == 0) break;  // concurrently truncated: the rest reads as zeros
      done += static_cast<size_t>(n);
    }
    if (done < want) std::memset(out.data() + done, 0, want - done);
    return static_cast<uint64_t>(want);
  }

  Result<ObjectInfo> stat(uint64_t id) override {
    struct stat st;
    if (::stat(path(id).c_str(), &st) != 0) {
      if (errno == ENOENT) return ObjectInfo{};
      return sys_error("stat", path(id));
    }
    return ObjectInfo{static_cast<uint64_t>(st.st_size),
                      Timespec{st.st_mtim.tv_sec, st.st_mtim.tv_nsec}};
  }

  Status truncate(uint64_t id, uint64_t size) override {
    auto fd = open_fd(id, true);
    if (!fd) return fd.status();
    if (::ftruncate(*fd, static_cast<off_t>(size)) != 0) return sys_error("truncate", path(id));
    return Status::ok();
  }

  Status destroy(uint64_t id) override {
    auto it = fds_.find(id);
    if (it != fds_.end()) {
      ::close(it->second);
      fds_.erase(it);
    }
    if (::unlink(path(id).c_str()) != 0 && errno != ENOENT) return sys_error("remove", path(id));
    return Status::ok();
  }

  // Durable: the object's bytes and size (fdatasync), and, if objects were
  // created since the last sync, their names (fsync of the directory).
  Status sync(uint64_t id) override {
    auto fd = open_fd(id, false);
    if (!fd) return fd.status().code() == ENOENT ? Status::ok() : fd.status();
    if (::fdatasync(*fd) != 0) return sys_error("sync", path(id));
    if (names_dirty_) {
      int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0) return sys_error("open", dir_);
      const int rc = ::fsync(dfd);
      ::close(dfd);
      if (rc != 0) return sys_error("sync", dir_);
      names_dirty_ = false;
    }
    return Status::ok();
  }

 private:
  std::string path(uint64_t id) const {
    char name[32];
    std::snprintf(name, sizeof name, "/%016llx.obj", static_cast<unsigned long long>(id));
    return dir_ + name;
  }
  Result<int> open_fd(uint64_t id, bool create) {
    auto it = fds_.find(id);
    if (it != fds_.end()) return it->second;
    const std::string p = path(id);
    int fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC | O_CREAT, 0600);
      names_dirty_ = true;  // a new name: durable at the next sync
    }
    if (fd < 0) return sys_error("open", p);
    if (fds_.size() >= kMaxOpenFds) {  // keep the descriptor table bounded
      ::close(fds_.begin()->second);
      fds_.erase(fds_.begin());
    }
    fds_[id] = fd;
    return fd;
  }
  static constexpr size_t kMaxOpenFds = 512;
  std::string dir_;
  std::unordered_map<uint64_t, int> fds_;
  bool names_dirty_ = false;  // objects created since the directory was last fsynced
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> make_directory_store(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::error(ec.value(), "directory store: cannot create " + dir + ": " + ec.message());
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return Status::error(EACCES, "directory store: " + dir + " is not writable");
  return std::unique_ptr<ObjectStore>(std::make_unique<DirectoryStore>(dir));
}

}  // namespace nacre::store
