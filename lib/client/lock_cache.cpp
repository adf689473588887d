#include "client/lock_cache.hpp"

#include <algorithm>

namespace nacre::client {

namespace {
bool mode_covers(locks::Mode held, uint64_t held_gid, locks::Mode want, uint64_t want_gid) {
  using locks::Mode;
  switch (want) {
    case Mode::PR: return held == Mode::PR || held == Mode::PW;
    case Mode::PW: return held == Mode::PW;
    case Mode::GROUP: return held == Mode::GROUP && held_gid == want_gid;
    default: return false;
  }
}
}  // namespace

uint64_t LockCache::use_cached(uint32_t server, uint64_t object, locks::Mode mode, uint64_t gid,
                               const locks::Extent& want) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find({server, object});
  if (it == held_.end()) return 0;
  // Most recent first: the lock just granted for nearby I/O is the likely hit.
  for (auto h = it->second.rbegin(); h != it->second.rend(); ++h) {
    if (h->called_back || !locks::contains(h->extent, want)) continue;
    if (!mode_covers(h->mode, h->gid, mode, gid)) continue;
    ++h->users;
    return h->handle;
  }
  return 0;
}

void LockCache::add_in_use(uint32_t server, uint64_t object, uint64_t handle, locks::Mode mode,
                           uint64_t gid, const locks::Extent& granted, bool keep) {
  std::lock_guard<std::mutex> lock(mu_);
  Held h{handle, mode, gid, granted, 1, !keep};
  if (early_callbacks_.erase(LockRef{server, object, handle})) {
    h.called_back = true;
    std::erase(early_order_, LockRef{server, object, handle});
  }
  const Key key{server, object};
  held_[key].push_back(h);
  collect(key);
}

void LockCache::unuse(const LockRef& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  const Key key{ref.server, ref.object};
  auto it = held_.find(key);
  if (it == held_.end()) return;
  for (auto& h : it->second)
    if (h.handle == ref.handle && h.users > 0 && --h.users == 0) h.idle_since = Clock::now();
  collect(key);
}

void LockCache::on_callback(const LockRef& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  ++callbacks_;
  const Key key{ref.server, ref.object};
  auto it = held_.find(key);
  if (it != held_.end()) {
    for (auto& h : it->second) {
      if (h.handle != ref.handle) continue;
      h.called_back = true;
      collect(key);
      return;
    }
  }
  if (!early_callbacks_.insert(ref).second) return;
  early_order_.push_back(ref);
  while (early_order_.size() > kMaxEarlyCallbacks) {
    early_callbacks_.erase(early_order_.front());
    early_order_.pop_front();
  }
}

void LockCache::collect(const Key& key) {
  auto it = held_.find(key);
  if (it == held_.end()) return;
  auto& v = it->second;
  size_t unused = 0;
  for (const auto& h : v)
    if (h.users == 0 && !h.called_back) ++unused;
  for (auto h = v.begin(); h != v.end();) {
    bool drop = h->users == 0 && h->called_back;
    if (!drop && h->users == 0 && unused > kMaxCachedPerObject) {
      drop = true;  // oldest unused ones beyond the bound
      --unused;
    }
    if (drop) {
      cancels_.push_back(LockRef{key.first, key.second, h->handle});
      h = v.erase(h);
    } else {
      ++h;
    }
  }
  if (v.empty()) held_.erase(it);
}

std::vector<LockRef> LockCache::take_cancels() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LockRef> out(cancels_.begin(), cancels_.end());
  cancels_.clear();
  return out;
}

std::vector<LockRef> LockCache::take_cancels_of(const std::vector<LockRef>& refs) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LockRef> out;
  for (auto it = cancels_.begin(); it != cancels_.end();) {
    if (std::find(refs.begin(), refs.end(), *it) != refs.end()) {
      out.push_back(*it);
      it = cancels_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

void LockCache::forget_server(uint32_t server) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->first.first == server) it = held_.erase(it);
    else ++it;
  }
  std::erase_if(cancels_, [&](const LockRef& r) { return r.server == server; });
  std::erase_if(early_callbacks_, [&](const LockRef& r) { return r.server == server; });
  std::erase_if(early_order_, [&](const LockRef& r) { return r.server == server; });
}

size_t LockCache::age_out(Clock::time_point now, std::chrono::milliseconds max_age) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t moved = 0;
  for (auto it = held_.begin(); it != held_.end();) {
    auto& v = it->second;
    for (auto h = v.begin(); h != v.end();) {
      if (h->users == 0 && !h->called_back && now - h->idle_since >= max_age) {
        cancels_.push_back(LockRef{it->first.first, it->first.second, h->handle});
        h = v.erase(h);
        ++moved;
      } else {
        ++h;
      }
    }
    if (v.empty()) it = held_.erase(it);
    else ++it;
  }
  aged_out_ += moved;
  return moved;
}

uint64_t LockCache::aged_out() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aged_out_;
}

std::optional<locks::Extent> LockCache::extent_of(const LockRef& ref) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find({ref.server, ref.object});
  if (it == held_.end()) return std::nullopt;
  for (const auto& h : it->second)
    if (h.handle == ref.handle) return h.extent;
  return std::nullopt;
}

size_t LockCache::cached_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [k, v] : held_) n += v.size();
  return n;
}

size_t LockCache::early_callback_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return early_callbacks_.size();
}

uint64_t LockCache::callbacks_received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return callbacks_;
}

}  // namespace nacre::client
