// The client's read cache (docs/LOCKS.md, "Read cache and read-ahead"):
// clean bytes read from the servers while this client held an extent lock
// on them, per (server, object), in fixed blocks of kBlockBytes.
//
// Validity is the caller's business (ClientCore): bytes go in only during a
// call that holds a PR or PW lock covering them, an object's blocks are
// dropped before any lock on it is cancelled (callback, bound, contention,
// eviction), and every write of this client to an object invalidates the
// bytes it covers. So a hit is never older than what another client could
// have written: a writer needs a conflicting lock, whose callback drops the
// blocks first.
//
// Each block holds one contiguous valid byte range [lo, hi) of its 64 KiB;
// get() serves only ranges that are entirely valid (a read past what was
// cached, e.g. at the end of an object, goes to the server). Memory is
// bounded: beyond `limit` bytes of blocks the least recently used go.
//
// Thread-safe (one mutex). Blocks come from a pool that keeps its memory.
#pragma once

#include "store/chunk_pool.hpp"
#include "transport/transport.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

namespace nacre::client {

class ReadCache {
 public:
  static constexpr uint64_t kBlockBytes = 64 << 10;
  using Key = std::pair<uint32_t, uint64_t>;  // (server, object id)

  explicit ReadCache(uint64_t limit = 32ull << 20);
  ~ReadCache();
  ReadCache(const ReadCache&) = delete;
  ReadCache& operator=(const ReadCache&) = delete;

  // 0 turns the cache off (and empties it).
  void set_limit(uint64_t bytes);
  uint64_t limit() const;

  // Copies object bytes [offset, offset + total) into segs (their lengths
  // sum to total) if every byte is cached; false (nothing copied) if not.
  bool get(const Key& key, uint64_t offset, uint64_t total,
           std::span<const transport::MutSegment> segs);
  // Caches object bytes [offset, offset + len) (just read from a server).
  void put(const Key& key, uint64_t offset, const uint8_t* data, uint64_t len);
  // Forgets cached bytes of key in [start, end) (this client wrote them).
  void invalidate(const Key& key, uint64_t start, uint64_t end);
  // Forgets every block of key (a lock on it goes) / of a server.
  void drop_object(const Key& key);
  void drop_server(uint32_t server);

  // Read-ahead state of an object: how far to read beyond a read of len
  // bytes at offset (0: no read-ahead). Sequential reads (each starting
  // where the previous one of this object ended) double the window, from
  // 4 reads' worth up to kMaxWindow; any other read resets it.
  uint64_t readahead(const Key& key, uint64_t offset, uint64_t len);
  static constexpr uint64_t kMaxWindow = 1 << 20;

  uint64_t hits() const;
  uint64_t misses() const;
  uint64_t cached_bytes() const;  // memory of the blocks held

 private:
  struct Block {
    uint8_t* data = nullptr;
    uint32_t lo = 0, hi = 0;                     // valid bytes [lo, hi)
    std::list<std::tuple<Key, uint64_t>>::iterator lru;
  };
  using BlockId = std::tuple<Key, uint64_t>;  // (object, block index)
  struct Stream {
    uint64_t next = 0;    // where a sequential read would start
    uint64_t window = 0;  // current read-ahead window
  };
  // All REQUIRE mu_.
  void erase(std::map<BlockId, Block>::iterator it);
  void touch(Block& b, const BlockId& id);
  void shrink_to(uint64_t bytes);

  mutable std::mutex mu_;
  uint64_t limit_;
  store::ChunkPool pool_;
  std::map<BlockId, Block> blocks_;
  // blocks_.size(), readable without mu_ (invalidate() on every write of an
  // empty cache returns without locking).
  std::atomic<size_t> count_{0};
  std::list<BlockId> lru_;  // front = most recently used
  std::map<Key, Stream> streams_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace nacre::client
