#include "client/copy_reads.hpp"

#include "client/client_core.hpp"
#include "common/crc32c.hpp"
#include "common/log.hpp"
#include "wire/messages.hpp"

#include <algorithm>

namespace nacre::client {

using transport::Call;
using wire::MsgType;

bool try_another_copy(int code) { return code == EIO || code == ENODATA || code == EBADMSG; }

void CopyReads::add(std::vector<StripeTarget> copies, uint64_t offset, uint64_t length,
                    std::vector<transport::MutSegment> segments) {
  Range r;
  r.copies = std::move(copies);
  r.offset = offset;
  r.length = length;
  r.segments = std::move(segments);
  ranges_.push_back(std::move(r));
}

Call CopyReads::read_call(const StripeTarget& target, uint64_t offset, uint64_t length,
                          std::vector<transport::MutSegment> segments) {
  wire::ObjReadRequest req{target.object_id, offset, length};
  req.flags = extra_flags_;
  if (checksums_) req.flags |= wire::kObjDataCrc;
  Call c;
  c.server = static_cast<int>(target.server);
  c.request_id = next_id_();
  c.head = wire::build_frame(static_cast<uint16_t>(MsgType::kObjRead), c.request_id, 0,
                             wire::encode_body(req), 0);
  c.reply_prefix = wire::kObjReadReplyPrefix;
  c.in_data = std::move(segments);
  return c;
}

uint32_t CopyReads::reply_flags_of(const Call& call) {
  wire::ObjSizeReply rep;
  if (call.reply.size() < wire::kObjReadReplyPrefix) return 0;
  const std::span<const uint8_t> body(call.reply.data() + wire::kFrameHeaderSize,
                                      wire::kObjSizeReplyBody);
  return wire::decode_body(body, rep, "OBJ_READ reply") ? rep.flags : 0;
}

Status CopyReads::check_crc(const Call& call) const {
  if (!checksums_) return Status::ok();
  wire::ObjSizeReply rep;
  if (call.reply.size() < wire::kObjReadReplyPrefix)
    return Status::error(EPROTO, "short OBJ_READ reply from server " + std::to_string(call.server));
  NACRE_RETURN_IF_ERROR(wire::decode_body(
      std::span<const uint8_t>(call.reply.data() + wire::kFrameHeaderSize, wire::kObjSizeReplyBody),
      rep, "OBJ_READ reply"));
  if ((rep.flags & wire::kObjDataCrc) == 0)
    return Status::error(EPROTO, "server " + std::to_string(call.server) +
                                     " sent read data without the checksum asked for");
  uint32_t crc = 0;
  size_t left = call.reply_data_received;
  for (const auto& s : call.in_data) {
    const size_t n = std::min(left, s.len);
    crc = crc32c_extend(crc, s.ptr, n);
    left -= n;
  }
  if (crc == rep.data_crc) return Status::ok();
  return Status::error(EBADMSG, "read data from server " + std::to_string(call.server) +
                                    " arrived damaged (CRC-32C mismatch in transit)");
}

Status CopyReads::run(transport::ClientTransport& t, size_t window, bool repair) {
  std::vector<size_t> pending(ranges_.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  while (!pending.empty()) {
    std::vector<Call> calls;
    calls.reserve(pending.size());
    for (size_t i : pending) {
      Range& r = ranges_[i];
      calls.push_back(read_call(r.copies[r.next_copy], r.offset, r.length, r.segments));
    }
    std::vector<Status> each;
    Status ex = exchange_all(t, calls, nullptr, window, &each);
    if (each.size() != calls.size()) return ex;  // the transport failed
    std::vector<size_t> again;
    for (size_t k = 0; k < pending.size(); ++k) {
      Range& r = ranges_[pending[k]];
      Status s = each[k] ? check_crc(calls[k]) : each[k];
      if (s) reply_flags_ |= reply_flags_of(calls[k]);
      if (s) {
        r.received = calls[k].reply_data_received;
        r.done = true;
        if (repair && !r.errors.empty()) repair_range(t, r, r.next_copy);
        continue;
      }
      r.errors.push_back(s);
      if (!try_another_copy(s.code()) || r.next_copy + 1 >= r.copies.size()) {
        if (r.copies.size() == 1) return s;
        std::string why;
        for (size_t c = 0; c < r.errors.size(); ++c)
          why += (c ? "; copy " : "copy ") + std::to_string(c) + " on server " +
                 std::to_string(r.copies[c].server) + ": " + r.errors[c].to_string();
        return Status::error(r.errors.front().code(),
                             "object " + std::to_string(r.copies[0].object_id) + " bytes [" +
                                 std::to_string(r.offset) + ", " +
                                 std::to_string(r.offset + r.length) +
                                 "): no copy could be read (" + why + ")");
      }
      log::info("reading object " + std::to_string(r.copies[0].object_id) + " from copy " +
                std::to_string(r.next_copy + 1) + " after: " + s.to_string());
      ++r.next_copy;
      again.push_back(pending[k]);
    }
    pending = std::move(again);
  }
  return Status::ok();
}

void CopyReads::repair_range(transport::ClientTransport& t, const Range& r, uint32_t good) {
  std::vector<uint32_t> bad;
  for (uint32_t c = 0; c < good; ++c)
    if (r.errors[c].code() == EIO || r.errors[c].code() == EBADMSG) bad.push_back(c);
  if (bad.empty()) return;
  const uint64_t start = r.offset / kRepairUnit * kRepairUnit;
  const uint64_t end = (r.offset + r.length + kRepairUnit - 1) / kRepairUnit * kRepairUnit;
  constexpr uint64_t kChunk = 1 << 20;
  std::vector<uint8_t> buf;
  for (uint64_t at = start; at < end; at += kChunk) {
    const uint64_t n = std::min(kChunk, end - at);
    buf.resize(n);
    std::vector<Call> rd;
    rd.push_back(read_call(r.copies[good], at, n, {{buf.data(), buf.size()}}));
    Status s = exchange_all(t, rd, nullptr, 1);
    if (s) s = check_crc(rd[0]);
    const size_t got = rd[0].reply_data_received;
    if (!s || got == 0) {
      if (!s) log::warn("repair of object " + std::to_string(r.copies[0].object_id) +
                        " skipped: re-reading the good copy failed: " + s.to_string());
      return;
    }
    std::vector<Call> wr;
    for (uint32_t c : bad) {
      wire::ObjWriteRequest req{r.copies[c].object_id, at};
      req.flags = wire::kObjDataCrc;
      req.data_crc = crc32c(buf.data(), got);
      const bool bulk = got >= ClientCore::kBulkWriteBytes;
      Call w;
      w.server = static_cast<int>(r.copies[c].server);
      w.request_id = next_id_();
      w.head = wire::build_frame(
          static_cast<uint16_t>(bulk ? MsgType::kObjWriteBulk : MsgType::kObjWrite), w.request_id,
          0, wire::encode_body(req), got);
      w.bulk = bulk;
      w.out_data.push_back({buf.data(), got});
      wr.push_back(std::move(w));
    }
    Status ws = exchange_all(t, wr, nullptr, wr.size());
    if (!ws) {
      log::warn("repair of object " + std::to_string(r.copies[0].object_id) +
                " failed: " + ws.to_string());
      return;
    }
    if (got < n) break;  // the end of the good copy
  }
  for (uint32_t c : bad)
    log::warn("repaired object " + std::to_string(r.copies[c].object_id) + " bytes [" +
              std::to_string(start) + ", " + std::to_string(end) + ") on server " +
              std::to_string(r.copies[c].server) + " from the copy on server " +
              std::to_string(r.copies[good].server));
}

}  // namespace nacre::client
