// Storage directory stamps and locks (see storage_dir.hpp).
#include "store/storage_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>

namespace nacre::store {

namespace {

constexpr std::string_view kMagic = "nacre-storage-stamp";

Status sys_error(const std::string& what, const std::string& path) {
  const int e = errno;
  return Status::error(e, "storage directory: " + what + " " + path + ": " + std::strerror(e));
}

Status corrupt(const std::string& origin, const std::string& why) {
  return Status::error(EIO, "storage stamp " + origin + " is not valid: " + why);
}

bool valid_uuid(const std::string& u) {
  if (u.size() != 36) return false;
  for (size_t i = 0; i < u.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? u[i] != '-' : !std::isxdigit(static_cast<unsigned char>(u[i]))) return false;
  }
  return true;
}

Result<uint32_t> parse_u32(const std::string& origin, const std::string& key,
                           const std::string& v, uint32_t lo, uint32_t hi) {
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi)
    return corrupt(origin, key + " = '" + v + "' is not a number in " + std::to_string(lo) +
                               ".." + std::to_string(hi));
  return n;
}

Status write_all(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("write", path);
    }
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

Result<std::string> read_small(const std::string& path, bool* missing) {
  *missing = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      *missing = true;
      return std::string();
    }
    return sys_error("open", path);
  }
  std::string text(kMaxStampBytes + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = sys_error("read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got > kMaxStampBytes) return corrupt(path, "larger than " + std::to_string(kMaxStampBytes) + " bytes");
  text.resize(got);
  return text;
}

}  // namespace

std::string encode_stamp(const StorageStamp& s) {
  std::string t(kMagic);
  t += "\nformat = " + std::to_string(s.format);
  t += "\nuuid = " + s.uuid;
  t += "\nserver_index = " + std::to_string(s.server_index);
  t += "\nserver_count = " + std::to_string(s.server_count);
  t += "\nreplicas = " + std::to_string(s.replicas);
  t += "\ndeployment = " + s.deployment + "\n";
  return t;
}

Result<StorageStamp> decode_stamp(std::string_view text, const std::string& origin) {
  if (text.size() > kMaxStampBytes) return corrupt(origin, "too large");
  std::map<std::string, std::string> kv;
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return corrupt(origin, "last line is not terminated (torn write?)");
    std::string line(text.substr(pos, nl - pos));
    pos = nl + 1;
    if (first) {
      if (line != kMagic) return corrupt(origin, "does not start with '" + std::string(kMagic) + "'");
      first = false;
      continue;
    }
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos || eq == 0) return corrupt(origin, "line '" + line + "' is not 'key = value'");
    std::string k = line.substr(0, eq), v = line.substr(eq + 3);
    if (!kv.emplace(k, v).second) return corrupt(origin, "key '" + k + "' appears twice");
  }
  if (first) return corrupt(origin, "empty file");
  StorageStamp s;
  auto need = [&](const char* k) -> Result<std::string> {
    auto it = kv.find(k);
    if (it == kv.end()) return corrupt(origin, std::string("key '") + k + "' is missing");
    return it->second;
  };
  auto fmt = need("format");
  if (!fmt) return fmt.status();
  auto f = parse_u32(origin, "format", *fmt, 1, 1000000);
  if (!f) return f.status();
  s.format = *f;
  if (s.format > kStampFormat) return s;  // newer: the caller refuses it by name
  for (const char* k : {"uuid", "server_index", "server_count", "replicas", "deployment"})
    if (!kv.count(k)) return corrupt(origin, std::string("key '") + k + "' is missing");
  if (kv.size() != 6) return corrupt(origin, "has unknown keys for format " + std::to_string(s.format));
  s.uuid = kv["uuid"];
  if (!valid_uuid(s.uuid)) return corrupt(origin, "uuid '" + s.uuid + "' is malformed");
  auto n = parse_u32(origin, "server_count", kv["server_count"], 1, 4096);
  if (!n) return n.status();
  s.server_count = *n;
  auto i = parse_u32(origin, "server_index", kv["server_index"], 0, s.server_count - 1);
  if (!i) return i.status();
  s.server_index = *i;
  auto r = parse_u32(origin, "replicas", kv["replicas"], 1, 16);
  if (!r) return r.status();
  s.replicas = *r;
  s.deployment = kv["deployment"];
  if (s.deployment != "scratch" && s.deployment != "persistent")
    return corrupt(origin, "deployment '" + s.deployment + "' is not scratch or persistent");
  return s;
}

std::string new_fs_uuid() {
  uint8_t b[16] = {};
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
    else if (errno != EINTR) break;
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // variant 1
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]);
  return out;
}

StorageDir::StorageDir(StorageDir&& o) noexcept
    : dir_(std::move(o.dir_)), fd_(std::exchange(o.fd_, -1)), probe_(std::move(o.probe_)) {}
StorageDir& StorageDir::operator=(StorageDir&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    dir_ = std::move(o.dir_);
    fd_ = std::exchange(o.fd_, -1);
    probe_ = std::move(o.probe_);
  }
  return *this;
}
StorageDir::~StorageDir() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

Status StorageDir::lock() {
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("open", dir_);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK)
      return Status::error(EBUSY, "storage directory " + dir_ +
                                      " is in use by another Nacre server (it holds the directory's "
                                      "lock); stop that server or choose another store.dir");
    errno = e;
    return sys_error("lock", dir_);
  }
  fd_ = fd;
  return Status::ok();
}

Result<StorageDir> StorageDir::open(const std::string& dir) {
  StorageDir d;
  d.dir_ = dir;
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return d;
    return sys_error("stat", dir);
  }
  if (!S_ISDIR(st.st_mode)) return Status::error(ENOTDIR, "storage directory " + dir + " is not a directory");
  d.probe_.exists = true;
  NACRE_RETURN_IF_ERROR(d.lock());
  bool missing = false;
  auto text = read_small(dir + "/" + kStampFile, &missing);
  if (!text) return text.status();
  if (!missing) {
    auto s = decode_stamp(*text, dir + "/" + kStampFile);
    if (!s) return s.status();
    d.probe_.stamp = *s;
  } else {
    std::error_code ec;
    auto it = std::filesystem::directory_iterator(dir, ec);
    if (ec) return Status::error(ec.value(), "storage directory: list " + dir + ": " + ec.message());
    for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      if (it->path().filename() != kRebuildingFile) d.probe_.foreign = true;
    if (ec) return Status::error(ec.value(), "storage directory: list " + dir + ": " + ec.message());
  }
  return d;
}

Status StorageDir::write_stamp(const StorageStamp& s) {
  if (!probe_.exists) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return Status::error(ec.value(), "storage directory: create " + dir_ + ": " + ec.message());
    probe_.exists = true;
  }
  if (fd_ < 0) {
    NACRE_RETURN_IF_ERROR(lock());
    bool missing = false;  // someone may have formatted it between probe and lock
    auto text = read_small(dir_ + "/" + kStampFile, &missing);
    if (!text) return text.status();
    if (!missing) {
      auto other = decode_stamp(*text, dir_ + "/" + kStampFile);
      if (!other || other->uuid != s.uuid)
        return Status::error(EBUSY, "storage directory " + dir_ + " was formatted by another server meanwhile");
    }
  }
  const std::string final_path = dir_ + "/" + kStampFile;
  const std::string tmp = final_path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error("create", tmp);
  Status w = write_all(fd, encode_stamp(s), tmp);
  if (w && ::fsync(fd) != 0) w = sys_error("fsync", tmp);
  ::close(fd);
  if (!w) {
    ::unlink(tmp.c_str());
    return w;
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) return sys_error("rename to", final_path);
  if (::fsync(fd_) != 0) return sys_error("fsync", dir_);
  probe_.stamp = s;
  probe_.foreign = false;
  return Status::ok();
}

Status StorageDir::clear_for_scratch() {
  if (fd_ < 0) return Status::ok();
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir_, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    const std::string name = p.filename().string();
    if (p.extension() == ".obj" || name.rfind("metadata.mdb", 0) == 0) {
      std::error_code rm;
      std::filesystem::remove(p, rm);
      if (rm) return Status::error(rm.value(), "storage directory: remove " + p.string() + ": " + rm.message());
    }
  }
  if (ec) return Status::error(ec.value(), "storage directory: list " + dir_ + ": " + ec.message());
  return Status::ok();
}

}  // namespace nacre::store
