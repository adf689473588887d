#include "wire/frame.hpp"

#include "common/bytes.hpp"

#include <string>

namespace nacre::wire {

const char* msg_type_name(uint16_t type) {
  switch (static_cast<MsgType>(type & ~kReplyBit)) {
    case MsgType::kHello: return "HELLO";
    case MsgType::kDisconnect: return "DISCONNECT";
    case MsgType::kPing: return "PING";
    case MsgType::kMetaMirror: return "META_MIRROR";
    case MsgType::kShutdown: return "SHUTDOWN";
    case MsgType::kServerStatus: return "SERVER_STATUS";
    case MsgType::kSetRebuilding: return "SET_REBUILDING";
    case MsgType::kListFiles: return "LIST_FILES";
    case MsgType::kObjList: return "OBJ_LIST";
    case MsgType::kObjVerify: return "OBJ_VERIFY";
    case MsgType::kMkdir: return "MKDIR";
    case MsgType::kRmdir: return "RMDIR";
    case MsgType::kOpen: return "OPEN";
    case MsgType::kClose: return "CLOSE";
    case MsgType::kStat: return "STAT";
    case MsgType::kUnlink: return "UNLINK";
    case MsgType::kRename: return "RENAME";
    case MsgType::kReaddir: return "READDIR";
    case MsgType::kSetattr: return "SETATTR";
    case MsgType::kSetDirLayout: return "SET_DIR_LAYOUT";
    case MsgType::kGetDirLayout: return "GET_DIR_LAYOUT";
    case MsgType::kAppLock: return "APP_LOCK";
    case MsgType::kObjWrite: return "OBJ_WRITE";
    case MsgType::kObjRead: return "OBJ_READ";
    case MsgType::kObjStat: return "OBJ_STAT";
    case MsgType::kObjTruncate: return "OBJ_TRUNCATE";
    case MsgType::kObjDestroy: return "OBJ_DESTROY";
    case MsgType::kObjSync: return "OBJ_SYNC";
    case MsgType::kObjWriteBulk: return "OBJ_WRITE_BULK";
    case MsgType::kObjSetStale: return "OBJ_SET_STALE";
    case MsgType::kLockEnqueue: return "LOCK_ENQUEUE";
    case MsgType::kLockCancel: return "LOCK_CANCEL";
    case MsgType::kLockCallback: return "LOCK_CALLBACK";
  }
  return "UNKNOWN";
}

bool is_known_request(uint16_t type) {
  return (type & kReplyBit) == 0 && type != static_cast<uint16_t>(MsgType::kLockCallback) &&
         std::string(msg_type_name(type)) != "UNKNOWN";
}

void encode_header(const FrameHeader& h, uint8_t out[kFrameHeaderSize]) {
  std::vector<uint8_t> v;
  v.reserve(kFrameHeaderSize);
  ByteWriter w(v);
  w.u32(h.magic);
  w.u16(h.version);
  w.u16(h.type);
  w.u64(h.request_id);
  w.i32(h.status);
  w.u32(h.body_len);
  w.u64(h.data_len);
  std::memcpy(out, v.data(), kFrameHeaderSize);
}

Result<FrameHeader> decode_header(std::span<const uint8_t> message, size_t total_size) {
  if (message.size() < kFrameHeaderSize)
    return Status::error(EBADMSG, "message of " + std::to_string(message.size()) +
                                      " bytes is shorter than a frame header");
  ByteReader r(message.first(kFrameHeaderSize));
  FrameHeader h;
  r.u32(&h.magic);
  r.u16(&h.version);
  r.u16(&h.type);
  r.u64(&h.request_id);
  r.i32(&h.status);
  r.u32(&h.body_len);
  r.u64(&h.data_len);
  if (h.magic != kMagic) return Status::error(EBADMSG, "bad magic in message header");
  if (h.version != kProtocolVersion)
    return Status::error(EPROTO, "unsupported protocol version " + std::to_string(h.version) +
                                     " (this build speaks " +
                                     std::to_string(kProtocolVersion) + ")");
  if (h.body_len > kMaxControlBytes - kFrameHeaderSize)
    return Status::error(EMSGSIZE, "message body of " + std::to_string(h.body_len) +
                                       " bytes exceeds the limit");
  if (h.data_len > kMaxDataBytes)
    return Status::error(EMSGSIZE, "message data of " + std::to_string(h.data_len) +
                                       " bytes exceeds the limit");
  const bool separate_data = h.type == static_cast<uint16_t>(MsgType::kObjWriteBulk);
  if (kFrameHeaderSize + h.body_len + (separate_data ? 0 : h.data_len) != total_size)
    return Status::error(EBADMSG, "message length " + std::to_string(total_size) +
                                      " does not match its header (body " +
                                      std::to_string(h.body_len) + ", data " +
                                      std::to_string(h.data_len) + ")");
  if (h.status < 0) return Status::error(EBADMSG, "negative status in message header");
  return h;
}

std::vector<uint8_t> build_frame(uint16_t type, uint64_t request_id, int32_t status,
                                 const std::vector<uint8_t>& body, uint64_t data_len) {
  std::vector<uint8_t> out(kFrameHeaderSize + body.size());
  FrameHeader h;
  h.type = type;
  h.request_id = request_id;
  h.status = status;
  h.body_len = static_cast<uint32_t>(body.size());
  h.data_len = data_len;
  encode_header(h, out.data());
  if (!body.empty()) std::memcpy(out.data() + kFrameHeaderSize, body.data(), body.size());
  return out;
}

}  // namespace nacre::wire
