#include "server/server.hpp"

#include "common/log.hpp"
#include "mds/mds_handlers.hpp"
#include "oss/oss_handlers.hpp"
#include "wire/messages.hpp"

#include <cstring>
#include <exception>

namespace nacre::server {

using wire::MsgType;

Server::Server(ServerOptions options, std::unique_ptr<store::ObjectStore> objects,
               std::unique_ptr<mds::MetadataStore> metadata)
    : opts_(options), objects_(std::move(objects)), metadata_(std::move(metadata)) {}

Status Server::serve(transport::ServerTransport& t) {
  for (;;) {
    transport::Incoming in;
    bool finished = false;
    NACRE_RETURN_IF_ERROR(t.receive(in, &finished));
    if (finished) return Status::ok();
    NACRE_RETURN_IF_ERROR(handle(t, in));
  }
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
  if (result.is_ok()) {
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
  if (link_done) t.link_finished(in.peer.link);
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
  if (oss::is_oss_request(type))
    return oss::handle_oss_request(*objects_, opts_.max_rpc_bytes, req, reply, read_buffer_);
  switch (static_cast<MsgType>(type)) {
    case MsgType::kHello: {
      wire::HelloRequest m;
      NACRE_RETURN_IF_ERROR(wire::decode_body(req.body, m, "HELLO"));
      reply.body = wire::encode_body(
          wire::HelloReply{opts_.server_count, opts_.index, opts_.max_rpc_bytes});
      return Status::ok();
    }
    case MsgType::kDisconnect: {
      int& n = disconnected_[req.link];
      ++n;
      if (n >= t.link_clients(req.link)) {
        *link_done = true;
        disconnected_.erase(req.link);
      }
      return Status::ok();
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
