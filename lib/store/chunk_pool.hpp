// Fixed-size memory chunks for the memory store, carved from large slabs.
//
// Fresh anonymous memory is slow to touch (a fault per 4 KiB page, ~0.3-1
// GiB/s on the development VM). Slabs are mapped in 64 MiB pieces, marked
// for transparent huge pages and populated in one call, and chunks are never
// returned to the kernel while the pool lives, so rewriting a freed chunk
// runs at memcpy speed. Not thread-safe (one service thread per store).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nacre::store {

class ChunkPool {
 public:
  explicit ChunkPool(size_t chunk_size, size_t slab_size = 64u << 20);
  ~ChunkPool();
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;

  size_t chunk_size() const { return chunk_; }
  // A chunk of chunk_size() bytes with unspecified contents, or nullptr when
  // memory is exhausted.
  uint8_t* take();
  // Returns a chunk obtained from take().
  void give_back(uint8_t* chunk) { free_.push_back(chunk); }
  // Maps and faults in slabs until at least `bytes` are mapped. Returns
  // false if memory ran out first (what was mapped stays usable).
  bool reserve(size_t bytes);
  // Bytes mapped so far.
  size_t mapped_bytes() const { return slabs_.size() * slab_; }

 private:
  bool grow();
  size_t chunk_, slab_;
  std::vector<void*> slabs_;
  std::vector<uint8_t*> free_;
};

}  // namespace nacre::store
