#include "locks/app_lock_table.hpp"

#include <algorithm>
#include <set>
#include <string>

namespace nacre::locks {

const char* app_lock_type_name(AppLockType t) {
  switch (t) {
    case AppLockType::kUnlock: return "unlock";
    case AppLockType::kShared: return "shared";
    case AppLockType::kExclusive: return "exclusive";
  }
  return "unknown";
}

namespace {
bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1) { return a0 < b1 && b0 < a1; }
bool exclusive_pair(AppLockType a, AppLockType b) {
  return a == AppLockType::kExclusive || b == AppLockType::kExclusive;
}
}  // namespace

Status AppLockTable::validate(AppLockRequest& r) {
  if (r.space != AppLockSpace::kPosix && r.space != AppLockSpace::kFlock)
    return Status::error(EINVAL, "lock space " + std::to_string(static_cast<int>(r.space)) +
                                     " is neither fcntl (1) nor flock (2)");
  if (r.type != AppLockType::kUnlock && r.type != AppLockType::kShared &&
      r.type != AppLockType::kExclusive)
    return Status::error(EINVAL, "lock type " + std::to_string(static_cast<int>(r.type)) +
                                     " is not unlock (0), shared (1) or exclusive (2)");
  if (r.space == AppLockSpace::kFlock) {
    r.start = 0;
    r.end = kAppLockEof;
    return Status::ok();
  }
  r.owner.handle = 0;  // POSIX locks belong to the process
  if (r.start >= kAppLockMaxOffset || r.end <= r.start ||
      (r.end > kAppLockMaxOffset && r.end != kAppLockEof))
    return Status::error(EINVAL, "lock range [" + std::to_string(r.start) + ", " +
                                     (r.end == kAppLockEof ? std::string("EOF")
                                                           : std::to_string(r.end)) +
                                     ") is empty or beyond 2^62");
  return Status::ok();
}

std::vector<AppLock> AppLockTable::conflicts(const Space& space, const AppLockRequest& r) const {
  std::vector<AppLock> out;
  for (const auto& [owner, segs] : space) {
    if (owner == r.owner) continue;
    for (const auto& [start, seg] : segs) {
      if (start >= r.end) break;
      if (overlaps(start, seg.end, r.start, r.end) && exclusive_pair(seg.type, r.type))
        out.push_back(AppLock{owner, seg.type, start, seg.end, seg.pid});
    }
  }
  return out;
}

bool AppLockTable::reaches(const std::vector<uint64_t>& from, uint64_t target) const {
  std::set<uint64_t> seen(from.begin(), from.end());
  std::vector<uint64_t> todo(from.begin(), from.end());
  while (!todo.empty()) {
    const uint64_t s = todo.back();
    todo.pop_back();
    if (s == target) return true;
    for (const Waiter& w : waiters_) {
      if (w.req.owner.session != s) continue;
      auto sp = spaces_.find({w.req.file, w.req.space});
      if (sp == spaces_.end()) continue;
      for (const AppLock& c : conflicts(sp->second, w.req))
        if (seen.insert(c.owner.session).second) todo.push_back(c.owner.session);
    }
  }
  return false;
}

void AppLockTable::apply(const AppLockRequest& r) {
  const Key key{r.file, r.space};
  Space& space = spaces_[key];
  Segs& segs = space[r.owner];
  // Cut [r.start, r.end) out of the owner's segments.
  auto it = segs.upper_bound(r.start);
  if (it != segs.begin() && std::prev(it)->second.end > r.start) --it;
  std::vector<std::pair<uint64_t, Seg>> keep;
  while (it != segs.end() && it->first < r.end) {
    const uint64_t a = it->first;
    const Seg s = it->second;
    it = segs.erase(it);
    if (a < r.start) keep.push_back({a, Seg{r.start, s.type, s.pid}});
    if (s.end > r.end) keep.push_back({r.end, s});
  }
  for (auto& [a, s] : keep) segs.emplace(a, s);
  if (r.type != AppLockType::kUnlock) {
    uint64_t start = r.start, end = r.end;
    auto right = segs.find(end);
    if (right != segs.end() && right->second.type == r.type) {
      end = right->second.end;
      segs.erase(right);
    }
    auto left = segs.lower_bound(start);
    if (left != segs.begin()) {
      --left;
      if (left->second.end == start && left->second.type == r.type) {
        start = left->first;
        segs.erase(left);
      }
    }
    segs.emplace(start, Seg{end, r.type, r.pid});
  }
  if (segs.empty()) space.erase(r.owner);
}

void AppLockTable::rescan(const Key& key) {
  for (bool changed = true; changed;) {
    changed = false;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->req.file != key.first || it->req.space != key.second) { ++it; continue; }
      auto sp = spaces_.find(key);
      if (sp != spaces_.end() && !conflicts(sp->second, it->req).empty()) { ++it; continue; }
      apply(it->req);
      granted_.push_back(it->ticket);
      it = waiters_.erase(it);
      changed = true;
    }
  }
  drop_if_empty(key);
}

void AppLockTable::drop_if_empty(const Key& key) {
  auto sp = spaces_.find(key);
  if (sp != spaces_.end() && sp->second.empty()) spaces_.erase(sp);
}

Result<AppSetOutcome> AppLockTable::set(const AppLockRequest& req) {
  AppLockRequest r = req;
  NACRE_RETURN_IF_ERROR(validate(r));
  const Key key{r.file, r.space};
  if (r.type == AppLockType::kUnlock) {
    if (spaces_.count(key)) {
      apply(r);
      rescan(key);
    }
    return AppSetOutcome{};
  }
  std::vector<AppLock> blockers;
  if (auto sp = spaces_.find(key); sp != spaces_.end()) blockers = conflicts(sp->second, r);
  if (blockers.empty()) {
    apply(r);
    rescan(key);  // a downgrade may let waiters in
    return AppSetOutcome{};
  }
  const std::string what = std::string(r.space == AppLockSpace::kFlock ? "flock " : "fcntl ") +
                            app_lock_type_name(r.type) + " lock";
  if (!r.wait)
    return Status::error(EAGAIN, what + " conflicts with a lock of another owner");
  for (const Waiter& w : waiters_)
    if (w.req.owner.session == r.owner.session)
      return Status::error(EBUSY, what + ": this process already waits for a lock");
  if (r.space == AppLockSpace::kFlock) {
    // A waiting conversion drops the old lock first (flock(2)).
    auto sp = spaces_.find(key);
    if (sp != spaces_.end() && sp->second.count(r.owner)) {
      AppLockRequest drop = r;
      drop.type = AppLockType::kUnlock;
      apply(drop);
      rescan(key);
      sp = spaces_.find(key);
      blockers = sp == spaces_.end() ? std::vector<AppLock>{} : conflicts(sp->second, r);
    }
  }
  std::vector<uint64_t> sessions;
  for (const AppLock& b : blockers) sessions.push_back(b.owner.session);
  if (reaches(sessions, r.owner.session))
    return Status::error(EDEADLK, what + ": waiting would deadlock");
  const AppTicket ticket = next_ticket_++;
  waiters_.push_back(Waiter{ticket, r});
  return AppSetOutcome{true, ticket};
}

Result<std::optional<AppLock>> AppLockTable::test(const AppLockRequest& req) const {
  AppLockRequest r = req;
  NACRE_RETURN_IF_ERROR(validate(r));
  if (r.type == AppLockType::kUnlock)
    return Status::error(EINVAL, "a lock test needs a shared or exclusive type");
  auto sp = spaces_.find({r.file, r.space});
  if (sp == spaces_.end()) return std::optional<AppLock>();
  std::optional<AppLock> best;
  for (const AppLock& c : conflicts(sp->second, r))
    if (!best || c.start < best->start) best = c;
  return best;
}

void AppLockTable::release_handle(uint64_t file, uint64_t session, uint64_t handle, bool posix) {
  const Key flock_key{file, AppLockSpace::kFlock};
  if (auto sp = spaces_.find(flock_key); sp != spaces_.end()) {
    sp->second.erase(AppOwner{session, handle});
    rescan(flock_key);
  }
  const Key posix_key{file, AppLockSpace::kPosix};
  if (!posix) return;
  if (auto sp = spaces_.find(posix_key); sp != spaces_.end()) {
    sp->second.erase(AppOwner{session, 0});
    rescan(posix_key);
  }
}

std::vector<AppTicket> AppLockTable::release_session(uint64_t session) {
  std::vector<AppTicket> dropped;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->req.owner.session == session) {
      dropped.push_back(it->ticket);
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<Key> touched;
  for (auto& [key, space] : spaces_) {
    bool any = false;
    for (auto it = space.begin(); it != space.end();) {
      if (it->first.session == session) { it = space.erase(it); any = true; }
      else ++it;
    }
    if (any) touched.push_back(key);
  }
  for (const Key& k : touched) rescan(k);
  return dropped;
}

std::vector<AppTicket> AppLockTable::take_granted() {
  std::vector<AppTicket> out;
  out.swap(granted_);
  return out;
}

std::vector<AppLock> AppLockTable::locks(uint64_t file, AppLockSpace space) const {
  std::vector<AppLock> out;
  auto sp = spaces_.find({file, space});
  if (sp == spaces_.end()) return out;
  for (const auto& [owner, segs] : sp->second)
    for (const auto& [start, seg] : segs)
      out.push_back(AppLock{owner, seg.type, start, seg.end, seg.pid});
  return out;
}

std::vector<AppTicket> AppLockTable::waiting() const {
  std::vector<AppTicket> out;
  for (const Waiter& w : waiters_) out.push_back(w.ticket);
  return out;
}

}  // namespace nacre::locks
