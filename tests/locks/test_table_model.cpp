// Lock table against the naive model (lock_model.hpp) under thousands of
// random request / cancel / release_owner sequences, with invariant checks
// after every step. The seed is printed; NACRE_SEED=<n> replays a run.
#include <doctest/doctest.h>

#include <random>
#include <set>
#include <sstream>
#include <string>

#include "lock_model.hpp"

using namespace locks_test;

namespace {

std::string str(const LockInfo& l) {
  std::ostringstream os;
  os << "#" << l.handle << " owner " << l.owner << " " << mode_name(l.mode) << "/" << l.gid << " ["
     << l.extent.start << "," << l.extent.end << ") wanted [" << l.wanted.start << ","
     << l.wanted.end << ")";
  return os.str();
}

std::string str(const std::vector<LockInfo>& v) {
  std::string s;
  for (const LockInfo& l : v) s += "\n  " + str(l);
  return s;
}

// The table's own invariants; returns a description of the first violation.
// called_back: every lock ever listed in a callback (updated by the caller).
std::string check_invariants(const LockTable& t, const std::set<LockHandle>& called_back) {
  const auto g = t.granted();
  const auto w = t.waiting();
  for (size_t i = 0; i < g.size(); ++i) {
    if (!contains(g[i].extent, g[i].wanted)) return "granted extent misses wanted: " + str(g[i]);
    for (size_t j = i + 1; j < g.size(); ++j)
      if (conflicts(g[i], g[j])) return "granted locks conflict: " + str(g[i]) + " / " + str(g[j]);
    // Callback completeness: a granted lock that blocks a waiter was called back.
    for (const LockInfo& x : w)
      if (conflicts(g[i], x) && (!called_back.count(g[i].handle) || !t.callback_sent(g[i].handle)))
        return "lock blocks a waiter but got no callback: " + str(g[i]) + " / " + str(x);
  }
  for (size_t i = 0; i < w.size(); ++i) {
    if (i > 0 && w[i - 1].handle >= w[i].handle) return "queue not in arrival order";
    if (w[i].extent != w[i].wanted) return "waiter extent differs from wanted: " + str(w[i]);
    bool blocked = false;
    for (const LockInfo& x : g) blocked = blocked || conflicts(x, w[i]);
    for (size_t j = 0; j < i; ++j) blocked = blocked || conflicts(w[j], w[i]);
    if (!blocked) return "waiter blocked by nothing: " + str(w[i]);
  }
  return "";
}

// Checks on one grant-producing step: FIFO fairness and expansion safety.
std::string check_new_grants(const LockTable& t, const std::vector<LockInfo>& granted_now) {
  for (const LockInfo& n : granted_now) {
    LockInfo as_requested = n;
    as_requested.extent = n.wanted;
    // A GROUP member joining its granted group may pass waiters.
    bool joined = false;
    for (const LockInfo& g : t.granted())
      joined = joined || (n.mode == Mode::GROUP && g.handle != n.handle && g.mode == Mode::GROUP &&
                          g.gid == n.gid && overlaps(g.extent, n.wanted));
    for (const LockInfo& x : t.waiting()) {
      if (joined) break;
      // No earlier conflicting waiter may be left behind.
      if (x.handle < n.handle && conflicts(x, as_requested))
        return "granted ahead of an earlier conflicting waiter: " + str(n) + " / " + str(x);
      // Expansion never reaches over a waiter; only a later waiter that
      // overlaps the request itself may conflict (then the grant is exact).
      if (conflicts(x, n) && (x.handle < n.handle || n.extent != n.wanted))
        return "grant expanded over a waiter: " + str(n) + " / " + str(x);
    }
  }
  return "";
}

// Callbacks: each lock at most once ever, granted, conflicting with a waiter,
// never the requester's own.
std::string check_callbacks(const LockTable& t, const std::vector<LockInfo>& cbs,
                            std::set<LockHandle>& called_back, std::optional<OwnerId> requester) {
  for (const LockInfo& c : cbs) {
    if (!called_back.insert(c.handle).second) return "callback listed twice: " + str(c);
    const auto now = t.find_granted(c.handle);
    if (!now || !(*now == c)) return "callback for a lock not granted as listed: " + str(c);
    if (requester && c.owner == *requester) return "callback to the requester itself: " + str(c);
    bool needed = false;
    for (const LockInfo& x : t.waiting()) needed = needed || conflicts(c, x);
    if (!needed) return "callback for a lock that blocks no waiter: " + str(c);
  }
  return "";
}

struct Scenario {
  ExpansionParams params;
  uint32_t owners;
};

}  // namespace

TEST_SUITE("table_model") {
  TEST_CASE("random sequences against the naive model") {
    const uint64_t seed = test_seed(20240904);
    std::mt19937_64 rng(seed);
    auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
    const uint64_t u = 64;
    const Scenario scenarios[] = {
        {{4, 4, 32, 24}, 4},  // Lustre thresholds, small pages
        {{1, 4, 32, 24}, 3},  // page 1: pure largest free extent
        {{4, 2, 1, 12}, 4},   // contention and the write cap both reachable
        {{8, 1, 0, 16}, 5},   // heavy contention
        {{2, 6, 2, 5}, 2},    // two owners
    };
    const Mode modes[] = {Mode::NL, Mode::CR, Mode::CW, Mode::PR, Mode::PW, Mode::EX, Mode::GROUP};
    // Weighted towards PR/PW, the modes clients use.
    const Mode weighted[] = {Mode::PR, Mode::PR, Mode::PR, Mode::PW, Mode::PW, Mode::PW, Mode::GROUP};
    constexpr int kSequences = 3000;
    constexpr int kSteps = 40;
    uint64_t grants = 0, waits = 0, callbacks = 0, joins_called_back = 0;

    for (int seq = 0; seq < kSequences; ++seq) {
      const Scenario& sc = scenarios[seq % std::size(scenarios)];
      const uint64_t max_end = u + sc.params.page_size + sc.params.max_grown_extent + 1;
      LockTable table(seq, sc.params);
      TableModel model(sc.params, max_end);
      std::set<LockHandle> called_back;
      std::vector<LockHandle> issued;

      for (int step = 0; step < kSteps; ++step) {
        std::ostringstream where;
        where << "seed " << seed << " sequence " << seq << " step " << step << ": ";
        const uint64_t op = pick(100);
        std::vector<LockInfo> granted_now;
        std::vector<LockInfo> cbs;
        std::optional<OwnerId> requester;

        if (op < 55 || issued.empty()) {
          const OwnerId owner = 1 + pick(sc.owners);
          const Mode mode = pick(3) == 0 ? modes[pick(7)] : weighted[pick(7)];
          const GroupId gid = 1 + pick(2);
          const uint64_t s = pick(u);
          Extent w{s, kEof};
          if (pick(10) != 0) w.end = s + 1 + pick(std::min<uint64_t>(u - s, pick(3) ? 8 : u));
          const bool no_expand = pick(4) == 0;
          where << "request owner " << owner << " " << mode_name(mode) << "/" << gid << " ["
                << w.start << "," << w.end << ")" << (no_expand ? " no_expand" : "");
          INFO(where.str());
          const auto got = table.request(owner, mode, gid, w, RequestFlags{no_expand});
          REQUIRE(got.is_ok());
          const ModelAnswer want = model.request(owner, mode, gid, w, no_expand);
          if (const Granted* g = std::get_if<Granted>(&*got)) {
            REQUIRE(want.granted);
            REQUIRE(g->handle == want.handle);
            REQUIRE(g->extent == want.extent);
            INFO("callbacks" << str(g->callbacks) << "\nmodel" << str(want.callbacks));
            REQUIRE(g->callbacks == want.callbacks);
            cbs = g->callbacks;  // a joining group member's own new lock
            if (!cbs.empty()) ++joins_called_back;
            granted_now.push_back(*table.find_granted(g->handle));
            issued.push_back(g->handle);
            ++grants;
            if (cbs.empty()) requester = owner;  // else the callback is the requester's own
          } else {
            requester = owner;
            const Wait& wt = std::get<Wait>(*got);
            REQUIRE_FALSE(want.granted);
            REQUIRE(wt.handle == want.handle);
            INFO("callbacks" << str(wt.callbacks) << "\nmodel" << str(want.callbacks));
            REQUIRE(wt.callbacks == want.callbacks);
            cbs = wt.callbacks;
            issued.push_back(wt.handle);
            ++waits;
          }
        } else if (op < 90) {
          // Cancel a handle issued earlier (granted, waiting or already gone).
          const LockHandle h = issued[pick(issued.size())];
          where << "cancel #" << h;
          INFO(where.str());
          const auto got = table.cancel(h);
          const auto want = model.cancel(h);
          REQUIRE(got.is_ok() == want.has_value());
          if (!got.is_ok()) {
            REQUIRE(got.status().code() == ENOENT);
          } else {
            INFO("granted" << str(got->granted) << "\nmodel" << str(want->granted));
            REQUIRE(got->granted == want->granted);
            REQUIRE(got->callbacks == want->callbacks);
            granted_now = got->granted;
            cbs = got->callbacks;
          }
        } else {
          const OwnerId owner = 1 + pick(sc.owners);
          where << "release_owner " << owner;
          INFO(where.str());
          const Progress got = table.release_owner(owner);
          const ModelProgress want = model.release(owner);
          INFO("granted" << str(got.granted) << "\nmodel" << str(want.granted));
          REQUIRE(got.granted == want.granted);
          REQUIRE(got.callbacks == want.callbacks);
          REQUIRE(table.locks_of(owner).empty());
          granted_now = got.granted;
          cbs = got.callbacks;
        }

        INFO(where.str());
        INFO("granted" << str(table.granted()) << "\nwaiting" << str(table.waiting()));
        callbacks += cbs.size();
        const std::string cb_err = check_callbacks(table, cbs, called_back, requester);
        REQUIRE_MESSAGE(cb_err.empty(), cb_err);
        const std::string fifo_err = check_new_grants(table, granted_now);
        REQUIRE_MESSAGE(fifo_err.empty(), fifo_err);
        const std::string inv_err = check_invariants(table, called_back);
        REQUIRE_MESSAGE(inv_err.empty(), inv_err);
        REQUIRE(table.granted() == model.granted());
        REQUIRE(table.waiting() == model.waiting());
      }
    }
    MESSAGE(grants << " immediate grants, " << waits << " waits, " << callbacks << " callbacks, "
                   << joins_called_back << " group members joined ahead of a waiter");
    CHECK(grants > 1000);
    CHECK(waits > 1000);
    CHECK(callbacks > 1000);
    CHECK(joins_called_back > 10);
  }
}
