#include "server/client_leases.hpp"

namespace nacre::server {

void ClientLeases::ping(const transport::PeerId& peer, Clock::time_point now) {
  if (lease_.count() <= 0) return;
  until_[peer] = now + lease_;
}

void ClientLeases::heard(const transport::PeerId& peer, Clock::time_point now) {
  auto it = until_.find(peer);
  if (it != until_.end()) it->second = now + lease_;
}

std::optional<ClientLeases::Clock::time_point> ClientLeases::next_deadline() const {
  std::optional<Clock::time_point> t;
  for (const auto& [peer, until] : until_)
    if (!t || until < *t) t = until;
  return t;
}

std::vector<transport::PeerId> ClientLeases::expire(Clock::time_point now) {
  std::vector<transport::PeerId> out;
  for (auto it = until_.begin(); it != until_.end();) {
    if (it->second <= now) {
      out.push_back(it->first);
      it = until_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace nacre::server
