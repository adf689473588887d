#include "client/read_cache.hpp"

#include <algorithm>
#include <cstring>

namespace nacre::client {

ReadCache::ReadCache(uint64_t limit) : limit_(limit), pool_(kBlockBytes, 4u << 20) {}

ReadCache::~ReadCache() = default;

void ReadCache::set_limit(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  limit_ = bytes;
  shrink_to(limit_);
}

uint64_t ReadCache::limit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_;
}

void ReadCache::erase(std::map<BlockId, Block>::iterator it) {
  pool_.give_back(it->second.data);
  lru_.erase(it->second.lru);
  blocks_.erase(it);
  count_ = blocks_.size();
}

void ReadCache::touch(Block& b, const BlockId& id) {
  lru_.erase(b.lru);
  lru_.push_front(id);
  b.lru = lru_.begin();
}

void ReadCache::shrink_to(uint64_t bytes) {
  while (!lru_.empty() && blocks_.size() * kBlockBytes > bytes) erase(blocks_.find(lru_.back()));
}

bool ReadCache::get(const Key& key, uint64_t offset, uint64_t total,
                    std::span<const transport::MutSegment> segs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (limit_ == 0 || total == 0) return false;
  // Every byte must be there before anything is copied.
  for (uint64_t at = offset; at < offset + total;) {
    const uint64_t index = at / kBlockBytes, in = at % kBlockBytes;
    auto it = blocks_.find(BlockId{key, index});
    const uint64_t need_hi = std::min<uint64_t>(kBlockBytes, in + (offset + total - at));
    if (it == blocks_.end() || it->second.lo > in || it->second.hi < need_hi) {
      ++misses_;
      return false;
    }
    at += need_hi - in;
  }
  auto copy_out = [&](uint64_t from, uint8_t* dst, uint64_t n) {
    while (n > 0) {
      const uint64_t in = from % kBlockBytes;
      const BlockId id{key, from / kBlockBytes};
      Block& b = blocks_.find(id)->second;
      const uint64_t k = std::min<uint64_t>(n, kBlockBytes - in);
      std::memcpy(dst, b.data + in, k);
      if (in + k == kBlockBytes || k == n) touch(b, id);
      dst += k;
      from += k;
      n -= k;
    }
  };
  uint64_t at = offset;
  for (const auto& sg : segs) {
    copy_out(at, static_cast<uint8_t*>(sg.ptr), sg.len);
    at += sg.len;
  }
  ++hits_;
  return true;
}

void ReadCache::put(const Key& key, uint64_t offset, const uint8_t* data, uint64_t len) {
  std::lock_guard<std::mutex> lock(mu_);
  if (limit_ < kBlockBytes) return;
  for (uint64_t at = offset; at < offset + len;) {
    const uint64_t index = at / kBlockBytes, in = at % kBlockBytes;
    const uint64_t n = std::min<uint64_t>(kBlockBytes - in, offset + len - at);
    const BlockId id{key, index};
    auto it = blocks_.find(id);
    if (it == blocks_.end()) {
      shrink_to(limit_ - kBlockBytes);
      uint8_t* mem = pool_.take();
      if (!mem) return;  // out of memory: cache less
      lru_.push_front(id);
      it = blocks_.emplace(id, Block{mem, 0, 0, lru_.begin()}).first;
      count_ = blocks_.size();
    } else {
      touch(it->second, id);
    }
    Block& b = it->second;
    std::memcpy(b.data + in, data + (at - offset), n);
    const uint32_t lo = static_cast<uint32_t>(in), hi = static_cast<uint32_t>(in + n);
    if (b.hi > b.lo && lo <= b.hi && hi >= b.lo) {  // touches the valid range: merge
      b.lo = std::min(b.lo, lo);
      b.hi = std::max(b.hi, hi);
    } else {  // a separate range replaces it
      b.lo = lo;
      b.hi = hi;
    }
    at += n;
  }
}

void ReadCache::invalidate(const Key& key, uint64_t start, uint64_t end) {
  if (count_.load() == 0) return;  // nothing cached at all (the common case of writers)
  std::lock_guard<std::mutex> lock(mu_);
  if (blocks_.empty() || start >= end) return;
  auto it = blocks_.lower_bound(BlockId{key, start / kBlockBytes});
  while (it != blocks_.end() && std::get<0>(it->first) == key &&
         std::get<1>(it->first) * kBlockBytes < end)
    erase(it++);
}

void ReadCache::drop_object(const Key& key) {
  std::lock_guard<std::mutex> lock(mu_);
  streams_.erase(key);
  if (blocks_.empty()) return;
  auto it = blocks_.lower_bound(BlockId{key, 0});
  while (it != blocks_.end() && std::get<0>(it->first) == key) erase(it++);
}

void ReadCache::drop_server(uint32_t server) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = blocks_.begin(); it != blocks_.end();) {
    if (std::get<0>(it->first).first == server) erase(it++);
    else ++it;
  }
  std::erase_if(streams_, [&](const auto& s) { return s.first.first == server; });
}

uint64_t ReadCache::readahead(const Key& key, uint64_t offset, uint64_t len) {
  std::lock_guard<std::mutex> lock(mu_);
  if (limit_ < kBlockBytes) return 0;
  if (streams_.size() > 4096) streams_.clear();  // bound the bookkeeping
  Stream& s = streams_[key];
  if (offset == s.next && offset != 0) s.window = std::min(kMaxWindow, std::max(4 * len, 2 * s.window));
  else s.window = 0;
  s.next = offset + len;
  return s.window;
}

uint64_t ReadCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

uint64_t ReadCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

uint64_t ReadCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return blocks_.size() * kBlockBytes;
}

}  // namespace nacre::client
