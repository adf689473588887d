#include "oss/oss_handlers.hpp"

#include "wire/messages.hpp"

#include <algorithm>
#include <set>

namespace nacre::oss {

using wire::MsgType;

bool is_oss_request(uint16_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kObjWrite: case MsgType::kObjWriteBulk: case MsgType::kObjRead: case MsgType::kObjStat:
    case MsgType::kObjTruncate: case MsgType::kObjDestroy: case MsgType::kObjSync:
    case MsgType::kObjSetStale: case MsgType::kObjList: case MsgType::kObjVerify:
      return true;
    default:
      return false;
  }
}

namespace {
template <class M>
Status decode(const wire::Request& req, M& m) {
  return wire::decode_body(req.body, m, wire::msg_type_name(req.header.type));
}
Status check_flags(uint32_t flags, const char* what) {
  if ((flags & ~wire::kObjFlagsAll) == 0) return Status::ok();
  return Status::error(EPROTO, std::string(what) + " has unknown flags " + std::to_string(flags));
}
Status check_readable(const ReplicaMarks& marks, uint64_t id) {
  if (marks.readable(id)) return Status::ok();
  return Status::error(ENODATA, "object " + std::to_string(id) +
                                   (marks.rebuilding() ? " is being rebuilt on this server"
                                                       : " is a stale copy (it missed writes)") +
                                   "; read another copy");
}
Status check_range(uint64_t offset, uint64_t length) {
  if (offset > kMaxFileSize || length > kMaxFileSize - offset)
    return Status::error(EFBIG, "object range [" + std::to_string(offset) + ", +" +
                                    std::to_string(length) + ") exceeds the maximum object size");
  return Status::ok();
}
// Server-side locking of a flagged write/read of [offset, offset + len):
// OK (apply it; *reply_flags gets kObjReplyContended when the object is
// contended) or the refusal.
Status take_server_side_lock(const ServerSideLock& srvlock, uint32_t flags, uint64_t object_id,
                             uint64_t offset, uint64_t len, bool write, uint32_t* reply_flags) {
  if ((flags & wire::kObjFlagSrvLock) == 0) return Status::ok();
  if (!srvlock)
    return Status::error(EPROTO, "server-side locking was asked of a server without a lock service");
  bool contended = false;
  NACRE_RETURN_IF_ERROR(srvlock(object_id, locks::Extent{offset, offset + len}, write, &contended));
  if (contended) *reply_flags |= wire::kObjReplyContended;
  return Status::ok();
}
}  // namespace

Status handle_oss_request(store::ObjectStore& store, ReplicaMarks& marks, uint64_t max_rpc_bytes,
                          const wire::Request& req, wire::Reply& reply,
                          std::vector<uint8_t>& read_buffer, const Status& gate,
                          const ServerSideLock& srvlock) {
  const auto type = static_cast<MsgType>(req.header.type);
  if (type != MsgType::kObjWrite && !req.data.empty())
    return Status::error(EBADMSG, std::string(wire::msg_type_name(req.header.type)) +
                                      " request must not carry data");
  if (!gate.is_ok() && type != MsgType::kObjWrite && type != MsgType::kObjWriteBulk &&
      type != MsgType::kObjRead)
    return gate;
  switch (type) {
    case MsgType::kObjWrite: {
      reply.error_body_size = wire::kObjSizeReplyBody;
      NACRE_RETURN_IF_ERROR(gate);
      wire::ObjWriteRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      NACRE_RETURN_IF_ERROR(check_flags(m.flags, "OBJ_WRITE"));
      NACRE_RETURN_IF_ERROR(check_range(m.offset, req.data.size()));
      if (req.data.size() > max_rpc_bytes)
        return Status::error(EMSGSIZE, "write of " + std::to_string(req.data.size()) +
                                           " bytes exceeds max_rpc_bytes " +
                                           std::to_string(max_rpc_bytes));
      wire::ObjSizeReply rep;
      NACRE_RETURN_IF_ERROR(take_server_side_lock(srvlock, m.flags, m.object_id, m.offset,
                                                  req.data.size(), true, &rep.flags));
      auto size = (m.flags & wire::kObjDataCrc)
                      ? store.write_checked(m.object_id, m.offset, req.data, m.data_crc)
                      : store.write(m.object_id, m.offset, req.data);
      if (!size) return size.status();
      rep.object_size = *size;
      reply.body = wire::encode_body(rep);
      return Status::ok();
    }
    case MsgType::kObjWriteBulk: {
      reply.error_body_size = wire::kObjSizeReplyBody;
      NACRE_RETURN_IF_ERROR(gate);
      wire::ObjWriteRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      NACRE_RETURN_IF_ERROR(check_flags(m.flags, "OBJ_WRITE_BULK"));
      const uint64_t len = req.header.data_len;
      NACRE_RETURN_IF_ERROR(check_range(m.offset, len));
      if (len > max_rpc_bytes)
        return Status::error(EMSGSIZE, "write of " + std::to_string(len) +
                                           " bytes exceeds max_rpc_bytes " +
                                           std::to_string(max_rpc_bytes));
      if (!req.receive_bulk) return Status::error(EPROTO, "bulk data cannot be received here");
      wire::ObjSizeReply rep;
      NACRE_RETURN_IF_ERROR(
          take_server_side_lock(srvlock, m.flags, m.object_id, m.offset, len, true, &rep.flags));
      const auto receive = [&](std::span<const std::span<uint8_t>> spans) {
        return req.receive_bulk(spans);
      };
      auto size = (m.flags & wire::kObjDataCrc)
                      ? store.write_from_checked(m.object_id, m.offset, static_cast<size_t>(len),
                                                 receive, m.data_crc)
                      : store.write_from(m.object_id, m.offset, static_cast<size_t>(len), receive);
      if (!size) return size.status();
      rep.object_size = *size;
      reply.body = wire::encode_body(rep);
      return Status::ok();
    }
    case MsgType::kObjRead: {
      reply.error_body_size = wire::kObjSizeReplyBody;
      reply.max_error_text = 0;  // until the length is known, no room for text
      wire::ObjReadRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      reply.max_error_text = static_cast<size_t>(std::min<uint64_t>(m.length, wire::kMaxErrorText));
      NACRE_RETURN_IF_ERROR(gate);
      NACRE_RETURN_IF_ERROR(check_flags(m.flags, "OBJ_READ"));
      NACRE_RETURN_IF_ERROR(check_range(m.offset, m.length));
      if (m.length > max_rpc_bytes)
        return Status::error(EMSGSIZE, "read of " + std::to_string(m.length) +
                                           " bytes exceeds max_rpc_bytes " +
                                           std::to_string(max_rpc_bytes));
      NACRE_RETURN_IF_ERROR(check_readable(marks, m.object_id));
      wire::ObjSizeReply rep;
      NACRE_RETURN_IF_ERROR(take_server_side_lock(srvlock, m.flags, m.object_id, m.offset,
                                                  m.length, false, &rep.flags));
      if (read_buffer.size() < m.length) read_buffer.resize(m.length);
      uint64_t object_size = 0;
      const std::span<uint8_t> into(read_buffer.data(), m.length);
      auto n = (m.flags & wire::kObjDataCrc)
                   ? store.read_with_crc(m.object_id, m.offset, into, &object_size, &rep.data_crc)
                   : store.read(m.object_id, m.offset, into, &object_size);
      if (!n) return n.status();
      rep.object_size = object_size;
      if (m.flags & wire::kObjDataCrc) rep.flags |= wire::kObjDataCrc;
      reply.body = wire::encode_body(rep);
      reply.data = std::span<const uint8_t>(read_buffer.data(), *n);
      return Status::ok();
    }
    case MsgType::kObjStat: {
      wire::ObjRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      NACRE_RETURN_IF_ERROR(check_readable(marks, m.object_id));
      auto info = store.stat(m.object_id);
      if (!info) return info.status();
      reply.body = wire::encode_body(wire::ObjStatReply{info->size, {info->mtime}});
      return Status::ok();
    }
    case MsgType::kObjTruncate: {
      wire::ObjTruncateRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      NACRE_RETURN_IF_ERROR(check_range(m.size, 0));
      return store.truncate(m.object_id, m.size);
    }
    case MsgType::kObjDestroy: {
      wire::ObjRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      NACRE_RETURN_IF_ERROR(store.destroy(m.object_id));
      return marks.forget(m.object_id);
    }
    case MsgType::kObjSetStale: {
      wire::ObjSetStaleRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      return marks.set_stale(m.object_id, m.stale);
    }
    case MsgType::kObjList: {
      wire::ObjListRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      if (m.max_entries == 0 || m.max_entries > wire::kMaxListField)
        return Status::error(EINVAL, "OBJ_LIST max_entries must be 1.." +
                                         std::to_string(wire::kMaxListField));
      auto all = store.list();
      if (!all) return all.status();
      // A stale copy whose object file was never created still counts.
      {
        std::set<uint64_t> present;
        for (const auto& o : *all) present.insert(o.id);
        for (uint64_t id : marks.stale())
          if (!present.count(id)) all->push_back(store::ObjectListing{id, 0});
      }
      std::sort(all->begin(), all->end(),
                [](const store::ObjectListing& a, const store::ObjectListing& b) { return a.id < b.id; });
      auto it = std::lower_bound(all->begin(), all->end(), m.cookie,
                                 [](const store::ObjectListing& a, uint64_t id) { return a.id < id; });
      // 17 bytes per entry: at most ~3800 fit one control message.
      const size_t fit = (wire::kMaxControlBytes - wire::kFrameHeaderSize - 64) / 17;
      const size_t max = std::min<size_t>(m.max_entries, fit);
      wire::ObjListReply out;
      for (; it != all->end() && out.entries.size() < max; ++it)
        out.entries.push_back({it->id, it->size,
                               static_cast<uint8_t>(marks.readable(it->id) ? 0 : wire::kObjListStale)});
      out.done = it == all->end();
      out.next_cookie = out.done ? 0 : it->id;
      reply.body = wire::encode_body(out);
      return Status::ok();
    }
    case MsgType::kObjVerify: {
      wire::ObjRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      wire::ObjVerifyReply out;
      out.stale = !marks.readable(m.object_id);
      auto info = store.stat(m.object_id);
      if (!info) return info.status();
      out.size = info->size;
      auto report = store.verify(m.object_id);
      if (report) {
        out.pages_checked = report->pages_checked;
        for (const auto& [a, b] : report->bad) {
          if (out.bad.size() + 1 >= wire::kMaxListField) {  // keep the reply small: merge the tail
            out.bad.back().end = std::max<uint64_t>(out.bad.back().end, b);
            continue;
          }
          out.bad.push_back({a, b});
        }
      } else {  // the checksums themselves are unreadable: nothing can be trusted
        out.error = report.status().to_string().substr(0, 1024);
        if (out.size > 0) out.bad.push_back({0, out.size});
      }
      reply.body = wire::encode_body(out);
      return Status::ok();
    }
    case MsgType::kObjSync: {
      wire::ObjRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      return store.sync(m.object_id);
    }
    default:
      return Status::error(ENOSYS, std::string("not an object request: ") +
                                       wire::msg_type_name(req.header.type));
  }
}

}  // namespace nacre::oss
