// Lock table: directed scenarios for each rule stated in lock_table.hpp.
#include <doctest/doctest.h>

#include "lock_model.hpp"

#include <random>

using namespace locks_test;

namespace {

Granted as_granted(const Result<RequestOutcome>& r) {
  REQUIRE(r.is_ok());
  REQUIRE(std::holds_alternative<Granted>(*r));
  return std::get<Granted>(*r);
}

Wait as_wait(const Result<RequestOutcome>& r) {
  REQUIRE(r.is_ok());
  REQUIRE(std::holds_alternative<Wait>(*r));
  return std::get<Wait>(*r);
}

std::vector<LockHandle> handles(const std::vector<LockInfo>& v) {
  std::vector<LockHandle> out;
  for (const LockInfo& l : v) out.push_back(l.handle);
  return out;
}

constexpr RequestFlags kExact{true};

}  // namespace

TEST_SUITE("lock_table") {
  TEST_CASE("a lone lock is expanded to the whole object") {
    LockTable t(7);
    const Granted& g = as_granted(t.request(1, Mode::PW, 0, Extent{100, 200}));
    CHECK(g.handle == 1);
    CHECK(g.extent == Extent::whole());
    const auto l = t.find_granted(g.handle);
    REQUIRE(l);
    CHECK(l->wanted == (Extent{100, 200}));
    CHECK(l->owner == 1);
  }

  TEST_CASE("readers share; a writer waits and calls back each reader once") {
    LockTable t;
    const auto r1 = as_granted(t.request(1, Mode::PR, 0, Extent{0, 4096}, kExact));
    const auto r2 = as_granted(t.request(2, Mode::PR, 0, Extent{0, 8192}, kExact));
    const Wait w = as_wait(t.request(3, Mode::PW, 0, Extent{1000, 2000}, kExact));
    CHECK(handles(w.callbacks) == std::vector<LockHandle>{r1.handle, r2.handle});
    CHECK(t.callback_sent(r1.handle));
    CHECK(handles(t.blockers(w.handle)) == std::vector<LockHandle>{r1.handle, r2.handle});
    // A second writer: already called-back locks are not listed again.
    const Wait w2 = as_wait(t.request(4, Mode::PW, 0, Extent{0, 100}, kExact));
    CHECK(w2.callbacks.empty());
    // Cancel one reader: still blocked by the other.
    auto p = t.cancel(r1.handle);
    REQUIRE(p.is_ok());
    CHECK(p->granted.empty());
    // Cancel the other: the first writer is granted; the second, behind it
    // (overlap? no: [0,100) vs [1000,2000)) is granted too.
    p = t.cancel(r2.handle);
    REQUIRE(p.is_ok());
    CHECK(handles(p->granted) == std::vector<LockHandle>{w.handle, w2.handle});
    CHECK(t.waiting_count() == 0);
  }

  TEST_CASE("FIFO: a compatible request does not jump an earlier conflicting waiter") {
    LockTable t;
    const auto r1 = as_granted(t.request(1, Mode::PR, 0, Extent{0, 100}, kExact));
    const Wait w = as_wait(t.request(2, Mode::PW, 0, Extent{0, 100}, kExact));
    // PR is compatible with the granted PR, but conflicts with the waiting PW.
    const Wait r3 = as_wait(t.request(3, Mode::PR, 0, Extent{50, 60}, kExact));
    CHECK(r3.callbacks.empty());
    CHECK(handles(t.blockers(r3.handle)) == std::vector<LockHandle>{w.handle});
    // A non-conflicting request is granted at once.
    as_granted(t.request(4, Mode::PR, 0, Extent{200, 300}, kExact));
    // Owner 1 leaves: PW granted; the PR behind it waits and the new PW lock is
    // called back at once.
    const Progress p = t.release_owner(1);
    CHECK(handles(p.granted) == std::vector<LockHandle>{w.handle});
    CHECK(handles(p.callbacks) == std::vector<LockHandle>{w.handle});
    CHECK(t.find_waiting(r3.handle));
    // Withdrawing the PW grants the PR.
    auto q = t.cancel(w.handle);
    REQUIRE(q.is_ok());
    CHECK(handles(q->granted) == std::vector<LockHandle>{r3.handle});
    CHECK_FALSE(t.find_granted(r1.handle));
  }

  TEST_CASE("a waiter granted from the queue is not expanded over a later waiter it blocks") {
    LockTable t;
    const auto a = as_granted(t.request(1, Mode::PW, 0, Extent{0, 4096}, kExact));
    const Wait b = as_wait(t.request(2, Mode::PW, 0, Extent{0, 4096}));
    const Wait c = as_wait(t.request(3, Mode::PR, 0, Extent{0, 100}));
    // Conflicts with nothing it overlaps: granted at once, expanded up to the
    // granted PW lock and the waiting PW request.
    const auto d = as_granted(t.request(4, Mode::PR, 0, Extent{1 << 20, (1 << 20) + 1}));
    CHECK(d.extent == (Extent{4096, kEof}));
    auto p = t.cancel(a.handle);
    REQUIRE(p.is_ok());
    // b is granted exactly what it asked (c, queued behind it, overlaps its
    // request) and is called back at once for c.
    REQUIRE(p->granted.size() == 1);
    CHECK(p->granted[0].handle == b.handle);
    CHECK(p->granted[0].extent == (Extent{0, 4096}));
    CHECK(handles(p->callbacks) == std::vector<LockHandle>{b.handle});
    CHECK(handles(t.blockers(c.handle)) == std::vector<LockHandle>{b.handle});
  }

  TEST_CASE("expansion avoids other owners' waiting requests") {
    LockTable t;
    as_granted(t.request(1, Mode::PR, 0, Extent{0, 1 << 20}, kExact));
    as_wait(t.request(2, Mode::PW, 0, Extent{0, 10}, kExact));
    const auto g = as_granted(t.request(3, Mode::PR, 0, Extent{2 << 20, (2 << 20) + 5}));
    CHECK(g.extent == (Extent{4096, kEof}));  // the PR lock is compatible, the PW waiter is not
  }

  TEST_CASE("an owner is never blocked by its own locks") {
    LockTable t;
    const auto r = as_granted(t.request(1, Mode::PR, 0, Extent{0, 100}));
    const auto w = as_granted(t.request(1, Mode::PW, 0, Extent{50, 150}));
    CHECK(w.extent == Extent::whole());
    const auto e = as_granted(t.request(1, Mode::EX, 0, Extent{0, 10}));
    (void)e;
    CHECK(t.locks_of(1).size() == 3);
    CHECK(t.locks_of(2).empty());
    // Another owner waits and every conflicting lock of owner 1 is called back.
    const Wait o = as_wait(t.request(2, Mode::PR, 0, Extent{60, 70}));
    CHECK(handles(o.callbacks) == std::vector<LockHandle>{w.handle, e.handle});
    (void)r;
  }

  TEST_CASE("group locks: same group shares, other groups and modes wait") {
    LockTable t;
    const auto g1 = as_granted(t.request(1, Mode::GROUP, 42, Extent{0, 1000}));
    CHECK(g1.extent == (Extent{0, 1000}));  // never expanded
    const auto g2 = as_granted(t.request(2, Mode::GROUP, 42, Extent{500, 2000}));
    CHECK(g2.extent == (Extent{500, 2000}));
    as_wait(t.request(3, Mode::GROUP, 43, Extent{0, 1}));
    as_wait(t.request(4, Mode::PR, 0, Extent{900, 901}));
    as_granted(t.request(5, Mode::NL, 0, Extent{0, 10}));
    const auto g = t.find_granted(g1.handle);
    REQUIRE(g);
    CHECK(g->gid == 42);
    // gid is dropped for other modes.
    const auto pr = as_granted(t.request(6, Mode::PR, 77, Extent{1 << 30, (1 << 30) + 1}));
    CHECK(t.find_granted(pr.handle)->gid == 0);
  }

  TEST_CASE("a member joining a granted group passes the waiters, and is called back at once") {
    LockTable t;
    const auto a = as_granted(t.request(1, Mode::GROUP, 7, Extent{0, 100}));
    const auto w = as_wait(t.request(2, Mode::PW, 0, Extent{0, 10}));
    CHECK(handles(w.callbacks) == std::vector<LockHandle>{a.handle});
    // Owner 3 joins group 7 although owner 2 waits: the waiter blocks on the
    // group, and members may wait for each other.
    const auto b = t.request(3, Mode::GROUP, 7, Extent{0, 100});
    const auto gb = as_granted(b);
    CHECK(handles(gb.callbacks) == std::vector<LockHandle>{gb.handle});
    // Another group does not join; nor does gid 7 where group 7 holds nothing.
    as_wait(t.request(4, Mode::GROUP, 8, Extent{0, 100}));
    const auto far = as_granted(t.request(5, Mode::GROUP, 7, Extent{500, 600}));
    CHECK(far.callbacks.empty());  // blocks no waiter
    // Overlapping a granted group-7 lock is enough to join.
    const auto c = as_granted(t.request(6, Mode::GROUP, 7, Extent{5, 600}));
    CHECK(handles(c.callbacks) == std::vector<LockHandle>{c.handle});
    // The waiters are served in FIFO order once the group has left.
    for (LockHandle h : {a.handle, gb.handle, far.handle}) CHECK(t.cancel(h)->granted.empty());
    const auto p = t.cancel(c.handle);
    REQUIRE(p.is_ok());
    CHECK(handles(p->granted) == std::vector<LockHandle>{w.handle});
    CHECK(t.waiting_count() == 1);  // group 8 waits for the PW lock
  }

  TEST_CASE("a member that queued before its group was granted joins it ahead of an outsider") {
    // X holds PW; member A queues for group 7, outsider C queues for PW,
    // member B queues for group 7 (nothing of group 7 granted yet). When X
    // goes, A is granted, and B must join too: C waits for the group, and
    // A may be waiting for B (a barrier), so B behind C would deadlock.
    LockTable t;
    const auto x = as_granted(t.request(1, Mode::PW, 0, Extent{0, 100}, kExact));
    const auto a = as_wait(t.request(2, Mode::GROUP, 7, Extent{0, 100}));
    const auto c = as_wait(t.request(3, Mode::PW, 0, Extent{10, 20}));
    const auto b = as_wait(t.request(4, Mode::GROUP, 7, Extent{0, 100}));
    const auto p = t.cancel(x.handle);
    REQUIRE(p.is_ok());
    CHECK(handles(p->granted) == std::vector<LockHandle>{a.handle, b.handle});
    CHECK(handles(t.waiting()) == std::vector<LockHandle>{c.handle});
    // Both members block the outsider: each is called back once.
    CHECK(handles(p->callbacks) == std::vector<LockHandle>{a.handle, b.handle});
  }

  TEST_CASE("release_owner drops locks and waits and grants in FIFO order") {
    LockTable t;
    as_granted(t.request(1, Mode::EX, 0, Extent{0, 100}, kExact));
    const Wait a = as_wait(t.request(2, Mode::PW, 0, Extent{0, 10}, kExact));
    const Wait b = as_wait(t.request(3, Mode::PW, 0, Extent{20, 30}, kExact));
    // Overlaps owner 2's own earlier request (no conflict) and b (conflict).
    const Wait c = as_wait(t.request(2, Mode::PW, 0, Extent{5, 25}, kExact));
    as_wait(t.request(1, Mode::PR, 0, Extent{0, 1}, kExact));  // owner 1 also waits
    CHECK(t.locks_of(1).size() == 2);
    const Progress p = t.release_owner(1);
    CHECK(t.locks_of(1).empty());
    CHECK(handles(p.granted) == std::vector<LockHandle>{a.handle, b.handle});
    CHECK(handles(p.callbacks) == std::vector<LockHandle>{b.handle});
    CHECK(handles(t.waiting()) == std::vector<LockHandle>{c.handle});
    const Progress q = t.release_owner(3);
    CHECK(handles(q.granted) == std::vector<LockHandle>{c.handle});
    CHECK(q.callbacks.empty());
    CHECK(t.waiting_count() == 0);
  }

  TEST_CASE("errors") {
    LockTable t(3);
    auto r = t.request(1, Mode::PR, 0, Extent{10, 10});
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == EINVAL);
    r = t.request(1, static_cast<Mode>(9), 0, Extent{0, 10});
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == EINVAL);
    auto c = t.cancel(12345);
    REQUIRE_FALSE(c.is_ok());
    CHECK(c.status().code() == ENOENT);
    CHECK(t.empty());
    CHECK_FALSE(t.callback_sent(12345));
    CHECK(t.blockers(12345).empty());
    CHECK(t.release_owner(99).granted.empty());
  }

  TEST_CASE("would_conflict matches a brute-force check over granted locks and waiters") {
    std::mt19937_64 rng(20261130);
    const Mode modes[] = {Mode::PR, Mode::PW, Mode::GROUP};
    long probes = 0, conflicting = 0;
    for (int round = 0; round < 300; ++round) {
      LockTable t(1);
      std::vector<LockHandle> live;
      for (int op = 0; op < 12; ++op) {
        if (!live.empty() && rng() % 4 == 0) {
          const size_t k = rng() % live.size();
          (void)t.cancel(live[k]);
          live.erase(live.begin() + static_cast<long>(k));
          continue;
        }
        const uint64_t a = rng() % 64, b = a + 1 + rng() % 16;
        const Mode m = modes[rng() % 3];
        auto r = t.request(1 + rng() % 4, m, 1 + rng() % 2, Extent{a * 256, b * 256},
                           RequestFlags{rng() % 2 == 0});
        REQUIRE(r.is_ok());
        live.push_back(std::holds_alternative<Granted>(*r) ? std::get<Granted>(*r).handle
                                                           : std::get<Wait>(*r).handle);
      }
      for (int p = 0; p < 40; ++p) {
        LockInfo probe;
        probe.owner = 1 + rng() % 4;
        probe.mode = rng() % 2 ? Mode::PW : Mode::PR;
        const uint64_t a = rng() % 80, b = a + 1 + rng() % 8;
        probe.extent = Extent{a * 256, b * 256};
        bool expect = false;
        for (const auto& l : t.granted()) expect |= conflicts(probe, l);
        for (const auto& l : t.waiting()) expect |= conflicts(probe, l);
        CHECK(t.would_conflict(probe.owner, probe.mode, probe.extent) == expect);
        ++probes;
        conflicting += expect;
      }
    }
    // Both answers occur often enough for the comparison to mean something.
    CHECK(conflicting > probes / 10);
    CHECK(conflicting < probes * 9 / 10);
  }
}
