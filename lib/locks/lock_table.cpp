#include "locks/lock_table.hpp"

#include <algorithm>
#include <string>

namespace nacre::locks {

bool conflicts(const LockInfo& a, const LockInfo& b) {
  return a.owner != b.owner && overlaps(a.extent, b.extent) &&
         !compatible(a.mode, a.gid, b.mode, b.gid);
}

bool LockTable::would_conflict(OwnerId owner, Mode mode, const Extent& extent) const {
  LockInfo probe;
  probe.owner = owner;
  probe.mode = mode;
  probe.extent = extent;
  for (const Entry& g : granted_)
    if (conflicts(probe, g.info)) return true;
  for (const Entry& w : waiting_)
    if (conflicts(probe, w.info)) return true;
  return false;
}

Extent LockTable::grant_extent(const Entry& req, LockHandle skip_waiter) const {
  std::vector<OtherLock> others;
  others.reserve(granted_.size() + waiting_.size());
  for (const Entry& g : granted_)
    if (g.info.owner != req.info.owner)
      others.push_back(OtherLock{g.info.mode, g.info.gid, g.info.extent, true});
  for (const Entry& w : waiting_)
    if (w.info.owner != req.info.owner && w.info.handle != skip_waiter)
      others.push_back(OtherLock{w.info.mode, w.info.gid, w.info.extent, false});
  const ExpansionRequest er{req.info.mode, req.info.gid, req.info.wanted, req.flags.no_expand};
  return expand(er, others, params_);
}

void LockTable::add_granted(Entry e) {
  auto it = std::lower_bound(granted_.begin(), granted_.end(), e.info.handle,
                             [](const Entry& x, LockHandle h) { return x.info.handle < h; });
  granted_.insert(it, std::move(e));
}

void LockTable::collect_callbacks(const LockInfo& w, std::vector<LockInfo>& out) {
  for (Entry& g : granted_) {
    if (g.callback_sent || !conflicts(g.info, w)) continue;
    g.callback_sent = true;
    out.push_back(g.info);
  }
}

Result<RequestOutcome> LockTable::request(OwnerId owner, Mode mode, GroupId gid,
                                          const Extent& wanted, RequestFlags flags) {
  if (!valid_mode(mode))
    return Status::error(EINVAL, "lock request on resource " + std::to_string(resource_) +
                                     ": invalid mode " + std::to_string(static_cast<int>(mode)));
  if (!wanted.valid())
    return Status::error(EINVAL, "lock request on resource " + std::to_string(resource_) +
                                     ": empty extent [" + std::to_string(wanted.start) + ", " +
                                     std::to_string(wanted.end) + ")");
  Entry e;
  e.info = LockInfo{next_handle_++, owner, mode, mode == Mode::GROUP ? gid : 0, wanted, wanted};
  e.flags = flags;

  const auto blocks = [&](const Entry& x) { return conflicts(x.info, e.info); };
  const bool joins = joins_group(e.info);
  const bool blocked = std::any_of(granted_.begin(), granted_.end(), blocks) ||
                       (!joins && std::any_of(waiting_.begin(), waiting_.end(), blocks));
  if (!blocked) {
    e.info.extent = grant_extent(e, 0);
    Granted g{e.info.handle, e.info.extent, {}};
    add_granted(std::move(e));
    if (joins)  // only the new lock can newly block a waiter
      for (const Entry& w : waiting_) collect_callbacks(w.info, g.callbacks);
    return RequestOutcome{std::move(g)};
  }
  Wait w{e.info.handle, {}};
  collect_callbacks(e.info, w.callbacks);
  waiting_.push_back(std::move(e));
  return RequestOutcome{std::move(w)};
}

Progress LockTable::reprocess() {
  Progress p;
  // FIFO scan. A grant only adds a lock, so a waiter found blocked stays
  // blocked for the rest of the scan, with one exception: a GROUP grant may
  // let an earlier GROUP waiter of that gid join, so after a GROUP grant the
  // scan starts over from the front.
  for (size_t i = 0; i < waiting_.size();) {
    const Entry& w = waiting_[i];
    const auto blocks = [&](const Entry& x) { return conflicts(x.info, w.info); };
    const bool blocked =
        std::any_of(granted_.begin(), granted_.end(), blocks) ||
        (!joins_group(w.info) &&
         std::any_of(waiting_.begin(), waiting_.begin() + static_cast<long>(i), blocks));
    if (blocked) {
      ++i;
      continue;
    }
    Entry e = w;
    e.info.extent = grant_extent(e, e.info.handle);
    waiting_.erase(waiting_.begin() + static_cast<long>(i));
    const bool group = e.info.mode == Mode::GROUP;
    p.granted.push_back(e.info);
    add_granted(std::move(e));
    if (group) i = 0;
  }
  for (const Entry& w : waiting_) collect_callbacks(w.info, p.callbacks);
  return p;
}

bool LockTable::joins_group(const LockInfo& r) const {
  if (r.mode != Mode::GROUP) return false;
  return std::any_of(granted_.begin(), granted_.end(), [&](const Entry& x) {
    return x.info.mode == Mode::GROUP && x.info.gid == r.gid && overlaps(x.info.extent, r.wanted);
  });
}

Result<Progress> LockTable::cancel(LockHandle handle) {
  const auto by_handle = [&](const Entry& x) { return x.info.handle == handle; };
  if (auto it = std::find_if(granted_.begin(), granted_.end(), by_handle); it != granted_.end()) {
    granted_.erase(it);
  } else if (auto wt = std::find_if(waiting_.begin(), waiting_.end(), by_handle);
             wt != waiting_.end()) {
    waiting_.erase(wt);
  } else {
    return Status::error(ENOENT, "cancel on resource " + std::to_string(resource_) +
                                     ": no lock with handle " + std::to_string(handle));
  }
  return reprocess();
}

Progress LockTable::release_owner(OwnerId owner) {
  const auto of_owner = [&](const Entry& x) { return x.info.owner == owner; };
  granted_.erase(std::remove_if(granted_.begin(), granted_.end(), of_owner), granted_.end());
  waiting_.erase(std::remove_if(waiting_.begin(), waiting_.end(), of_owner), waiting_.end());
  return reprocess();
}

std::vector<LockInfo> LockTable::granted() const {
  std::vector<LockInfo> out;
  out.reserve(granted_.size());
  for (const Entry& e : granted_) out.push_back(e.info);
  return out;
}

std::vector<LockInfo> LockTable::waiting() const {
  std::vector<LockInfo> out;
  out.reserve(waiting_.size());
  for (const Entry& e : waiting_) out.push_back(e.info);
  return out;
}

std::optional<LockInfo> LockTable::find_granted(LockHandle handle) const {
  for (const Entry& e : granted_)
    if (e.info.handle == handle) return e.info;
  return std::nullopt;
}

std::optional<LockInfo> LockTable::find_waiting(LockHandle handle) const {
  for (const Entry& e : waiting_)
    if (e.info.handle == handle) return e.info;
  return std::nullopt;
}

std::vector<LockInfo> LockTable::locks_of(OwnerId owner) const {
  std::vector<LockInfo> out;
  for (const Entry& e : granted_)
    if (e.info.owner == owner) out.push_back(e.info);
  for (const Entry& e : waiting_)
    if (e.info.owner == owner) out.push_back(e.info);
  return out;
}

bool LockTable::callback_sent(LockHandle handle) const {
  for (const Entry& e : granted_)
    if (e.info.handle == handle) return e.callback_sent;
  return false;
}

std::vector<LockInfo> LockTable::blockers(LockHandle handle) const {
  std::vector<LockInfo> out;
  for (size_t i = 0; i < waiting_.size(); ++i) {
    const LockInfo& w = waiting_[i].info;
    if (w.handle != handle) continue;
    for (const Entry& g : granted_)
      if (conflicts(g.info, w)) out.push_back(g.info);
    for (size_t j = 0; j < i; ++j)
      if (conflicts(waiting_[j].info, w)) out.push_back(waiting_[j].info);
    break;
  }
  return out;
}

}  // namespace nacre::locks
