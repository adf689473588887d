// Object store seam of an object server: byte-addressed objects named by a
// 64-bit id. Objects exist implicitly: a missing object reads as empty and
// has size 0; write and truncate create it. Holes read as zeros.
// Implementations are used by one service thread (not thread-safe).
#pragma once

#include <nacre/status.hpp>
#include <nacre/types.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace nacre::store {

struct ObjectInfo {
  uint64_t size = 0;
  Timespec mtime;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual const char* kind() const = 0;
  // Writes data at offset; returns the object size afterwards.
  virtual Result<uint64_t> write(uint64_t id, uint64_t offset, std::span<const uint8_t> data) = 0;
  // Copies up to out.size() bytes at offset into out, stopping at the object
  // size; returns the number of bytes copied. *object_size gets the size.
  virtual Result<uint64_t> read(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                                uint64_t* object_size) = 0;
  virtual Result<ObjectInfo> stat(uint64_t id) = 0;
  virtual Status truncate(uint64_t id, uint64_t size) = 0;
  // Removes the object; removing a missing object is not an error.
  virtual Status destroy(uint64_t id) = 0;
  // Makes the object's data durable (no-op for memory).
  virtual Status sync(uint64_t id) = 0;
};

// Sparse in-memory store (chunks of 1 MiB allocated on first write).
// reserve_bytes: memory mapped and faulted in now (rounded up to 64 MiB
// slabs); on failure the store still works and grows on demand.
std::unique_ptr<ObjectStore> make_memory_store(uint64_t reserve_bytes = 0);

// One file per object under `dir` (created if missing). Errors name the path.
Result<std::unique_ptr<ObjectStore>> make_directory_store(const std::string& dir);

Timespec now();

}  // namespace nacre::store
