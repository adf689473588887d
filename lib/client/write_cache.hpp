// The client's write-back cache (docs/LOCKS.md, "Client cache"): dirty
// bytes written under PW extent locks, per (server, object), not yet sent.
//
// Pure bookkeeping, no I/O: ClientCore decides what goes in (small writes
// under a PW lock), and takes extents out to send them (flush on sync,
// close, size queries, reads of the same bytes, lock callbacks, and when
// the cache's memory is over its limit).
//
// Per object the dirty bytes are kept as sorted, non-overlapping extents;
// a newer put replaces older bytes where they overlap and merges with
// extents it touches, so a run of small sequential writes becomes one large
// extent (one large RPC when flushed). An extent's bytes live in fixed-size
// chunks from a pool that keeps its memory (fresh memory costs a page fault
// per 4 KiB on first touch, ~0.3-1 GiB/s here): appending is a memcpy into
// warm memory, and flushed chunks are reused.
//
// Thread-safe (one mutex). Extents taken out own their chunks until the
// caller hands them back with release().
#pragma once

#include "store/chunk_pool.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace nacre::client {

// Bytes [offset, offset + length) of one object; chunk i holds the
// extent's bytes [i * chunk_size, (i + 1) * chunk_size).
struct DirtyExtent {
  uint64_t offset = 0;
  uint64_t length = 0;
  size_t chunk_size = 0;
  std::vector<uint8_t*> chunks;
  uint64_t end() const { return offset + length; }
  // Calls f(pointer, bytes) for the extent's bytes [pos, pos + n) in order.
  template <class F>
  void for_each_piece(uint64_t pos, uint64_t n, F&& f) const {
    while (n > 0) {
      const size_t c = static_cast<size_t>(pos / chunk_size), in = static_cast<size_t>(pos % chunk_size);
      const uint64_t take = std::min<uint64_t>(n, chunk_size - in);
      f(chunks[c] + in, take);
      pos += take;
      n -= take;
    }
  }
  std::vector<uint8_t> bytes() const;  // a copy (tests)
};

// (server, object id)
using ObjectKey = std::pair<uint32_t, uint64_t>;

struct DirtyObject {
  ObjectKey key;
  std::vector<DirtyExtent> extents;  // sorted by offset, non-overlapping
};

class WriteCache {
 public:
  static constexpr size_t kChunkBytes = 64 << 10;
  WriteCache();
  ~WriteCache();
  WriteCache(const WriteCache&) = delete;
  WriteCache& operator=(const WriteCache&) = delete;

  // Copies len bytes at data as object bytes [offset, offset + len) of key.
  // False (nothing changed) only if memory for the chunks ran out.
  // *extent_length (optional): the length of the cached extent that now
  // holds these bytes (a run of appends grows one extent).
  bool put(const ObjectKey& key, uint64_t offset, const uint8_t* data, uint64_t len,
           uint64_t* extent_length = nullptr);
  // Drops dirty bytes of key in [start, end) (overwritten by a write that
  // went straight to the server, or the object was destroyed). False if
  // memory to split an extent ran out: then the caller must take() and send
  // the object's dirty bytes before writing over them.
  bool discard(const ObjectKey& key, uint64_t start, uint64_t end);
  // Removes and returns the dirty extents of key (empty if none).
  std::vector<DirtyExtent> take(const ObjectKey& key);
  // True if key has dirty bytes overlapping [start, end).
  bool overlaps(const ObjectKey& key, uint64_t start, uint64_t end) const;
  // Removes and returns everything, object by object.
  std::vector<DirtyObject> take_all();
  // Removes and returns the dirty objects of one server (it evicted us).
  std::vector<DirtyObject> take_server(uint32_t server);
  // Gives the chunks of taken extents back (they are cleared).
  void release(std::vector<DirtyExtent>& extents);
  void release(std::vector<DirtyObject>& objects);

  uint64_t dirty_bytes() const;   // bytes written and not yet taken
  uint64_t memory_bytes() const;  // chunks in use (cached and taken), the limit's measure
  size_t dirty_objects() const;

 private:
  using Extents = std::map<uint64_t, DirtyExtent>;  // by offset
  // All REQUIRE mu_.
  bool grow(DirtyExtent& e, uint64_t length);
  void shrink(DirtyExtent& e, uint64_t length);
  void free_chunks(DirtyExtent& e);
  static void write_into(DirtyExtent& e, uint64_t pos, const uint8_t* src, uint64_t n);
  bool discard_locked(Extents& ex, uint64_t start, uint64_t end);
  std::vector<DirtyExtent> drain(Extents& ex);

  mutable std::mutex mu_;
  store::ChunkPool pool_;                 // guarded by mu_
  std::map<ObjectKey, Extents> objects_;  // guarded by mu_; no empty entries
  uint64_t bytes_ = 0;                    // guarded by mu_
  // Changed under mu_; read without it (memory_bytes() on every cached write).
  std::atomic<uint64_t> chunks_in_use_{0};
};

}  // namespace nacre::client
