#include "client/write_cache.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace nacre::client {

void WriteCache::put(const ObjectKey& key, uint64_t offset, const uint8_t* data, uint64_t len) {
  if (len == 0) return;
  const uint64_t end = offset + len;
  std::lock_guard<std::mutex> lock(mu_);
  Extents& ex = objects_[key];
  // The first extent that overlaps or touches [offset, end].
  auto first = ex.upper_bound(offset);
  if (first != ex.begin()) {
    auto prev = std::prev(first);
    if (prev->first + prev->second.size() >= offset) first = prev;
  }
  auto last = first;  // one past the last extent that overlaps or touches
  while (last != ex.end() && last->first <= end) ++last;

  if (first == last) {  // nothing near: a new extent
    ex.emplace(offset, std::vector<uint8_t>(data, data + len));
    bytes_ += len;
    return;
  }
  const uint64_t lo = std::min(offset, first->first);
  if (std::next(first) == last && first->first == lo) {
    // One extent starting at or before offset: overwrite and/or append in place.
    std::vector<uint8_t>& v = first->second;
    const uint64_t old_end = first->first + v.size();
    if (end > old_end) {
      v.resize(end - first->first);
      bytes_ += end - old_end;
    }
    std::memcpy(v.data() + (offset - first->first), data, len);
    return;
  }
  // General case: merge every extent in [first, last) with the new bytes.
  uint64_t hi = end;
  for (auto it = first; it != last; ++it) hi = std::max<uint64_t>(hi, it->first + it->second.size());
  std::vector<uint8_t> merged(hi - lo);
  for (auto it = first; it != last; ++it) {
    std::memcpy(merged.data() + (it->first - lo), it->second.data(), it->second.size());
    bytes_ -= it->second.size();
  }
  std::memcpy(merged.data() + (offset - lo), data, len);
  bytes_ += merged.size();
  ex.erase(first, last);
  ex.emplace(lo, std::move(merged));
}

void WriteCache::discard_locked(Extents& ex, uint64_t start, uint64_t end, uint64_t* bytes) {
  if (start >= end) return;
  auto it = ex.upper_bound(start);
  if (it != ex.begin() && std::prev(it)->first + std::prev(it)->second.size() > start) --it;
  while (it != ex.end() && it->first < end) {
    const uint64_t e_lo = it->first;
    std::vector<uint8_t> v = std::move(it->second);
    const uint64_t e_hi = e_lo + v.size();
    it = ex.erase(it);
    *bytes -= v.size();
    if (e_lo < start) {  // keep the left part
      ex.emplace(e_lo, std::vector<uint8_t>(v.begin(), v.begin() + (start - e_lo)));
      *bytes += start - e_lo;
    }
    if (e_hi > end) {  // keep the right part
      it = ex.emplace(end, std::vector<uint8_t>(v.begin() + (end - e_lo), v.end())).first;
      *bytes += e_hi - end;
      ++it;
    }
  }
}

void WriteCache::discard(const ObjectKey& key, uint64_t start, uint64_t end) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  discard_locked(it->second, start, end, &bytes_);
  if (it->second.empty()) objects_.erase(it);
}

std::vector<DirtyExtent> WriteCache::drain(Extents& ex) {
  std::vector<DirtyExtent> out;
  out.reserve(ex.size());
  for (auto& [off, v] : ex) out.push_back(DirtyExtent{off, std::move(v)});
  ex.clear();
  return out;
}

std::vector<DirtyExtent> WriteCache::take(const ObjectKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return {};
  for (const auto& [off, v] : it->second) bytes_ -= v.size();
  auto out = drain(it->second);
  objects_.erase(it);
  return out;
}

bool WriteCache::overlaps(const ObjectKey& key, uint64_t start, uint64_t end) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto o = objects_.find(key);
  if (o == objects_.end() || start >= end) return false;
  auto it = o->second.upper_bound(start);
  if (it != o->second.begin() && std::prev(it)->first + std::prev(it)->second.size() > start)
    return true;
  return it != o->second.end() && it->first < end;
}

std::vector<DirtyObject> WriteCache::take_all() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DirtyObject> out;
  for (auto& [key, ex] : objects_) out.push_back(DirtyObject{key, drain(ex)});
  objects_.clear();
  bytes_ = 0;
  return out;
}

std::vector<DirtyObject> WriteCache::take_server(uint32_t server) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DirtyObject> out;
  for (auto it = objects_.lower_bound(ObjectKey{server, 0});
       it != objects_.end() && it->first.first == server;) {
    for (const auto& [off, v] : it->second) bytes_ -= v.size();
    out.push_back(DirtyObject{it->first, drain(it->second)});
    it = objects_.erase(it);
  }
  return out;
}

uint64_t WriteCache::dirty_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

size_t WriteCache::dirty_objects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.size();
}

}  // namespace nacre::client
