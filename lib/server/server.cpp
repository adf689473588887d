#include "server/server.hpp"

#include "common/env_ms.hpp"
#include "common/log.hpp"
#include "mds/mds_handlers.hpp"
#include "oss/oss_handlers.hpp"
#include "wire/messages.hpp"

#include <cstdlib>
#include <cstring>
#include <exception>

namespace nacre::server {

using wire::MsgType;

uint64_t lock_callback_timeout_from_env() {
  return ms_from_env(kEnvLockCallbackTimeout, kDefaultLockCallbackTimeoutMs, 1, 86400000);
}

uint64_t lock_contention_ms_from_env() {
  return ms_from_env(kEnvLockContention, kDefaultLockContentionMs, 0, 3600000);
}

uint64_t client_lease_ms_from_env() {
  return ms_from_env(kEnvClientLease, kDefaultClientLeaseMs, 0, 86400000);
}

namespace {
oss::LockServiceOptions lock_options(const ServerOptions& o) {
  oss::LockServiceOptions l;
  l.server_index = o.index;
  l.callback_timeout = std::chrono::milliseconds(
      o.lock_callback_timeout_ms ? o.lock_callback_timeout_ms : lock_callback_timeout_from_env());
  l.contention_window = std::chrono::milliseconds(lock_contention_ms_from_env());
  return l;
}
}  // namespace

Server::Server(ServerOptions options, std::unique_ptr<store::ObjectStore> objects,
               std::unique_ptr<mds::MetadataStore> metadata)
    : opts_(options),
      objects_(std::move(objects)),
      metadata_(std::move(metadata)),
      locks_(lock_options(options)),
      leases_(std::chrono::milliseconds(client_lease_ms_from_env())) {
  if (metadata_) app_locks_ = std::make_unique<mds::AppLockService>();
}

void Server::set_metadata_mirrors(std::unique_ptr<MetadataMirrors> mirrors) {
  mirrors_ = std::move(mirrors);
  if (metadata_ && mirrors_)
    metadata_->set_mirror_sink([this](const mds::KvBatch& b) { mirrors_->send(b); });
}

Status Server::finish_metadata_mirrors() {
  if (!mirrors_) return Status::ok();
  if (metadata_) metadata_->set_mirror_sink(nullptr);
  Status s = mirrors_->finish();
  mirrors_.reset();
  return s.with_context("closing the metadata mirrors");
}

void Server::set_metadata_mirror_db(std::unique_ptr<mds::MetadataDb> db, int link) {
  mirror_db_ = std::move(db);
  mirror_link_ = link;
}

Status Server::apply_metadata_mirror(const wire::Request& req) {
  if (!mirror_db_ || req.link != mirror_link_ || req.rank != 0)
    return Status::error(EPERM, "server " + std::to_string(opts_.index) +
                                    " takes META_MIRROR only as a metadata mirror, from the "
                                    "metadata server");
  uint64_t seq = 0;
  Status s = [&]() -> Status {
    if (!req.body.empty()) return Status::error(EBADMSG, "META_MIRROR takes no body");
    auto b = mds::decode_batch(req.data, "META_MIRROR");
    if (!b) return b.status();
    seq = b->seq;
    if (b->snapshot)
      return Status::error(EBADMSG, "META_MIRROR carries changes; snapshots travel only at start");
    return mirror_db_->apply(*b);
  }();
  if (!s) {
    // Whatever went wrong, this copy now lacks a change clients are told
    // about: it must not be a restore source until the next start brings it
    // up to date.
    const std::string what = "change " + (seq ? std::to_string(seq) : std::string("?")) +
                             " not applied: " + s.to_string();
    log::error("metadata mirror: " + what);
    mirror_db_->mark_behind(what);
  }
  return s;
}

Status Server::serve(transport::ServerTransport& t) {
  for (;;) {
    transport::Incoming in;
    bool finished = false, timed_out = false;
    auto wait = std::chrono::milliseconds::max();
    if (auto deadline = next_deadline()) {
      const auto left = *deadline - oss::LockService::Clock::now();
      wait = std::max(std::chrono::milliseconds(0),
                      std::chrono::duration_cast<std::chrono::milliseconds>(left) +
                          std::chrono::milliseconds(1));
    }
    NACRE_RETURN_IF_ERROR(t.receive_for(in, &finished, wait, &timed_out));
    if (!timed_out && finished) return Status::ok();
    if (!timed_out) NACRE_RETURN_IF_ERROR(handle(t, in));
    // A busy server checks its deadlines too, not only when it is idle.
    if (auto deadline = next_deadline(); deadline && *deadline <= oss::LockService::Clock::now())
      NACRE_RETURN_IF_ERROR(expire_due(t));
  }
}

std::optional<std::chrono::steady_clock::time_point> Server::next_deadline() const {
  auto a = locks_.next_deadline();
  auto b = leases_.next_deadline();
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

Status Server::expire_due(transport::ServerTransport& t) {
  const auto now = oss::LockService::Clock::now();
  locks_.expire(now);
  for (const auto& peer : leases_.expire(now)) {
    const std::string reason =
        "client link " + std::to_string(peer.link) + " rank " + std::to_string(peer.rank) +
        " sent nothing to server " + std::to_string(opts_.index) + " for " +
        std::to_string(leases_.lease().count()) +
        " ms (NACRE_CLIENT_LEASE_MS): presumed dead, its locks were released";
    log::warn(reason);
    locks_.expire_peer(peer, reason);
    if (app_locks_) app_locks_->release_peer(peer);
    ++expired_[peer.link];
    if (disconnected_[peer.link] + expired_[peer.link] >= t.link_clients(peer.link)) {
      // Nobody left on the link; the dead cannot say goodbye.
      t.link_abandoned(peer.link);
      disconnected_.erase(peer.link);
      expired_.erase(peer.link);
    }
  }
  return flush_locks(t);
}

Status Server::flush_locks(transport::ServerTransport& t) {
  for (auto& o : locks_.take_outgoing()) {
    Status s;
    if (o.callback) {
      auto frame = wire::build_frame(static_cast<uint16_t>(MsgType::kLockCallback), 0, 0, o.body, 0);
      s = t.send_callback(o.peer, frame);
    } else {
      const uint16_t type = static_cast<uint16_t>(MsgType::kLockEnqueue) | wire::kReplyBit;
      auto head = wire::build_frame(type, o.request_id, o.status, o.body, o.text.size());
      transport::ConstSegment seg{o.text.data(), o.text.size()};
      s = t.reply(o.peer, o.request_id, head,
                  o.text.empty() ? std::span<const transport::ConstSegment>()
                                 : std::span<const transport::ConstSegment>(&seg, 1));
    }
    // A peer whose link closed cannot be told; anything else is fatal.
    if (!s && s.code() != ENOTCONN) return s;
  }
  if (!app_locks_) return Status::ok();
  for (auto& o : app_locks_->take_outgoing()) {
    const uint16_t type = static_cast<uint16_t>(MsgType::kAppLock) | wire::kReplyBit;
    auto head = wire::build_frame(type, o.request_id, 0, o.body, 0);
    Status s = t.reply(o.peer, o.request_id, head, std::span<const transport::ConstSegment>());
    if (!s && s.code() != ENOTCONN) return s;
  }
  return Status::ok();
}

namespace {
// Best-effort request id of a message whose header did not decode, so the
// error reply reaches the sender's reply tag.
uint64_t raw_request_id(std::span<const uint8_t> m) {
  if (m.size() < 16) return 0;
  uint64_t id = 0;
  for (int i = 0; i < 8; ++i) id |= static_cast<uint64_t>(m[8 + i]) << (8 * i);
  return id;
}
}  // namespace

Status Server::handle(transport::ServerTransport& t, const transport::Incoming& in) {
  wire::Reply reply;
  Status result;
  uint16_t type = 0;
  uint64_t request_id = raw_request_id(in.message);
  bool link_done = false;
  bool expects_bulk = false, bulk_taken = false;
  if (in.oversize) {
    result = Status::error(EMSGSIZE, "message of " + std::to_string(in.size) +
                                         " bytes exceeds the server limit");
  } else {
    auto h = wire::decode_header(in.message, in.size);
    if (!h) {
      result = h.status();
    } else if (h->is_reply()) {
      result = Status::error(EBADMSG, "a reply frame was sent to a server");
    } else {
      type = h->type;
      request_id = h->request_id;
      wire::Request req;
      req.header = *h;
      req.body = in.message.subspan(wire::kFrameHeaderSize, h->body_len);
      req.data = in.message.subspan(wire::kFrameHeaderSize + h->body_len);
      req.link = in.peer.link;
      req.rank = in.peer.rank;
      leases_.heard(in.peer, oss::LockService::Clock::now());
      if (h->type == static_cast<uint16_t>(MsgType::kObjWriteBulk)) {
        req.receive_bulk = [&t, &in, &bulk_taken, id = h->request_id,
                            len = h->data_len](std::span<const std::span<uint8_t>> spans) {
          bulk_taken = true;
          std::vector<transport::MutSegment> segs;
          for (const auto& s : spans) segs.push_back({s.data(), s.size()});
          return t.receive_bulk(in.peer, id, segs, static_cast<size_t>(len));
        };
        expects_bulk = true;
      }
      try {
        result = dispatch(req, reply, t, &link_done);
      } catch (const std::exception& e) {
        result = Status::error(EIO, std::string("internal server error: ") + e.what());
      } catch (...) {
        result = Status::error(EIO, "internal server error");
      }
    }
  }
  // A refused bulk write still has its data message in flight: drain it so
  // the client's send completes and nothing is left queued.
  if (expects_bulk && !bulk_taken) {
    Status drained = t.discard_bulk(in.peer, request_id);
    if (!drained) return drained;
  }
  const uint16_t reply_type = static_cast<uint16_t>(type | wire::kReplyBit);
  Status sent;
  if (result.is_ok() && reply.deferred) {
    // LOCK_ENQUEUE or APP_LOCK that waits: flush_locks() answers it when it
    // is granted.
  } else if (result.is_ok()) {
    auto head = wire::build_frame(reply_type, request_id, 0, reply.body, reply.data.size());
    transport::ConstSegment seg{reply.data.data(), reply.data.size()};
    sent = t.reply(in.peer, request_id, head,
                   reply.data.empty() ? std::span<const transport::ConstSegment>()
                                      : std::span<const transport::ConstSegment>(&seg, 1));
  } else {
    if (result.code() != ENOENT && result.code() != EEXIST)
      log::info(std::string(wire::msg_type_name(type)) + " from link " +
                std::to_string(in.peer.link) + " rank " + std::to_string(in.peer.rank) +
                " failed: " + result.to_string());
    if (result.code() == EBADMSG || result.code() == EPROTO || result.code() == EMSGSIZE)
      log::warn("rejected a malformed message from link " + std::to_string(in.peer.link) +
                " rank " + std::to_string(in.peer.rank) + ": " + result.to_string());
    std::string text = result.message().substr(0, reply.max_error_text);
    std::vector<uint8_t> body(reply.error_body_size, 0);
    auto head = wire::build_frame(reply_type, request_id, result.code(), body, text.size());
    transport::ConstSegment seg{text.data(), text.size()};
    sent = t.reply(in.peer, request_id, head,
                   text.empty() ? std::span<const transport::ConstSegment>()
                                : std::span<const transport::ConstSegment>(&seg, 1));
  }
  if (!sent) return sent;
  NACRE_RETURN_IF_ERROR(flush_locks(t));
  if (link_done) {
    if (abandon_.erase(in.peer.link)) t.link_abandoned(in.peer.link);
    else t.link_finished(in.peer.link);
  }
  return Status::ok();
}

Status Server::dispatch(const wire::Request& req, wire::Reply& reply,
                        transport::ServerTransport& t, bool* link_done) {
  const uint16_t type = req.header.type;
  if (mds::is_mds_request(type)) {
    if (!metadata_)
      return Status::error(ENOSYS, "server " + std::to_string(opts_.index) +
                                       " is not the metadata server");
    if (!req.data.empty()) return Status::error(EBADMSG, "metadata request must not carry data");
    return mds::handle_mds_request(*metadata_, req, reply);
  }
  const transport::PeerId peer{req.link, req.rank};
  if (oss::is_oss_request(type)) {
    const oss::ServerSideLock srvlock = [this, &peer](uint64_t object_id,
                                                       const locks::Extent& extent, bool write,
                                                       bool* contended) {
      return locks_.server_side_lock(peer, object_id, extent, write, contended);
    };
    return oss::handle_oss_request(*objects_, marks_, opts_.max_rpc_bytes, req, reply, read_buffer_,
                                   locks_.check_peer(peer), srvlock);
  }
  switch (static_cast<MsgType>(type)) {
    case MsgType::kLockEnqueue:
      if (!req.data.empty()) return Status::error(EBADMSG, "LOCK_ENQUEUE must not carry data");
      return locks_.enqueue(peer, req.header.request_id, req.body, reply, &reply.deferred);
    case MsgType::kLockCancel:
      if (!req.data.empty()) return Status::error(EBADMSG, "LOCK_CANCEL must not carry data");
      return locks_.cancel(peer, req.body);
    case MsgType::kAppLock:
      if (!app_locks_)
        return Status::error(ENOSYS, "server " + std::to_string(opts_.index) +
                                         " is not the metadata server");
      if (!req.data.empty()) return Status::error(EBADMSG, "APP_LOCK must not carry data");
      return app_locks_->handle(peer, req.header.request_id, req.body, reply);
    case MsgType::kHello: {
      wire::HelloRequest m;
      NACRE_RETURN_IF_ERROR(wire::decode_body(req.body, m, "HELLO"));
      reply.body = wire::encode_body(wire::HelloReply{
          opts_.server_count, opts_.index, opts_.max_rpc_bytes,
          opts_.checksums ? wire::kFeatureChecksums : 0u,
          static_cast<uint32_t>(leases_.lease().count())});
      return Status::ok();
    }
    case MsgType::kPing:
      if (!req.body.empty() || !req.data.empty())
        return Status::error(EBADMSG, "PING takes no body");
      leases_.ping(peer, oss::LockService::Clock::now());
      return Status::ok();
    case MsgType::kMetaMirror:
      return apply_metadata_mirror(req);
    case MsgType::kDisconnect: {
      leases_.end(peer);
      locks_.release_peer(peer);
      if (app_locks_) app_locks_->release_peer(peer);
      int& n = disconnected_[req.link];
      ++n;
      if (n + expired_[req.link] >= t.link_clients(req.link)) {
        *link_done = true;
        // Some of its ranks are dead: no collective goodbye.
        if (expired_[req.link] > 0) abandon_.insert(req.link);
        disconnected_.erase(req.link);
        expired_.erase(req.link);
      }
      return Status::ok();
    }
    case MsgType::kServerStatus: {
      if (!req.body.empty()) return Status::error(EBADMSG, "SERVER_STATUS takes no body");
      reply.body = wire::encode_body(wire::ServerStatusReply{
          opts_.index, marks_.rebuilding(), static_cast<uint64_t>(marks_.stale().size()),
          mirrors_ ? static_cast<uint32_t>(mirrors_->out_of_step().size()) : 0u});
      return Status::ok();
    }
    case MsgType::kSetRebuilding: {
      wire::SetRebuildingRequest m;
      NACRE_RETURN_IF_ERROR(wire::decode_body(req.body, m, "SET_REBUILDING"));
      if (m.on != marks_.rebuilding())
        log::warn(std::string("server ") + std::to_string(opts_.index) +
                  (m.on ? ": rebuild mode on" : ": rebuild finished, copies on this server are complete"));
      return marks_.set_rebuilding(m.on);
    }
    case MsgType::kShutdown:
      log::info("shutdown requested by link " + std::to_string(req.link));
      t.request_shutdown();
      return Status::ok();
    default:
      return Status::error(ENOSYS, "unknown request type " + std::to_string(type));
  }
}

}  // namespace nacre::server
