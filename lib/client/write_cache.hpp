// The client's write-back cache (docs/LOCKS.md, "Client cache"): dirty
// bytes written under PW extent locks, per (server, object), not yet sent.
//
// Pure bookkeeping, no I/O: ClientCore decides what goes in (small writes
// under a PW lock), and takes extents out to send them (flush on sync,
// close, size queries, reads of the same bytes, lock callbacks, and when
// the cache is over its byte limit).
//
// Per object the dirty bytes are kept as sorted, non-overlapping extents;
// a newer put replaces older bytes where they overlap and merges with
// extents it touches, so a run of small sequential writes becomes one large
// extent (one large RPC when flushed). Appending at the end of an extent is
// amortised O(length).
//
// Thread-safe (one mutex). Extents taken out are owned by the caller.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace nacre::client {

struct DirtyExtent {
  uint64_t offset = 0;        // object offset of data[0]
  std::vector<uint8_t> data;  // the bytes
  uint64_t end() const { return offset + data.size(); }
};

// (server, object id)
using ObjectKey = std::pair<uint32_t, uint64_t>;

struct DirtyObject {
  ObjectKey key;
  std::vector<DirtyExtent> extents;  // sorted by offset, non-overlapping
};

class WriteCache {
 public:
  // Copies len bytes at data as object bytes [offset, offset + len) of key.
  void put(const ObjectKey& key, uint64_t offset, const uint8_t* data, uint64_t len);
  // Drops dirty bytes of key in [start, end) (they were overwritten by a
  // write that went straight to the server, or the object was destroyed).
  void discard(const ObjectKey& key, uint64_t start, uint64_t end);
  // Removes and returns the dirty extents of key (empty if none).
  std::vector<DirtyExtent> take(const ObjectKey& key);
  // True if key has dirty bytes overlapping [start, end).
  bool overlaps(const ObjectKey& key, uint64_t start, uint64_t end) const;
  // Removes and returns everything, object by object.
  std::vector<DirtyObject> take_all();
  // Removes and returns the dirty objects of one server (it evicted us).
  std::vector<DirtyObject> take_server(uint32_t server);

  uint64_t dirty_bytes() const;
  size_t dirty_objects() const;

 private:
  using Extents = std::map<uint64_t, std::vector<uint8_t>>;  // offset -> bytes
  static void discard_locked(Extents& ex, uint64_t start, uint64_t end, uint64_t* bytes);
  static std::vector<DirtyExtent> drain(Extents& ex);

  mutable std::mutex mu_;
  std::map<ObjectKey, Extents> objects_;  // guarded by mu_; no empty entries
  uint64_t bytes_ = 0;                    // guarded by mu_
};

}  // namespace nacre::client
