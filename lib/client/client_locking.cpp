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
                              std::vector<LockRef>* held) {
  for (const auto& [stripe, want] : hulls) {
    const StripeTarget& t = layout.stripes[stripe];
    if (uint64_t h = lock_cache_.use_cached(t.server, t.object_id, mode, 0, want)) {
      held->push_back(LockRef{t.server, t.object_id, h});
      continue;
    }
    wire::LockEnqueueRequest req;
    req.object_id = t.object_id;
    req.mode = static_cast<uint8_t>(mode);
    req.start = want.start;
    req.end = want.end;
    req.flags = locking.no_expand ? wire::kLockFlagNoExpand : 0;
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
    // On a contended object the lock serves this call only (docs/LOCKS.md).
    const bool contended = (rep.flags & wire::kLockReplyContended) != 0;
    if (contended) {
      contention_.mark(t.server, t.object_id);
      drop_after_call_.push_back(LockRef{t.server, t.object_id, rep.handle});
    }
    lock_cache_.add_in_use(t.server, t.object_id, rep.handle, mode, 0,
                           locks::Extent{rep.start, rep.end}, !contended);
    held->push_back(LockRef{t.server, t.object_id, rep.handle});
  }
  return Status::ok();
}

void ClientCore::unlock(const std::vector<LockRef>& held) {
  for (const auto& r : held) lock_cache_.unuse(r);
  cancel_dropped_locks();
}

void ClientCore::cancel_dropped_locks() {
  if (drop_after_call_.empty()) return;
  auto refs = lock_cache_.take_cancels_of(drop_after_call_);
  drop_after_call_.clear();
  if (!refs.empty() && progress_) progress_->send_cancels(*transport_, refs);
}

}  // namespace nacre::client
