// Client core: turns file system calls into RPCs. Owns the client
// transport; shared by the FileSystem and every File of one client rank.
// Thread-safe: exchanges are serialised by an internal mutex.
#pragma once

#include "client/contention_marks.hpp"
#include "client/lock_cache.hpp"
#include "client/read_cache.hpp"
#include "client/lock_progress.hpp"
#include "client/write_cache.hpp"
#include "layout/layout_math.hpp"
#include "transport/transport.hpp"
#include "wire/messages.hpp"

#include <nacre/layout.hpp>
#include <nacre/status.hpp>
#include <nacre/types.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace nacre::client {

// Lock aging (docs/LOCKS.md, "Client side"): cached extent locks unused for
// this many milliseconds are cancelled by the progress thread (0: never).
inline constexpr const char* kEnvLockMaxAge = "NACRE_LOCK_MAX_AGE_MS";

// State of an open file handle (owned by nacre::File).
struct OpenFile {
  std::string path;
  uint64_t ino = 0;
  uint32_t flags = 0;
  Layout layout;
  uint64_t handle_id = 0;  // this handle's id, unique in the client (flock owner)
  bool flocked = false;    // flock() was called on it
  uint64_t group_gid = 0;  // > 0 while the handle holds a group lock
  std::vector<LockRef> group_locks;  // its GROUP extent locks, in use
};

// How a data call is protected by extent locks (docs/LOCKS.md). enabled:
// POSIX mode, the call takes PR (reads) / PW (writes) locks on the objects
// it touches, in stripe index order; otherwise it writes through unlocked
// ("lockless"). no_expand: ask for exactly the extents touched. Locks are
// only taken when the core has locking (enable_locking); without it every
// call is lockless.
// write_back: small writes under a PW lock may stay in the client's
// write-back cache until a flush (docs/LOCKS.md, "Client cache"); off, they
// go straight to the servers (still under locks).
struct IoLocking {
  bool enabled = true;
  bool no_expand = false;
  bool write_back = true;
};
// The locking an open file asks for through its open flags.
IoLocking io_locking_for(uint32_t open_flags);
// The locking of a data call on f: io_locking_for(f.flags), except that a
// handle holding a group lock takes no extent locks and caches nothing
// (docs/LOCKS.md, "Group locks").
IoLocking io_locking_of(const OpenFile& f);

class ClientCore {
 public:
  // Starts the lock progress thread when the transport allows (see above).
  ClientCore(std::unique_ptr<transport::ClientTransport> transport, uint64_t max_rpc_bytes);

  int server_count() const { return transport_->server_count(); }
  uint64_t max_rpc_bytes() const { return max_rpc_bytes_; }
  const wire::Credentials& credentials() const { return cred_; }

  // Asks server 0 for its protocol view; checks server count agreement and
  // lowers max_rpc_bytes to the server's limit.
  Status hello();

  // One metadata RPC: encodes req, decodes the reply body into *rep.
  template <class Req, class Rep>
  Status mds_call(wire::MsgType type, const Req& req, Rep* rep) {
    std::vector<uint8_t> body;
    NACRE_RETURN_IF_ERROR(control_call(kMdsServer, type, wire::encode_body(req), &body));
    return wire::decode_body(body, *rep, wire::msg_type_name(static_cast<uint16_t>(type)));
  }

  // Locking is on from construction, over a second transport to the same
  // servers (make_callback_transport). With progress_thread (the transport
  // supports threads), a lock progress thread answers callbacks, locks stay
  // cached after each call and the write-back and read caches are on.
  // Without it (MPI below MPI_THREAD_MULTIPLE) locks are call-scoped: each
  // call asks for exactly the extents it touches and cancels its locks
  // before it returns, callbacks are drained by the calling thread, and
  // nothing is cached (docs/LOCKS.md, "Without a progress thread"). A no-op
  // when locking is already on.
  void enable_locking(std::unique_ptr<transport::ClientTransport> callback_transport,
                      bool progress_thread = true);
  bool locking_enabled() const { return progress_ != nullptr; }
  // True when locks are held only during each call (no progress thread).
  bool call_scoped_locks() const { return call_scoped_locks_; }
  // Null without locking. The progress object's set_paused() is a test hook.
  LockProgress* lock_progress() { return progress_.get(); }
  LockCache& lock_cache() { return lock_cache_; }
  // Blocking callbacks this client got: applied to its lock cache, or (no
  // progress thread) drained and dropped at the end of a call.
  uint64_t lock_callbacks() const {
    return lock_cache_.callbacks_received() + (progress_ ? progress_->callbacks_drained() : 0);
  }
  // Objects the servers called contended, and the I/O calls that used
  // server-side locking on them / were refused it (docs/LOCKS.md,
  // "Contended objects").
  const ContentionMarks& contention() const { return contention_; }
  uint64_t server_locked_ios() const { return server_locked_ios_.load(); }
  uint64_t server_lock_refusals() const { return server_lock_refusals_.load(); }
  // Cached bytes the progress thread wrote behind (sent before a flush).
  uint64_t written_behind() const { return written_behind_.load(); }
  // Application locks (lib/client/file_locks.cpp): open-handle ids, and the
  // inodes on which this process may hold fcntl-style locks (so that close
  // knows whether to release them).
  uint64_t next_handle_id() { return next_handle_.fetch_add(1); }
  void note_fcntl_locks(uint64_t ino);
  // True (and forgets ino) if this process may hold fcntl locks on ino.
  bool forget_fcntl_locks(uint64_t ino);
  // Request ids: unique across the application and progress threads.
  uint64_t next_request_id() { return next_request_.fetch_add(1); }

  // Striped data path over the objects of layout (see layout_math.hpp).
  Status write(const Layout& layout, uint64_t offset, const void* buf, size_t len,
               IoLocking locking = {});
  // Returns bytes read: len unless the read crosses end of file.
  Result<size_t> read(const Layout& layout, uint64_t offset, void* buf, size_t len,
                      IoLocking locking = {});
  // Vectored transfers: the data is the concatenation of the pieces in the
  // given order, in one caller buffer (`stream`). Object-contiguous runs merge
  // into large RPCs whatever the order of the pieces. Reads zero-fill holes
  // and bytes past end of file.
  Status write_pieces(const Layout& layout, std::span<const layout::FilePiece> pieces,
                      const void* stream, IoLocking locking = {});
  Status read_pieces(const Layout& layout, std::span<const layout::FilePiece> pieces, void* stream,
                     IoLocking locking = {});
  // File size from every object's size; *mtime gets the latest object mtime.
  // With locking, takes PR locks on the whole of every object first, so
  // other clients' cached writes are flushed and counted.
  Result<uint64_t> glimpse(const Layout& layout, Timespec* mtime, IoLocking locking = {});
  // Appends len bytes at the end of the file; returns the offset they went
  // to. With locking, under PW locks on the whole of every object, so
  // concurrent appends from any client never overlap (POSIX O_APPEND).
  Result<uint64_t> append(const Layout& layout, const void* buf, size_t len,
                          IoLocking locking = {});
  // With locking, under PW locks on the whole of every object.
  Status truncate_objects(const Layout& layout, uint64_t size, IoLocking locking = {});
  // Drops this client's cached writes to the objects, then destroys them.
  Status destroy_objects(const Layout& layout);
  // Flushes this client's cached writes to the objects, then makes them durable.
  Status sync_objects(const Layout& layout);
  // Sends this client's cached writes to the layout's objects (close, and
  // MPI_File_sync on every rank) and forgets what it read of them. Returns a
  // write-back error that happened in the background (a lock callback's
  // flush) since the last call, once.
  Status flush(const Layout& layout);

  // What the servers announced in HELLO (wire::kFeature* bits).
  uint32_t server_features() const { return server_features_; }
  // End-to-end checksums (docs/DURABILITY.md): writes carry the CRC-32C of
  // their data and reads ask for and check it. On by default.
  void set_checksums(bool on) { checksums_ = on; }
  bool checksums() const { return checksums_; }

  // Write-back cache limit in bytes (0: every write goes straight to the
  // servers). Default kDefaultCacheBytes; set before the first write.
  // 0 also turns the read cache off (docs/LOCKS.md, "Read cache").
  // Without a progress thread the limit stays 0 (nothing is cached).
  void set_cache_limit(uint64_t bytes) {
    cache_limit_ = call_scoped_locks_ ? 0 : bytes;
    if (cache_limit_ == 0) read_cache_.set_limit(0);
  }
  uint64_t cache_limit() const { return cache_limit_; }
  // Read cache limit in bytes ([client] read_cache_max); stays 0 while the
  // write-back limit is 0 or without a progress thread. Call after
  // set_cache_limit.
  void set_read_cache_limit(uint64_t bytes) {
    read_cache_.set_limit(call_scoped_locks_ || cache_limit_ == 0 ? 0 : bytes);
  }
  const WriteCache& write_cache() const { return write_cache_; }
  const ReadCache& read_cache() const { return read_cache_; }
  static constexpr uint64_t kDefaultCacheBytes = 64ull << 20;
  // A cached extent this long (or max_rpc_bytes if smaller) is written
  // behind by the progress thread while the application goes on.
  static constexpr uint64_t kWriteBehindBytes = 1ull << 20;
  // Only per-object pieces shorter than this are cached; larger ones go
  // straight to the servers (one large RPC either way).
  static constexpr uint64_t kCacheBelow = 1ull << 20;
  // Repair primitives of scrub and rebuild (lib/client/client_repair.cpp).
  // Data moves in chunks, each under a PW lock on that chunk of the stripe
  // (with locking); this client's cached writes to it go out first. Blocking.
  // Makes copy `bad` of the stripe equal to the first other copy that can be
  // read (holes stay holes), syncs it and clears its stale mark. Returns the
  // bytes written.
  Result<uint64_t> resync_copy(const Layout& layout, uint32_t stripe, uint32_t bad);
  // Rewrites [start, end) of copy `bad` (widened to whole pages) from the
  // other copies (the first that reads).
  Status repair_copy_range(const Layout& layout, uint32_t stripe, uint32_t bad, uint64_t start,
                           uint64_t end);
  // One RPC about one object copy; the reply body in *reply.
  Status object_rpc(const StripeTarget& t, wire::MsgType type, std::vector<uint8_t> body,
                    std::vector<uint8_t>* reply) {
    std::lock_guard<std::mutex> lock(mu_);
    return object_call(t, type, std::move(body), reply);
  }

  // Group lock (File::group_lock; docs/LOCKS.md, "Group locks"): GROUP
  // extent locks with group id gid (> 0) on the whole of every object of
  // layout, one object at a time in stripe order. Blocking until granted:
  // other clients' conflicting locks are called back (their cached writes
  // written back); this client's own cached writes to the objects are sent
  // and its cached reads dropped first. The locks stay in use (no call
  // reuses them, callbacks do not cancel them) until group_unlock. On error
  // nothing is held.
  Status group_lock(const Layout& layout, uint64_t gid, std::vector<LockRef>* held);
  // Ends the uses of *held and cancels the locks no other handle of this
  // client still uses; clears *held. Blocking.
  void group_unlock(std::vector<LockRef>* held);

  // Sends DISCONNECT to every server (the end of this client's session).
  Status disconnect();
  // Sends SHUTDOWN to every server (standalone server jobs).
  Status shutdown_servers();

  // A control RPC to one server: body in, reply body out.
  Status control_call(int server, wire::MsgType type, std::vector<uint8_t> body,
                      std::vector<uint8_t>* reply_body);

  static constexpr int kMdsServer = 0;
  // Object writes of at least this many bytes use OBJ_WRITE_BULK.
  static constexpr uint64_t kBulkWriteBytes = 64 * 1024;

 private:
  // Runs calls (at most kWindow at a time) and checks every reply header.
  Status run(std::vector<transport::Call>& calls, std::vector<std::vector<uint8_t>>* bodies);
  transport::Call make_call(int server, wire::MsgType type, const std::vector<uint8_t>& body,
                            uint64_t data_len);
  // One call to every copy of every stripe (truncate, destroy, sync); the
  // first error is returned, every call completes.
  Status per_copy(const Layout& layout, wire::MsgType type,
                  const std::function<std::vector<uint8_t>(const StripeTarget&, uint32_t)>& body_for);
  // As per_copy; REQUIRES mu_.
  Status per_copy_locked(const Layout& layout, wire::MsgType type,
                         const std::function<std::vector<uint8_t>(const StripeTarget&, uint32_t)>& body_for);
  // OBJ_STAT of every stripe from its first readable copy; REQUIRES mu_.
  Status stat_objects_locked(const Layout& layout, std::vector<std::vector<uint8_t>>* bodies);
  // write_pieces and glimpse without taking mu_. REQUIRES mu_; the caller
  // holds whatever locks it needs beyond those write_pieces_locked takes.
  Status write_pieces_locked(const Layout& layout, std::span<const layout::FilePiece> pieces,
                             const void* stream, IoLocking locking, bool caller_holds_locks);
  // The cached-write fast path of write(): a small write into one stripe
  // unit, under a PW lock already cached, goes into the write-back cache
  // without planning or allocating. nullopt: not applicable (or out of cache
  // memory), take the general path; else the call's result.
  std::optional<Status> try_cache_fast(const Layout& layout, uint64_t offset, const void* buf,
                                       size_t len, IoLocking locking);
  Result<uint64_t> glimpse_locked(const Layout& layout, Timespec* mtime);

  Status to_every_server(wire::MsgType type);
  // REQUIRES mu_.
  Status object_call(const StripeTarget& t, wire::MsgType type, std::vector<uint8_t> body,
                     std::vector<uint8_t>* reply);
  // Takes a PW lock on `extent` of the stripe (with locking) and writes back
  // our cached writes to the stripe. REQUIRES mu_.
  Status lock_stripe_for_repair(const Layout& layout, uint32_t stripe, locks::Extent extent,
                                std::vector<LockRef>* held);
  // The size of the first of `sources` that answers OBJ_STAT. REQUIRES mu_.
  Result<uint64_t> first_copy_size(const std::vector<StripeTarget>& sources);
  // Copies [start, end) from the first readable of `sources` to `target`
  // through buf (its size is the chunk); returns the bytes written. With
  // skip_zeros, all-zero chunks are not written. REQUIRES mu_.
  Result<uint64_t> copy_range(const std::vector<StripeTarget>& sources, const StripeTarget& target,
                              uint64_t start, uint64_t end, bool skip_zeros,
                              std::vector<uint8_t>& buf);
  Status read_pieces_impl(const Layout& layout, std::span<const layout::FilePiece> pieces,
                          void* stream, bool* short_read, IoLocking locking);
  // The data phase of a read (lib/client/client_reads.cpp): every request of
  // plan into stream, *received[i] bytes of request i (fewer at a hole or
  // the end of an object). With `locks` (the call's extent locks, held) the
  // read cache serves what it has, reads ahead of sequential reads within
  // the locks' extents, and keeps what arrives; without, every byte comes
  // from the servers. REQUIRES mu_ and the data phase (flush_mu_).
  Status read_plan(const Layout& layout, std::span<const layout::ObjectRequest> plan,
                   const std::vector<LockRef>* locks, void* stream, std::vector<size_t>* received);
  // The read-cache fast path of read(): a small read inside one stripe unit,
  // under a lock this client already holds, served entirely by the read
  // cache. False: take the general path.
  bool read_cache_fast(const Layout& layout, uint64_t offset, void* buf, size_t len,
                       IoLocking locking);
  // Reads shorter than this use the read cache (larger ones are one-copy
  // RPCs already; a cache would only add copies).
  static constexpr uint64_t kReadCacheBelow = 64 * 1024;
  // Takes a lock of `mode` on every object the plan touches (the hull of
  // its extents per object), one object at a time in stripe index order, so
  // two multi-object calls never wait for each other in a cycle. Cached
  // locks are reused. On error nothing stays in use. REQUIRES mu_.
  Status lock_plan(const Layout& layout, std::span<const layout::ObjectRequest> plan,
                   locks::Mode mode, const IoLocking& locking, std::vector<LockRef>* held);
  // As lock_plan, for given per-stripe extents (stripe index -> extent).
  // gid: the group id of GROUP locks (0 otherwise).
  Status lock_hulls(const Layout& layout, const std::map<uint32_t, locks::Extent>& hulls,
                    locks::Mode mode, const IoLocking& locking, std::vector<LockRef>* held,
                    uint64_t gid = 0);
  // Whole-object locks on every stripe of layout (size queries, truncate).
  Status lock_whole(const Layout& layout, locks::Mode mode, const IoLocking& locking,
                    std::vector<LockRef>* held);
  void unlock(const std::vector<LockRef>& held);
  // Cancels, from this thread and over the core's transport, the locks of
  // contended objects the call just used (they are not kept; sending the
  // cancels here keeps the progress thread asleep). REQUIRES mu_.
  void cancel_dropped_locks();
  // Server-side locking (lib/client/client_srvlock.cpp): whether a call
  // with this plan may use it (one request, one copy, a contended object),
  // and the call done that way. EBUSY: the server refused (a conflicting
  // lock exists); the caller then takes locks as usual. REQUIRES mu_.
  bool server_side_eligible(const Layout& layout,
                            std::span<const layout::ObjectRequest> plan) const;
  Status write_server_locked(const Layout& layout, const layout::ObjectRequest& r,
                             const void* stream);
  Status read_server_locked(const Layout& layout, const layout::ObjectRequest& r, void* stream,
                            size_t* received);

  // Write-back. send_dirty sends extents over t (the core's transport, or
  // the progress thread's). A failure is returned; in the background (the
  // progress thread: nobody to return it to) it is also kept as the sticky
  // error for the next flush. REQUIRES flush_mu_.
  Status send_dirty(transport::ClientTransport& t, std::vector<DirtyObject>& objects,
                    bool background);
  // Takes and sends the dirty data of the layout's objects. REQUIRES flush_mu_.
  Status flush_layout_locked(const Layout& layout);
  // The progress thread's hook before it cancels a lock: flushes the object.
  void flush_for_cancel(const LockRef& ref, transport::ClientTransport& t);
  // Write-behind (docs/LOCKS.md, "Client cache"): once a cached extent of an
  // object holds kWriteBehindBytes (or max_rpc_bytes), the object is queued
  // and the progress thread sends its cached writes over its own transport
  // while the application goes on caching. REQUIRES flush_mu_.
  void queue_write_behind(const ObjectKey& key, uint64_t extent_length);
  // The progress thread's background hook: sends the queued objects' cached
  // writes without holding flush_mu_ (the data is out of the cache and
  // counted in inflight_). True if it sent anything.
  bool write_behind(transport::ClientTransport& t);
  // The data phase of a call that sends file data or reads what must
  // include it: flush_mu_, after every write-behind in flight has landed.
  std::unique_lock<std::mutex> data_phase();
  // Waits (on a held flush_mu_) until no write-behind is in flight.
  void wait_inflight(std::unique_lock<std::mutex>& data);
  // Sends extents (no bookkeeping; no lock needed): targets[i] are the
  // copies of objects[i].
  Status send_extents(transport::ClientTransport& t, const std::vector<DirtyObject>& objects,
                      const std::vector<std::vector<StripeTarget>>& targets);
  // The copies to write an object's cached data to. REQUIRES flush_mu_.
  std::vector<StripeTarget> targets_of(const ObjectKey& key) const;
  // A server evicted us: its cached writes are lost; remember the error.
  void drop_server(uint32_t server, const Status& why);
  Status take_sticky_error();  // REQUIRES flush_mu_

  static constexpr size_t kWindow = 64;
  std::unique_ptr<transport::ClientTransport> transport_;
  uint64_t max_rpc_bytes_;
  wire::Credentials cred_;
  std::mutex mu_;            // serialises exchanges on the transport
  std::atomic<uint64_t> next_request_{1};
  std::atomic<uint64_t> next_handle_{1};
  std::mutex app_mu_;
  std::set<uint64_t> fcntl_inos_;  // guarded by app_mu_
  LockCache lock_cache_;
  ReadCache read_cache_;
  ContentionMarks contention_;
  std::vector<LockRef> drop_after_call_;  // guarded by mu_: locks not to keep
  // guarded by mu_: read-ahead buffers, reused (a deque: growing it keeps
  // the buffers a call already uses where they are)
  std::deque<std::vector<uint8_t>> ahead_bufs_;
  static constexpr size_t kKeptAheadBuffers = 4;  // kept between calls
  std::atomic<uint64_t> server_locked_ios_{0};
  std::atomic<uint64_t> server_lock_refusals_{0};
  WriteCache write_cache_;
  uint64_t cache_limit_ = kDefaultCacheBytes;
  // Orders every send of file data (cached or not) and the reads that must
  // see it: held for the data phase of each read/write call and by every
  // flush (the progress thread's too). Lock order: mu_ before flush_mu_;
  // nobody waits for a lock grant while holding flush_mu_.
  std::mutex flush_mu_;
  Status sticky_error_;  // guarded by flush_mu_: a background write-back failure
  // Write-behind: objects queued for it, and sends in flight (guarded by
  // flush_mu_; inflight_cv_ is signalled when inflight_ drops).
  std::set<ObjectKey> behind_;
  std::atomic<bool> behind_pending_{false};
  std::atomic<uint64_t> written_behind_{0};
  int inflight_ = 0;
  std::condition_variable inflight_cv_;
  // Every copy of the replicated objects in the write-back cache, by the
  // primary's key (guarded by flush_mu_).
  std::map<ObjectKey, std::vector<StripeTarget>> copies_of_;
  bool checksums_ = true;
  uint32_t server_features_ = 0;
  std::unique_ptr<LockProgress> progress_;  // null: no locking
  bool call_scoped_locks_ = false;          // set once, by enable_locking
  bool disconnected_ = false;  // guarded by mu_
  friend class HeldLocks;
};

// The locks one call took (refs): their uses end on every return path, then
// the core cancels those it does not keep (ClientCore::cancel_dropped_locks).
// REQUIRES the core's mu_ for its whole life.
class HeldLocks {
 public:
  explicit HeldLocks(ClientCore& core) : core_(core) {}
  ~HeldLocks();
  HeldLocks(const HeldLocks&) = delete;
  HeldLocks& operator=(const HeldLocks&) = delete;
  std::vector<LockRef> refs;

 private:
  ClientCore& core_;
};

// The caller's memory that request r of a plan writes from / reads into:
// its segments inside the call's stream buffer.
std::vector<transport::ConstSegment> source_segments(const layout::ObjectRequest& r,
                                                     const void* stream);
std::vector<transport::MutSegment> target_segments(const layout::ObjectRequest& r, void* stream);
// Zeroes the bytes of r's pieces in stream past the first `received` (a
// read that stopped at a hole or the end of the object).
void zero_tail(const layout::ObjectRequest& r, size_t received, void* stream);
// Checks a reply frame against the call and extracts its body; a server
// error reply becomes its Status (with the server's message).
Status parse_reply(const transport::Call& call, uint16_t request_type,
                   std::vector<uint8_t>* body);
// EPROTO unless layout is non-empty and names only servers below `servers`.
Status check_layout(const Layout& layout, int servers);
// Runs calls over t, at most `window` at a time, and checks every reply
// header (the first error is returned; every call completes). Blocking.
// each (optional) gets every call's own status; a transport failure is
// returned at once, with *each incomplete.
Status exchange_all(transport::ClientTransport& t, std::vector<transport::Call>& calls,
                    std::vector<std::vector<uint8_t>>* bodies, size_t window,
                    std::vector<Status>* each = nullptr);

}  // namespace nacre::client
