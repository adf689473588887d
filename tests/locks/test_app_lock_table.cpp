// locks::AppLockTable: POSIX record-lock and flock semantics by hand, then
// against the byte-by-byte model (app_lock_model.hpp) under random
// operations. NACRE_SEED=<n> replays a random run.
#include <doctest/doctest.h>

#include <random>
#include <sstream>
#include <string>

#include "app_lock_model.hpp"
#include "lock_model.hpp"

using namespace app_model;

namespace {

constexpr auto kS = AppLockType::kShared;
constexpr auto kX = AppLockType::kExclusive;
constexpr auto kU = AppLockType::kUnlock;

AppLockRequest posix(uint64_t session, AppLockType t, uint64_t start, uint64_t end,
                     bool wait = false, uint64_t file = 1) {
  AppLockRequest r;
  r.file = file;
  r.space = AppLockSpace::kPosix;
  r.owner = AppOwner{session, 0};
  r.type = t;
  r.start = start;
  r.end = end;
  r.pid = static_cast<uint32_t>(1000 + session);
  r.wait = wait;
  return r;
}

AppLockRequest flock_req(uint64_t session, uint64_t handle, AppLockType t, bool wait = false,
                         uint64_t file = 1) {
  AppLockRequest r;
  r.file = file;
  r.space = AppLockSpace::kFlock;
  r.owner = AppOwner{session, handle};
  r.type = t;
  r.pid = static_cast<uint32_t>(1000 + session);
  r.wait = wait;
  return r;
}

int code_of(const Result<AppSetOutcome>& r) { return r ? 0 : r.status().code(); }

std::string str(const std::vector<AppLock>& v) {
  std::ostringstream os;
  for (const AppLock& l : v)
    os << " {" << l.owner.session << "/" << l.owner.handle << " " << app_lock_type_name(l.type)
       << " [" << l.start << ","
       << (l.end == kAppLockEof ? std::string("EOF") : std::to_string(l.end))
       << ") pid " << l.pid << "}";
  return os.str();
}

}  // namespace

TEST_SUITE("app_lock_table") {

TEST_CASE("a new lock replaces, splits and merges the owner's own locks") {
  AppLockTable t;
  REQUIRE(t.set(posix(1, kX, 0, 100)));
  REQUIRE(t.set(posix(1, kS, 40, 60)));  // split into X S X
  auto l = t.locks(1, AppLockSpace::kPosix);
  REQUIRE(l.size() == 3);
  CHECK(l[0].start == 0);
  CHECK(l[0].end == 40);
  CHECK(l[1].type == kS);
  CHECK(l[2].start == 60);
  REQUIRE(t.set(posix(1, kX, 40, 60)));  // merges back into one
  l = t.locks(1, AppLockSpace::kPosix);
  REQUIRE(l.size() == 1);
  CHECK(l[0].end == 100);
  REQUIRE(t.set(posix(1, kU, 10, 20)));  // unlock of a sub-range splits
  l = t.locks(1, AppLockSpace::kPosix);
  REQUIRE(l.size() == 2);
  CHECK(l[0].end == 10);
  CHECK(l[1].start == 20);
  REQUIRE(t.set(posix(1, kU, 0, kAppLockEof)));
  CHECK(t.empty());
}

TEST_CASE("shared locks coexist; exclusive conflicts only between owners") {
  AppLockTable t;
  REQUIRE(t.set(posix(1, kS, 0, 10)));
  REQUIRE(t.set(posix(2, kS, 5, 15)));
  CHECK(code_of(t.set(posix(3, kX, 9, 10))) == EAGAIN);
  CHECK(t.set(posix(3, kX, 15, 20)));
  CHECK(t.set(posix(1, kX, 0, 5)));  // own shared lock, nobody else there
  CHECK(code_of(t.set(posix(1, kX, 0, 6))) == EAGAIN);
}

TEST_CASE("test answers the lowest conflicting lock with its owner and pid") {
  AppLockTable t;
  REQUIRE(t.set(posix(2, kS, 50, 60)));
  REQUIRE(t.set(posix(3, kX, 20, 30)));
  auto c = t.test(posix(1, kX, 0, kAppLockEof));
  REQUIRE(c);
  REQUIRE(c->has_value());
  CHECK((*c)->owner.session == 3);
  CHECK((*c)->start == 20);
  CHECK((*c)->end == 30);
  CHECK((*c)->pid == 1003);
  c = t.test(posix(1, kS, 40, kAppLockEof));
  REQUIRE(c);
  CHECK(!c->has_value());  // shared does not conflict with shared
  c = t.test(posix(3, kX, 0, 40));
  REQUIRE(c);
  CHECK(!c->has_value());  // own locks never conflict
  CHECK(t.test(posix(1, kU, 0, 1)).status().code() == EINVAL);
}

TEST_CASE("bad ranges and types are EINVAL") {
  AppLockTable t;
  CHECK(code_of(t.set(posix(1, kX, 10, 10))) == EINVAL);
  CHECK(code_of(t.set(posix(1, kX, 10, 5))) == EINVAL);
  CHECK(code_of(t.set(posix(1, kX, kAppLockMaxOffset, kAppLockEof))) == EINVAL);
  CHECK(code_of(t.set(posix(1, kX, 0, kAppLockMaxOffset + 1))) == EINVAL);
  CHECK(code_of(t.set(posix(1, kX, 0, kAppLockMaxOffset))) == 0);
  auto r = posix(1, kX, 0, 1);
  r.type = static_cast<AppLockType>(7);
  CHECK(code_of(t.set(r)) == EINVAL);
  r = posix(1, kX, 0, 1);
  r.space = static_cast<AppLockSpace>(0);
  CHECK(code_of(t.set(r)) == EINVAL);
}

TEST_CASE("a blocking request waits and is granted FIFO when the way is free") {
  AppLockTable t;
  REQUIRE(t.set(posix(1, kX, 0, 10)));
  auto a = t.set(posix(2, kX, 0, 5, true));
  auto b = t.set(posix(3, kS, 5, 10, true));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->queued);
  CHECK(b->queued);
  CHECK(t.take_granted().empty());
  REQUIRE(t.set(posix(1, kS, 0, 10)));  // downgrade lets the reader in
  CHECK(t.take_granted() == std::vector<AppTicket>{b->ticket});
  REQUIRE(t.set(posix(1, kU, 0, 10)));
  CHECK(t.take_granted() == std::vector<AppTicket>{a->ticket});
  CHECK(t.waiting().empty());
}

TEST_CASE("two sessions waiting for each other: EDEADLK for the one closing the cycle") {
  AppLockTable t;
  REQUIRE(t.set(posix(1, kX, 0, 1)));
  REQUIRE(t.set(posix(2, kX, 1, 2)));
  auto a = t.set(posix(1, kX, 1, 2, true));
  REQUIRE(a);
  CHECK(a->queued);
  CHECK(code_of(t.set(posix(2, kX, 0, 1, true))) == EDEADLK);
  // Three sessions over two files.
  REQUIRE(t.set(posix(3, kX, 0, 1, false, 2)));
  auto b = t.set(posix(2, kS, 0, 1, true, 2));  // 2 waits for 3
  REQUIRE(b);
  CHECK(code_of(t.set(posix(3, kX, 0, 1, true))) == EDEADLK);  // 3 -> 1 -> 2 -> 3
  // A session waits for one thing at a time.
  CHECK(code_of(t.set(posix(1, kX, 0, 1, true, 2))) == EBUSY);
  // The holder's session ends: everything of it goes, waiters are granted.
  CHECK(t.release_session(2).size() == 1);
  CHECK(t.take_granted() == std::vector<AppTicket>{a->ticket});
}

TEST_CASE("flock: per handle, separate from fcntl, conversions, self-deadlock") {
  AppLockTable t;
  REQUIRE(t.set(posix(1, kX, 0, kAppLockEof)));
  REQUIRE(t.set(flock_req(2, 7, kX)));  // other namespace
  CHECK(code_of(t.set(flock_req(3, 1, kS))) == EAGAIN);
  // Another handle of the same process conflicts too; waiting on it would
  // wait forever.
  CHECK(code_of(t.set(flock_req(2, 8, kS))) == EAGAIN);
  CHECK(code_of(t.set(flock_req(2, 8, kS, true))) == EDEADLK);
  REQUIRE(t.set(flock_req(2, 7, kS)));  // downgrade in place
  REQUIRE(t.set(flock_req(3, 1, kS)));
  // Both shared holders upgrade: the first drops its shared lock and waits,
  // the second gets it at once, the first when the second unlocks.
  auto up = t.set(flock_req(2, 7, kX, true));
  REQUIRE(up);
  CHECK(up->queued);
  auto up2 = t.set(flock_req(3, 1, kX, true));
  REQUIRE(up2);
  CHECK(!up2->queued);
  // close() of the handle releases its flock lock (and, with posix, the fcntl locks).
  t.release_handle(1, 3, 1, false);
  CHECK(t.take_granted() == std::vector<AppTicket>{up->ticket});
  CHECK(t.locks(1, AppLockSpace::kPosix).size() == 1);
  t.release_handle(1, 1, 99, true);
  CHECK(t.locks(1, AppLockSpace::kPosix).empty());
  t.release_handle(1, 2, 7, false);
  CHECK(t.empty());
}

TEST_CASE("random operations agree with the byte model") {
  const uint64_t seed = locks_test::test_seed(20261130);
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  for (int run = 0; run < 300; ++run) {
    AppLockTable t;
    Model m;
    for (int step = 0; step < 200; ++step) {
      ModelReq q;
      q.file = 1 + static_cast<uint64_t>(pick(2));
      q.space = pick(4) == 0 ? AppLockSpace::kFlock : AppLockSpace::kPosix;
      q.owner = AppOwner{1 + static_cast<uint64_t>(pick(4)), 1 + static_cast<uint64_t>(pick(2))};
      const int ty = pick(5);
      q.type = ty == 0 ? kU : ty <= 2 ? kS : kX;
      q.start = pick(kBytes - 1);
      q.end = pick(4) == 0 ? kBytes : q.start + 1 + pick(kBytes - 1 - q.start);
      q.pid = m.pid_of(q.owner.session);
      q.wait = pick(2) == 0;
      AppLockRequest r;
      r.file = q.file;
      r.space = q.space;
      r.owner = q.owner;
      r.type = q.type;
      r.start = static_cast<uint64_t>(q.start);
      r.end = q.end == kBytes ? kAppLockEof : static_cast<uint64_t>(q.end);
      r.pid = q.pid;
      r.wait = q.wait;
      std::ostringstream what;
      what << "seed " << seed << " run " << run << " step " << step;
      const int op = pick(20);
      if (op < 15) {
        auto got = t.set(r);
        auto want = m.set(q);
        REQUIRE_MESSAGE(code_of(got) == want.code, what.str());
        if (got) {
          REQUIRE_MESSAGE(got->queued == want.queued, what.str());
          REQUIRE_MESSAGE(got->ticket == want.ticket, what.str());
        }
      } else if (op < 17) {
        if (q.type == kU) q.type = r.type = kS;
        auto got = t.test(r);
        REQUIRE(got);
        auto want = m.test(q);
        REQUIRE_MESSAGE(got->has_value() == want.has_value(), what.str());
        if (want) {
          const std::string msg = what.str() + str({**got}) + " vs" + str({*want});
          REQUIRE_MESSAGE(**got == *want, msg);
        }
      } else if (op < 19) {
        const bool with_posix = pick(2) == 0;
        t.release_handle(q.file, q.owner.session, q.owner.handle, with_posix);
        m.release_handle(q.file, q.owner.session, q.owner.handle, with_posix);
      } else {
        REQUIRE_MESSAGE(t.release_session(q.owner.session) == m.release_session(q.owner.session),
                        what.str());
      }
      REQUIRE_MESSAGE(t.take_granted() == m.granted, what.str());
      m.granted.clear();
      REQUIRE_MESSAGE(t.waiting() == m.waiting(), what.str());
      for (uint64_t f = 1; f <= 2; ++f)
        for (auto sp : {AppLockSpace::kPosix, AppLockSpace::kFlock}) {
          const auto got = t.locks(f, sp);
          const auto want = m.locks(f, sp);
          const std::string msg = what.str() + "\n table:" + str(got) + "\n model:" + str(want);
          REQUIRE_MESSAGE(got == want, msg);
        }
      // Safety: no two granted locks of different owners conflict.
      for (uint64_t f = 1; f <= 2; ++f)
        for (auto sp : {AppLockSpace::kPosix, AppLockSpace::kFlock}) {
          const auto l = t.locks(f, sp);
          for (size_t i = 0; i < l.size(); ++i)
            for (size_t j = i + 1; j < l.size(); ++j)
              REQUIRE_MESSAGE(!(l[i].owner != l[j].owner && l[i].start < l[j].end &&
                                l[j].start < l[i].end && (l[i].type == kX || l[j].type == kX)),
                              what.str());
        }
    }
  }
}

}  // TEST_SUITE
