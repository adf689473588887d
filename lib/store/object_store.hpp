// Object store seam of an object server: byte-addressed objects named by a
// 64-bit id. Objects exist implicitly: a missing object reads as empty and
// has size 0; write and truncate create it. Holes read as zeros.
// Implementations are used by one service thread (not thread-safe).
#pragma once

#include <nacre/status.hpp>
#include <nacre/types.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace nacre::store {

// Granularity of the directory store's end-to-end checksums (one CRC-32C per
// aligned page of an object; docs/DURABILITY.md "Checksums"). Ranges that
// verify() reports bad are unions of such pages (clipped to the object size),
// and a write that covers a whole page (or everything of it below the object
// size) replaces a bad page; a partial write never makes a bad page good.
inline constexpr uint64_t kChecksumPage = 4096;

struct ObjectInfo {
  uint64_t size = 0;
  Timespec mtime;
};

struct ObjectListing {
  uint64_t id = 0;
  uint64_t size = 0;
};

struct VerifyReport {
  uint64_t pages_checked = 0;
  // Bad byte ranges [start, end), ascending, adjacent bad pages merged.
  std::vector<std::pair<uint64_t, uint64_t>> bad;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual const char* kind() const = 0;
  // Writes data at offset; returns the object size afterwards.
  virtual Result<uint64_t> write(uint64_t id, uint64_t offset, std::span<const uint8_t> data) = 0;

  // Delivers the bytes of a write into the spans given (in order, len bytes
  // in all); an error aborts the write.
  using Filler = std::function<Status(std::span<const std::span<uint8_t>>)>;
  // Writes len bytes at offset that `fill` produces, into the store's own
  // memory where it can (no intermediate copy). The default stages them in
  // a reused buffer and calls write(). If fill fails, the object's size is
  // unchanged but bytes of [offset, offset + len) below it are unspecified.
  virtual Result<uint64_t> write_from(uint64_t id, uint64_t offset, size_t len, const Filler& fill) {
    if (staging_.size() < len) staging_.resize(len);
    std::span<uint8_t> one(staging_.data(), len);
    NACRE_RETURN_IF_ERROR(fill(std::span<const std::span<uint8_t>>(&one, 1)));
    return write(id, offset, one);
  }
  // As write / write_from, but only bytes whose CRC-32C is `crc` (the
  // sender's, docs/DURABILITY.md "Checksums") are stored: a mismatch is
  // damaged_in_transit(), with nothing of this write stored (write_from:
  // as when its fill fails). The defaults compute the CRC; a store that
  // checksums pages derives it from its page checksums instead (one pass).
  virtual Result<uint64_t> write_checked(uint64_t id, uint64_t offset,
                                         std::span<const uint8_t> data, uint32_t crc);
  virtual Result<uint64_t> write_from_checked(uint64_t id, uint64_t offset, size_t len,
                                              const Filler& fill, uint32_t crc);

  // Copies up to out.size() bytes at offset into out, stopping at the object
  // size; returns the number of bytes copied. *object_size gets the size.
  virtual Result<uint64_t> read(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                                uint64_t* object_size) = 0;
  // As read, and *crc gets the CRC-32C of the bytes copied (for the reply).
  // The default computes it; a store that verifies page checksums derives
  // it from them instead.
  virtual Result<uint64_t> read_with_crc(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                                         uint64_t* object_size, uint32_t* crc);
  virtual Result<ObjectInfo> stat(uint64_t id) = 0;
  virtual Status truncate(uint64_t id, uint64_t size) = 0;
  // Removes the object; removing a missing object is not an error.
  virtual Status destroy(uint64_t id) = 0;
  // Makes the object's data durable (no-op for memory).
  virtual Status sync(uint64_t id) = 0;

  // Every object with its size, in ascending id order (for scrub and fsck).
  virtual Result<std::vector<ObjectListing>> list() = 0;
  // Checks every page of the object against its checksums; bad pages are
  // reported, not returned as an error. A missing object, or a store without
  // checksums, gives an empty report. An error means the object could not be
  // checked at all (unreadable file, corrupt or missing checksum file).
  virtual Result<VerifyReport> verify(uint64_t id) = 0;

 private:
  std::vector<uint8_t> staging_;  // write_from's default buffer
};

// Sparse in-memory store (chunks of 1 MiB allocated on first write).
// reserve_bytes: memory mapped and faulted in now (rounded up to 64 MiB
// slabs); on failure the store still works and grows on demand.
std::unique_ptr<ObjectStore> make_memory_store(uint64_t reserve_bytes = 0);

// Where a test stops a directory-store write or truncate, as if the server
// had been killed there (the call returns EIO; nothing after it is done).
enum class CrashPoint {
  none,
  after_sums,  // checksum entries written, object data not
  after_data,  // data written, entries not yet settled (previous = current)
};

struct DirectoryStoreOptions {
  // Per-page CRC-32C in a <id>.sum file next to each <id>.obj; reads verify.
  bool checksums = true;
  CrashPoint crash_for_testing = CrashPoint::none;
};

// One file per object under `dir` (created if missing). Errors name the path.
Result<std::unique_ptr<ObjectStore>> make_directory_store(const std::string& dir,
                                                          DirectoryStoreOptions options = {});

Timespec now();

// The error of a write whose bytes do not match the sender's CRC-32C.
Status damaged_in_transit(uint64_t id, uint64_t offset);

}  // namespace nacre::store
