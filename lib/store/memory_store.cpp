#include "store/chunk_pool.hpp"
#include "store/object_store.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <map>
#include <unordered_map>
#include <vector>

namespace nacre::store {

Timespec now() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return Timespec{ts.tv_sec, ts.tv_nsec};
}

namespace {

constexpr uint64_t kChunk = 1 << 20;

struct MemObject {
  uint64_t size = 0;
  Timespec mtime;
  std::map<uint64_t, uint8_t*> chunks;  // chunk index -> kChunk bytes from the pool
};

class MemoryStore final : public ObjectStore {
 public:
  const char* kind() const override { return "memory"; }
  void reserve(uint64_t bytes) { pool_.reserve(bytes); }

  Result<uint64_t> write(uint64_t id, uint64_t offset, std::span<const uint8_t> data) override {
    MemObject& o = objects_[id];
    uint64_t pos = offset;
    size_t done = 0;
    while (done < data.size()) {
      const uint64_t idx = pos / kChunk, in = pos % kChunk;
      const size_t take = std::min<uint64_t>(kChunk - in, data.size() - done);
      auto& chunk = o.chunks[idx];
      if (!chunk) {
        chunk = pool_.take();
        if (!chunk) return Status::error(ENOSPC, "memory store: out of memory");
        // Zero only what this write does not cover (holes read as zeros).
        if (in > 0) std::memset(chunk, 0, in);
        if (in + take < kChunk) std::memset(chunk + in + take, 0, kChunk - in - take);
      }
      std::memcpy(chunk + in, data.data() + done, take);
      done += take;
      pos += take;
    }
    o.size = std::max(o.size, offset + data.size());
    o.mtime = now();
    return o.size;
  }

  Result<uint64_t> write_from(uint64_t id, uint64_t offset, size_t len,
                              const Filler& fill) override {
    MemObject& o = objects_[id];
    std::vector<std::span<uint8_t>> spans;
    std::vector<uint64_t> span_offsets;
    for (uint64_t pos = offset, end = offset + len; pos < end;) {
      const uint64_t idx = pos / kChunk, in = pos % kChunk;
      const size_t take = std::min<uint64_t>(kChunk - in, end - pos);
      auto& chunk = o.chunks[idx];
      if (!chunk) {
        chunk = pool_.take();
        if (!chunk) return Status::error(ENOSPC, "memory store: out of memory");
        if (in > 0) std::memset(chunk, 0, in);
        if (in + take < kChunk) std::memset(chunk + in + take, 0, kChunk - in - take);
      }
      spans.emplace_back(chunk + in, take);
      span_offsets.push_back(pos);
      pos += take;
    }
    if (Status s = fill(spans); !s) {
      // Bytes past the object's end must stay zero (they read as holes once
      // a later write extends the object).
      for (size_t i = 0; i < spans.size(); ++i) {
        const uint64_t skip = o.size > span_offsets[i] ? o.size - span_offsets[i] : 0;
        if (skip < spans[i].size()) std::memset(spans[i].data() + skip, 0, spans[i].size() - skip);
      }
      return s;
    }
    o.size = std::max<uint64_t>(o.size, offset + len);
    o.mtime = now();
    return o.size;
  }

  Result<uint64_t> read(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                        uint64_t* object_size) override {
    auto it = objects_.find(id);
    *object_size = it == objects_.end() ? 0 : it->second.size;
    if (it == objects_.end() || offset >= it->second.size) return uint64_t{0};
    const MemObject& o = it->second;
    const uint64_t n = std::min<uint64_t>(out.size(), o.size - offset);
    uint64_t done = 0;
    while (done < n) {
      const uint64_t pos = offset + done, idx = pos / kChunk, in = pos % kChunk;
      const uint64_t take = std::min(kChunk - in, n - done);
      auto c = o.chunks.find(idx);
      if (c == o.chunks.end()) std::memset(out.data() + done, 0, take);
      else std::memcpy(out.data() + done, c->second + in, take);
      done += take;
    }
    return n;
  }

  Result<ObjectInfo> stat(uint64_t id) override {
    auto it = objects_.find(id);
    if (it == objects_.end()) return ObjectInfo{};
    return ObjectInfo{it->second.size, it->second.mtime};
  }

  Status truncate(uint64_t id, uint64_t size) override {
    MemObject& o = objects_[id];
    if (size < o.size) {
      // Drop whole chunks past the end, zero the tail of the partial one.
      for (auto c = o.chunks.lower_bound((size + kChunk - 1) / kChunk); c != o.chunks.end();) {
        pool_.give_back(c->second);
        c = o.chunks.erase(c);
      }
      auto c = o.chunks.find(size / kChunk);
      if (c != o.chunks.end() && size % kChunk)
        std::memset(c->second + size % kChunk, 0, kChunk - size % kChunk);
    }
    o.size = size;
    o.mtime = now();
    return Status::ok();
  }

  Status destroy(uint64_t id) override {
    auto it = objects_.find(id);
    if (it == objects_.end()) return Status::ok();
    for (auto& [idx, chunk] : it->second.chunks) pool_.give_back(chunk);
    objects_.erase(it);
    return Status::ok();
  }
  Status sync(uint64_t) override { return Status::ok(); }

  Result<std::vector<ObjectListing>> list() override {
    std::vector<ObjectListing> out;
    out.reserve(objects_.size());
    for (auto& [id, o] : objects_) out.push_back({id, o.size});
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
    return out;
  }
  // Memory holds no checksums: nothing to check.
  Result<VerifyReport> verify(uint64_t) override { return VerifyReport{}; }

 private:
  // Chunks come from slabs that stay mapped: freed chunks are reused warm
  // (see chunk_pool.hpp for why).
  ChunkPool pool_{kChunk};
  std::unordered_map<uint64_t, MemObject> objects_;
};

}  // namespace

std::unique_ptr<ObjectStore> make_memory_store(uint64_t reserve_bytes) {
  auto s = std::make_unique<MemoryStore>();
  s->reserve(reserve_bytes);
  return s;
}

}  // namespace nacre::store
