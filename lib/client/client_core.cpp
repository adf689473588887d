#include "client/client_core.hpp"

#include "client/copy_reads.hpp"
#include "client/copy_writes.hpp"
#include "common/env_ms.hpp"
#include "common/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <string>

namespace nacre::client {

using transport::Call;
using wire::MsgType;

ClientCore::ClientCore(std::unique_ptr<transport::ClientTransport> transport,
                       uint64_t max_rpc_bytes)
    : transport_(std::move(transport)), max_rpc_bytes_(max_rpc_bytes) {
  cred_.uid = static_cast<uint32_t>(::getuid());
  cred_.gid = static_cast<uint32_t>(::getgid());
  const bool threads = transport_->supports_threads();
  if (!threads)
    log::info("MPI was initialised without MPI_THREAD_MULTIPLE: no lock progress thread, so "
              "extent locks are held only during each call and nothing is cached "
              "(docs/LOCKS.md, \"Without a progress thread\")");
  enable_locking(transport_->make_callback_transport(), threads);
}

Status parse_reply(const Call& call, uint16_t request_type, std::vector<uint8_t>* body) {
  const size_t total = call.reply.size() + call.reply_data_received;
  auto h = wire::decode_header(call.reply, total);
  if (!h) return h.status().with_context("bad reply from server " + std::to_string(call.server));
  if (h->request_id != call.request_id || h->type != (request_type | wire::kReplyBit))
    return Status::error(EPROTO, "server " + std::to_string(call.server) +
                                     " answered a different request");
  if (h->status != 0) {
    std::string text;
    if (call.in_data.empty()) {
      const size_t at = wire::kFrameHeaderSize + h->body_len;
      text.assign(reinterpret_cast<const char*>(call.reply.data()) + at, call.reply.size() - at);
    } else {
      size_t left = call.reply_data_received;
      for (const auto& s : call.in_data) {
        const size_t take = std::min(left, s.len);
        text.append(static_cast<const char*>(s.ptr), take);
        left -= take;
      }
    }
    return Status::error(h->status, text.empty() ? "server error" : text);
  }
  if (body) body->assign(call.reply.begin() + wire::kFrameHeaderSize,
                         call.reply.begin() + wire::kFrameHeaderSize + h->body_len);
  return Status::ok();
}

IoLocking io_locking_for(uint32_t flags) {
  IoLocking l;
  l.enabled = (flags & open_flags::kLockless) == 0;
  l.no_expand = (flags & open_flags::kNoExpand) != 0;
  l.write_back = (flags & open_flags::kWriteThrough) == 0;
  return l;
}

IoLocking io_locking_of(const OpenFile& f) {
  IoLocking l = io_locking_for(f.flags);
  if (f.group_gid != 0) {
    l.enabled = false;
    l.write_back = false;
  }
  return l;
}

void ClientCore::enable_locking(std::unique_ptr<transport::ClientTransport> callback_transport,
                                bool progress_thread) {
  if (progress_ || !callback_transport) return;
  call_scoped_locks_ = !progress_thread;
  if (call_scoped_locks_) set_cache_limit(0);
  LockProgressHooks hooks;
  hooks.before_cancel = [this](const LockRef& ref, transport::ClientTransport& t) {
    flush_for_cancel(ref, t);
  };
  hooks.on_evicted = [this](uint32_t server, const Status& why) { drop_server(server, why); };
  hooks.background = [this](transport::ClientTransport& t) { return write_behind(t); };
  progress_ = std::make_unique<LockProgress>(std::move(callback_transport), lock_cache_,
                                             [this] { return next_request_id(); }, std::move(hooks));
  progress_->set_lock_max_age(std::chrono::milliseconds(ms_from_env(
      kEnvLockMaxAge, static_cast<uint64_t>(LockProgress::kDefaultLockMaxAge.count()), 0,
      86400000)));
  if (progress_thread) progress_->start();
}

void ClientCore::note_fcntl_locks(uint64_t ino) {
  std::lock_guard<std::mutex> lock(app_mu_);
  fcntl_inos_.insert(ino);
}

bool ClientCore::forget_fcntl_locks(uint64_t ino) {
  std::lock_guard<std::mutex> lock(app_mu_);
  return fcntl_inos_.erase(ino) != 0;
}

Call ClientCore::make_call(int server, MsgType type, const std::vector<uint8_t>& body,
                           uint64_t data_len) {
  Call c;
  c.server = server;
  c.request_id = next_request_id();
  c.head = wire::build_frame(static_cast<uint16_t>(type), c.request_id, 0, body, data_len);
  return c;
}

// Runs calls over t, at most `window` at a time, and checks every reply.
Status exchange_all(transport::ClientTransport& t, std::vector<Call>& calls,
                    std::vector<std::vector<uint8_t>>* bodies, size_t window,
                    std::vector<Status>* each) {
  if (bodies) bodies->assign(calls.size(), {});
  if (each) each->assign(calls.size(), Status::ok());
  Status first_error;
  for (size_t at = 0; at < calls.size(); at += window) {
    const size_t n = std::min(window, calls.size() - at);
    NACRE_RETURN_IF_ERROR(t.exchange(std::span<Call>(calls.data() + at, n)));
    for (size_t i = at; i < at + n; ++i) {
      const uint16_t type = static_cast<uint16_t>(calls[i].head[6] | (calls[i].head[7] << 8));
      Status s = parse_reply(calls[i], type, bodies ? &(*bodies)[i] : nullptr);
      if (!s && first_error.is_ok()) first_error = s;
      if (each) (*each)[i] = std::move(s);
    }
  }
  return first_error;
}

Status ClientCore::run(std::vector<Call>& calls, std::vector<std::vector<uint8_t>>* bodies) {
  if (bodies) bodies->assign(calls.size(), {});
  if (disconnected_)
    return Status::error(ENOTCONN, "this client has shut down (Runtime::shutdown was called)");
  return exchange_all(*transport_, calls, bodies, kWindow);
}

Status ClientCore::control_call(int server, MsgType type, std::vector<uint8_t> body,
                                std::vector<uint8_t>* reply_body) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Call> calls;
  calls.push_back(make_call(server, type, body, 0));
  std::vector<std::vector<uint8_t>> bodies;
  NACRE_RETURN_IF_ERROR(run(calls, &bodies));
  if (reply_body) *reply_body = std::move(bodies[0]);
  return Status::ok();
}

Status ClientCore::hello() {
  wire::HelloReply rep;
  NACRE_RETURN_IF_ERROR(mds_call(MsgType::kHello, wire::HelloRequest{}, &rep));
  if (static_cast<int>(rep.server_count) != server_count())
    return Status::error(EPROTO, "server reports " + std::to_string(rep.server_count) +
                                     " servers but the job sees " +
                                     std::to_string(server_count()));
  if (rep.max_rpc_bytes < max_rpc_bytes_) max_rpc_bytes_ = rep.max_rpc_bytes;
  server_features_ = rep.features;
  if (max_rpc_bytes_ == 0) return Status::error(EPROTO, "server reports max_rpc_bytes 0");
  // Keep the lease alive: four pings per lease (docs/LOCKS.md, "Client leases").
  if (rep.lease_ms > 0 && progress_ && !call_scoped_locks_)
    progress_->set_ping(server_count(),
                        std::chrono::milliseconds(std::clamp<int64_t>(rep.lease_ms / 4, 20, 10000)));
  return Status::ok();
}

Status check_layout(const Layout& l, int servers) {
  if (l.stripe_size == 0 || l.stripes.empty())
    return Status::error(EPROTO, "file has an empty layout");
  for (const auto& m : l.mirrors)
    if (m.size() != l.stripes.size())
      return Status::error(EPROTO, "layout has a mirror of " + std::to_string(m.size()) +
                                       " stripes for " + std::to_string(l.stripes.size()));
  for (uint32_t c = 0; c < l.copies(); ++c)
    for (uint32_t i = 0; i < l.stripe_count(); ++i) {
      const StripeTarget& s = l.copy(c, i);
      if (static_cast<int>(s.server) >= servers)
        return Status::error(EPROTO, "layout names server " + std::to_string(s.server) +
                                         " of " + std::to_string(servers));
      for (uint32_t d = 0; d < c; ++d)
        if (l.copy(d, i).server == s.server)
          return Status::error(EPROTO, "layout puts two copies of stripe " + std::to_string(i) +
                                           " on server " + std::to_string(s.server));
    }
  return Status::ok();
}

namespace {
Status check_range(uint64_t offset, uint64_t len) {
  if (offset > kMaxFileSize || len > kMaxFileSize - offset)
    return Status::error(EFBIG, "range at offset " + std::to_string(offset) + " of " +
                                    std::to_string(len) +
                                    " bytes goes past the maximum file size 2^60");
  return Status::ok();
}
}  // namespace


Status ClientCore::write(const Layout& layout, uint64_t offset, const void* buf, size_t len,
                         IoLocking locking) {
  if (auto done = try_cache_fast(layout, offset, buf, len, locking)) return *done;
  const layout::FilePiece one{offset, len};
  return write_pieces(layout, std::span<const layout::FilePiece>(&one, 1), buf, locking);
}

Status ClientCore::write_pieces(const Layout& layout, std::span<const layout::FilePiece> pieces,
                                const void* stream, IoLocking locking) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  for (const auto& p : pieces) NACRE_RETURN_IF_ERROR(check_range(p.file_offset, p.length));
  std::lock_guard<std::mutex> lock(mu_);
  return write_pieces_locked(layout, pieces, stream, locking, false);
}

Status ClientCore::write_pieces_locked(const Layout& layout,
                                       std::span<const layout::FilePiece> pieces,
                                       const void* stream, IoLocking locking,
                                       bool caller_holds_locks) {
  const layout::StripeGeometry g{layout.stripe_size, layout.stripe_count()};
  auto plan = layout::plan_pieces(g, pieces, max_rpc_bytes_);
  if (plan.empty()) return Status::ok();
  const bool locked = progress_ && locking.enabled;
  if (locked && !caller_holds_locks && server_side_eligible(layout, plan)) {
    Status s = write_server_locked(layout, plan[0], stream);
    if (s.code() != EBUSY) return s;
    ++server_lock_refusals_;  // a conflicting lock: take ours as usual
  }
  HeldLocks held(*this);
  // A caller holding PW locks that cover the pieces must not ask again: a
  // callback may have marked them since, and a new request would then wait
  // for our own lock.
  if (locked && !caller_holds_locks)
    NACRE_RETURN_IF_ERROR(lock_plan(layout, plan, locks::Mode::PW, locking, &held.refs));
  if (disconnected_)
    return Status::error(ENOTCONN, "this client has shut down (Runtime::shutdown was called)");
  // Data phase: no lock waits from here on (see flush_mu_).
  std::unique_lock<std::mutex> data(flush_mu_);  // waits for write-behind before any send
  const bool cache = locked && locking.write_back && cache_limit_ > 0;
  CopyWrites writes(checksums_, [this] { return next_request_id(); });
  for (const auto& r : plan) {
    const StripeTarget& t = layout.stripes[r.stripe_index];
    const ObjectKey key{t.server, t.object_id};
    read_cache_.invalidate(key, r.object_offset, r.object_offset + r.length);
    // A contended object's lock is dropped right after this call: nothing
    // is cached under it.
    if (cache && r.length < kCacheBelow && !contention_.contended(t.server, t.object_id)) {
      if (layout.copies() > 1 && !copies_of_.count(key))
        copies_of_[key] = copy_targets(layout, r.stripe_index);
      // Under our PW lock: keep it; it is sent on flush, callback or limit.
      uint64_t at = r.object_offset, extent = 0;
      bool kept = true;
      for (const auto& seg : r.segments) {
        kept = write_cache_.put(key, at, static_cast<const uint8_t*>(stream) + seg.buffer_offset,
                                seg.length, &extent);
        if (!kept) break;
        at += seg.length;
      }
      if (kept) {
        if (layout.copies() == 1) queue_write_behind(key, extent);
        continue;
      }
      // Out of cache memory: send what is cached for the object, then this
      // piece goes straight to the server below (after it, so it wins).
      wait_inflight(data);
      std::vector<DirtyObject> one{DirtyObject{key, write_cache_.take(key)}};
      NACRE_RETURN_IF_ERROR(send_dirty(*transport_, one, false));
    }
    // Straight to the server: older cached bytes of the range are superseded.
    if (!write_cache_.discard(key, r.object_offset, r.object_offset + r.length)) {
      wait_inflight(data);
      std::vector<DirtyObject> one{DirtyObject{key, write_cache_.take(key)}};
      NACRE_RETURN_IF_ERROR(send_dirty(*transport_, one, false));
    }
    // Every copy gets the same bytes, straight from the caller's buffer.
    writes.add(copy_targets(layout, r.stripe_index), r.object_offset, r.length,
               source_segments(r, stream));
  }
  // A write-behind in flight may carry older bytes of these ranges: it lands first.
  if (!writes.empty()) wait_inflight(data);
  Status sent = writes.run(*transport_, kWindow);
  if (sent && cache && write_cache_.memory_bytes() > cache_limit_) {
    wait_inflight(data);
    auto all = write_cache_.take_all();  // over the limit: write everything back
    sent = send_dirty(*transport_, all, false);
  }
  return sent;
}

Result<size_t> ClientCore::read(const Layout& layout, uint64_t offset, void* buf, size_t len,
                                IoLocking locking) {
  // No file extends past kMaxFileSize: a read there is a read past end of file.
  if (offset >= kMaxFileSize) return size_t{0};
  len = static_cast<size_t>(std::min<uint64_t>(len, kMaxFileSize - offset));
  if (len == 0) return size_t{0};
  if (read_cache_fast(layout, offset, buf, len, locking)) return len;
  const layout::FilePiece one{offset, len};
  bool short_read = false;
  NACRE_RETURN_IF_ERROR(
      read_pieces_impl(layout, std::span<const layout::FilePiece>(&one, 1), buf, &short_read,
                       locking));
  if (!short_read) return len;
  Timespec ignored;
  auto size = glimpse(layout, &ignored);
  if (!size) return size.status();
  if (*size <= offset) return size_t{0};
  return static_cast<size_t>(std::min<uint64_t>(len, *size - offset));
}

Status ClientCore::read_pieces(const Layout& layout, std::span<const layout::FilePiece> pieces,
                               void* stream, IoLocking locking) {
  for (const auto& p : pieces) NACRE_RETURN_IF_ERROR(check_range(p.file_offset, p.length));
  bool ignored = false;
  return read_pieces_impl(layout, pieces, stream, &ignored, locking);
}

Status ClientCore::read_pieces_impl(const Layout& layout, std::span<const layout::FilePiece> pieces,
                                    void* stream, bool* short_read, IoLocking locking) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  const layout::StripeGeometry g{layout.stripe_size, layout.stripe_count()};
  auto plan = layout::plan_pieces(g, pieces, max_rpc_bytes_);
  *short_read = false;
  if (plan.empty()) return Status::ok();
  std::lock_guard<std::mutex> lock(mu_);
  if (progress_ && locking.enabled && server_side_eligible(layout, plan)) {
    size_t received = 0;
    Status s = read_server_locked(layout, plan[0], stream, &received);
    if (s) {
      *short_read = received < plan[0].length;
      if (*short_read) zero_tail(plan[0], received, stream);
      return s;
    }
    if (s.code() != EBUSY) return s;
    ++server_lock_refusals_;  // a conflicting lock: take ours as usual
  }
  HeldLocks held(*this);
  if (progress_ && locking.enabled)
    NACRE_RETURN_IF_ERROR(lock_plan(layout, plan, locks::Mode::PR, locking, &held.refs));
  if (disconnected_)
    return Status::error(ENOTCONN, "this client has shut down (Runtime::shutdown was called)");
  // Data phase: our own cached writes to these bytes go out first.
  auto data = data_phase();
  {
    std::vector<DirtyObject> dirty;
    for (const auto& r : plan) {
      const StripeTarget& t = layout.stripes[r.stripe_index];
      const ObjectKey key{t.server, t.object_id};
      if (write_cache_.overlaps(key, r.object_offset, r.object_offset + r.length))
        dirty.push_back(DirtyObject{key, write_cache_.take(key)});
    }
    if (!dirty.empty()) NACRE_RETURN_IF_ERROR(send_dirty(*transport_, dirty, false));
  }
  const bool locked = progress_ && locking.enabled;
  std::vector<size_t> received;
  NACRE_RETURN_IF_ERROR(read_plan(layout, plan, locked ? &held.refs : nullptr, stream, &received));
  // Bytes past an object's end are holes or past end of file: zero them.
  for (size_t i = 0; i < plan.size(); ++i) {
    if (received[i] >= plan[i].length) continue;
    *short_read = true;
    zero_tail(plan[i], received[i], stream);
  }
  return Status::ok();
}

std::vector<transport::ConstSegment> source_segments(const layout::ObjectRequest& r,
                                                     const void* stream) {
  std::vector<transport::ConstSegment> segs;
  segs.reserve(r.segments.size());
  for (const auto& sg : r.segments)
    segs.push_back({static_cast<const uint8_t*>(stream) + sg.buffer_offset, sg.length});
  return segs;
}

std::vector<transport::MutSegment> target_segments(const layout::ObjectRequest& r, void* stream) {
  std::vector<transport::MutSegment> segs;
  segs.reserve(r.segments.size());
  for (const auto& sg : r.segments)
    segs.push_back({static_cast<uint8_t*>(stream) + sg.buffer_offset, sg.length});
  return segs;
}

void zero_tail(const layout::ObjectRequest& r, size_t received, void* stream) {
  size_t skip = received;
  for (const auto& seg : r.segments) {
    if (skip >= seg.length) {
      skip -= seg.length;
      continue;
    }
    std::memset(static_cast<uint8_t*>(stream) + seg.buffer_offset + skip, 0, seg.length - skip);
    skip = 0;
  }
}

Status ClientCore::per_copy(const Layout& layout, MsgType type,
                            const std::function<std::vector<uint8_t>(const StripeTarget&, uint32_t)>& body_for) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  std::lock_guard<std::mutex> lock(mu_);
  return per_copy_locked(layout, type, body_for);
}

Status ClientCore::per_copy_locked(const Layout& layout, MsgType type,
                                   const std::function<std::vector<uint8_t>(const StripeTarget&, uint32_t)>& body_for) {
  std::vector<Call> calls;
  for (uint32_t c = 0; c < layout.copies(); ++c)
    for (uint32_t i = 0; i < layout.stripe_count(); ++i) {
      const StripeTarget& t = layout.copy(c, i);
      calls.push_back(make_call(static_cast<int>(t.server), type, body_for(t, i), 0));
    }
  return run(calls, nullptr);
}

Status ClientCore::stat_objects_locked(const Layout& layout,
                                       std::vector<std::vector<uint8_t>>* bodies) {
  // From the first copy of each stripe that answers (a stale or rebuilding
  // copy, or one with a disk error, does not).
  const uint32_t n = layout.stripe_count();
  bodies->assign(n, {});
  std::vector<uint32_t> pending(n), copy(n, 0);
  for (uint32_t i = 0; i < n; ++i) pending[i] = i;
  std::vector<Status> first(n);
  while (!pending.empty()) {
    std::vector<Call> calls;
    for (uint32_t i : pending) {
      const StripeTarget& t = layout.copy(copy[i], i);
      calls.push_back(make_call(static_cast<int>(t.server), MsgType::kObjStat,
                                wire::encode_body(wire::ObjRequest{t.object_id}), 0));
    }
    if (disconnected_)
      return Status::error(ENOTCONN, "this client has shut down (Runtime::shutdown was called)");
    std::vector<std::vector<uint8_t>> got;
    std::vector<Status> each;
    Status s = exchange_all(*transport_, calls, &got, kWindow, &each);
    if (each.size() != calls.size()) return s;
    std::vector<uint32_t> again;
    for (size_t k = 0; k < pending.size(); ++k) {
      const uint32_t i = pending[k];
      if (each[k]) {
        (*bodies)[i] = std::move(got[k]);
        continue;
      }
      if (first[i].is_ok()) first[i] = each[k];
      if (!try_another_copy(each[k].code()) || copy[i] + 1 >= layout.copies()) return first[i];
      ++copy[i];
      again.push_back(i);
    }
    pending = std::move(again);
  }
  return Status::ok();
}

Result<uint64_t> ClientCore::glimpse(const Layout& layout, Timespec* mtime, IoLocking locking) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  std::lock_guard<std::mutex> lock(mu_);
  HeldLocks held(*this);
  // PR on every whole object: writers elsewhere flush their cached writes.
  if (progress_ && locking.enabled)
    NACRE_RETURN_IF_ERROR(lock_whole(layout, locks::Mode::PR, locking, &held.refs));
  return glimpse_locked(layout, mtime);
}

Result<uint64_t> ClientCore::append(const Layout& layout, const void* buf, size_t len,
                                    IoLocking locking) {
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  std::lock_guard<std::mutex> lock(mu_);
  HeldLocks held(*this);
  // PW on every whole object: no other client writes or appends until this
  // append's data is in place (or cached under these locks).
  if (progress_ && locking.enabled)
    NACRE_RETURN_IF_ERROR(lock_whole(layout, locks::Mode::PW, locking, &held.refs));
  Timespec ignored;
  auto size = glimpse_locked(layout, &ignored);
  if (!size) return size.status();
  NACRE_RETURN_IF_ERROR(check_range(*size, len));
  const layout::FilePiece one{*size, len};
  NACRE_RETURN_IF_ERROR(write_pieces_locked(layout, std::span<const layout::FilePiece>(&one, 1),
                                            buf, locking, /*caller_holds_locks=*/true));
  return *size;
}

Result<uint64_t> ClientCore::glimpse_locked(const Layout& layout, Timespec* mtime) {
  std::vector<std::vector<uint8_t>> bodies;
  {
    auto data = data_phase();
    NACRE_RETURN_IF_ERROR(flush_layout_locked(layout));
    NACRE_RETURN_IF_ERROR(stat_objects_locked(layout, &bodies));
  }
  std::vector<uint64_t> sizes;
  for (const auto& b : bodies) {
    wire::ObjStatReply r;
    NACRE_RETURN_IF_ERROR(wire::decode_body(b, r, "OBJ_STAT reply"));
    sizes.push_back(r.size);
    if (r.mtime.v > *mtime) *mtime = r.mtime.v;
  }
  return layout::file_size_from_object_sizes({layout.stripe_size, layout.stripe_count()}, sizes);
}

Status ClientCore::truncate_objects(const Layout& layout, uint64_t size, IoLocking locking) {
  NACRE_RETURN_IF_ERROR(check_range(size, 0));
  NACRE_RETURN_IF_ERROR(check_layout(layout, server_count()));
  const layout::StripeGeometry g{layout.stripe_size, layout.stripe_count()};
  std::lock_guard<std::mutex> lock(mu_);
  HeldLocks held(*this);
  // PW on every whole object: other clients write back and drop their view.
  if (progress_ && locking.enabled)
    NACRE_RETURN_IF_ERROR(lock_whole(layout, locks::Mode::PW, locking, &held.refs));
  auto data = data_phase();
  for (const auto& t : layout.stripes) read_cache_.drop_object({t.server, t.object_id});
  NACRE_RETURN_IF_ERROR(flush_layout_locked(layout));  // our writes land before the cut
  return per_copy_locked(layout, MsgType::kObjTruncate, [&](const StripeTarget& t, uint32_t i) {
    return wire::encode_body(
        wire::ObjTruncateRequest{t.object_id, layout::object_size_for_file_size(g, i, size)});
  });
}

Status ClientCore::destroy_objects(const Layout& layout) {
  {
    auto data = data_phase();  // nothing of it may land after the destroy
    for (const auto& t : layout.stripes) {
      auto gone = write_cache_.take(ObjectKey{t.server, t.object_id});
      write_cache_.release(gone);
      copies_of_.erase(ObjectKey{t.server, t.object_id});
      read_cache_.drop_object({t.server, t.object_id});
    }
  }
  return per_copy(layout, MsgType::kObjDestroy, [&](const StripeTarget& t, uint32_t) {
    return wire::encode_body(wire::ObjRequest{t.object_id});
  });
}

Status ClientCore::sync_objects(const Layout& layout) {
  NACRE_RETURN_IF_ERROR(flush(layout));
  return per_copy(layout, MsgType::kObjSync, [&](const StripeTarget& t, uint32_t) {
    return wire::encode_body(wire::ObjRequest{t.object_id});
  });
}

Status ClientCore::disconnect() {
  // Cached writes go out while we still hold their locks.
  Status flushed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto data = data_phase();
    if (!disconnected_) {
      auto all = write_cache_.take_all();
      if (!all.empty()) flushed = send_dirty(*transport_, all, false);
    }
    if (flushed) flushed = take_sticky_error();
  }
  // No more cancels from here on: DISCONNECT releases every lock we hold.
  if (progress_) progress_->stop();
  Status s = to_every_server(MsgType::kDisconnect);
  // Callbacks sent before the servers saw DISCONNECT must not stay queued
  // (an unreceived message can hold up MPI_Comm_disconnect).
  if (progress_) progress_->drain();
  std::lock_guard<std::mutex> lock(mu_);
  disconnected_ = true;  // the servers may be gone: later calls fail fast
  return flushed ? s : flushed;
}

Status ClientCore::shutdown_servers() { return to_every_server(MsgType::kShutdown); }

Status ClientCore::to_every_server(MsgType type) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Call> calls;
  for (int s = 0; s < server_count(); ++s) calls.push_back(make_call(s, type, {}, 0));
  return run(calls, nullptr);
}

}  // namespace nacre::client
