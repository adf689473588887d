// ClientCore: the write-back cache (docs/LOCKS.md, "Client cache"): the
// cached-write fast path, write-behind, and writing it all back.
#include "client/client_core.hpp"

#include "client/copy_writes.hpp"

#include "common/log.hpp"

#include <algorithm>
#include <string>

namespace nacre::client {

using transport::Call;
using wire::MsgType;

std::optional<Status> ClientCore::try_cache_fast(const Layout& layout, uint64_t offset,
                                                const void* buf, size_t len, IoLocking locking) {
  // Only what the general path would also just cache: a small write inside
  // one stripe unit of an unreplicated file, with locking, write-back and a
  // cache, under a PW lock this client already holds.
  if (!progress_ || !locking.enabled || !locking.write_back || cache_limit_ == 0 || len == 0 ||
      len >= kCacheBelow || layout.copies() != 1 || layout.stripe_size == 0 ||
      layout.stripes.empty() || offset > kMaxFileSize || len > kMaxFileSize - offset ||
      offset / layout.stripe_size != (offset + len - 1) / layout.stripe_size)
    return std::nullopt;
  const layout::StripeGeometry g{layout.stripe_size, layout.stripe_count()};
  const layout::ObjectExtent at = layout::locate(g, offset);
  const StripeTarget& t = layout.stripes[at.stripe_index];
  if (static_cast<int>(t.server) >= server_count()) return std::nullopt;  // the slow path says why
  std::lock_guard<std::mutex> lock(mu_);
  if (disconnected_) return std::nullopt;
  const uint64_t h = lock_cache_.use_cached(t.server, t.object_id, locks::Mode::PW, 0,
                                            locks::Extent{at.object_offset, at.object_offset + len});
  if (h == 0) return std::nullopt;
  bool kept = false, over = false;
  read_cache_.invalidate({t.server, t.object_id}, at.object_offset, at.object_offset + len);
  {
    std::lock_guard<std::mutex> data(flush_mu_);
    uint64_t extent = 0;
    kept = write_cache_.put(ObjectKey{t.server, t.object_id}, at.object_offset,
                            static_cast<const uint8_t*>(buf), len, &extent);
    over = kept && write_cache_.memory_bytes() > cache_limit_;
    if (kept && !over) queue_write_behind(ObjectKey{t.server, t.object_id}, extent);
  }
  lock_cache_.unuse(LockRef{t.server, t.object_id, h});
  if (!kept) return std::nullopt;  // out of cache memory: the general path copes
  if (!over) return Status::ok();
  auto data = data_phase();
  auto all = write_cache_.take_all();  // over the limit: write everything back
  return send_dirty(*transport_, all, false);
}

Status ClientCore::flush(const Layout& layout) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  std::lock_guard<std::mutex> lock(mu_);
  auto data = data_phase();
  // MPI's sync-barrier-sync rule: after this, reads see what lockless
  // writers synced before the barrier, so nothing read earlier is reused.
  for (const auto& t : layout.stripes) read_cache_.drop_object({t.server, t.object_id});
  if (disconnected_ && write_cache_.dirty_bytes() == 0) return take_sticky_error();
  NACRE_RETURN_IF_ERROR(flush_layout_locked(layout));
  return take_sticky_error();
}

Status ClientCore::flush_layout_locked(const Layout& layout) {
  std::vector<DirtyObject> dirty;
  for (const auto& t : layout.stripes) {
    const ObjectKey key{t.server, t.object_id};
    auto ex = write_cache_.take(key);
    if (!ex.empty()) dirty.push_back(DirtyObject{key, std::move(ex)});
  }
  if (dirty.empty()) return Status::ok();
  return send_dirty(*transport_, dirty, false);
}

std::vector<StripeTarget> ClientCore::targets_of(const ObjectKey& key) const {
  auto copies = copies_of_.find(key);
  if (copies != copies_of_.end()) return copies->second;
  return {StripeTarget{key.first, key.second}};
}

Status ClientCore::send_extents(transport::ClientTransport& t,
                                const std::vector<DirtyObject>& objects,
                                const std::vector<std::vector<StripeTarget>>& targets) {
  CopyWrites writes(checksums_, [this] { return next_request_id(); });
  for (size_t i = 0; i < objects.size(); ++i)
    for (const auto& e : objects[i].extents)
      for (uint64_t done = 0; done < e.length;) {
        const uint64_t n = std::min<uint64_t>(max_rpc_bytes_, e.length - done);
        std::vector<transport::ConstSegment> segs;
        e.for_each_piece(done, n, [&](const uint8_t* p, uint64_t k) {
          segs.push_back({p, static_cast<size_t>(k)});
        });
        writes.add(targets[i], e.offset + done, n, std::move(segs));
        done += n;
      }
  return writes.run(t, kWindow);
}

Status ClientCore::send_dirty(transport::ClientTransport& t, std::vector<DirtyObject>& objects,
                              bool background) {
  std::vector<std::vector<StripeTarget>> targets;
  targets.reserve(objects.size());
  for (const auto& o : objects) targets.push_back(targets_of(o.key));
  Status s = send_extents(t, objects, targets);
  // The copies of an object with nothing cached any more are not needed.
  for (const auto& o : objects)
    if (!write_cache_.overlaps(o.key, 0, UINT64_MAX)) copies_of_.erase(o.key);
  write_cache_.release(objects);  // the chunks go back to the pool, sent or not
  if (!s) {
    s = Status::error(s.code(),
                      "write-back of cached writes failed, those writes are lost: " + s.to_string());
    if (background && sticky_error_.is_ok()) sticky_error_ = s;
  }
  return s;
}

std::unique_lock<std::mutex> ClientCore::data_phase() {
  std::unique_lock<std::mutex> data(flush_mu_);
  wait_inflight(data);
  return data;
}

void ClientCore::wait_inflight(std::unique_lock<std::mutex>& data) {
  inflight_cv_.wait(data, [this] { return inflight_ == 0; });
}

void ClientCore::queue_write_behind(const ObjectKey& key, uint64_t extent_length) {
  if (!progress_ || extent_length < std::min<uint64_t>(max_rpc_bytes_, kWriteBehindBytes)) return;
  behind_.insert(key);
  behind_pending_ = true;
}

bool ClientCore::write_behind(transport::ClientTransport& t) {
  if (!behind_pending_.load()) return false;
  std::vector<DirtyObject> batch;
  std::vector<std::vector<StripeTarget>> targets;
  {
    std::lock_guard<std::mutex> data(flush_mu_);
    behind_pending_ = false;
    for (const auto& key : behind_) {
      auto ex = write_cache_.take(key);
      if (ex.empty()) continue;
      targets.push_back(targets_of(key));
      batch.push_back(DirtyObject{key, std::move(ex)});
    }
    behind_.clear();
    if (batch.empty()) return false;
    ++inflight_;  // from here every data phase waits for this send
  }
  Status s = send_extents(t, batch, targets);
  for (const auto& o : batch)
    for (const auto& e : o.extents) written_behind_ += e.length;
  {
    std::lock_guard<std::mutex> data(flush_mu_);
    for (const auto& o : batch)
      if (!write_cache_.overlaps(o.key, 0, UINT64_MAX)) copies_of_.erase(o.key);
    write_cache_.release(batch);
    if (!s && sticky_error_.is_ok())
      sticky_error_ = Status::error(
          s.code(), "write-back of cached writes failed, those writes are lost: " + s.to_string());
    --inflight_;
  }
  inflight_cv_.notify_all();
  if (!s) log::warn("write-behind failed: " + s.to_string());
  return true;
}

void ClientCore::flush_for_cancel(const LockRef& ref, transport::ClientTransport& t) {
  auto data = data_phase();
  const ObjectKey key{ref.server, ref.object};
  // What was read under the lock is no longer protected by it.
  read_cache_.drop_object(key);
  auto ex = write_cache_.take(key);
  if (ex.empty()) return;
  std::vector<DirtyObject> dirty;
  dirty.push_back(DirtyObject{key, std::move(ex)});
  Status s = send_dirty(t, dirty, /*background=*/true);  // kept as the sticky error
  if (!s) log::warn(s.to_string());
}

void ClientCore::drop_server(uint32_t server, const Status& why) {
  read_cache_.drop_server(server);
  std::lock_guard<std::mutex> data(flush_mu_);
  auto lost = write_cache_.take_server(server);
  uint64_t bytes = 0;
  for (const auto& o : lost)
    for (const auto& e : o.extents) bytes += e.length;
  write_cache_.release(lost);
  if (bytes == 0 || !sticky_error_.is_ok()) return;
  sticky_error_ = Status::error(ESTALE, std::to_string(bytes) + " bytes of cached writes to server " +
                                            std::to_string(server) + " are lost: " + why.to_string());
}

Status ClientCore::take_sticky_error() {
  Status s = sticky_error_;
  sticky_error_ = Status::ok();
  return s;
}

}  // namespace nacre::client
