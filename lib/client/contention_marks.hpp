// The objects this client treats as contended (docs/LOCKS.md, "Contended
// objects"): a lock server said so in a grant or an object reply. While an
// object is marked, I/O on it that fits one message uses server-side
// locking (kObjFlagSrvLock) instead of a client extent lock, and locks taken
// on it anyway are not kept. A mark lasts kHold after the server last said
// so, or until a server-side locked reply comes back without the flag.
//
// Thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

namespace nacre::client {

class ContentionMarks {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kHold{2000};

  // The server of (server, object) flagged it contended.
  void mark(uint32_t server, uint64_t object);
  // It answered server-side locked I/O without the flag: no longer contended.
  void clear(uint32_t server, uint64_t object);
  bool contended(uint32_t server, uint64_t object) const;
  // Forgets every mark of a server (it evicted this client).
  void forget_server(uint32_t server);

 private:
  using Key = std::pair<uint32_t, uint64_t>;
  static constexpr size_t kPruneAt = 4096;
  mutable std::mutex mu_;
  std::map<Key, Clock::time_point> until_;  // guarded by mu_
};

}  // namespace nacre::client
