// ClientCore: the repair primitives of scrub and rebuild (docs/DURABILITY.md,
// "Scrub, rebuild, fsck"). Each runs under a PW lock on the whole stripe
// (when locking is on), so no client writes the stripe meanwhile, and after
// this client's own cached writes to it went out.
#include "client/client_core.hpp"

#include "client/copy_reads.hpp"
#include "client/copy_writes.hpp"

#include <algorithm>

namespace nacre::client {

using transport::Call;
using wire::MsgType;

namespace {
// Holds the uses of the locks taken, released on every return path.
class StripeLock {
 public:
  explicit StripeLock(LockCache& cache) : cache_(cache) {}
  ~StripeLock() {
    for (const auto& r : refs) cache_.unuse(r);
  }
  std::vector<LockRef> refs;

 private:
  LockCache& cache_;
};

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}
}  // namespace

Status ClientCore::lock_stripe_for_repair(const Layout& layout, uint32_t stripe,
                                          std::vector<LockRef>* held) {
  if (progress_) {
    std::map<uint32_t, locks::Extent> hull{{stripe, locks::Extent::whole()}};
    IoLocking locking;
    locking.no_expand = true;
    NACRE_RETURN_IF_ERROR(lock_hulls(layout, hull, locks::Mode::PW, locking, held));
  }
  if (disconnected_)
    return Status::error(ENOTCONN, "this client has shut down (Runtime::shutdown was called)");
  std::lock_guard<std::mutex> data(flush_mu_);
  const StripeTarget& t = layout.stripes[stripe];
  auto mine = write_cache_.take(ObjectKey{t.server, t.object_id});
  if (mine.empty()) return Status::ok();
  std::vector<DirtyObject> dirty{DirtyObject{ObjectKey{t.server, t.object_id}, std::move(mine)}};
  return send_dirty(*transport_, dirty, false);
}

Status ClientCore::object_call(const StripeTarget& t, MsgType type, std::vector<uint8_t> body,
                               std::vector<uint8_t>* reply) {
  std::vector<Call> calls;
  calls.push_back(make_call(static_cast<int>(t.server), type, body, 0));
  std::vector<std::vector<uint8_t>> bodies;
  NACRE_RETURN_IF_ERROR(run(calls, &bodies));
  if (reply) *reply = std::move(bodies[0]);
  return Status::ok();
}

Result<uint64_t> ClientCore::resync_copy(const Layout& layout, uint32_t stripe, uint32_t bad) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  if (stripe >= layout.stripe_count() || bad >= layout.copies())
    return Status::error(EINVAL, "resync: no copy " + std::to_string(bad) + " of stripe " +
                                     std::to_string(stripe));
  std::vector<StripeTarget> sources;  // every other copy, in copy order
  for (uint32_t c = 0; c < layout.copies(); ++c)
    if (c != bad) sources.push_back(layout.copy(c, stripe));
  const StripeTarget target = layout.copy(bad, stripe);
  if (sources.empty())
    return Status::error(EIO, "object " + std::to_string(target.object_id) +
                                  " has no other copy to resync from");
  std::lock_guard<std::mutex> lock(mu_);
  StripeLock held(lock_cache_);
  NACRE_RETURN_IF_ERROR(lock_stripe_for_repair(layout, stripe, &held.refs));
  std::lock_guard<std::mutex> data(flush_mu_);
  // The size of the first source that answers.
  uint64_t size = 0;
  Status sized = Status::error(EIO, "no source copy answered");
  for (const auto& s : sources) {
    std::vector<uint8_t> body;
    sized = object_call(s, MsgType::kObjStat, wire::encode_body(wire::ObjRequest{s.object_id}), &body);
    wire::ObjStatReply st;
    if (sized) sized = wire::decode_body(body, st, "OBJ_STAT reply");
    if (sized) {
      size = st.size;
      break;
    }
  }
  NACRE_RETURN_IF_ERROR(sized.with_context("resync of object " + std::to_string(target.object_id)));
  // Start from nothing: what the stale copy held is not trusted.
  NACRE_RETURN_IF_ERROR(object_call(target, MsgType::kObjTruncate,
                                    wire::encode_body(wire::ObjTruncateRequest{target.object_id, 0}),
                                    nullptr));
  const uint64_t chunk = std::min<uint64_t>(max_rpc_bytes_, 4ull << 20);
  std::vector<uint8_t> buf(static_cast<size_t>(chunk));
  uint64_t written = 0;
  for (uint64_t at = 0; at < size; at += chunk) {
    const uint64_t n = std::min(chunk, size - at);
    CopyReads reads(checksums_, [this] { return next_request_id(); });
    reads.add(sources, at, n, {{buf.data(), static_cast<size_t>(n)}});
    NACRE_RETURN_IF_ERROR(reads.run(*transport_, 1, /*repair=*/true));
    const size_t got = reads.received(0);
    std::fill(buf.begin() + static_cast<long>(got), buf.begin() + static_cast<long>(n), 0);
    if (all_zero(buf.data(), static_cast<size_t>(n))) continue;  // a hole stays a hole
    CopyWrites writes(checksums_, [this] { return next_request_id(); });
    writes.add({target}, at, n, {{buf.data(), static_cast<size_t>(n)}});
    NACRE_RETURN_IF_ERROR(writes.run(*transport_, 1));
    written += n;
  }
  if (size > 0) {
    NACRE_RETURN_IF_ERROR(object_call(
        target, MsgType::kObjTruncate,
        wire::encode_body(wire::ObjTruncateRequest{target.object_id, size}), nullptr));
    NACRE_RETURN_IF_ERROR(object_call(target, MsgType::kObjSync,
                                      wire::encode_body(wire::ObjRequest{target.object_id}), nullptr));
  } else {  // an empty source: no object file, as on a server that never got data
    NACRE_RETURN_IF_ERROR(object_call(target, MsgType::kObjDestroy,
                                      wire::encode_body(wire::ObjRequest{target.object_id}), nullptr));
  }
  NACRE_RETURN_IF_ERROR(object_call(
      target, MsgType::kObjSetStale, wire::encode_body(wire::ObjSetStaleRequest{target.object_id, false}),
      nullptr));
  return written;
}

Status ClientCore::repair_copy_range(const Layout& layout, uint32_t stripe, uint32_t bad,
                                     uint64_t start, uint64_t end) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  if (stripe >= layout.stripe_count() || bad >= layout.copies() || start > end)
    return Status::error(EINVAL, "repair: bad arguments");
  std::vector<StripeTarget> sources;
  for (uint32_t c = 0; c < layout.copies(); ++c)
    if (c != bad) sources.push_back(layout.copy(c, stripe));
  const StripeTarget target = layout.copy(bad, stripe);
  if (sources.empty())
    return Status::error(EIO, "object " + std::to_string(target.object_id) + " bytes [" +
                                  std::to_string(start) + ", " + std::to_string(end) +
                                  ") are damaged and there is no other copy");
  start = start / kRepairUnit * kRepairUnit;
  end = (end + kRepairUnit - 1) / kRepairUnit * kRepairUnit;
  std::lock_guard<std::mutex> lock(mu_);
  StripeLock held(lock_cache_);
  NACRE_RETURN_IF_ERROR(lock_stripe_for_repair(layout, stripe, &held.refs));
  std::lock_guard<std::mutex> data(flush_mu_);
  const uint64_t chunk = std::min<uint64_t>(max_rpc_bytes_, 4ull << 20);
  std::vector<uint8_t> buf;
  for (uint64_t at = start; at < end; at += chunk) {
    const uint64_t n = std::min(chunk, end - at);
    buf.assign(static_cast<size_t>(n), 0);
    CopyReads reads(checksums_, [this] { return next_request_id(); });
    reads.add(sources, at, n, {{buf.data(), buf.size()}});
    Status got_it = reads.run(*transport_, 1, /*repair=*/false);
    if (!got_it)
      return Status::error(got_it.code(), "no other copy has good bytes there: " + got_it.to_string());
    const size_t got = reads.received(0);
    if (got == 0) break;  // past the end of the good copy
    CopyWrites writes(checksums_, [this] { return next_request_id(); });
    writes.add({target}, at, got, {{buf.data(), got}});
    NACRE_RETURN_IF_ERROR(writes.run(*transport_, 1));
  }
  return Status::ok();
}

}  // namespace nacre::client
