// The client's lock progress thread (docs/LOCKS.md): receives blocking
// callbacks from the servers while the application computes, and sends the
// LOCK_CANCELs the lock cache queues.
//
// It owns a transport of its own over the same communicator as the client
// core's (MPI_THREAD_MULTIPLE), so it never waits for the core's mutex: a
// client blocked in a lock request still answers callbacks for its other
// locks. Before it cancels a lock it calls the before_cancel hook, which
// writes back the client's cached writes to that object (over this
// thread's transport).
#pragma once

#include "client/lock_cache.hpp"
#include "transport/transport.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <chrono>
#include <thread>

namespace nacre::client {

// What the client core does around cancels (called on the progress thread).
struct LockProgressHooks {
  // Before LOCK_CANCEL of ref: write back cached data under it, over t.
  std::function<void(const LockRef& ref, transport::ClientTransport& t)> before_cancel;
  // The server evicted this client (a cancel got ESTALE).
  std::function<void(uint32_t server, const Status& why)> on_evicted;
  // Other work of the progress thread (write-behind) over its transport,
  // after callbacks and cancels; true if it did any.
  std::function<bool(transport::ClientTransport& t)> background;
};

class LockProgress {
 public:
  // next_request_id: the request id allocator shared with the client core
  // (thread-safe), so reply tags never collide.
  LockProgress(std::unique_ptr<transport::ClientTransport> transport, LockCache& cache,
               std::function<uint64_t()> next_request_id, LockProgressHooks hooks = {});
  ~LockProgress();  // stop()
  LockProgress(const LockProgress&) = delete;
  LockProgress& operator=(const LockProgress&) = delete;

  // Starts the thread. Not thread-safe with stop().
  void start();
  // Stops and joins the thread, then discards callbacks still arriving
  // (call after the servers released this client's locks).
  void stop();
  // Receives and discards callback frames that have arrived (no thread).
  void drain();
  // Callback frames drain() discarded (call-scoped locks: their locks are
  // cancelled at the end of each call anyway).
  uint64_t callbacks_drained() const { return drained_.load(); }

  // Test hook: a paused thread neither receives callbacks nor cancels (an
  // unresponsive holder). Blocks until the thread has noticed.
  void set_paused(bool paused);

  uint64_t cancels_sent() const { return cancels_sent_.load(); }
  // Client lease keep-alive: from now on the thread sends PING to servers
  // 0..servers-1 every `interval` (0: never). Call before or after start().
  void set_ping(int servers, std::chrono::milliseconds interval);
  uint64_t pings_sent() const { return pings_sent_.load(); }
  // Lock aging: the thread cancels cached locks unused for `max_age` (0:
  // never, the default: see docs/LOCKS.md, "Aging", for the open race that
  // keeps it off). Call before or after start().
  void set_lock_max_age(std::chrono::milliseconds max_age) { max_age_ms_ = max_age.count(); }
  static constexpr std::chrono::milliseconds kDefaultLockMaxAge{0};

  // Cancels refs over t (the progress thread's transport or, for locks a
  // call drops at once, the caller's): before_cancel for each, then every
  // LOCK_CANCEL in one exchange. Blocking; thread-safe for disjoint refs.
  void send_cancels(transport::ClientTransport& t, const std::vector<LockRef>& refs);

 private:
  void loop();
  bool poll_once();  // true if it did any work
  void handle_frame(const std::vector<uint8_t>& frame);

  std::unique_ptr<transport::ClientTransport> transport_;
  LockCache& cache_;
  std::function<uint64_t()> next_request_id_;
  LockProgressHooks hooks_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::atomic<bool> paused_ack_{false};
  std::atomic<uint64_t> cancels_sent_{0};
  std::atomic<uint64_t> drained_{0};
  std::atomic<uint64_t> pings_sent_{0};
  std::atomic<int> ping_servers_{0};
  std::atomic<int64_t> ping_interval_ms_{0};
  std::atomic<int64_t> max_age_ms_{kDefaultLockMaxAge.count()};
  std::chrono::steady_clock::time_point next_ping_{};  // progress thread only
  std::chrono::steady_clock::time_point next_aging_{};  // progress thread only
  void ping_if_due();
  void age_locks_if_due();
};

}  // namespace nacre::client
