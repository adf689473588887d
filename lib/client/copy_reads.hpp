// Object reads that fail over between the copies of a replicated file and
// check the CRC-32C of what arrived (docs/DURABILITY.md, "Replicas" and
// "Checksums").
#pragma once

#include "store/object_store.hpp"
#include "transport/transport.hpp"

#include <nacre/layout.hpp>
#include <nacre/status.hpp>

#include <functional>
#include <vector>

namespace nacre::client {

// Errors after which another copy of the object may still have good data:
// a disk or checksum error (EIO), a stale or rebuilding copy (ENODATA),
// data damaged in transit (EBADMSG).
bool try_another_copy(int code);

// Repairs rewrite whole pages of this size (the stores' checksum page), so
// that a partly covered damaged page is replaced entirely.
inline constexpr uint64_t kRepairUnit = store::kChecksumPage;

// Reads of one call (not thread-safe; one per I/O call).
class CopyReads {
 public:
  // extra_flags go into every read request (kObjFlagSrvLock).
  CopyReads(bool checksums, std::function<uint64_t()> next_request_id, uint32_t extra_flags = 0)
      : checksums_(checksums), next_id_(std::move(next_request_id)), extra_flags_(extra_flags) {}

  // One read of `length` bytes at object offset `offset`, into `segments`
  // of the caller's memory (lengths summing to `length`), from the first
  // copy that has them (primary first).
  void add(std::vector<StripeTarget> copies, uint64_t offset, uint64_t length,
           std::vector<transport::MutSegment> segments);
  size_t size() const { return ranges_.size(); }

  // Reads every range from its primary, then each range that failed with
  // try_another_copy() from its next copy, and so on. With `repair`, pages
  // of a copy that failed with a disk or checksum error (EIO) are rewritten
  // from the copy that answered (best effort, logged); stale copies are left
  // to scrub. Returns the first range's error when no copy of it answered
  // (the message names every copy's error). Blocking.
  Status run(transport::ClientTransport& t, size_t window, bool repair);

  // Bytes of range i that arrived (less than its length at a hole / end of
  // the object). Valid after run() returned OK.
  size_t received(size_t i) const { return ranges_[i].received; }
  // After run(): the union of the flags of the replies that answered
  // (ObjSizeReply.flags, e.g. kObjReplyContended).
  uint32_t reply_flags() const { return reply_flags_; }

 private:
  struct Range {
    std::vector<StripeTarget> copies;
    uint64_t offset = 0, length = 0;
    std::vector<transport::MutSegment> segments;
    uint32_t next_copy = 0;     // the copy the next attempt goes to
    std::vector<Status> errors;  // per failed attempt
    size_t received = 0;
    bool done = false;
  };
  transport::Call read_call(const StripeTarget& target, uint64_t offset, uint64_t length,
                            std::vector<transport::MutSegment> segments);
  // The flags of a reply that arrived (0 if it does not decode).
  static uint32_t reply_flags_of(const transport::Call& call);
  // The checksum in the reply against the bytes that arrived.
  Status check_crc(const transport::Call& call) const;
  // Rewrites the whole pages of r on the copies that failed with EIO, from
  // copy `good`.
  void repair_range(transport::ClientTransport& t, const Range& r, uint32_t good);

  bool checksums_;
  std::function<uint64_t()> next_id_;
  uint32_t extra_flags_ = 0;
  uint32_t reply_flags_ = 0;
  std::vector<Range> ranges_;
};

}  // namespace nacre::client
