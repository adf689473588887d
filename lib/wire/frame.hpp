// The frame of every Nacre wire message (documented in docs/PROTOCOL.md).
//
//   offset size field
//   0      4    magic       0x5243414E ("NACR" little-endian)
//   4      2    version     kProtocolVersion
//   6      2    type        MsgType; replies set kReplyBit
//   8      8    request_id  chosen by the client, echoed in the reply
//   16     4    status      0 or a positive errno (replies only)
//   20     4    body_len    bytes of the typed body that follows
//   24     8    data_len    bytes of bulk data after the body
//   32     ...  body, then data
//
// An error reply (status != 0) carries the message text as its data and the
// same body as a success reply of its type would (zeros), so fixed-size
// reply bodies stay fixed-size.
#pragma once

#include <nacre/status.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace nacre::wire {

inline constexpr uint32_t kMagic = 0x5243414E;
// 2: layouts carry mirrors; object data carries CRC-32C (issue 6).
// 3: server-side locking of contended objects (LOCK_ENQUEUE reply flags,
//    kObjFlagSrvLock, kObjReplyContended; docs/LOCKS.md).
// 4: metadata mirrors (META_MIRROR between servers; SERVER_STATUS reports
//    mirrors out of step; docs/DURABILITY.md).
inline constexpr uint16_t kProtocolVersion = 4;
inline constexpr size_t kFrameHeaderSize = 32;
// Largest header + body of any message (control part).
inline constexpr size_t kMaxControlBytes = 64 * 1024;
// Largest bulk data of one message (a protocol limit; config may be lower).
inline constexpr uint64_t kMaxDataBytes = 16ull << 20;
// Largest message a server accepts.
inline constexpr size_t kMaxMessageBytes = kMaxControlBytes + kMaxDataBytes;
// Largest error text carried in a reply.
inline constexpr size_t kMaxErrorText = 1024;
inline constexpr uint16_t kReplyBit = 0x8000;

enum class MsgType : uint16_t {
  kHello = 1,
  kDisconnect = 2,
  kShutdown = 3,
  // Health of one server (issue 6): rebuild mode, stale copies.
  kServerStatus = 4,
  kSetRebuilding = 5,  // enter / leave rebuild mode (the rebuild driver)
  // Client lease keep-alive (docs/LOCKS.md, "Client leases"): no body, empty
  // reply; a client that stops sending anything is presumed dead.
  kPing = 6,
  // Server -> server (issue 6, docs/DURABILITY.md "Metadata mirrors"): the
  // metadata server sends every committed metadata change (mds::KvBatch
  // encoding as data, no body) to its mirrors over the servers' own link;
  // the empty reply means the mirror holds it durably.
  kMetaMirror = 7,
  kMkdir = 10,
  kRmdir = 11,
  kOpen = 12,
  kClose = 13,
  kStat = 14,
  kUnlink = 15,
  kRename = 16,
  kReaddir = 17,
  kSetattr = 18,
  kSetDirLayout = 19,
  kGetDirLayout = 20,
  // Application locks (fcntl / flock; docs/LOCKS.md), served by the metadata
  // server; the reply to a blocking request comes when it is granted.
  kAppLock = 21,
  // Every file's layout, paged by inode number (fsck, scrub, rebuild).
  kListFiles = 22,
  kObjWrite = 40,
  kObjRead = 41,
  kObjStat = 42,
  kObjTruncate = 43,
  kObjDestroy = 44,
  kObjSync = 45,
  // Like OBJ_WRITE, but the data_len bytes travel as a separate message on
  // bulk_tag(request_id) right after this frame, so the server can receive
  // them straight into the store's memory.
  kObjWriteBulk = 46,
  // Replicas and integrity (issue 6; docs/DURABILITY.md).
  kObjSetStale = 47,   // mark / clear one copy as having missed writes
  kObjList = 48,       // the objects a server holds, paged by id
  kObjVerify = 49,     // check every page of one object against its checksums
  // Extent locks (issue 3; docs/LOCKS.md). The object server is the lock
  // server of its objects.
  kLockEnqueue = 60,   // client -> server; the reply may come much later
  kLockCancel = 61,    // client -> server
  // Server -> client blocking callback: sent on kCallbackTag (never on the
  // request tag), request_id 0, no reply (the client answers with a cancel).
  kLockCallback = 62,
};

// Name for logs ("OPEN", "OBJ_READ"), "UNKNOWN" otherwise.
const char* msg_type_name(uint16_t type);
bool is_known_request(uint16_t type);

struct FrameHeader {
  uint32_t magic = kMagic;
  uint16_t version = kProtocolVersion;
  uint16_t type = 0;
  uint64_t request_id = 0;
  int32_t status = 0;
  uint32_t body_len = 0;
  uint64_t data_len = 0;

  bool is_reply() const { return (type & kReplyBit) != 0; }
  uint16_t base_type() const { return static_cast<uint16_t>(type & ~kReplyBit); }
};

void encode_header(const FrameHeader& h, uint8_t out[kFrameHeaderSize]);

// Decodes and checks a header against the total message size: magic,
// version, and header + body + data == total_size (header + body for
// OBJ_WRITE_BULK, whose data comes separately). Errors: EBADMSG, EPROTO.
Result<FrameHeader> decode_header(std::span<const uint8_t> message, size_t total_size);

// Builds header + body in one buffer; data (data_len bytes) is sent after it
// by the transport, usually straight from the caller's memory.
std::vector<uint8_t> build_frame(uint16_t type, uint64_t request_id, int32_t status,
                                 const std::vector<uint8_t>& body, uint64_t data_len);

}  // namespace nacre::wire
