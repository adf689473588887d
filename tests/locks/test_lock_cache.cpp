// The client's cache of granted extent locks (lib/client/lock_cache.*):
// which cached lock a call may reuse, when locks move to the cancel queue
// (callbacks, early callbacks, the per-object bound, locks kept for one call
// only, aging), and that its memory stays bounded.
#include "client/lock_cache.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

using nacre::client::LockCache;
using nacre::client::LockRef;
using nacre::locks::Extent;
using nacre::locks::Mode;

namespace {
bool queued(const std::vector<LockRef>& v, uint64_t handle) {
  return std::any_of(v.begin(), v.end(), [&](const LockRef& r) { return r.handle == handle; });
}
}  // namespace

TEST_SUITE("lock_cache") {

TEST_CASE("reuse: PW covers PR, PR does not cover PW, GROUP only its own group, extents contain") {
  LockCache c;
  c.add_in_use(0, 7, 1, Mode::PR, 0, Extent{0, 100});
  c.add_in_use(0, 7, 2, Mode::GROUP, 42, Extent{0, 100});
  c.unuse({0, 7, 1});
  c.unuse({0, 7, 2});
  CHECK(c.use_cached(0, 7, Mode::PW, 0, Extent{0, 10}) == 0);
  CHECK(c.use_cached(0, 7, Mode::PR, 0, Extent{10, 20}) == 1);
  CHECK(c.use_cached(0, 7, Mode::PR, 0, Extent{50, 101}) == 0);  // not contained
  CHECK(c.use_cached(0, 7, Mode::GROUP, 41, Extent{0, 10}) == 0);
  CHECK(c.use_cached(0, 7, Mode::GROUP, 42, Extent{0, 10}) == 2);
  CHECK(c.use_cached(1, 7, Mode::PR, 0, Extent{0, 10}) == 0);  // other server
  c.add_in_use(0, 8, 3, Mode::PW, 0, Extent{0, 100});
  c.unuse({0, 8, 3});
  CHECK(c.use_cached(0, 8, Mode::PR, 0, Extent{0, 100}) == 3);
  CHECK(c.cached_count() == 3);
}

TEST_CASE("a callback: no new use, cancelled once the last use ends") {
  LockCache c;
  c.add_in_use(0, 1, 5, Mode::PW, 0, Extent{0, 100});
  c.on_callback({0, 1, 5});
  CHECK(c.use_cached(0, 1, Mode::PW, 0, Extent{0, 10}) == 0);
  CHECK(c.take_cancels().empty());  // still in use
  c.unuse({0, 1, 5});
  auto q = c.take_cancels();
  REQUIRE(q.size() == 1);
  CHECK(q[0] == LockRef{0, 1, 5});
  CHECK(c.cached_count() == 0);
  CHECK(c.callbacks_received() == 1);
}

TEST_CASE("a callback that overtakes its grant applies when the grant arrives") {
  LockCache c;
  c.on_callback({0, 1, 9});
  CHECK(c.early_callback_count() == 1);
  c.add_in_use(0, 1, 9, Mode::PW, 0, Extent{0, 100});
  CHECK(c.early_callback_count() == 0);
  c.unuse({0, 1, 9});
  CHECK(queued(c.take_cancels(), 9));
}

TEST_CASE("callbacks for locks never granted (already cancelled) are bounded") {
  LockCache c;
  const uint64_t n = LockCache::kMaxEarlyCallbacks + 500;
  for (uint64_t h = 1; h <= n; ++h) c.on_callback({0, 1, h});
  CHECK(c.early_callback_count() == LockCache::kMaxEarlyCallbacks);
  // The newest are kept: a late grant of the last one still sees its callback.
  c.add_in_use(0, 1, n, Mode::PW, 0, Extent{0, 10});
  c.unuse({0, 1, n});
  CHECK(queued(c.take_cancels(), n));
  // The oldest were forgotten: that grant is cached normally.
  c.add_in_use(0, 1, 1, Mode::PW, 0, Extent{0, 10});
  c.unuse({0, 1, 1});
  CHECK(c.take_cancels().empty());
  CHECK(c.cached_count() == 1);
  // Forgetting a server forgets its remembered callbacks too.
  c.forget_server(0);
  CHECK(c.early_callback_count() == 0);
  CHECK(c.cached_count() == 0);
}

TEST_CASE("at most kMaxCachedPerObject unused locks per object; the oldest go first") {
  LockCache c;
  const uint64_t n = LockCache::kMaxCachedPerObject + 3;
  for (uint64_t h = 1; h <= n; ++h) {
    c.add_in_use(0, 1, h, Mode::PR, 0, Extent{h * 10, h * 10 + 5});
    c.unuse({0, 1, h});
  }
  auto q = c.take_cancels();
  REQUIRE(q.size() == 3);
  CHECK(q[0].handle == 1);
  CHECK(q[1].handle == 2);
  CHECK(q[2].handle == 3);
  CHECK(c.cached_count() == LockCache::kMaxCachedPerObject);
}

TEST_CASE("a lock kept for one call only is queued for cancel when that call ends") {
  LockCache c;
  c.add_in_use(0, 1, 4, Mode::PW, 0, Extent{0, 100}, /*keep=*/false);
  CHECK(c.use_cached(0, 1, Mode::PW, 0, Extent{0, 10}) == 0);  // never reused
  CHECK(c.take_cancels_of({LockRef{0, 1, 4}}).empty());         // still in use
  c.unuse({0, 1, 4});
  auto q = c.take_cancels_of({LockRef{0, 1, 4}});
  REQUIRE(q.size() == 1);
  CHECK(q[0] == LockRef{0, 1, 4});
  CHECK(c.take_cancels().empty());
}

TEST_CASE("aging: only locks unused for max_age go; in-use locks stay") {
  using namespace std::chrono_literals;
  LockCache c;
  c.add_in_use(0, 1, 1, Mode::PW, 0, Extent{0, 100});
  c.add_in_use(0, 1, 2, Mode::PR, 0, Extent{200, 300});
  c.add_in_use(1, 3, 3, Mode::PW, 0, Extent{0, 100});
  c.unuse({0, 1, 1});
  c.unuse({1, 3, 3});  // handle 2 stays in use
  const auto now = LockCache::Clock::now();
  CHECK(c.age_out(now, 1h) == 0);
  CHECK(c.take_cancels().empty());
  CHECK(c.age_out(now + 2h, 1h) == 2);
  auto q = c.take_cancels();
  CHECK(q.size() == 2);
  CHECK(queued(q, 1));
  CHECK(queued(q, 3));
  CHECK(c.aged_out() == 2);
  CHECK(c.cached_count() == 1);
  // A use restarts the clock: the lock is idle from its last unuse.
  c.unuse({0, 1, 2});
  CHECK(c.use_cached(0, 1, Mode::PR, 0, Extent{200, 210}) == 2);
  c.unuse({0, 1, 2});
  CHECK(c.age_out(LockCache::Clock::now() + 30min, 1h) == 0);
  CHECK(c.age_out(LockCache::Clock::now() + 61min, 1h) == 1);
}

}  // TEST_SUITE
