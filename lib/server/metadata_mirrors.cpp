#include "server/metadata_mirrors.hpp"

#include "common/log.hpp"
#include "wire/frame.hpp"

#include <string>

namespace nacre::server {

using wire::MsgType;

namespace {
// The status a mirror answered with (its error text as the message).
Status reply_status(const transport::Call& call, MsgType type) {
  auto h = wire::decode_header(call.reply, call.reply.size());
  if (!h) return h.status().with_context("bad reply from server " + std::to_string(call.server));
  if (h->request_id != call.request_id || h->type != (static_cast<uint16_t>(type) | wire::kReplyBit))
    return Status::error(EPROTO, "server " + std::to_string(call.server) + " answered a different request");
  if (h->status == 0) return Status::ok();
  const size_t at = wire::kFrameHeaderSize + h->body_len;
  std::string text(reinterpret_cast<const char*>(call.reply.data()) + at, call.reply.size() - at);
  return Status::error(h->status, text);
}
}  // namespace

MetadataMirrors::MetadataMirrors(std::unique_ptr<transport::ClientTransport> transport,
                                 std::vector<int> mirrors)
    : transport_(std::move(transport)) {
  for (int m : mirrors) mirrors_.push_back(Mirror{m, true});
}

void MetadataMirrors::send(const mds::KvBatch& b) {
  const auto data = mds::encode_batch(b);
  std::vector<transport::Call> calls;
  std::vector<size_t> who;
  for (size_t i = 0; i < mirrors_.size(); ++i) {
    if (!mirrors_[i].in_step) continue;
    transport::Call c;
    c.server = mirrors_[i].server;
    c.request_id = next_request_id_++;
    c.head = wire::build_frame(static_cast<uint16_t>(MsgType::kMetaMirror), c.request_id, 0, {}, data.size());
    c.out_data.push_back({data.data(), data.size()});
    calls.push_back(std::move(c));
    who.push_back(i);
  }
  if (calls.empty()) return;
  Status sent = transport_->exchange(calls);
  for (size_t k = 0; k < calls.size(); ++k) {
    Status s = sent ? reply_status(calls[k], MsgType::kMetaMirror) : sent;
    if (s) continue;
    Mirror& m = mirrors_[who[k]];
    m.in_step = false;
    log::error("metadata mirror on server " + std::to_string(m.server) + " failed change " +
               std::to_string(b.seq) + ": " + s.to_string() +
               "; it receives no further changes in this job and is brought up to date at the "
               "next start (the metadata has one copy fewer until then)");
  }
}

size_t MetadataMirrors::in_step() const {
  size_t n = 0;
  for (const auto& m : mirrors_) n += m.in_step ? 1 : 0;
  return n;
}

std::vector<int> MetadataMirrors::out_of_step() const {
  std::vector<int> out;
  for (const auto& m : mirrors_)
    if (!m.in_step) out.push_back(m.server);
  return out;
}

Status MetadataMirrors::finish() {
  std::vector<transport::Call> calls;
  for (const auto& m : mirrors_) {
    transport::Call c;
    c.server = m.server;
    c.request_id = next_request_id_++;
    c.head = wire::build_frame(static_cast<uint16_t>(MsgType::kDisconnect), c.request_id, 0, {}, 0);
    calls.push_back(std::move(c));
  }
  if (calls.empty()) return Status::ok();
  NACRE_RETURN_IF_ERROR(transport_->exchange(calls));
  Status first;
  for (const auto& c : calls) {
    Status s = reply_status(c, MsgType::kDisconnect);
    if (!s && first) first = s;
  }
  return first;
}

}  // namespace nacre::server
