// One file per object: <dir>/<16 hex digits of the id>.obj, and with
// checksums on, its per-page CRC-32C in <id>.sum (format and rules:
// lib/store/page_sums.hpp; crash-safety argument: docs/DURABILITY.md).
#include "store/object_store.hpp"
#include "store/page_sums.hpp"

#include "common/crc32c.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <unordered_map>

namespace nacre::store {
namespace {

constexpr uint64_t P = kChecksumPage;
constexpr uint64_t kBatchPages = 256;  // pages read and verified at a time (1 MiB)

Status sys_error(const std::string& what, const std::string& path) {
  const int e = errno;
  return Status::error(e, "directory store: " + what + " " + path + ": " + std::strerror(e));
}

Status pwrite_all(int fd, const void* buf, size_t len, uint64_t off, const std::string& path) {
  const auto* p = static_cast<const uint8_t*>(buf);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pwrite(fd, p + done, len - done, static_cast<off_t>(off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("write", path);
    }
    done += static_cast<size_t>(n);
  }
  return Status::ok();
}

// Reads up to len bytes; fewer only at end of file.
Result<size_t> pread_all(int fd, void* buf, size_t len, uint64_t off, const std::string& path) {
  auto* p = static_cast<uint8_t*>(buf);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, p + done, len - done, static_cast<off_t>(off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

// The open files of one object. With checksums on, `size` and `sum_len`
// track the two files' sizes (every change goes through this store; after a
// failed change the handle is dropped and the sizes are read again).
struct Handle {
  int obj = -1;
  int sum = -1;  // -1: no checksum file yet (only for an empty object)
  uint64_t size = 0;
  uint64_t sum_len = 0;
};

class DirectoryStore final : public ObjectStore {
 public:
  DirectoryStore(std::string dir, DirectoryStoreOptions options)
      : dir_(std::move(dir)), opt_(options) {}
  ~DirectoryStore() override {
    for (auto& [id, h] : handles_) close_handle(h);
  }
  const char* kind() const override { return "directory"; }

  Result<uint64_t> write(uint64_t id, uint64_t offset, std::span<const uint8_t> data) override {
    if (opt_.checksums) return checked_write(id, offset, data);
    auto h = handle(id, true);
    if (!h) return h.status();
    NACRE_RETURN_IF_ERROR(pwrite_all((*h)->obj, data.data(), data.size(), offset, path(id)));
    struct stat st;
    if (::fstat((*h)->obj, &st) != 0) return sys_error("stat", path(id));
    return static_cast<uint64_t>(st.st_size);
  }

  // With checksums, the sender's CRC is checked against the page checksums
  // the write computes anyway (crc32c_combine), not in a pass of its own.
  Result<uint64_t> write_checked(uint64_t id, uint64_t offset, std::span<const uint8_t> data,
                                 uint32_t crc) override {
    if (!opt_.checksums) return ObjectStore::write_checked(id, offset, data, crc);
    return checked_write(id, offset, data, &crc);
  }
  Result<uint64_t> write_from_checked(uint64_t id, uint64_t offset, size_t len, const Filler& fill,
                                      uint32_t crc) override {
    if (!opt_.checksums) return ObjectStore::write_from_checked(id, offset, len, fill, crc);
    if (received_.size() < len) received_.resize(len);
    std::span<uint8_t> one(received_.data(), len);
    NACRE_RETURN_IF_ERROR(fill(std::span<const std::span<uint8_t>>(&one, 1)));
    return checked_write(id, offset, one, &crc);
  }

  // With checksums, the reply's CRC comes from the page checks the read
  // does anyway.
  Result<uint64_t> read_with_crc(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                                 uint64_t* object_size, uint32_t* crc) override {
    if (!opt_.checksums) return ObjectStore::read_with_crc(id, offset, out, object_size, crc);
    *object_size = 0;
    *crc = 0;
    auto h = handle(id, false);
    if (!h) return h.status().code() == ENOENT ? Result<uint64_t>(uint64_t{0}) : h.status();
    return checked_read(id, **h, offset, out, object_size, crc);
  }

  Result<uint64_t> read(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                        uint64_t* object_size) override {
    *object_size = 0;
    auto h = handle(id, false);
    if (!h) return h.status().code() == ENOENT ? Result<uint64_t>(uint64_t{0}) : h.status();
    if (opt_.checksums) return checked_read(id, **h, offset, out, object_size);
    struct stat st;
    if (::fstat((*h)->obj, &st) != 0) return sys_error("stat", path(id));
    *object_size = static_cast<uint64_t>(st.st_size);
    if (offset >= *object_size) return uint64_t{0};
    const size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), *object_size - offset));
    auto got = pread_all((*h)->obj, out.data(), want, offset, path(id));
    if (!got) return got.status();
    // Concurrently truncated: the rest reads as zeros.
    if (*got < want) std::memset(out.data() + *got, 0, want - *got);
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
    if (opt_.checksums) return checked_truncate(id, size);
    auto h = handle(id, true);
    if (!h) return h.status();
    if (::ftruncate((*h)->obj, static_cast<off_t>(size)) != 0) return sys_error("truncate", path(id));
    return Status::ok();
  }

  // Removes the data file first: a kill in between leaves a checksum file
  // without data, which a later create of the id overwrites.
  Status destroy(uint64_t id) override {
    drop(id);
    if (::unlink(path(id).c_str()) != 0 && errno != ENOENT) return sys_error("remove", path(id));
    if (::unlink(sum_path(id).c_str()) != 0 && errno != ENOENT)
      return sys_error("remove", sum_path(id));
    return Status::ok();
  }

  // Durable: the object's bytes, size and checksums (fdatasync of both
  // files), and, if objects were created since the last sync, their names
  // (fsync of the directory).
  Status sync(uint64_t id) override {
    auto h = handle(id, false);
    if (!h) return h.status().code() == ENOENT ? Status::ok() : h.status();
    if ((*h)->sum >= 0 && ::fdatasync((*h)->sum) != 0) return sys_error("sync", sum_path(id));
    if (::fdatasync((*h)->obj) != 0) return sys_error("sync", path(id));
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

  // Objects are the files named <16 lowercase hex digits>.obj; everything
  // else in the directory (stamp, metadata, .sum, temporaries) is ignored.
  Result<std::vector<ObjectListing>> list() override {
    DIR* d = ::opendir(dir_.c_str());
    if (!d) return sys_error("list", dir_);
    std::vector<ObjectListing> out;
    Status failed;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      auto id = parse_object_name(e->d_name);
      if (!id) continue;
      struct stat st;
      if (::fstatat(::dirfd(d), e->d_name, &st, 0) != 0) {
        if (errno == ENOENT) continue;
        failed = sys_error("stat", dir_ + "/" + e->d_name);
        break;
      }
      if (!S_ISREG(st.st_mode)) continue;
      out.push_back({*id, static_cast<uint64_t>(st.st_size)});
      errno = 0;
    }
    if (failed.is_ok() && errno != 0) failed = sys_error("list", dir_);
    ::closedir(d);
    if (!failed) return failed;
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
    return out;
  }

  Result<VerifyReport> verify(uint64_t id) override {
    VerifyReport report;
    if (!opt_.checksums) return report;
    auto hr = handle(id, false);
    if (!hr) return hr.status().code() == ENOENT ? Result<VerifyReport>(report) : hr.status();
    Handle& h = **hr;
    const uint64_t pages = pages_of(h.size);
    for (uint64_t p0 = 0; p0 < pages; p0 += kBatchPages) {
      const uint64_t n = std::min(kBatchPages, pages - p0);
      NACRE_RETURN_IF_ERROR(load_pages(id, h, p0, n));
      for (uint64_t k = 0; k < n; ++k) {
        ++report.pages_checked;
        if (page_ok(entries_[k], crc32c_page(k))) continue;
        const uint64_t lo = (p0 + k) * P, hi = std::min(lo + P, h.size);
        if (!report.bad.empty() && report.bad.back().second == lo) report.bad.back().second = hi;
        else report.bad.emplace_back(lo, hi);
      }
    }
    return report;
  }

 private:
  // ---- checksummed paths -------------------------------------------------

  // Order: checksum entries, then data, then the entries settled. Each entry
  // written first validates both the page's content on disk now and the
  // content being written, so a kill anywhere leaves every page valid.
  // expect_crc (optional): the sender's CRC-32C of data; on a mismatch
  // nothing is written (damaged_in_transit).
  Result<uint64_t> checked_write(uint64_t id, uint64_t offset, std::span<const uint8_t> data,
                                 const uint32_t* expect_crc = nullptr) {
    auto hr = handle(id, true);
    if (!hr) return hr.status();
    Handle& h = **hr;
    const uint64_t old_size = h.size, end = offset + data.size();
    if (data.empty()) return old_size;
    const uint64_t new_size = std::max(old_size, end);
    if (end > old_size) NACRE_RETURN_IF_ERROR(cut_stale_entries(id, h));
    const uint64_t p0 = offset / P, p1 = (end - 1) / P + 1, n = p1 - p0;
    const uint64_t old_pages = pages_of(old_size);
    NACRE_RETURN_IF_ERROR(load_entries(id, h, p0, std::min(p1, std::max(old_pages, p0)) - p0));
    entries_.resize(n);  // pages at or past the old size are holes
    uint32_t sent_crc = 0;  // CRC-32C of data[0, wlo - offset), built page by page
    for (uint64_t k = 0; k < n; ++k) {
      const uint64_t lo = (p0 + k) * P, hi = lo + P;
      const uint64_t old_hi = std::clamp(old_size, lo, hi);  // old bytes: [lo, old_hi)
      const bool whole = old_hi <= lo || (offset <= lo && end >= old_hi);
      const SumEntry old = (p0 + k) < old_pages ? entries_[k] : SumEntry{};
      const uint64_t wlo = std::max(offset, lo), whi = std::min(end, hi);
      const auto part = data.subspan(wlo - offset, whi - wlo);
      std::optional<uint32_t> old_crc;
      uint32_t new_crc;
      if (whole) {
        // Bytes of the page outside the write are zeros (no old byte survives).
        new_crc = page_crc(wlo - lo, part);
        if (expect_crc)  // a full page's CRC is its part's; others are short
          sent_crc = crc32c_combine(sent_crc, part.size() == P ? new_crc : crc32c(part), part.size());
        if (needs_old_crc(old, true)) {
          NACRE_RETURN_IF_ERROR(load_old_page(id, h, lo, old_hi));
          old_crc = crc32c(bounce_.data(), P);
        }
      } else {
        NACRE_RETURN_IF_ERROR(load_old_page(id, h, lo, old_hi));
        old_crc = crc32c(bounce_.data(), P);
        std::memcpy(bounce_.data() + (wlo - lo), part.data(), part.size());
        new_crc = crc32c(bounce_.data(), P);
        if (expect_crc) sent_crc = crc32c_combine(sent_crc, crc32c(part), part.size());
      }
      entries_[k] = entry_for_write(old, whole, old_crc, new_crc);
    }
    if (expect_crc && sent_crc != *expect_crc) return damaged_in_transit(id, offset);
    NACRE_RETURN_IF_ERROR(store_entries(id, h, p0));
    if (opt_.crash_for_testing == CrashPoint::after_sums) return test_crash(id);
    if (Status s = pwrite_all(h.obj, data.data(), data.size(), offset, path(id)); !s) {
      drop(id);  // the data file's size is unknown now
      return s;
    }
    h.size = new_size;
    if (opt_.crash_for_testing == CrashPoint::after_data) return test_crash(id);
    settle(id, h, p0);
    return new_size;
  }

  // crc (optional) gets the CRC-32C of the bytes copied to out.
  Result<uint64_t> checked_read(uint64_t id, Handle& h, uint64_t offset, std::span<uint8_t> out,
                                uint64_t* object_size, uint32_t* crc = nullptr) {
    *object_size = h.size;
    if (offset >= h.size) return uint64_t{0};
    const uint64_t want = std::min<uint64_t>(out.size(), h.size - offset);
    const uint64_t last = pages_of(offset + want);
    uint64_t done = 0;
    for (uint64_t p0 = offset / P; p0 < last;) {
      uint8_t* dest = out.data() + done;
      const uint64_t direct = (offset + done) % P == 0 ? std::min(kBatchPages, (want - done) / P) : 0;
      if (direct > 0) {
        // Whole pages inside the caller's range: read and verify them in place.
        NACRE_RETURN_IF_ERROR(load_entries(id, h, p0, direct));
        auto got = pread_all(h.obj, dest, direct * P, p0 * P, path(id));
        if (!got) return got.status();
        std::memset(dest + *got, 0, direct * P - *got);
        for (uint64_t k = 0; k < direct; ++k) {
          const uint32_t c = crc32c(dest + k * P, P);
          if (!page_ok(entries_[k], c)) return mismatch(id, p0 + k, h.size);
          if (crc) *crc = crc32c_combine(*crc, c, P);
        }
        done += direct * P;
        p0 += direct;
        continue;
      }
      const uint64_t n = std::min(kBatchPages, last - p0);
      NACRE_RETURN_IF_ERROR(load_pages(id, h, p0, n));
      for (uint64_t k = 0; k < n; ++k)
        if (!page_ok(entries_[k], crc32c_page(k))) return mismatch(id, p0 + k, h.size);
      const uint64_t from = offset + done - p0 * P;
      const uint64_t take = std::min(want - done, n * P - from);
      std::memcpy(dest, pages_.data() + from, take);
      if (crc) *crc = crc32c_combine(*crc, crc32c(dest, take), take);
      done += take;
      p0 += n;
    }
    return want;
  }

  // Shrinking: the last partial page's entry first (it validates the old and
  // the cut content), then the data, then the checksum file is cut.
  // Growing: entries of the new pages are holes (zeros) before the data grows.
  Status checked_truncate(uint64_t id, uint64_t size) {
    auto hr = handle(id, true);
    if (!hr) return hr.status();
    Handle& h = **hr;
    const uint64_t old_size = h.size;
    if (size == old_size) return Status::ok();
    if (size > old_size) {
      NACRE_RETURN_IF_ERROR(cut_stale_entries(id, h));
      if (::ftruncate(h.sum, static_cast<off_t>(sums_file_size(size))) != 0)
        return fail(id, sys_error("truncate", sum_path(id)));
      h.sum_len = sums_file_size(size);
      if (opt_.crash_for_testing == CrashPoint::after_sums) return test_crash(id).status();
      if (::ftruncate(h.obj, static_cast<off_t>(size)) != 0)
        return fail(id, sys_error("truncate", path(id)));
      h.size = size;
      if (opt_.crash_for_testing == CrashPoint::after_data) return test_crash(id).status();
      return Status::ok();
    }
    const uint64_t p = size / P;
    const bool partial = size % P != 0;
    if (partial) {
      NACRE_RETURN_IF_ERROR(load_entries(id, h, p, 1));
      const uint64_t lo = p * P;
      NACRE_RETURN_IF_ERROR(load_old_page(id, h, lo, std::min(old_size, lo + P)));
      const uint32_t old_crc = crc32c(bounce_.data(), P);
      std::memset(bounce_.data() + (size - lo), 0, P - (size - lo));
      entries_[0] = entry_for_write(entries_[0], false, old_crc, crc32c(bounce_.data(), P));
      NACRE_RETURN_IF_ERROR(store_entries(id, h, p));
      if (opt_.crash_for_testing == CrashPoint::after_sums) return test_crash(id).status();
    }
    if (::ftruncate(h.obj, static_cast<off_t>(size)) != 0)
      return fail(id, sys_error("truncate", path(id)));
    h.size = size;
    if (opt_.crash_for_testing == CrashPoint::after_data) return test_crash(id).status();
    // Entries past the last page mean nothing; cutting them only saves space.
    if (::ftruncate(h.sum, static_cast<off_t>(sums_file_size(size))) == 0)
      h.sum_len = sums_file_size(size);
    if (partial) settle(id, h, p);
    return Status::ok();
  }

  // Before the object grows: entries past its last page may be stale (left
  // by a killed write or truncate); cut them so the new pages start as holes.
  Status cut_stale_entries(uint64_t id, Handle& h) {
    const uint64_t want = sums_file_size(h.size);
    if (h.sum_len <= want) return Status::ok();
    if (::ftruncate(h.sum, static_cast<off_t>(want)) != 0)
      return fail(id, sys_error("truncate", sum_path(id)));
    h.sum_len = want;
    return Status::ok();
  }

  // entries_ = the n decoded entries from page p0; all must be in the file.
  Status load_entries(uint64_t id, Handle& h, uint64_t p0, uint64_t n) {
    entry_bytes_.resize(n * kSumsEntrySize);
    entries_.resize(n);
    if (n == 0) return Status::ok();
    auto got = pread_all(h.sum, entry_bytes_.data(), entry_bytes_.size(),
                         kSumsHeaderSize + p0 * kSumsEntrySize, sum_path(id));
    if (!got) return got.status();
    if (*got < entry_bytes_.size())
      return Status::error(EIO, "directory store: bad checksum file " + sum_path(id) +
                                    ": too short for object " + std::to_string(id) + " of " +
                                    std::to_string(h.size) + " bytes (" + path(id) + ")");
    for (uint64_t k = 0; k < n; ++k) entries_[k] = decode_entry(&entry_bytes_[k * kSumsEntrySize]);
    return Status::ok();
  }

  // entries_ (encoded) to the file from page p0.
  Status store_entries(uint64_t id, Handle& h, uint64_t p0) {
    entry_bytes_.resize(entries_.size() * kSumsEntrySize);
    for (size_t k = 0; k < entries_.size(); ++k)
      encode_entry(entries_[k], &entry_bytes_[k * kSumsEntrySize]);
    const uint64_t at = kSumsHeaderSize + p0 * kSumsEntrySize;
    if (Status s = pwrite_all(h.sum, entry_bytes_.data(), entry_bytes_.size(), at, sum_path(id));
        !s)
      return fail(id, s);
    h.sum_len = std::max<uint64_t>(h.sum_len, at + entry_bytes_.size());
    return Status::ok();
  }

  // After the data is on disk: previous = current, so the next whole-page
  // write need not read the page. A failure leaves valid (unsettled)
  // entries, so it is not an error of the write.
  void settle(uint64_t id, Handle& h, uint64_t p0) {
    bool change = false;
    for (auto& e : entries_) {
      const SumEntry s = settled(e);
      change |= !(s == e);
      e = s;
    }
    if (change) (void)store_entries(id, h, p0);
  }

  // pages_ = n pages of data from page p0 (zeros past the object size),
  // entries_ = their entries.
  Status load_pages(uint64_t id, Handle& h, uint64_t p0, uint64_t n) {
    NACRE_RETURN_IF_ERROR(load_entries(id, h, p0, n));
    pages_.resize(n * P);
    const uint64_t lo = p0 * P, hi = std::min(lo + n * P, h.size);
    auto got = pread_all(h.obj, pages_.data(), hi - lo, lo, path(id));
    if (!got) return got.status();
    std::memset(pages_.data() + *got, 0, pages_.size() - *got);
    return Status::ok();
  }
  uint32_t crc32c_page(uint64_t k) const { return crc32c(pages_.data() + k * P, P); }

  // bounce_ = the page at lo as on disk: bytes [lo, hi) then zeros.
  Status load_old_page(uint64_t id, Handle& h, uint64_t lo, uint64_t hi) {
    bounce_.resize(P);
    auto got = pread_all(h.obj, bounce_.data(), hi - lo, lo, path(id));
    if (!got) return fail(id, got.status());
    std::memset(bounce_.data() + *got, 0, P - *got);
    return Status::ok();
  }

  Status mismatch(uint64_t id, uint64_t page, uint64_t size) const {
    const uint64_t lo = page * P, hi = std::min(lo + P, size);
    return Status::error(EIO, "directory store: checksum mismatch in object " + std::to_string(id) +
                                  " at bytes [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                  ") (" + path(id) + ")");
  }
  Result<uint64_t> test_crash(uint64_t id) {
    drop(id);
    return Status::error(EIO, "directory store: stopped at a test crash point (" + path(id) + ")");
  }
  // A failed change: forget the handle so sizes are read again from disk.
  Status fail(uint64_t id, Status s) {
    drop(id);
    return s;
  }

  // ---- files and descriptors -----------------------------------------------

  std::string path(uint64_t id) const { return name(id, ".obj"); }
  std::string sum_path(uint64_t id) const { return name(id, ".sum"); }
  std::string name(uint64_t id, const char* ext) const {
    char n[40];
    std::snprintf(n, sizeof n, "/%016llx%s", static_cast<unsigned long long>(id), ext);
    return dir_ + n;
  }
  static std::optional<uint64_t> parse_object_name(const char* n) {
    if (std::strlen(n) != 20 || std::strcmp(n + 16, ".obj") != 0) return std::nullopt;
    uint64_t id = 0;
    for (int i = 0; i < 16; ++i) {
      const char c = n[i];
      int v;
      if (c >= '0' && c <= '9') v = c - '0';
      else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
      else return std::nullopt;
      id = id << 4 | static_cast<uint64_t>(v);
    }
    return id;
  }

  // The object's open files; ENOENT if it does not exist and !create. With
  // checksums on, a non-empty object must have a valid checksum file (EIO
  // naming it otherwise); an empty one gets a fresh file when created.
  Result<Handle*> handle(uint64_t id, bool create) {
    Handle* h;
    if (auto it = handles_.find(id); it != handles_.end()) {
      h = &it->second;
    } else {
      const std::string p = path(id);
      int fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create) {
        fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC | O_CREAT, 0600);
        names_dirty_ = true;  // a new name: durable at the next sync
      }
      if (fd < 0) return sys_error("open", p);
      struct stat st;
      if (::fstat(fd, &st) != 0) {
        Status s = sys_error("stat", p);
        ::close(fd);
        return s;
      }
      if (handles_.size() >= max_handles()) drop(handles_.begin()->first);  // bounded descriptors
      h = &handles_[id];
      h->obj = fd;
      h->size = static_cast<uint64_t>(st.st_size);
    }
    if (opt_.checksums && h->sum < 0)
      if (Status s = open_sums(id, *h, create); !s) return fail(id, s);
    return h;
  }

  Status open_sums(uint64_t id, Handle& h, bool create) {
    const std::string sp = sum_path(id);
    int fd = ::open(sp.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno != ENOENT) return sys_error("open", sp);
    if (fd >= 0) {
      std::array<uint8_t, kSumsHeaderSize> head{};
      struct stat st;
      if (::fstat(fd, &st) != 0) {
        Status s = sys_error("stat", sp);
        ::close(fd);
        return s;
      }
      auto got = pread_all(fd, head.data(), head.size(), 0, sp);
      Status s = got ? check_sums_header(std::span(head.data(), *got), sp) : got.status();
      if (s) {
        h.sum = fd;
        h.sum_len = static_cast<uint64_t>(st.st_size);
        return Status::ok();
      }
      ::close(fd);
      if (h.size > 0) return s;
      // An empty object: a leftover of a killed create; rewritten if needed.
    } else if (h.size > 0) {
      return Status::error(EIO, "directory store: missing checksum file " + sp + " of object " +
                                    std::to_string(id) + " (" + path(id) + " holds " +
                                    std::to_string(h.size) + " bytes)");
    }
    if (!create) return Status::ok();  // an empty object needs no checksums to be read
    fd = ::open(sp.c_str(), O_RDWR | O_CLOEXEC | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return sys_error("create", sp);
    names_dirty_ = true;
    const auto head = encode_sums_header();
    if (Status s = pwrite_all(fd, head.data(), head.size(), 0, sp); !s) {
      ::close(fd);
      return s;
    }
    h.sum = fd;
    h.sum_len = kSumsHeaderSize;
    return Status::ok();
  }

  void drop(uint64_t id) {
    auto it = handles_.find(id);
    if (it == handles_.end()) return;
    close_handle(it->second);
    handles_.erase(it);
  }
  static void close_handle(Handle& h) {
    if (h.obj >= 0) ::close(h.obj);
    if (h.sum >= 0) ::close(h.sum);
  }
  size_t max_handles() const { return opt_.checksums ? 256 : 512; }  // <= 512 descriptors

  std::string dir_;
  DirectoryStoreOptions opt_;
  std::unordered_map<uint64_t, Handle> handles_;
  bool names_dirty_ = false;  // objects created since the directory was last fsynced
  // Reused buffers of the checksummed paths.
  std::vector<uint8_t> pages_, bounce_, entry_bytes_;
  std::vector<uint8_t> received_;  // write_from_checked: the bytes of one bulk write
  std::vector<SumEntry> entries_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> make_directory_store(const std::string& dir,
                                                          DirectoryStoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::error(ec.value(), "directory store: cannot create " + dir + ": " + ec.message());
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return Status::error(EACCES, "directory store: " + dir + " is not writable");
  return std::unique_ptr<ObjectStore>(std::make_unique<DirectoryStore>(dir, options));
}

}  // namespace nacre::store
