// ClientCore: the repair primitives of scrub and rebuild (docs/DURABILITY.md,
// "Scrub, rebuild, fsck"). Data moves in chunks, each under a PW lock on
// that chunk of the stripe (when locking is on): writers of the chunk wait
// for one chunk's copy, never for the whole object, and no lock is held long
// enough for a lock callback to time out. Steps that look at or change the
// whole object take the whole stripe's PW lock, briefly. Our own cached
// writes to the stripe go out first.
#include "client/client_core.hpp"

#include "client/copy_reads.hpp"
#include "client/copy_writes.hpp"

#include <algorithm>

namespace nacre::client {

using transport::Call;
using wire::MsgType;

namespace {
bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

// Every copy of the stripe but `bad`, in copy order.
std::vector<StripeTarget> other_copies(const Layout& layout, uint32_t stripe, uint32_t bad) {
  std::vector<StripeTarget> out;
  for (uint32_t c = 0; c < layout.copies(); ++c)
    if (c != bad) out.push_back(layout.copy(c, stripe));
  return out;
}
}  // namespace

Status ClientCore::lock_stripe_for_repair(const Layout& layout, uint32_t stripe,
                                          locks::Extent extent, std::vector<LockRef>* held) {
  if (progress_) {
    std::map<uint32_t, locks::Extent> hull{{stripe, extent}};
    IoLocking locking;
    locking.no_expand = true;
    NACRE_RETURN_IF_ERROR(lock_hulls(layout, hull, locks::Mode::PW, locking, held));
  }
  if (disconnected_)
    return Status::error(ENOTCONN, "this client has shut down (Runtime::shutdown was called)");
  auto data = data_phase();
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

Result<uint64_t> ClientCore::first_copy_size(const std::vector<StripeTarget>& sources) {
  Status last = Status::error(EIO, "no copy to ask");
  for (const auto& s : sources) {
    std::vector<uint8_t> body;
    last = object_call(s, MsgType::kObjStat, wire::encode_body(wire::ObjRequest{s.object_id}), &body);
    wire::ObjStatReply st;
    if (last) last = wire::decode_body(body, st, "OBJ_STAT reply");
    if (last) return st.size;
  }
  return last;
}

Result<uint64_t> ClientCore::copy_range(const std::vector<StripeTarget>& sources,
                                        const StripeTarget& target, uint64_t start, uint64_t end,
                                        bool skip_zeros, std::vector<uint8_t>& buf) {
  uint64_t written = 0;
  for (uint64_t at = start; at < end;) {
    const uint64_t n = std::min<uint64_t>(buf.size(), end - at);
    CopyReads reads(checksums_, [this] { return next_request_id(); });
    reads.add(sources, at, n, {{buf.data(), static_cast<size_t>(n)}});
    Status got_it = reads.run(*transport_, 1, /*repair=*/true);  // under our PW lock
    if (!got_it)
      return Status::error(got_it.code(), "no other copy has good bytes there: " + got_it.to_string());
    const size_t got = reads.received(0);
    std::fill(buf.begin() + static_cast<long>(got), buf.begin() + static_cast<long>(n), 0);
    if (!skip_zeros || !all_zero(buf.data(), static_cast<size_t>(n))) {
      CopyWrites writes(checksums_, [this] { return next_request_id(); });
      writes.add({target}, at, n, {{buf.data(), static_cast<size_t>(n)}});
      NACRE_RETURN_IF_ERROR(writes.run(*transport_, 1));
      written += n;
    }
    at += n;
  }
  return written;
}

Result<uint64_t> ClientCore::resync_copy(const Layout& layout, uint32_t stripe, uint32_t bad) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  if (stripe >= layout.stripe_count() || bad >= layout.copies())
    return Status::error(EINVAL, "resync: no copy " + std::to_string(bad) + " of stripe " +
                                     std::to_string(stripe));
  const std::vector<StripeTarget> sources = other_copies(layout, stripe, bad);
  const StripeTarget target = layout.copy(bad, stripe);
  read_cache_.drop_object({layout.stripes[stripe].server, layout.stripes[stripe].object_id});
  const std::string what = "resync of object " + std::to_string(target.object_id) + " on server " +
                           std::to_string(target.server);
  if (sources.empty()) return Status::error(EIO, what + ": there is no other copy");
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(max_rpc_bytes_, 4ull << 20)));
  // 1. Whole stripe, briefly: the size to copy, and start the copy from
  // nothing (what a stale copy held is not trusted). From here on, writers
  // keep writing to every copy, this one included.
  uint64_t size = 0;
  {
    HeldLocks held(*this);
    NACRE_RETURN_IF_ERROR(lock_stripe_for_repair(layout, stripe, locks::Extent::whole(), &held.refs));
    auto s = first_copy_size(sources);
    if (!s) return s.status().with_context(what);
    size = *s;
    NACRE_RETURN_IF_ERROR(object_call(target, MsgType::kObjTruncate,
                                      wire::encode_body(wire::ObjTruncateRequest{target.object_id, 0}),
                                      nullptr).with_context(what));
  }
  // 2. Chunk by chunk, each under its own lock. Zeros need no write: the
  // copy is empty there unless a writer wrote the same bytes to every copy.
  uint64_t written = 0;
  for (uint64_t at = 0; at < size; at += buf.size()) {
    const uint64_t end = std::min<uint64_t>(size, at + buf.size());
    HeldLocks held(*this);
    NACRE_RETURN_IF_ERROR(lock_stripe_for_repair(layout, stripe, locks::Extent{at, end}, &held.refs));
    auto n = copy_range(sources, target, at, end, /*skip_zeros=*/true, buf);
    if (!n) return n.status().with_context(what);
    written += *n;
  }
  // 3. Whole stripe again: what grew meanwhile, the final size, durable,
  // and the copy is good again.
  HeldLocks held(*this);
  NACRE_RETURN_IF_ERROR(lock_stripe_for_repair(layout, stripe, locks::Extent::whole(), &held.refs));
  auto now = first_copy_size(sources);
  if (!now) return now.status().with_context(what);
  if (*now > size) {
    auto n = copy_range(sources, target, size, *now, /*skip_zeros=*/true, buf);
    if (!n) return n.status().with_context(what);
    written += *n;
  }
  if (*now > 0) {
    NACRE_RETURN_IF_ERROR(object_call(
        target, MsgType::kObjTruncate,
        wire::encode_body(wire::ObjTruncateRequest{target.object_id, *now}), nullptr).with_context(what));
    NACRE_RETURN_IF_ERROR(object_call(target, MsgType::kObjSync,
                                      wire::encode_body(wire::ObjRequest{target.object_id}), nullptr)
                              .with_context(what));
  } else {  // an empty source: no object file, as on a server that never got data
    NACRE_RETURN_IF_ERROR(object_call(target, MsgType::kObjDestroy,
                                      wire::encode_body(wire::ObjRequest{target.object_id}), nullptr)
                              .with_context(what));
  }
  NACRE_RETURN_IF_ERROR(object_call(
      target, MsgType::kObjSetStale, wire::encode_body(wire::ObjSetStaleRequest{target.object_id, false}),
      nullptr).with_context(what));
  return written;
}

Status ClientCore::repair_copy_range(const Layout& layout, uint32_t stripe, uint32_t bad,
                                     uint64_t start, uint64_t end) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  if (stripe >= layout.stripe_count() || bad >= layout.copies() || start > end)
    return Status::error(EINVAL, "repair: bad arguments");
  const std::vector<StripeTarget> sources = other_copies(layout, stripe, bad);
  const StripeTarget target = layout.copy(bad, stripe);
  read_cache_.drop_object({layout.stripes[stripe].server, layout.stripes[stripe].object_id});
  if (sources.empty())
    return Status::error(EIO, "object " + std::to_string(target.object_id) + " bytes [" +
                                  std::to_string(start) + ", " + std::to_string(end) +
                                  ") are damaged and there is no other copy");
  start = start / kRepairUnit * kRepairUnit;
  end = (end + kRepairUnit - 1) / kRepairUnit * kRepairUnit;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint8_t> buf(static_cast<size_t>(std::min<uint64_t>(max_rpc_bytes_, 4ull << 20)));
  for (uint64_t at = start; at < end; at += buf.size()) {
    const uint64_t chunk_end = std::min<uint64_t>(end, at + buf.size());
    HeldLocks held(*this);
    NACRE_RETURN_IF_ERROR(
        lock_stripe_for_repair(layout, stripe, locks::Extent{at, chunk_end}, &held.refs));
    // Whole pages from the other copy, up to its end, zeros included (the
    // damaged bytes must be overwritten).
    auto size = first_copy_size(sources);
    if (!size) return size.status();
    if (at >= *size) break;
    auto n = copy_range(sources, target, at, std::min(chunk_end, *size), /*skip_zeros=*/false, buf);
    if (!n) return n.status();
  }
  return Status::ok();
}

}  // namespace nacre::client
