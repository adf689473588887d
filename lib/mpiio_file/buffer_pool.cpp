#include "mpiio_file/buffer_pool.hpp"

#include <algorithm>
#include <mutex>

namespace nacre::mpiio {
namespace {

std::mutex& pool_mutex() {
  static std::mutex m;
  return m;
}
std::vector<std::vector<uint8_t>>& pool() {
  static auto* p = new std::vector<std::vector<uint8_t>>();  // never destroyed (exit order)
  return *p;
}

}  // namespace

std::vector<uint8_t> BufferPool::take(size_t min_size) {
  std::vector<uint8_t> out;
  {
    std::lock_guard<std::mutex> lock(pool_mutex());
    auto& p = pool();
    size_t best = p.size();
    for (size_t i = 0; i < p.size(); ++i) {
      const bool fits = p[i].size() >= min_size;
      if (best == p.size()) {
        best = i;
        continue;
      }
      const bool best_fits = p[best].size() >= min_size;
      if (fits && (!best_fits || p[i].size() < p[best].size())) best = i;
      else if (!fits && !best_fits && p[i].size() > p[best].size()) best = i;
    }
    if (best != p.size()) {
      out = std::move(p[best]);
      p.erase(p.begin() + static_cast<std::ptrdiff_t>(best));
    }
  }
  if (out.size() < min_size) out.resize(min_size);
  return out;
}

void BufferPool::give(std::vector<uint8_t>&& buf) {
  if (buf.empty()) return;
  std::vector<uint8_t> drop;  // freed outside the lock
  std::lock_guard<std::mutex> lock(pool_mutex());
  auto& p = pool();
  size_t bytes = buf.size();
  for (const auto& b : p) bytes += b.size();
  if (p.size() >= kMaxBuffers || bytes > kMaxBytes) {
    // Keep the larger buffers: replace the smallest pooled one if buf is larger.
    auto smallest = std::min_element(p.begin(), p.end(),
                                     [](const auto& a, const auto& b) { return a.size() < b.size(); });
    if (smallest == p.end() || smallest->size() >= buf.size() ||
        bytes - smallest->size() > kMaxBytes) {
      drop = std::move(buf);
      return;
    }
    drop = std::move(*smallest);
    *smallest = std::move(buf);
    return;
  }
  p.push_back(std::move(buf));
}

void ensure_size(std::vector<uint8_t>* buf, size_t n) {
  if (buf->size() >= n) return;
  BufferPool::give(std::move(*buf));
  *buf = BufferPool::take(n);
}

}  // namespace nacre::mpiio
