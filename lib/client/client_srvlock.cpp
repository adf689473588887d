// ClientCore: server-side locking of contended objects (docs/LOCKS.md,
// "Contended objects"). A call that fits one object request on an
// unreplicated file whose object a server called contended sends its I/O
// flagged kObjFlagSrvLock instead of taking a client extent lock: the server
// applies it in one service-loop step when no other client holds or waits
// for a conflicting lock (so the message is atomic and read-after-write
// holds), else it refuses with EBUSY and the call takes locks as usual.
// Replicated files always take client locks: only they order the writes of
// several clients identically on every copy. Clients without a progress
// thread (call-scoped locks) use it for every call that fits one object
// request, contended or not.
#include "client/client_core.hpp"

#include "client/copy_reads.hpp"
#include "client/copy_writes.hpp"

namespace nacre::client {

bool ClientCore::server_side_eligible(const Layout& layout,
                                      std::span<const layout::ObjectRequest> plan) const {
  if (plan.size() != 1 || layout.copies() != 1) return false;
  // Without a progress thread every such call goes this way: one flagged
  // RPC instead of LOCK_ENQUEUE + the I/O + LOCK_CANCEL, just as atomic.
  if (call_scoped_locks_) return true;
  const StripeTarget& t = layout.stripes[plan[0].stripe_index];
  return contention_.contended(t.server, t.object_id);
}

Status ClientCore::write_server_locked(const Layout& layout, const layout::ObjectRequest& r,
                                       const void* stream) {
  if (disconnected_)
    return Status::error(ENOTCONN, "this client has shut down (Runtime::shutdown was called)");
  const StripeTarget& t = layout.stripes[r.stripe_index];
  auto data = data_phase();
  // Our older cached writes to the range go out first (under the locks
  // that cover them), so they cannot land after this write. Not discarded:
  // if the server refuses this write, the fallback may wait for a lock, and
  // meanwhile the older write must stay whole on the servers.
  const ObjectKey key{t.server, t.object_id};
  read_cache_.invalidate(key, r.object_offset, r.object_offset + r.length);
  if (write_cache_.overlaps(key, r.object_offset, r.object_offset + r.length)) {
    std::vector<DirtyObject> one{DirtyObject{key, write_cache_.take(key)}};
    NACRE_RETURN_IF_ERROR(send_dirty(*transport_, one, false));
  }
  CopyWrites writes(checksums_, [this] { return next_request_id(); }, wire::kObjFlagSrvLock);
  writes.add(copy_targets(layout, r.stripe_index), r.object_offset, r.length,
             source_segments(r, stream));
  NACRE_RETURN_IF_ERROR(writes.run(*transport_, kWindow));
  ++server_locked_ios_;
  if ((writes.reply_flags() & wire::kObjReplyContended) == 0) contention_.clear(t.server, t.object_id);
  return Status::ok();
}

Status ClientCore::read_server_locked(const Layout& layout, const layout::ObjectRequest& r,
                                      void* stream, size_t* received) {
  if (disconnected_)
    return Status::error(ENOTCONN, "this client has shut down (Runtime::shutdown was called)");
  const StripeTarget& t = layout.stripes[r.stripe_index];
  auto data = data_phase();
  // Our own cached writes to these bytes go out first.
  const ObjectKey key{t.server, t.object_id};
  if (write_cache_.overlaps(key, r.object_offset, r.object_offset + r.length)) {
    std::vector<DirtyObject> dirty{DirtyObject{key, write_cache_.take(key)}};
    NACRE_RETURN_IF_ERROR(send_dirty(*transport_, dirty, false));
  }
  CopyReads reads(checksums_, [this] { return next_request_id(); }, wire::kObjFlagSrvLock);
  reads.add(copy_targets(layout, r.stripe_index), r.object_offset, r.length,
            target_segments(r, stream));
  NACRE_RETURN_IF_ERROR(reads.run(*transport_, kWindow, false));
  ++server_locked_ios_;
  if ((reads.reply_flags() & wire::kObjReplyContended) == 0) contention_.clear(t.server, t.object_id);
  *received = reads.received(0);
  return Status::ok();
}

}  // namespace nacre::client
