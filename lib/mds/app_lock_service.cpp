#include "mds/app_lock_service.hpp"

#include "wire/messages.hpp"

#include <string>

namespace nacre::mds {

using transport::PeerId;

uint64_t AppLockService::session_of(const PeerId& peer) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(peer.link)) << 32) |
         static_cast<uint32_t>(peer.rank);
}

PeerId AppLockService::peer_of(uint64_t session) {
  return PeerId{static_cast<int>(session >> 32), static_cast<int>(session & 0xffffffffu)};
}

namespace {
std::string file_name(uint64_t ino) { return "inode " + std::to_string(ino); }
}  // namespace

Status AppLockService::handle(const PeerId& peer, uint64_t request_id,
                              std::span<const uint8_t> body, wire::Reply& reply) {
  reply.error_body_size = wire::kAppLockReplyBody;
  wire::AppLockRequest m;
  NACRE_RETURN_IF_ERROR(wire::decode_body(body, m, "APP_LOCK"));
  const uint64_t session = session_of(peer);
  if (m.op == wire::kAppLockRelease) {
    if (m.space == 0 || (m.space & ~(wire::kAppLockSpaceFcntl | wire::kAppLockSpaceFlock)) != 0)
      return Status::error(EINVAL, "APP_LOCK release: space mask " + std::to_string(m.space) +
                                       " is not a combination of fcntl (1) and flock (2)");
    if (m.space & wire::kAppLockSpaceFlock)
      table_.release_handle(m.ino, session, m.handle, (m.space & wire::kAppLockSpaceFcntl) != 0);
    else
      table_.release_handle(m.ino, session, 0, true);  // handle 0 holds no flock lock
    reply.body = wire::encode_body(wire::AppLockReply{});
    collect_grants();
    return Status::ok();
  }
  if (m.op != wire::kAppLockSet && m.op != wire::kAppLockTest)
    return Status::error(EINVAL, "APP_LOCK: op " + std::to_string(m.op) +
                                     " is not set (1), test (2) or release (3)");
  locks::AppLockRequest r;
  r.file = m.ino;
  r.space = static_cast<locks::AppLockSpace>(m.space);
  r.owner = locks::AppOwner{session, m.handle};
  r.type = static_cast<locks::AppLockType>(m.type);
  r.start = m.start;
  r.end = m.end;
  r.pid = m.pid;
  r.wait = m.wait;
  if (m.op == wire::kAppLockTest) {
    auto c = table_.test(r);
    if (!c) return c.status().with_context("lock test on " + file_name(m.ino));
    wire::AppLockReply out;
    if (c->has_value()) {
      const locks::AppLock& l = **c;
      const PeerId holder = peer_of(l.owner.session);
      out.type = static_cast<uint8_t>(l.type);
      out.start = l.start;
      out.end = l.end;
      out.pid = l.pid;
      out.owner_link = static_cast<uint32_t>(holder.link);
      out.owner_rank = static_cast<uint32_t>(holder.rank);
    }
    reply.body = wire::encode_body(out);
    return Status::ok();
  }
  auto outcome = table_.set(r);
  if (!outcome) return outcome.status().with_context("lock on " + file_name(m.ino));
  if (outcome->queued) {
    waiters_[outcome->ticket] = Waiter{peer, request_id};
    reply.deferred = true;
  } else {
    reply.body = wire::encode_body(wire::AppLockReply{});
  }
  collect_grants();  // an unlock or a downgrade may have let waiters in
  return Status::ok();
}

void AppLockService::release_peer(const PeerId& peer) {
  for (locks::AppTicket t : table_.release_session(session_of(peer))) waiters_.erase(t);
  collect_grants();
}

void AppLockService::collect_grants() {
  for (locks::AppTicket t : table_.take_granted()) {
    auto it = waiters_.find(t);
    if (it == waiters_.end()) continue;
    out_.push_back(AppLockOutgoing{it->second.peer, it->second.request_id,
                                   wire::encode_body(wire::AppLockReply{})});
    waiters_.erase(it);
  }
}

std::vector<AppLockOutgoing> AppLockService::take_outgoing() {
  std::vector<AppLockOutgoing> out;
  out.swap(out_);
  return out;
}

}  // namespace nacre::mds
