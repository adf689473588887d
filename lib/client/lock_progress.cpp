#include "client/lock_progress.hpp"

#include "client/client_core.hpp"
#include "common/backoff.hpp"
#include "common/log.hpp"
#include "wire/messages.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace nacre::client {

LockProgress::LockProgress(std::unique_ptr<transport::ClientTransport> transport,
                           LockCache& cache, std::function<uint64_t()> next_request_id,
                           LockProgressHooks hooks)
    : transport_(std::move(transport)),
      cache_(cache),
      next_request_id_(std::move(next_request_id)),
      hooks_(std::move(hooks)) {}

LockProgress::~LockProgress() { stop(); }

void LockProgress::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void LockProgress::stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
}

void LockProgress::drain() {
  std::vector<uint8_t> frame;
  while (transport_->poll_callback(&frame)) ++drained_;
}

void LockProgress::set_paused(bool paused) {
  paused_ = paused;
  if (!thread_.joinable()) return;
  while (paused_ack_.load() != paused) std::this_thread::sleep_for(std::chrono::microseconds(100));
}

void LockProgress::loop() {
  Backoff backoff;
  while (!stop_.load()) {
    if (paused_.load()) {
      paused_ack_ = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    paused_ack_ = false;
    ping_if_due();  // not work: the backoff keeps sleeping between pings
    age_locks_if_due();  // queues cancels, sent by poll_once below
    if (poll_once()) backoff.reset();
    else backoff.pause();
  }
}

void LockProgress::set_ping(int servers, std::chrono::milliseconds interval) {
  ping_servers_ = servers;
  ping_interval_ms_ = interval.count();
}

void LockProgress::ping_if_due() {
  const int64_t every = ping_interval_ms_.load();
  const int servers = ping_servers_.load();
  if (every <= 0 || servers <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_ping_) return;
  next_ping_ = now + std::chrono::milliseconds(every);
  std::vector<transport::Call> calls(static_cast<size_t>(servers));
  for (int s = 0; s < servers; ++s) {
    transport::Call& c = calls[static_cast<size_t>(s)];
    c.server = s;
    c.request_id = next_request_id_();
    c.head = wire::build_frame(static_cast<uint16_t>(wire::MsgType::kPing), c.request_id, 0, {}, 0);
  }
  Status ex = transport_->exchange(std::span<transport::Call>(calls));
  pings_sent_ += static_cast<uint64_t>(servers);
  if (!ex) log::warn("lease keep-alive (PING) failed: " + ex.to_string());
}

void LockProgress::age_locks_if_due() {
  const int64_t age = max_age_ms_.load();
  if (age <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_aging_) return;
  // Checked a few times per age (at most once per second): a lock goes at
  // most a quarter of its age late.
  next_aging_ = now + std::chrono::milliseconds(std::clamp<int64_t>(age / 4, 1, 1000));
  const size_t n = cache_.age_out(now, std::chrono::milliseconds(age));
  if (n > 0)
    log::debug(std::to_string(n) + " cached lock(s) unused for " + std::to_string(age) +
               " ms (NACRE_LOCK_MAX_AGE_MS) are cancelled");
}

bool LockProgress::poll_once() {
  bool work = false;
  std::vector<uint8_t> frame;
  while (transport_->poll_callback(&frame)) {
    handle_frame(frame);
    work = true;
  }
  auto cancels = cache_.take_cancels();
  if (!cancels.empty()) {
    send_cancels(*transport_, cancels);
    work = true;
  }
  if (hooks_.background && hooks_.background(*transport_)) work = true;
  return work;
}

void LockProgress::handle_frame(const std::vector<uint8_t>& frame) {
  // A server sent it, but it is still checked like any input from the wire.
  auto h = wire::decode_header(frame, frame.size());
  if (!h || h->type != static_cast<uint16_t>(wire::MsgType::kLockCallback)) {
    log::warn("dropping a malformed lock callback frame");
    return;
  }
  wire::LockCallbackBody b;
  Status s = wire::decode_body(std::span<const uint8_t>(frame).subspan(wire::kFrameHeaderSize,
                                                                     h->body_len),
                               b, "LOCK_CALLBACK");
  if (!s) {
    log::warn(s.to_string());
    return;
  }
  cache_.on_callback(LockRef{b.server, b.object_id, b.handle});
}

void LockProgress::send_cancels(transport::ClientTransport& t, const std::vector<LockRef>& refs) {
  if (refs.empty()) return;
  if (hooks_.before_cancel)
    for (const auto& ref : refs) hooks_.before_cancel(ref, t);
  std::vector<transport::Call> calls(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    transport::Call& c = calls[i];
    c.server = static_cast<int>(refs[i].server);
    c.request_id = next_request_id_();
    c.head = wire::build_frame(static_cast<uint16_t>(wire::MsgType::kLockCancel), c.request_id, 0,
                               wire::encode_body(wire::LockCancelRequest{refs[i].object,
                                                                         refs[i].handle}),
                               0);
  }
  Status ex = t.exchange(std::span<transport::Call>(calls));
  cancels_sent_ += refs.size();
  for (size_t i = 0; i < refs.size(); ++i) {
    const LockRef& ref = refs[i];
    Status s = ex.is_ok()
                   ? parse_reply(calls[i], static_cast<uint16_t>(wire::MsgType::kLockCancel), nullptr)
                   : ex;
    if (s) continue;
    // ENOENT: the server no longer has it; ESTALE: this client was evicted.
    if (s.code() == ESTALE) {
      cache_.forget_server(ref.server);
      if (hooks_.on_evicted) hooks_.on_evicted(ref.server, s);
    }
    if (s.code() != ENOENT && s.code() != ESTALE)
      log::warn("cancelling lock " + std::to_string(ref.handle) + " on object " +
                std::to_string(ref.object) + " at server " + std::to_string(ref.server) + ": " +
                s.to_string());
  }
}

}  // namespace nacre::client
