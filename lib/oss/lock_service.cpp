#include "oss/lock_service.hpp"

#include "common/log.hpp"
#include "wire/messages.hpp"

#include <algorithm>
#include <string>

namespace nacre::oss {

using transport::PeerId;

LockService::LockService(LockServiceOptions options) : opts_(options) {}

locks::OwnerId LockService::owner_of(const PeerId& peer) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(peer.link)) << 32) |
         static_cast<uint32_t>(peer.rank);
}

PeerId LockService::peer_of(locks::OwnerId owner) {
  return PeerId{static_cast<int>(owner >> 32), static_cast<int>(owner & 0xffffffffu)};
}

const locks::LockTable* LockService::table(uint64_t object_id) const {
  auto it = tables_.find(object_id);
  return it == tables_.end() ? nullptr : &it->second;
}

Status LockService::check_peer(const PeerId& peer) const {
  auto it = evicted_.find(peer);
  if (it == evicted_.end()) return Status::ok();
  return Status::error(ESTALE, it->second);
}

namespace {
std::string peer_name(const PeerId& p) {
  return "link " + std::to_string(p.link) + " rank " + std::to_string(p.rank);
}
}  // namespace

Status LockService::enqueue(const PeerId& peer, uint64_t request_id,
                            std::span<const uint8_t> body, wire::Reply& reply, bool* deferred) {
  *deferred = false;
  reply.error_body_size = wire::kLockEnqueueReplyBody;
  NACRE_RETURN_IF_ERROR(check_peer(peer));
  wire::LockEnqueueRequest m;
  NACRE_RETURN_IF_ERROR(wire::decode_body(body, m, "LOCK_ENQUEUE"));
  const auto mode = static_cast<locks::Mode>(m.mode);
  if (mode != locks::Mode::PR && mode != locks::Mode::PW && mode != locks::Mode::GROUP)
    return Status::error(EINVAL, "LOCK_ENQUEUE: mode " + std::to_string(m.mode) +
                                     " is not PR (3), PW (4) or GROUP (6)");
  if ((m.flags & ~wire::kLockFlagsAll) != 0)
    return Status::error(EINVAL, "LOCK_ENQUEUE: unknown flags " + std::to_string(m.flags));
  const locks::Extent wanted{m.start, m.end};
  if (!wanted.valid())
    return Status::error(EINVAL, "LOCK_ENQUEUE: empty extent [" + std::to_string(m.start) + ", " +
                                     std::to_string(m.end) + ")");
  auto [it, created] = tables_.try_emplace(m.object_id, m.object_id, opts_.expansion,
                                           next_fresh_handle_);
  (void)created;
  // On a contended object nothing is expanded: the others do server-side
  // locked I/O all over it, and a grown lock would refuse all of theirs.
  const bool no_expand = (m.flags & wire::kLockFlagNoExpand) != 0 || contended(m.object_id);
  auto outcome = it->second.request(owner_of(peer), mode, m.gid, wanted,
                                    locks::RequestFlags{no_expand});
  if (!outcome) {
    prune(m.object_id);
    return outcome.status();
  }
  if (const auto* g = std::get_if<locks::Granted>(&*outcome)) {
    reply.body = wire::encode_body(wire::LockEnqueueReply{
        g->handle, g->extent.start, g->extent.end, grant_flags(m.object_id)});
    send_callbacks(m.object_id, g->callbacks);  // a group member that joined ahead of waiters
    return Status::ok();
  }
  note_conflict(m.object_id, Clock::now());
  const auto& w = std::get<locks::Wait>(*outcome);
  waiters_[{m.object_id, w.handle}] = Waiter{peer, request_id};
  send_callbacks(m.object_id, w.callbacks);
  *deferred = true;
  return Status::ok();
}

Status LockService::cancel(const PeerId& peer, std::span<const uint8_t> body) {
  NACRE_RETURN_IF_ERROR(check_peer(peer));
  wire::LockCancelRequest m;
  NACRE_RETURN_IF_ERROR(wire::decode_body(body, m, "LOCK_CANCEL"));
  auto it = tables_.find(m.object_id);
  const std::string what = "lock " + std::to_string(m.handle) + " on object " +
                           std::to_string(m.object_id);
  if (it == tables_.end()) return Status::error(ENOENT, "LOCK_CANCEL: no " + what);
  auto info = it->second.find_granted(m.handle);
  if (!info) info = it->second.find_waiting(m.handle);
  if (!info) return Status::error(ENOENT, "LOCK_CANCEL: no " + what);
  if (info->owner != owner_of(peer))
    return Status::error(EPERM, "LOCK_CANCEL: " + what + " belongs to another client");
  auto progress = it->second.cancel(m.handle);
  if (!progress) return progress.status();
  called_back_.erase({m.object_id, m.handle});
  waiters_.erase({m.object_id, m.handle});  // a withdrawn request gets no grant
  apply(m.object_id, *progress);
  prune(m.object_id);
  return Status::ok();
}

void LockService::prune(uint64_t object_id) {
  auto it = tables_.find(object_id);
  if (it == tables_.end() || !it->second.empty()) return;
  next_fresh_handle_ = std::max(next_fresh_handle_, it->second.next_handle());
  tables_.erase(it);
}

Status LockService::server_side_lock(const PeerId& peer, uint64_t object_id,
                                     const locks::Extent& extent, bool write, bool* contended) {
  *contended = false;
  NACRE_RETURN_IF_ERROR(check_peer(peer));
  const auto now = Clock::now();
  const locks::OwnerId owner = owner_of(peer);
  auto it = tables_.find(object_id);
  if (extent.valid() && it != tables_.end() &&
      it->second.would_conflict(owner, write ? locks::Mode::PW : locks::Mode::PR, extent)) {
    note_conflict(object_id, now);
    return Status::error(EBUSY, "object " + std::to_string(object_id) + " bytes [" +
                                    std::to_string(extent.start) + ", " +
                                    std::to_string(extent.end) +
                                    ") are locked by another client; take a lock");
  }
  auto c = contention_.find(object_id);
  if (c == contention_.end() || c->second.until <= now) return Status::ok();
  // Different clients interleaving server-side locked I/O: still contended.
  if (c->second.last_srvlock_owner != owner) {
    c->second.until = now + opts_.contention_window;
    c->second.last_srvlock_owner = owner;
  }
  *contended = true;
  return Status::ok();
}

bool LockService::contended(uint64_t object_id) const {
  return contended_at(object_id, Clock::now());
}

bool LockService::contended_at(uint64_t object_id, Clock::time_point now) const {
  auto it = contention_.find(object_id);
  return it != contention_.end() && it->second.until > now;
}

uint32_t LockService::grant_flags(uint64_t object_id) const {
  return contended(object_id) ? wire::kLockReplyContended : 0;
}

void LockService::note_conflict(uint64_t object_id, Clock::time_point now) {
  if (opts_.contention_window.count() <= 0) return;
  Contention& c = contention_[object_id];
  if (c.conflicts == 0 || now - c.window_start > opts_.contention_window) {
    c.window_start = now;
    c.conflicts = 0;
  }
  if (++c.conflicts >= opts_.contended_conflicts) c.until = now + opts_.contention_window;
}

void LockService::release_peer(const PeerId& peer) {
  drop_peer(peer, Status::ok());
  evicted_.erase(peer);
}

void LockService::expire_peer(const PeerId& peer, const std::string& reason) {
  drop_peer(peer, Status::ok());
  evicted_[peer] = reason;
}

void LockService::drop_peer(const PeerId& peer, const Status& why) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->second.peer == peer) {
      if (!why.is_ok()) error_reply(it->second, why);
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = called_back_.begin(); it != called_back_.end();) {
    if (it->second.peer == peer) it = called_back_.erase(it);
    else ++it;
  }
  const locks::OwnerId owner = owner_of(peer);
  std::vector<uint64_t> touched;
  for (auto& [object_id, table] : tables_) {
    if (table.locks_of(owner).empty()) continue;
    apply(object_id, table.release_owner(owner));
    touched.push_back(object_id);
  }
  for (uint64_t object_id : touched) prune(object_id);
}

std::optional<LockService::Clock::time_point> LockService::next_deadline() const {
  std::optional<Clock::time_point> t;
  for (const auto& [key, cb] : called_back_)
    if (!t || cb.deadline < *t) t = cb.deadline;
  return t;
}

void LockService::expire(Clock::time_point now) {
  for (;;) {
    auto due = called_back_.end();
    for (auto it = called_back_.begin(); it != called_back_.end(); ++it)
      if (it->second.deadline <= now) { due = it; break; }
    if (due == called_back_.end()) return;
    const PeerId peer = due->second.peer;
    const std::string reason =
        "client evicted by server " + std::to_string(opts_.server_index) +
        ": it did not answer the blocking callback for lock " + std::to_string(due->first.second) +
        " on object " + std::to_string(due->first.first) + " within " +
        std::to_string(opts_.callback_timeout.count()) +
        " ms (NACRE_LOCK_CALLBACK_TIMEOUT_MS); its locks were revoked";
    log::warn("evicting " + peer_name(peer) + ": " + reason);
    evicted_[peer] = reason;
    drop_peer(peer, Status::error(ESTALE, reason));
  }
}

std::vector<LockOutgoing> LockService::take_outgoing() {
  std::vector<LockOutgoing> out;
  out.swap(out_);
  return out;
}

void LockService::apply(uint64_t object_id, const locks::Progress& p) {
  for (const auto& g : p.granted) {
    auto it = waiters_.find({object_id, g.handle});
    if (it == waiters_.end()) continue;  // nobody waits for it any more
    grant_reply(it->second.peer, it->second.request_id, object_id, g.handle, g.extent);
    waiters_.erase(it);
  }
  send_callbacks(object_id, p.callbacks);
}

void LockService::send_callbacks(uint64_t object_id, const std::vector<locks::LockInfo>& cbs) {
  const auto deadline = Clock::now() + opts_.callback_timeout;
  for (const auto& cb : cbs) {
    LockOutgoing o;
    o.peer = peer_of(cb.owner);
    o.callback = true;
    o.body = wire::encode_body(wire::LockCallbackBody{opts_.server_index, object_id, cb.handle});
    out_.push_back(std::move(o));
    // A group lock is given back only by its holder (File::group_unlock,
    // close, DISCONNECT or a lost lease), however long that takes: no
    // eviction deadline (Lustre does not time out group locks either).
    if (cb.mode != locks::Mode::GROUP)
      called_back_[{object_id, cb.handle}] = CalledBack{peer_of(cb.owner), deadline};
  }
}

void LockService::grant_reply(const PeerId& peer, uint64_t request_id, uint64_t object_id,
                              locks::LockHandle h, const locks::Extent& e) {
  LockOutgoing o;
  o.peer = peer;
  o.request_id = request_id;
  o.body = wire::encode_body(wire::LockEnqueueReply{h, e.start, e.end, grant_flags(object_id)});
  out_.push_back(std::move(o));
}

void LockService::error_reply(const Waiter& w, Status s) {
  LockOutgoing o;
  o.peer = w.peer;
  o.request_id = w.request_id;
  o.status = s.code();
  o.body.assign(wire::kLockEnqueueReplyBody, 0);
  o.text = s.message().substr(0, wire::kMaxErrorText);
  out_.push_back(std::move(o));
}

}  // namespace nacre::oss
