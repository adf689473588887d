// ClientCore: the extent locks a call takes (docs/LOCKS.md, "Client side").
#include "client/client_core.hpp"

#include "common/log.hpp"

#include <algorithm>
#include <string>

namespace nacre::client {

using transport::Call;
using wire::MsgType;

Status ClientCore::lock_plan(const Layout& layout, std::span<const layout::ObjectRequest> plan,
                             locks::Mode mode, const IoLocking& locking,
                             std::vector<LockRef>* held) {
  // The hull of the touched extents per stripe, in stripe index order.
  std::map<uint32_t, locks::Extent> hulls;
  for (const auto& r : plan) {
    const locks::Extent e{r.object_offset, r.object_offset + r.length};
    auto [it, fresh] = hulls.try_emplace(r.stripe_index, e);
    if (!fresh) it->second = locks::hull(it->second, e);
  }
  return lock_hulls(layout, hulls, mode, locking, held);
}

Status ClientCore::lock_whole(const Layout& layout, locks::Mode mode, const IoLocking& locking,
                              std::vector<LockRef>* held) {
  std::map<uint32_t, locks::Extent> hulls;
  for (uint32_t i = 0; i < layout.stripe_count(); ++i) hulls.emplace(i, locks::Extent::whole());
  return lock_hulls(layout, hulls, mode, locking, held);
}

Status ClientCore::lock_hulls(const Layout& layout, const std::map<uint32_t, locks::Extent>& hulls,
                              locks::Mode mode, const IoLocking& locking,
                              std::vector<LockRef>* held, uint64_t gid) {
  for (const auto& [stripe, want] : hulls) {
    const StripeTarget& t = layout.stripes[stripe];
    if (uint64_t h = lock_cache_.use_cached(t.server, t.object_id, mode, gid, want)) {
      held->push_back(LockRef{t.server, t.object_id, h});
      continue;
    }
    wire::LockEnqueueRequest req;
    req.object_id = t.object_id;
    req.mode = static_cast<uint8_t>(mode);
    req.gid = mode == locks::Mode::GROUP ? gid : 0;
    req.start = want.start;
    req.end = want.end;
    // A call-scoped lock is never reused: expanding it would only make
    // other clients wait for this call.
    req.flags = (locking.no_expand || call_scoped_locks_) ? wire::kLockFlagNoExpand : 0;
    std::vector<Call> calls;
    calls.push_back(make_call(static_cast<int>(t.server), MsgType::kLockEnqueue,
                              wire::encode_body(req), 0));
    std::vector<std::vector<uint8_t>> bodies;
    Status s = run(calls, &bodies);
    wire::LockEnqueueReply rep;
    if (s) s = wire::decode_body(bodies[0], rep, "LOCK_ENQUEUE reply");
    if (s && !(rep.handle != 0 && locks::contains(locks::Extent{rep.start, rep.end}, want)))
      s = Status::error(EPROTO, "server " + std::to_string(t.server) +
                                    " granted a lock that does not cover the request");
    if (!s) {
      if (s.code() == ESTALE) {
        lock_cache_.forget_server(t.server);
        contention_.forget_server(t.server);
        drop_server(t.server, s);
      }
      unlock(*held);
      held->clear();
      return s;
    }
    // On a contended object the lock serves this call only (docs/LOCKS.md),
    // and so does every lock without a progress thread.
    const bool contended = (rep.flags & wire::kLockReplyContended) != 0;
    if (contended) contention_.mark(t.server, t.object_id);
    // A group lock is not reused once its holders have dropped it.
    const bool keep = !contended && !call_scoped_locks_ && mode != locks::Mode::GROUP;
    if (!keep) drop_after_call_.push_back(LockRef{t.server, t.object_id, rep.handle});
    lock_cache_.add_in_use(t.server, t.object_id, rep.handle, mode,
                           mode == locks::Mode::GROUP ? gid : 0, locks::Extent{rep.start, rep.end},
                           keep);
    held->push_back(LockRef{t.server, t.object_id, rep.handle});
  }
  return Status::ok();
}

Status ClientCore::group_lock(const Layout& layout, uint64_t gid, std::vector<LockRef>* held) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  if (gid == 0) return Status::error(EINVAL, "group lock: the group id must not be 0");
  std::lock_guard<std::mutex> lock(mu_);
  if (!progress_) return Status::error(ENOTSUP, "group lock: this client has no extent locking");
  if (disconnected_)
    return Status::error(ENOTCONN, "this client has shut down (Runtime::shutdown was called)");
  {
    // What this client cached of the objects goes first: under the group
    // lock its data calls neither use nor see the caches.
    auto data = data_phase();
    NACRE_RETURN_IF_ERROR(flush_layout_locked(layout));
    for (const auto& t : layout.stripes) read_cache_.drop_object({t.server, t.object_id});
  }
  std::map<uint32_t, locks::Extent> hulls;
  for (uint32_t i = 0; i < layout.stripe_count(); ++i) hulls.emplace(i, locks::Extent::whole());
  IoLocking locking;
  locking.no_expand = true;
  return lock_hulls(layout, hulls, locks::Mode::GROUP, locking, held, gid);
}

void ClientCore::group_unlock(std::vector<LockRef>* held) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& r : *held) lock_cache_.unuse(r);
  auto refs = lock_cache_.take_cancels_of(*held);
  held->clear();
  // After DISCONNECT the servers released every lock of this client and may
  // be gone: nothing to send (an answer would never come).
  if (!progress_ || disconnected_) return;
  if (!refs.empty()) progress_->send_cancels(*transport_, refs);
  if (call_scoped_locks_) progress_->drain();
}

HeldLocks::~HeldLocks() {
  for (const auto& r : refs) core_.lock_cache_.unuse(r);
  core_.cancel_dropped_locks();
}

void ClientCore::unlock(const std::vector<LockRef>& held) {
  for (const auto& r : held) lock_cache_.unuse(r);
  cancel_dropped_locks();
}

void ClientCore::cancel_dropped_locks() {
  if (!progress_) return;
  if (call_scoped_locks_) {
    // No progress thread: nobody else sends cancels, so everything queued
    // goes now (an outer call's locks too, once it has stopped using them).
    // Callbacks queue up until here; every lock they name has just been
    // cancelled, or will be when the call holding it ends.
    drop_after_call_.clear();
    auto refs = lock_cache_.take_cancels();
    if (!refs.empty()) progress_->send_cancels(*transport_, refs);
    progress_->drain();
    return;
  }
  if (drop_after_call_.empty()) return;
  auto refs = lock_cache_.take_cancels_of(drop_after_call_);
  drop_after_call_.clear();
  if (!refs.empty()) progress_->send_cancels(*transport_, refs);
}

}  // namespace nacre::client
