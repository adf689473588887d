// Backoff for polling loops: spin briefly, then yield, then sleep with a
// doubling interval up to a cap. Keeps idle ranks from burning a core that a
// co-located rank needs (2 cores, 4+ ranks is the normal case here) while a
// busy rank still answers within microseconds.
#pragma once

#include <sched.h>

#include <chrono>
#include <thread>

namespace nacre {

class Backoff {
 public:
  // Call after every poll that found nothing.
  void pause() {
    ++idle_;
    if (idle_ <= kSpin) return;
    if (idle_ <= kSpin + kYield) {
      sched_yield();
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    if (sleep_us_ < kMaxSleepUs) sleep_us_ *= 2;
  }
  // Call after a poll that found work.
  void reset() {
    idle_ = 0;
    sleep_us_ = 1;
  }

 private:
  static constexpr int kSpin = 64;
  static constexpr int kYield = 2000;
  static constexpr int kMaxSleepUs = 500;
  int idle_ = 0;
  int sleep_us_ = 1;
};

}  // namespace nacre
