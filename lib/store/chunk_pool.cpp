#include "store/chunk_pool.hpp"

#include <sys/mman.h>

#include <cstring>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace nacre::store {

ChunkPool::ChunkPool(size_t chunk_size, size_t slab_size)
    : chunk_(chunk_size), slab_(slab_size < chunk_size ? chunk_size : slab_size) {
  slab_ -= slab_ % chunk_;
}

ChunkPool::~ChunkPool() {
  for (void* s : slabs_) ::munmap(s, slab_);
}

bool ChunkPool::grow() {
  void* p = ::mmap(nullptr, slab_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  ::madvise(p, slab_, MADV_HUGEPAGE);
  // Fault the whole slab in at once; older kernels lack POPULATE_WRITE, so
  // touch one byte per page instead.
  if (::madvise(p, slab_, MADV_POPULATE_WRITE) != 0) {
    auto* b = static_cast<volatile uint8_t*>(p);
    for (size_t i = 0; i < slab_; i += 4096) b[i] = 0;
  }
  slabs_.push_back(p);
  auto* base = static_cast<uint8_t*>(p);
  for (size_t off = slab_; off >= chunk_; off -= chunk_) free_.push_back(base + off - chunk_);
  return true;
}

bool ChunkPool::reserve(size_t bytes) {
  while (mapped_bytes() < bytes)
    if (!grow()) return false;
  return true;
}

uint8_t* ChunkPool::take() {
  if (free_.empty() && !grow()) return nullptr;
  uint8_t* c = free_.back();
  free_.pop_back();
  return c;
}

}  // namespace nacre::store
