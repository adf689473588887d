// Typed bodies of every Nacre RPC (see docs/PROTOCOL.md). Each struct lists
// its fields once in visit(); codec.hpp turns that into encode and a
// bounds-checked decode.
#pragma once

#include "wire/codec.hpp"
#include "wire/frame.hpp"

#include <nacre/layout.hpp>
#include <nacre/types.hpp>

namespace nacre::wire {

// ---- shared pieces -------------------------------------------------------
struct WireLayoutRequest {
  LayoutRequest v;
  template <class V> void visit(V& x) { x.u64(v.stripe_size); x.i32(v.stripe_count); x.i32(v.first_server); }
};

struct WireStripeTarget {
  StripeTarget v;
  template <class V> void visit(V& x) { x.u32(v.server); x.u64(v.object_id); }
};

struct WireMirror {
  std::vector<WireStripeTarget> stripes;
  template <class V> void visit(V& x) { x.list(stripes); }
};

struct WireLayout {
  uint64_t stripe_size = 0;
  std::vector<WireStripeTarget> stripes;
  std::vector<WireMirror> mirrors;  // since protocol 2
  template <class V> void visit(V& x) { x.u64(stripe_size); x.list(stripes); x.list(mirrors); }
  static WireLayout from(const Layout& l);
  Layout to_layout() const;
};

struct WireTime {
  Timespec v;
  template <class V> void visit(V& x) { x.i64(v.sec); x.i64(v.nsec); }
};

struct WireStat {
  uint64_t ino = 0;
  uint8_t type = 0;
  uint32_t mode = 0, uid = 0, gid = 0, nlink = 0;
  uint64_t size = 0;
  WireTime atime, mtime, ctime;
  template <class V> void visit(V& x) {
    x.u64(ino); x.u8(type); x.u32(mode); x.u32(uid); x.u32(gid); x.u32(nlink); x.u64(size);
    x.obj(atime); x.obj(mtime); x.obj(ctime);
  }
  static WireStat from(const FileStat& s);
  FileStat to_stat() const;
};

struct Empty {
  template <class V> void visit(V&) {}
};

// ---- session -------------------------------------------------------------
struct HelloRequest {
  uint32_t client_version = kProtocolVersion;
  template <class V> void visit(V& x) { x.u32(client_version); }
};
inline constexpr uint32_t kFeatureChecksums = 1;  // the servers run with store.checksums
struct HelloReply {
  uint32_t server_count = 0;
  uint32_t server_index = 0;
  uint64_t max_rpc_bytes = 0;
  uint32_t features = 0;  // kFeature* bits
  // Client lease (ms): a client that pings must send something at least this
  // often or lose its locks; 0: no leases (docs/LOCKS.md, "Client leases").
  uint32_t lease_ms = 0;
  template <class V> void visit(V& x) {
    x.u32(server_count); x.u32(server_index); x.u64(max_rpc_bytes); x.u32(features);
    x.u32(lease_ms);
  }
};

// Health (SERVER_STATUS reply; SET_REBUILDING request).
struct ServerStatusReply {
  uint32_t server_index = 0;
  bool rebuilding = false;     // its directory was re-created; copies not yet rebuilt
  uint64_t stale_objects = 0;  // copies marked stale (missed writes)
  // Metadata server: mirrors that failed a change in this job (protocol 4).
  uint32_t metadata_mirrors_out_of_step = 0;
  template <class V> void visit(V& x) {
    x.u32(server_index); x.boolean(rebuilding); x.u64(stale_objects); x.u32(metadata_mirrors_out_of_step);
  }
};
struct SetRebuildingRequest {
  bool on = false;
  template <class V> void visit(V& x) { x.boolean(on); }
};

// ---- metadata ------------------------------------------------------------
struct Credentials {
  uint32_t uid = 0, gid = 0;
  template <class V> void visit(V& x) { x.u32(uid); x.u32(gid); }
};

struct PathRequest {  // RMDIR, STAT, UNLINK, GET_DIR_LAYOUT
  std::string path;
  template <class V> void visit(V& x) { x.str(path); }
};

struct MkdirRequest {
  std::string path;
  uint32_t mode = 0755;
  Credentials cred;
  template <class V> void visit(V& x) { x.str(path); x.u32(mode); x.obj(cred); }
};

struct OpenRequest {
  std::string path;
  uint32_t flags = 0;
  uint32_t mode = 0644;
  Credentials cred;
  WireLayoutRequest layout;
  template <class V> void visit(V& x) { x.str(path); x.u32(flags); x.u32(mode); x.obj(cred); x.obj(layout); }
};
struct OpenReply {
  bool created = false;
  WireStat stat;
  WireLayout layout;
  template <class V> void visit(V& x) { x.boolean(created); x.obj(stat); x.obj(layout); }
};

struct CloseRequest {
  uint64_t ino = 0;
  template <class V> void visit(V& x) { x.u64(ino); }
};

// Reply of CLOSE, UNLINK and RENAME: when destroy is true the caller must
// destroy the objects of `layout` (the last name and the last open are gone).
struct ReleaseReply {
  bool destroy = false;
  WireLayout layout;
  template <class V> void visit(V& x) { x.boolean(destroy); x.obj(layout); }
};

struct StatReply {
  WireStat stat;
  WireLayout layout;  // empty for directories
  template <class V> void visit(V& x) { x.obj(stat); x.obj(layout); }
};

struct RenameRequest {
  std::string from, to;
  template <class V> void visit(V& x) { x.str(from); x.str(to); }
};

struct ReaddirRequest {
  std::string path;
  uint64_t cookie = 0;       // index of the first entry wanted
  uint32_t max_entries = 0;  // 1..kMaxListField
  template <class V> void visit(V& x) { x.str(path); x.u64(cookie); x.u32(max_entries); }
};
struct WireDirEntry {
  std::string name;
  uint8_t type = 0;
  uint64_t ino = 0;
  template <class V> void visit(V& x) { x.str(name); x.u8(type); x.u64(ino); }
};
struct ReaddirReply {
  std::vector<WireDirEntry> entries;
  uint64_t next_cookie = 0;
  bool done = true;
  template <class V> void visit(V& x) { x.list(entries); x.u64(next_cookie); x.boolean(done); }
};

// LIST_FILES: files with inode number >= cookie, at most max_entries (and
// as many as fit one control message); next_cookie continues the walk.
struct ListFilesRequest {
  uint64_t cookie = 0;
  uint32_t max_entries = 0;  // 1..kMaxListField
  template <class V> void visit(V& x) { x.u64(cookie); x.u32(max_entries); }
};
struct WireFileEntry {
  uint64_t ino = 0;
  uint32_t nlink = 0;  // 0: unlinked but still open
  WireLayout layout;
  template <class V> void visit(V& x) { x.u64(ino); x.u32(nlink); x.obj(layout); }
};
struct ListFilesReply {
  std::vector<WireFileEntry> entries;
  uint64_t next_cookie = 0;
  bool done = true;
  template <class V> void visit(V& x) { x.list(entries); x.u64(next_cookie); x.boolean(done); }
};

inline constexpr uint32_t kSetattrMode = 1;       // set mode bits
inline constexpr uint32_t kSetattrMtimeNow = 2;   // mtime = ctime = now (data changed)
struct SetattrRequest {
  std::string path;
  uint32_t mask = 0;
  uint32_t mode = 0;
  template <class V> void visit(V& x) { x.str(path); x.u32(mask); x.u32(mode); }
};

struct SetDirLayoutRequest {
  std::string path;
  WireLayoutRequest layout;
  template <class V> void visit(V& x) { x.str(path); x.obj(layout); }
};
struct DirLayoutReply {
  WireLayoutRequest layout;
  template <class V> void visit(V& x) { x.obj(layout); }
};

// ---- application locks (fcntl / flock; docs/LOCKS.md) --------------------
// op: SET (type unlock/shared/exclusive; wait: reply only when granted),
// TEST (F_GETLK: the reply names one conflicting lock, type 0 if none),
// RELEASE (at close: space is a mask, 1 = this process's fcntl locks on the
// file, 2 = the flock lock of `handle`). Ranges are half-open [start, end);
// end = UINT64_MAX: to end of file. flock requests ignore the range.
inline constexpr uint8_t kAppLockSet = 1;
inline constexpr uint8_t kAppLockTest = 2;
inline constexpr uint8_t kAppLockRelease = 3;
inline constexpr uint8_t kAppLockSpaceFcntl = 1;
inline constexpr uint8_t kAppLockSpaceFlock = 2;
struct AppLockRequest {
  uint64_t ino = 0;
  uint8_t op = 0;
  uint8_t space = 0;
  uint8_t type = 0;     // 0 unlock, 1 shared, 2 exclusive
  bool wait = false;
  uint64_t handle = 0;  // the client's id of its open handle (flock owner)
  uint64_t start = 0, end = 0;
  uint32_t pid = 0;     // the client's process id (answered by TEST)
  template <class V> void visit(V& x) {
    x.u64(ino); x.u8(op); x.u8(space); x.u8(type); x.boolean(wait); x.u64(handle);
    x.u64(start); x.u64(end); x.u32(pid);
  }
};
struct AppLockReply {  // fixed 29 bytes; all zero except for TEST with a conflict
  uint8_t type = 0;
  uint64_t start = 0, end = 0;
  uint32_t pid = 0;
  uint32_t owner_link = 0, owner_rank = 0;  // the holder as the server sees it
  template <class V> void visit(V& x) {
    x.u8(type); x.u64(start); x.u64(end); x.u32(pid); x.u32(owner_link); x.u32(owner_rank);
  }
};
inline constexpr size_t kAppLockReplyBody = 29;

// ---- objects -------------------------------------------------------------
// Object data may carry a CRC-32C of exactly the bytes of the message's data
// (flags & kObjDataCrc): the client computes it on writes and the server
// checks it before storing; on reads the client asks for it and checks the
// bytes it received (docs/DURABILITY.md, "Checksums").
inline constexpr uint32_t kObjDataCrc = 1;
// Server-side locking (OBJ_WRITE, OBJ_WRITE_BULK, OBJ_READ; docs/LOCKS.md,
// "Contended objects"): the client holds no extent lock for this I/O; the
// server applies it only if no other client holds or waits for a lock that
// conflicts with it (else EBUSY, and the client retries under a lock of its
// own). One message is applied atomically by the server's service loop.
inline constexpr uint32_t kObjFlagSrvLock = 2;
inline constexpr uint32_t kObjFlagsAll = kObjDataCrc | kObjFlagSrvLock;
// ObjSizeReply.flags: kObjDataCrc (data_crc is set), and kObjReplyContended:
// the object is contended, so the client should keep using server-side
// locking for it.
inline constexpr uint32_t kObjReplyContended = 2;
struct ObjWriteRequest {  // data: the bytes to write
  uint64_t object_id = 0;
  uint64_t offset = 0;
  uint32_t flags = 0;
  uint32_t data_crc = 0;
  template <class V> void visit(V& x) { x.u64(object_id); x.u64(offset); x.u32(flags); x.u32(data_crc); }
};
struct ObjSizeReply {  // OBJ_WRITE, OBJ_READ (fixed 16 bytes; data = bytes read)
  uint64_t object_size = 0;
  uint32_t flags = 0;
  uint32_t data_crc = 0;
  template <class V> void visit(V& x) { x.u64(object_size); x.u32(flags); x.u32(data_crc); }
};
inline constexpr size_t kObjSizeReplyBody = 16;
inline constexpr size_t kObjReadReplyPrefix = kFrameHeaderSize + kObjSizeReplyBody;

struct ObjReadRequest {
  uint64_t object_id = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t flags = 0;  // kObjDataCrc: send the data's CRC-32C in the reply
  template <class V> void visit(V& x) { x.u64(object_id); x.u64(offset); x.u64(length); x.u32(flags); }
};

struct ObjRequest {  // OBJ_STAT, OBJ_DESTROY, OBJ_SYNC
  uint64_t object_id = 0;
  template <class V> void visit(V& x) { x.u64(object_id); }
};
struct ObjStatReply {
  uint64_t size = 0;
  WireTime mtime;
  template <class V> void visit(V& x) { x.u64(size); x.obj(mtime); }
};

struct ObjSetStaleRequest {
  uint64_t object_id = 0;
  bool stale = false;  // false: the copy was resynced and is good again
  template <class V> void visit(V& x) { x.u64(object_id); x.boolean(stale); }
};

// OBJ_LIST: objects with id >= cookie, at most max_entries (stale copies
// whose object was never stored included, with size 0).
inline constexpr uint8_t kObjListStale = 1;
struct ObjListRequest {
  uint64_t cookie = 0;
  uint32_t max_entries = 0;  // 1..kMaxListField
  template <class V> void visit(V& x) { x.u64(cookie); x.u32(max_entries); }
};
struct WireObjectEntry {
  uint64_t id = 0;
  uint64_t size = 0;
  uint8_t flags = 0;  // kObjListStale
  template <class V> void visit(V& x) { x.u64(id); x.u64(size); x.u8(flags); }
};
struct ObjListReply {
  std::vector<WireObjectEntry> entries;
  uint64_t next_cookie = 0;
  bool done = true;
  template <class V> void visit(V& x) { x.list(entries); x.u64(next_cookie); x.boolean(done); }
};

// OBJ_VERIFY reply: byte ranges [start, end) whose pages fail their checksums
// (the whole object when its checksums cannot be read at all).
struct WireRange {
  uint64_t start = 0, end = 0;
  template <class V> void visit(V& x) { x.u64(start); x.u64(end); }
};
struct ObjVerifyReply {
  uint64_t size = 0;
  uint64_t pages_checked = 0;
  bool stale = false;
  std::vector<WireRange> bad;
  std::string error;  // why the object could not be checked, if so
  template <class V> void visit(V& x) { x.u64(size); x.u64(pages_checked); x.boolean(stale); x.list(bad); x.str(error); }
};

struct ObjTruncateRequest {
  uint64_t object_id = 0;
  uint64_t size = 0;
  template <class V> void visit(V& x) { x.u64(object_id); x.u64(size); }
};

// ---- extent locks (docs/LOCKS.md) ---------------------------------------
// Extents are half-open [start, end) in OBJECT byte space; end = UINT64_MAX
// means "to end of object". mode is a locks::Mode value (PR = 3, PW = 4,
// GROUP = 6; the server accepts only those three from clients).
inline constexpr uint32_t kLockFlagNoExpand = 1;  // grant exactly [start, end)
inline constexpr uint32_t kLockFlagsAll = 1;
struct LockEnqueueRequest {
  uint64_t object_id = 0;
  uint8_t mode = 0;
  uint64_t gid = 0;  // group id, GROUP mode only
  uint64_t start = 0, end = 0;
  uint32_t flags = 0;
  template <class V> void visit(V& x) {
    x.u64(object_id); x.u8(mode); x.u64(gid); x.u64(start); x.u64(end); x.u32(flags);
  }
};
// LockEnqueueReply.flags: the object is contended (several clients' locks
// conflicted on it recently): the client should use server-side locking
// (kObjFlagSrvLock) for I/O that fits one message, and not keep the lock.
inline constexpr uint32_t kLockReplyContended = 1;
struct LockEnqueueReply {  // fixed 28 bytes
  uint64_t handle = 0;
  uint64_t start = 0, end = 0;  // granted extent (contains the wanted one)
  uint32_t flags = 0;           // kLockReplyContended
  template <class V> void visit(V& x) { x.u64(handle); x.u64(start); x.u64(end); x.u32(flags); }
};
inline constexpr size_t kLockEnqueueReplyBody = 28;
struct LockCancelRequest {
  uint64_t object_id = 0;
  uint64_t handle = 0;
  template <class V> void visit(V& x) { x.u64(object_id); x.u64(handle); }
};
// Body of a LOCK_CALLBACK frame (server -> client on kCallbackTag).
struct LockCallbackBody {
  uint32_t server = 0;  // index of the server that holds the lock table
  uint64_t object_id = 0;
  uint64_t handle = 0;
  template <class V> void visit(V& x) { x.u32(server); x.u64(object_id); x.u64(handle); }
};

}  // namespace nacre::wire
