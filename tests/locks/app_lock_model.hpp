// A naive byte-by-byte model of locks::AppLockTable, written from the rules
// in app_lock_table.hpp: every owner has one lock type per byte of a small
// universe of kBytes bytes, where the last byte stands for "from there to
// end of file" (so kAppLockEof maps to kBytes).
#pragma once

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "locks/app_lock_table.hpp"

namespace app_model {

using namespace nacre::locks;
using nacre::Result;
using nacre::Status;

inline constexpr int kBytes = 24;

struct ModelReq {
  uint64_t file = 0;
  AppLockSpace space = AppLockSpace::kPosix;
  AppOwner owner;
  AppLockType type = AppLockType::kUnlock;
  int start = 0, end = kBytes;  // bytes [start, end)
  uint32_t pid = 0;
  bool wait = false;
};

class Model {
 public:
  using Bytes = std::array<AppLockType, kBytes>;
  using Key = std::pair<uint64_t, AppLockSpace>;

  // Same outcome as AppLockTable::set: error code (0 = OK), queued, ticket.
  struct Outcome {
    int code = 0;
    bool queued = false;
    AppTicket ticket = 0;
  };

  static ModelReq normalise(ModelReq r) {
    if (r.space == AppLockSpace::kFlock) { r.start = 0; r.end = kBytes; }
    else r.owner.handle = 0;
    return r;
  }

  bool conflicting(const ModelReq& r, std::set<uint64_t>* sessions) const {
    bool any = false;
    auto sp = held.find({r.file, r.space});
    if (sp == held.end()) return false;
    for (const auto& [owner, bytes] : sp->second) {
      if (owner == r.owner) continue;
      for (int b = r.start; b < r.end; ++b) {
        const AppLockType t = bytes[b];
        if (t == AppLockType::kUnlock) continue;
        if (t == AppLockType::kExclusive || r.type == AppLockType::kExclusive) {
          any = true;
          if (sessions) sessions->insert(owner.session);
        }
      }
    }
    return any;
  }

  void apply(const ModelReq& r) {
    auto& owners = held[{r.file, r.space}];
    Bytes& bytes = owners.try_emplace(r.owner, empty_bytes()).first->second;
    for (int b = r.start; b < r.end; ++b) bytes[b] = r.type;
    if (bytes == empty_bytes()) owners.erase(r.owner);
    if (owners.empty()) held.erase({r.file, r.space});
  }

  void rescan(const Key& key) {
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t i = 0; i < waiters.size();) {
        const ModelReq& w = waiters[i].second;
        if (w.file != key.first || w.space != key.second || conflicting(w, nullptr)) {
          ++i;
          continue;
        }
        apply(w);
        granted.push_back(waiters[i].first);
        waiters.erase(waiters.begin() + static_cast<long>(i));
        changed = true;
      }
    }
  }

  bool cycle(std::set<uint64_t> from, uint64_t target) const {
    std::vector<uint64_t> todo(from.begin(), from.end());
    std::set<uint64_t> seen = from;
    while (!todo.empty()) {
      const uint64_t s = todo.back();
      todo.pop_back();
      if (s == target) return true;
      for (const auto& [t, w] : waiters) {
        if (w.owner.session != s) continue;
        std::set<uint64_t> next;
        conflicting(w, &next);
        for (uint64_t n : next)
          if (seen.insert(n).second) todo.push_back(n);
      }
    }
    return false;
  }

  Outcome set(ModelReq r) {
    r = normalise(r);
    const Key key{r.file, r.space};
    if (r.type == AppLockType::kUnlock) {
      apply(r);
      rescan(key);
      return {};
    }
    if (!conflicting(r, nullptr)) {
      apply(r);
      rescan(key);
      return {};
    }
    if (!r.wait) return {EAGAIN};
    for (const auto& [t, w] : waiters)
      if (w.owner.session == r.owner.session) return {EBUSY};
    if (r.space == AppLockSpace::kFlock) {
      ModelReq drop = r;
      drop.type = AppLockType::kUnlock;
      apply(drop);
      rescan(key);
    }
    std::set<uint64_t> sessions;
    conflicting(r, &sessions);
    if (cycle(sessions, r.owner.session)) return {EDEADLK};
    const AppTicket t = next_ticket++;
    waiters.push_back({t, r});
    return {0, true, t};
  }

  // The maximal run of one type of another owner that conflicts with r and
  // starts lowest (first owner on a tie).
  std::optional<AppLock> test(ModelReq r) const {
    r = normalise(r);
    std::optional<AppLock> best;
    auto sp = held.find({r.file, r.space});
    if (sp == held.end()) return best;
    for (const auto& [owner, bytes] : sp->second) {
      if (owner == r.owner) continue;
      for (const AppLock& run : runs(owner, bytes)) {
        const int s = static_cast<int>(run.start);
        const int e = run.end == kAppLockEof ? kBytes : static_cast<int>(run.end);
        const bool conflict = s < r.end && r.start < e &&
                              (run.type == AppLockType::kExclusive ||
                               r.type == AppLockType::kExclusive);
        if (conflict && (!best || run.start < best->start)) best = run;
      }
    }
    return best;
  }

  void release_handle(uint64_t file, uint64_t session, uint64_t handle, bool posix) {
    auto drop = [&](AppLockSpace space, AppOwner o) {
      auto sp = held.find({file, space});
      if (sp == held.end()) return;
      sp->second.erase(o);
      if (sp->second.empty()) held.erase(sp);
      rescan({file, space});
    };
    drop(AppLockSpace::kFlock, AppOwner{session, handle});
    if (posix) drop(AppLockSpace::kPosix, AppOwner{session, 0});
  }

  std::vector<AppTicket> release_session(uint64_t session) {
    std::vector<AppTicket> dropped;
    for (size_t i = 0; i < waiters.size();) {
      if (waiters[i].second.owner.session == session) {
        dropped.push_back(waiters[i].first);
        waiters.erase(waiters.begin() + static_cast<long>(i));
      } else {
        ++i;
      }
    }
    std::vector<Key> touched;
    for (auto it = held.begin(); it != held.end();) {
      bool any = false;
      for (auto o = it->second.begin(); o != it->second.end();) {
        if (o->first.session == session) { o = it->second.erase(o); any = true; }
        else ++o;
      }
      if (any) touched.push_back(it->first);
      it = it->second.empty() ? held.erase(it) : std::next(it);
    }
    for (const Key& k : touched) rescan(k);
    return dropped;
  }

  // The granted locks of one file space as the table lists them.
  std::vector<AppLock> locks(uint64_t file, AppLockSpace space) const {
    std::vector<AppLock> out;
    auto sp = held.find({file, space});
    if (sp == held.end()) return out;
    for (const auto& [owner, bytes] : sp->second)
      for (const AppLock& run : runs(owner, bytes)) out.push_back(run);
    return out;
  }

  std::vector<AppTicket> waiting() const {
    std::vector<AppTicket> out;
    for (const auto& [t, w] : waiters) out.push_back(t);
    return out;
  }

  std::map<Key, std::map<AppOwner, Bytes>> held;
  std::deque<std::pair<AppTicket, ModelReq>> waiters;
  std::vector<AppTicket> granted;
  AppTicket next_ticket = 1;
  uint32_t pid_of(uint64_t session) const { return static_cast<uint32_t>(1000 + session); }

 private:
  static Bytes empty_bytes() {
    Bytes b;
    b.fill(AppLockType::kUnlock);
    return b;
  }
  std::vector<AppLock> runs(const AppOwner& owner, const Bytes& bytes) const {
    std::vector<AppLock> out;
    for (int b = 0; b < kBytes;) {
      if (bytes[b] == AppLockType::kUnlock) { ++b; continue; }
      int e = b;
      while (e < kBytes && bytes[e] == bytes[b]) ++e;
      out.push_back(AppLock{owner, bytes[b], static_cast<uint64_t>(b),
                            e == kBytes ? kAppLockEof : static_cast<uint64_t>(e),
                            pid_of(owner.session)});
      b = e;
    }
    return out;
  }
};

}  // namespace app_model
