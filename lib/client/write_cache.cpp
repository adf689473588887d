#include "client/write_cache.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace nacre::client {

namespace {
// Small slabs: a short-lived client faults in only about what it uses (a
// slab is populated at once when the pool grows).
constexpr size_t kSlabBytes = 4 << 20;
size_t chunks_for(uint64_t length, size_t chunk) {
  return static_cast<size_t>((length + chunk - 1) / chunk);
}
}  // namespace

std::vector<uint8_t> DirtyExtent::bytes() const {
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(length));
  for_each_piece(0, length, [&](const uint8_t* p, uint64_t n) { out.insert(out.end(), p, p + n); });
  return out;
}

WriteCache::WriteCache() : pool_(kChunkBytes, kSlabBytes) {}

WriteCache::~WriteCache() = default;  // the pool unmaps every chunk

bool WriteCache::grow(DirtyExtent& e, uint64_t length) {
  const size_t need = chunks_for(length, kChunkBytes);
  const size_t had = e.chunks.size();
  while (e.chunks.size() < need) {
    uint8_t* c = pool_.take();
    if (c == nullptr) {  // out of memory: undo
      while (e.chunks.size() > had) {
        pool_.give_back(e.chunks.back());
        e.chunks.pop_back();
        --chunks_in_use_;
      }
      return false;
    }
    e.chunks.push_back(c);
    ++chunks_in_use_;
  }
  return true;
}

void WriteCache::shrink(DirtyExtent& e, uint64_t length) {
  const size_t keep = chunks_for(length, kChunkBytes);
  while (e.chunks.size() > keep) {
    pool_.give_back(e.chunks.back());
    e.chunks.pop_back();
    --chunks_in_use_;
  }
  e.length = length;
}

void WriteCache::free_chunks(DirtyExtent& e) { shrink(e, 0); }

void WriteCache::write_into(DirtyExtent& e, uint64_t pos, const uint8_t* src, uint64_t n) {
  e.for_each_piece(pos, n, [&](uint8_t* p, uint64_t k) {
    std::memcpy(p, src, static_cast<size_t>(k));
    src += k;
  });
}

bool WriteCache::put(const ObjectKey& key, uint64_t offset, const uint8_t* data, uint64_t len,
                     uint64_t* extent_length) {
  if (extent_length) *extent_length = 0;
  if (len == 0) return true;
  const uint64_t end = offset + len;
  std::lock_guard<std::mutex> lock(mu_);
  Extents& ex = objects_[key];
  // The first extent that overlaps or touches [offset, end].
  auto first = ex.upper_bound(offset);
  if (first != ex.begin() && std::prev(first)->second.end() >= offset) --first;
  auto last = first;  // one past the last extent that overlaps or touches
  while (last != ex.end() && last->first <= end) ++last;

  if (first == last) {  // nothing near: a new extent
    DirtyExtent e;
    e.offset = offset;
    e.chunk_size = kChunkBytes;
    if (!grow(e, len)) {
      if (ex.empty()) objects_.erase(key);
      return false;
    }
    e.length = len;
    write_into(e, 0, data, len);
    ex.emplace(offset, std::move(e));
    bytes_ += len;
    if (extent_length) *extent_length = len;
    return true;
  }
  const uint64_t lo = std::min(offset, first->first);
  uint64_t hi = end;
  for (auto it = first; it != last; ++it) hi = std::max(hi, it->second.end());
  // The merged extent: the first one, extended in place, when it starts at
  // lo (appends and overwrites: no old byte moves); otherwise a new one.
  const bool reuse = first->first == lo;
  DirtyExtent merged;
  if (reuse) {
    merged = std::move(first->second);
  } else {
    merged.offset = lo;
    merged.chunk_size = kChunkBytes;
  }
  const uint64_t old_len = merged.length;
  if (!grow(merged, hi - lo)) {
    if (reuse) first->second = std::move(merged);
    return false;
  }
  merged.length = hi - lo;
  for (auto it = reuse ? std::next(first) : first; it != last; ++it) {
    DirtyExtent& o = it->second;
    uint64_t pos = 0;
    o.for_each_piece(0, o.length, [&](const uint8_t* p, uint64_t k) {
      write_into(merged, o.offset - lo + pos, p, k);
      pos += k;
    });
    bytes_ -= o.length;
    free_chunks(o);
  }
  if (reuse) bytes_ -= old_len;
  write_into(merged, offset - lo, data, len);
  bytes_ += merged.length;
  if (extent_length) *extent_length = merged.length;
  if (reuse) {  // the first extent's map node stays (appends allocate nothing)
    first->second = std::move(merged);
    ex.erase(std::next(first), last);
  } else {
    ex.erase(first, last);
    ex.emplace(lo, std::move(merged));
  }
  return true;
}

bool WriteCache::discard_locked(Extents& ex, uint64_t start, uint64_t end) {
  if (start >= end) return true;
  auto it = ex.upper_bound(start);
  if (it != ex.begin() && std::prev(it)->second.end() > start) --it;
  while (it != ex.end() && it->first < end) {
    DirtyExtent& e = it->second;
    const uint64_t e_lo = e.offset, e_hi = e.end();
    if (e_hi > end) {  // the right part moves into an extent of its own
      DirtyExtent right;
      right.offset = end;
      right.chunk_size = kChunkBytes;
      if (!grow(right, e_hi - end)) return false;  // nothing of e changed yet
      right.length = e_hi - end;
      uint64_t pos = 0;
      e.for_each_piece(end - e_lo, e_hi - end, [&](const uint8_t* p, uint64_t k) {
        write_into(right, pos, p, k);
        pos += k;
      });
      bytes_ += right.length;
      ex.emplace(end, std::move(right));
    }
    bytes_ -= e.length;
    if (e_lo < start) {  // the left part stays, shortened
      shrink(e, start - e_lo);
      bytes_ += e.length;
      ++it;
    } else {
      free_chunks(e);
      it = ex.erase(it);
    }
  }
  return true;
}

bool WriteCache::discard(const ObjectKey& key, uint64_t start, uint64_t end) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return true;
  const bool ok = discard_locked(it->second, start, end);
  if (it->second.empty()) objects_.erase(it);
  return ok;
}

std::vector<DirtyExtent> WriteCache::drain(Extents& ex) {
  std::vector<DirtyExtent> out;
  out.reserve(ex.size());
  for (auto& [off, e] : ex) {
    bytes_ -= e.length;
    out.push_back(std::move(e));
  }
  ex.clear();
  return out;
}

std::vector<DirtyExtent> WriteCache::take(const ObjectKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return {};
  auto out = drain(it->second);
  objects_.erase(it);
  return out;
}

bool WriteCache::overlaps(const ObjectKey& key, uint64_t start, uint64_t end) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto o = objects_.find(key);
  if (o == objects_.end() || start >= end) return false;
  auto it = o->second.upper_bound(start);
  if (it != o->second.begin() && std::prev(it)->second.end() > start) return true;
  return it != o->second.end() && it->first < end;
}

std::vector<DirtyObject> WriteCache::take_all() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DirtyObject> out;
  for (auto& [key, ex] : objects_) out.push_back(DirtyObject{key, drain(ex)});
  objects_.clear();
  return out;
}

std::vector<DirtyObject> WriteCache::take_server(uint32_t server) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DirtyObject> out;
  for (auto it = objects_.lower_bound(ObjectKey{server, 0});
       it != objects_.end() && it->first.first == server;) {
    out.push_back(DirtyObject{it->first, drain(it->second)});
    it = objects_.erase(it);
  }
  return out;
}

void WriteCache::release(std::vector<DirtyExtent>& extents) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : extents) free_chunks(e);
  extents.clear();
}

void WriteCache::release(std::vector<DirtyObject>& objects) {
  for (auto& o : objects) release(o.extents);
  objects.clear();
}

uint64_t WriteCache::dirty_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

uint64_t WriteCache::memory_bytes() const { return chunks_in_use_.load() * kChunkBytes; }

size_t WriteCache::dirty_objects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.size();
}

}  // namespace nacre::client
