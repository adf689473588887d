// Object writes to every copy of a replicated file (docs/DURABILITY.md,
// "Replicas"), each call carrying the CRC-32C of its data when checksums
// are on. Used for direct writes and for write-back of cached data.
#pragma once

#include "transport/transport.hpp"

#include <nacre/layout.hpp>
#include <nacre/status.hpp>

#include <functional>
#include <vector>

namespace nacre::client {

// The copies of stripe i of layout, primary first.
std::vector<StripeTarget> copy_targets(const Layout& layout, uint32_t stripe);

// True for errors that mean "this copy could not store the data" (a disk
// error, a full disk): the other copies may go on without it.
bool is_copy_failure(int code);

// Writes of one call (not thread-safe; one per I/O call).
class CopyWrites {
 public:
  // extra_flags go into every write request (kObjFlagSrvLock).
  CopyWrites(bool checksums, std::function<uint64_t()> next_request_id, uint32_t extra_flags = 0)
      : checksums_(checksums), next_id_(std::move(next_request_id)), extra_flags_(extra_flags) {}

  // One write of `length` bytes at object offset `offset` to each copy
  // (primary first), all from the same segments of the caller's memory,
  // which must stay valid until run() returns.
  void add(const std::vector<StripeTarget>& copies, uint64_t offset, uint64_t length,
           std::vector<transport::ConstSegment> segments);
  bool empty() const { return calls_.empty(); }

  // Sends every write (window calls at a time) and settles partial failures:
  //  * every copy stored it: OK;
  //  * the primary stored it and some mirror had a copy failure (or the
  //    primary had one and some mirror stored it): the failed copies are
  //    marked stale on their servers (OBJ_SET_STALE) and the write succeeds;
  //    if a mark fails, its error is returned (a copy that refused for
  //    another reason is marked too, and its error returned);
  //  * the primary refused for any other reason (an evicted client, a bad
  //    request): the mirrors that stored the write are marked stale (the
  //    primary is the authority) and the primary's error is returned;
  //  * no copy stored it: the primary's error.
  // Blocking.
  Status run(transport::ClientTransport& t, size_t window);
  // After run(): the union of the flags of the replies that decoded
  // (ObjSizeReply.flags, e.g. kObjReplyContended).
  uint32_t reply_flags() const { return reply_flags_; }

 private:
  struct Tag {
    size_t group = 0;   // one object range
    uint32_t copy = 0;  // 0: primary
    StripeTarget target;
  };
  transport::Call make(int server, uint16_t type, const std::vector<uint8_t>& body, uint64_t len);
  bool checksums_;
  std::function<uint64_t()> next_id_;
  uint32_t extra_flags_ = 0;
  uint32_t reply_flags_ = 0;
  std::vector<transport::Call> calls_;
  std::vector<Tag> tags_;
  size_t groups_ = 0;
};

}  // namespace nacre::client
