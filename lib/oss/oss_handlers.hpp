// Decodes object RPCs, calls the ObjectStore, encodes the replies.
#pragma once

#include "locks/extent.hpp"
#include "oss/replica_marks.hpp"
#include "store/object_store.hpp"
#include "wire/rpc.hpp"

#include <functional>
#include <vector>

namespace nacre::oss {

bool is_oss_request(uint16_t type);

// The lock server's check for server-side locked I/O (LockService::
// server_side_lock of the sender): OK to apply now, or EBUSY; *contended
// says whether to flag the reply.
using ServerSideLock =
    std::function<Status(uint64_t object_id, const locks::Extent& extent, bool write, bool* contended)>;

// Serves one object request. read_buffer is reused across calls to hold read
// data; reply.data points into it until the next call. A non-OK `gate`
// (the sender was evicted by the lock server) refuses the request with that
// status once the reply shape is known. Reads and stats of an object that
// `marks` call unreadable (a stale copy) fail with ENODATA; writes, truncates
// and syncs still apply to it. Writes and reads flagged kObjFlagSrvLock are
// applied only when `srvlock` allows (EPROTO without one).
Status handle_oss_request(store::ObjectStore& store, ReplicaMarks& marks, uint64_t max_rpc_bytes,
                          const wire::Request& req, wire::Reply& reply,
                          std::vector<uint8_t>& read_buffer, const Status& gate = Status::ok(),
                          const ServerSideLock& srvlock = {});

}  // namespace nacre::oss
