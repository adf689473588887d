// Process-wide pool of large byte buffers (aggregator round buffers, staged
// write-behind data), so that a file opened after another one closed reuses
// memory that is already faulted in: first touch of fresh pages costs
// ~0.3-0.9 GiB/s on the development VM, far more than the data path itself.
//
// Thread-safe. Buffers are plain vectors; a taken buffer belongs to the
// caller until it is given back. The pool keeps at most kMaxBuffers buffers
// and kMaxBytes bytes; beyond that a returned buffer is freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace nacre::mpiio {

class BufferPool {
 public:
  static constexpr size_t kMaxBuffers = 8;
  static constexpr size_t kMaxBytes = size_t{512} << 20;

  // A buffer of size() >= min_size: a pooled one if any is large enough
  // (the smallest such), else the largest pooled one grown, else a new one.
  static std::vector<uint8_t> take(size_t min_size);
  // Gives a buffer back (empty buffers are dropped).
  static void give(std::vector<uint8_t>&& buf);
};

// Grows *buf to at least n bytes, swapping in a pooled buffer when *buf has
// to grow (its old contents are NOT kept).
void ensure_size(std::vector<uint8_t>* buf, size_t n);

}  // namespace nacre::mpiio
