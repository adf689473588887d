#include "client/contention_marks.hpp"

namespace nacre::client {

void ContentionMarks::mark(uint32_t server, uint64_t object) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Clock::now();
  if (until_.size() >= kPruneAt)  // bound the memory: expired marks go
    std::erase_if(until_, [&](const auto& e) { return e.second <= now; });
  until_[{server, object}] = now + kHold;
}

void ContentionMarks::clear(uint32_t server, uint64_t object) {
  std::lock_guard<std::mutex> lock(mu_);
  until_.erase({server, object});
}

bool ContentionMarks::contended(uint32_t server, uint64_t object) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = until_.find({server, object});
  return it != until_.end() && it->second > Clock::now();
}

void ContentionMarks::forget_server(uint32_t server) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(until_, [&](const auto& e) { return e.first.first == server; });
}

}  // namespace nacre::client
