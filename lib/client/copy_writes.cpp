#include "client/copy_writes.hpp"

#include "client/client_core.hpp"
#include "common/crc32c.hpp"
#include "common/log.hpp"
#include "wire/messages.hpp"

#include <map>

namespace nacre::client {

using transport::Call;
using wire::MsgType;

std::vector<StripeTarget> copy_targets(const Layout& layout, uint32_t stripe) {
  std::vector<StripeTarget> out;
  out.reserve(layout.copies());
  for (uint32_t c = 0; c < layout.copies(); ++c) out.push_back(layout.copy(c, stripe));
  return out;
}

bool is_copy_failure(int code) {
  return code == EIO || code == ENOSPC || code == EDQUOT || code == EROFS || code == ENOMEM;
}

Call CopyWrites::make(int server, uint16_t type, const std::vector<uint8_t>& body, uint64_t len) {
  Call c;
  c.server = server;
  c.request_id = next_id_();
  c.head = wire::build_frame(type, c.request_id, 0, body, len);
  return c;
}

void CopyWrites::add(const std::vector<StripeTarget>& copies, uint64_t offset, uint64_t length,
                     std::vector<transport::ConstSegment> segments) {
  wire::ObjWriteRequest req{0, offset};
  req.flags = extra_flags_;
  if (checksums_) {
    req.flags |= wire::kObjDataCrc;
    for (const auto& s : segments) req.data_crc = crc32c_extend(req.data_crc, s.ptr, s.len);
  }
  const bool bulk = length >= ClientCore::kBulkWriteBytes;
  const auto type = static_cast<uint16_t>(bulk ? MsgType::kObjWriteBulk : MsgType::kObjWrite);
  for (uint32_t c = 0; c < copies.size(); ++c) {
    req.object_id = copies[c].object_id;
    Call call = make(static_cast<int>(copies[c].server), type, wire::encode_body(req), length);
    call.bulk = bulk;
    call.out_data = segments;
    calls_.push_back(std::move(call));
    tags_.push_back(Tag{groups_, c, copies[c]});
  }
  ++groups_;
}

Status CopyWrites::run(transport::ClientTransport& t, size_t window) {
  if (calls_.empty()) return Status::ok();
  std::vector<Status> each;
  std::vector<std::vector<uint8_t>> bodies;
  Status first = exchange_all(t, calls_, &bodies, window, &each);
  for (size_t i = 0; i < bodies.size() && i < each.size(); ++i) {
    wire::ObjSizeReply rep;
    if (each[i] && wire::decode_body(bodies[i], rep, "OBJ_WRITE reply")) reply_flags_ |= rep.flags;
  }
  if (first.is_ok() || each.size() != calls_.size()) return first;  // all stored, or transport
  // Per range: which copies stored it.
  struct Outcome {
    Status primary;
    std::vector<size_t> stored, failed;  // indexes into calls_
  };
  std::map<size_t, Outcome> ranges;
  for (size_t i = 0; i < calls_.size(); ++i) {
    Outcome& o = ranges[tags_[i].group];
    if (tags_[i].copy == 0) o.primary = each[i];
    (each[i] ? o.stored : o.failed).push_back(i);
  }
  Status result;
  std::vector<size_t> to_mark;  // copies that must be marked stale
  for (auto& [group, o] : ranges) {
    if (o.failed.empty()) continue;
    const Status& why = o.primary ? each[o.failed.front()] : o.primary;
    if (o.stored.empty()) {  // nothing stored anywhere: the write failed
      if (result.is_ok()) result = why;
      continue;
    }
    if (o.primary || is_copy_failure(o.primary.code())) {
      for (size_t i : o.failed) {
        // Every copy that missed the write is marked; one that refused it
        // (not a disk error) also fails the call.
        if (!is_copy_failure(each[i].code()) && result.is_ok()) result = each[i];
        to_mark.push_back(i);
        log::warn("copy " + std::to_string(tags_[i].copy) + " of object " +
                  std::to_string(tags_[i].target.object_id) + " on server " +
                  std::to_string(tags_[i].target.server) + " missed a write (" +
                  each[i].to_string() + "); marking it stale until it is resynced");
      }
    } else {
      // The primary refused: it stays the authority, the mirrors that took
      // the write no longer match it.
      for (size_t i : o.stored) to_mark.push_back(i);
      if (result.is_ok()) result = o.primary;
    }
  }
  if (to_mark.empty()) return result;
  std::vector<Call> marks;
  for (size_t i : to_mark) {
    const auto& tg = tags_[i].target;
    marks.push_back(make(static_cast<int>(tg.server), static_cast<uint16_t>(MsgType::kObjSetStale),
                         wire::encode_body(wire::ObjSetStaleRequest{tg.object_id, true}), 0));
  }
  std::vector<Status> marked;
  Status m = exchange_all(t, marks, nullptr, window, &marked);
  if (!m) {
    m = Status::error(m.code(), "a copy missed a write and could not be marked stale, so the "
                                "write failed: " + m.to_string());
    if (result.is_ok()) result = m;
  }
  return result;
}

}  // namespace nacre::client
