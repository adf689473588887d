#include "oss/oss_handlers.hpp"

#include "wire/messages.hpp"

namespace nacre::oss {

using wire::MsgType;

bool is_oss_request(uint16_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::kObjWrite: case MsgType::kObjWriteBulk: case MsgType::kObjRead: case MsgType::kObjStat:
    case MsgType::kObjTruncate: case MsgType::kObjDestroy: case MsgType::kObjSync:
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
Status check_range(uint64_t offset, uint64_t length) {
  if (offset > kMaxFileSize || length > kMaxFileSize - offset)
    return Status::error(EFBIG, "object range [" + std::to_string(offset) + ", +" +
                                    std::to_string(length) + ") exceeds the maximum object size");
  return Status::ok();
}
}  // namespace

Status handle_oss_request(store::ObjectStore& store, uint64_t max_rpc_bytes,
                          const wire::Request& req, wire::Reply& reply,
                          std::vector<uint8_t>& read_buffer, const Status& gate) {
  const auto type = static_cast<MsgType>(req.header.type);
  if (type != MsgType::kObjWrite && !req.data.empty())
    return Status::error(EBADMSG, std::string(wire::msg_type_name(req.header.type)) +
                                      " request must not carry data");
  if (!gate.is_ok() && type != MsgType::kObjWrite && type != MsgType::kObjWriteBulk &&
      type != MsgType::kObjRead)
    return gate;
  switch (type) {
    case MsgType::kObjWrite: {
      reply.error_body_size = 8;
      NACRE_RETURN_IF_ERROR(gate);
      wire::ObjWriteRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      NACRE_RETURN_IF_ERROR(check_range(m.offset, req.data.size()));
      if (req.data.size() > max_rpc_bytes)
        return Status::error(EMSGSIZE, "write of " + std::to_string(req.data.size()) +
                                           " bytes exceeds max_rpc_bytes " +
                                           std::to_string(max_rpc_bytes));
      auto size = store.write(m.object_id, m.offset, req.data);
      if (!size) return size.status();
      reply.body = wire::encode_body(wire::ObjSizeReply{*size});
      return Status::ok();
    }
    case MsgType::kObjWriteBulk: {
      reply.error_body_size = 8;
      NACRE_RETURN_IF_ERROR(gate);
      wire::ObjWriteRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      const uint64_t len = req.header.data_len;
      NACRE_RETURN_IF_ERROR(check_range(m.offset, len));
      if (len > max_rpc_bytes)
        return Status::error(EMSGSIZE, "write of " + std::to_string(len) +
                                           " bytes exceeds max_rpc_bytes " +
                                           std::to_string(max_rpc_bytes));
      if (!req.receive_bulk) return Status::error(EPROTO, "bulk data cannot be received here");
      auto size = store.write_from(m.object_id, m.offset, static_cast<size_t>(len),
                                   [&](std::span<const std::span<uint8_t>> spans) {
                                     return req.receive_bulk(spans);
                                   });
      if (!size) return size.status();
      reply.body = wire::encode_body(wire::ObjSizeReply{*size});
      return Status::ok();
    }
    case MsgType::kObjRead: {
      reply.error_body_size = 8;
      reply.max_error_text = 0;  // until the length is known, no room for text
      wire::ObjReadRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
      reply.max_error_text = static_cast<size_t>(std::min<uint64_t>(m.length, wire::kMaxErrorText));
      NACRE_RETURN_IF_ERROR(gate);
      NACRE_RETURN_IF_ERROR(check_range(m.offset, m.length));
      if (m.length > max_rpc_bytes)
        return Status::error(EMSGSIZE, "read of " + std::to_string(m.length) +
                                           " bytes exceeds max_rpc_bytes " +
                                           std::to_string(max_rpc_bytes));
      if (read_buffer.size() < m.length) read_buffer.resize(m.length);
      uint64_t object_size = 0;
      auto n = store.read(m.object_id, m.offset, std::span<uint8_t>(read_buffer.data(), m.length),
                          &object_size);
      if (!n) return n.status();
      reply.body = wire::encode_body(wire::ObjSizeReply{object_size});
      reply.data = std::span<const uint8_t>(read_buffer.data(), *n);
      return Status::ok();
    }
    case MsgType::kObjStat: {
      wire::ObjRequest m;
      NACRE_RETURN_IF_ERROR(decode(req, m));
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
      return store.destroy(m.object_id);
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
