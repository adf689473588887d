// ClientCore: the data phase of reads, with the read cache and read-ahead
// (docs/LOCKS.md, "Read cache and read-ahead").
#include "client/client_core.hpp"

#include "client/copy_reads.hpp"
#include "client/copy_writes.hpp"

#include <algorithm>
#include <cstring>

namespace nacre::client {

bool ClientCore::read_cache_fast(const Layout& layout, uint64_t offset, void* buf, size_t len,
                                 IoLocking locking) {
  if (!progress_ || !locking.enabled || len >= kReadCacheBelow || layout.stripe_size == 0 ||
      layout.stripes.empty() || offset / layout.stripe_size != (offset + len - 1) / layout.stripe_size)
    return false;
  const layout::StripeGeometry g{layout.stripe_size, layout.stripe_count()};
  const layout::ObjectExtent at = layout::locate(g, offset);
  const StripeTarget& t = layout.stripes[at.stripe_index];
  std::lock_guard<std::mutex> lock(mu_);
  if (disconnected_) return false;
  const locks::Extent want{at.object_offset, at.object_offset + len};
  const uint64_t h = lock_cache_.use_cached(t.server, t.object_id, locks::Mode::PR, 0, want);
  if (h == 0) return false;
  bool hit = false;
  {
    auto data = data_phase();
    // Our own cached writes to these bytes are newer than anything read.
    if (!write_cache_.overlaps({t.server, t.object_id}, want.start, want.end)) {
      const transport::MutSegment seg{buf, len};
      hit = read_cache_.get({t.server, t.object_id}, want.start, len, {&seg, 1});
      if (hit) (void)read_cache_.readahead({t.server, t.object_id}, want.start, len);
    }
  }
  lock_cache_.unuse(LockRef{t.server, t.object_id, h});
  return hit;
}

Status ClientCore::read_plan(const Layout& layout, std::span<const layout::ObjectRequest> plan,
                             const std::vector<LockRef>* locks, void* stream,
                             std::vector<size_t>* received) {
  received->assign(plan.size(), 0);
  const bool caching = locks != nullptr && read_cache_.limit() > 0;
  size_t next_buf = 0;  // ahead_bufs_ in use by this call
  // Per request sent: where its bytes go. A read-ahead request lands in a
  // buffer of its own, then its first `length` bytes are copied out.
  struct Sent {
    size_t request = 0;
    std::vector<uint8_t>* ahead = nullptr;  // null: straight into the caller's segments
  };
  std::vector<Sent> sent;
  CopyReads reads(checksums_, [this] { return next_request_id(); });
  for (size_t i = 0; i < plan.size(); ++i) {
    const auto& r = plan[i];
    const StripeTarget& t = layout.stripes[r.stripe_index];
    const ReadCache::Key key{t.server, t.object_id};
    std::vector<transport::MutSegment> segs = target_segments(r, stream);
    uint64_t fetch = r.length;
    if (caching && r.length < kReadCacheBelow) {
      if (read_cache_.get(key, r.object_offset, r.length, segs)) {
        (*received)[i] = r.length;
        continue;
      }
      // Read ahead of a sequential reader, as far as the lock we hold on
      // this object reaches (nothing beyond it may be cached).
      const uint64_t window = read_cache_.readahead(key, r.object_offset, r.length);
      if (window > r.length) {
        uint64_t lock_end = r.object_offset + r.length;
        for (const auto& ref : *locks)
          if (ref.server == t.server && ref.object == t.object_id)
            if (auto e = lock_cache_.extent_of(ref); e && e->start <= r.object_offset)
              lock_end = std::max(lock_end, e->end);
        fetch = std::max<uint64_t>(r.length, std::min({window, max_rpc_bytes_,
                                                       lock_end - r.object_offset}));
      }
    }
    Sent s{i, nullptr};
    if (fetch > r.length) {
      // Reused buffers: fresh memory would cost a page fault per 4 KiB.
      if (next_buf == ahead_bufs_.size()) ahead_bufs_.emplace_back();
      s.ahead = &ahead_bufs_[next_buf++];
      if (s.ahead->size() < fetch) s.ahead->resize(fetch);
      reads.add(copy_targets(layout, r.stripe_index), r.object_offset, fetch,
                {{s.ahead->data(), static_cast<size_t>(fetch)}});
    } else {
      reads.add(copy_targets(layout, r.stripe_index), r.object_offset, r.length, std::move(segs));
    }
    sent.push_back(std::move(s));
  }
  // Keep a few read-ahead buffers warm, not one per object ever read ahead.
  struct TrimBuffers {
    std::deque<std::vector<uint8_t>>& bufs;
    ~TrimBuffers() {
      if (bufs.size() > kKeptAheadBuffers) bufs.resize(kKeptAheadBuffers);
    }
  } trim{ahead_bufs_};
  if (sent.empty()) return Status::ok();
  // Repairs write the good bytes back: only under our locks (no writer can
  // interleave); lockless reads leave damaged copies to scrub.
  NACRE_RETURN_IF_ERROR(reads.run(*transport_, kWindow, locks != nullptr));
  for (size_t k = 0; k < sent.size(); ++k) {
    const auto& r = plan[sent[k].request];
    const StripeTarget& t = layout.stripes[r.stripe_index];
    const ReadCache::Key key{t.server, t.object_id};
    const size_t got = reads.received(k);
    if (sent[k].ahead) {
      const uint8_t* src = sent[k].ahead->data();
      size_t left = std::min<size_t>(got, r.length);
      for (const auto& sg : r.segments) {
        const size_t n = std::min<size_t>(left, sg.length);
        std::memcpy(static_cast<uint8_t*>(stream) + sg.buffer_offset, src, n);
        src += n;
        left -= n;
      }
      (*received)[sent[k].request] = std::min<size_t>(got, r.length);
      if (caching) read_cache_.put(key, r.object_offset, sent[k].ahead->data(), got);
      continue;
    }
    (*received)[sent[k].request] = got;
    if (!caching || r.length >= kReadCacheBelow) continue;
    uint64_t at = r.object_offset;
    size_t left = got;
    for (const auto& sg : r.segments) {
      const size_t n = std::min<size_t>(left, sg.length);
      read_cache_.put(key, at, static_cast<const uint8_t*>(stream) + sg.buffer_offset, n);
      at += n;
      left -= n;
      if (left == 0) break;
    }
  }
  return Status::ok();
}

}  // namespace nacre::client
