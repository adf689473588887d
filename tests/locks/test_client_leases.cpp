// Client leases of a server (lib/server/client_leases.*): who holds one,
// renewal, expiry, and the lock service's release of a presumed-dead client.
#include "oss/lock_service.hpp"
#include "server/client_leases.hpp"
#include "server/server.hpp"
#include "wire/messages.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace nacre;
using server::ClientLeases;
using transport::PeerId;
using namespace std::chrono_literals;

TEST_SUITE("client_leases") {

TEST_CASE("only clients that ping hold a lease; messages renew it; DISCONNECT ends it") {
  ClientLeases l(1000ms);
  const auto t0 = ClientLeases::Clock::time_point{} + 1h;
  const PeerId a{1, 0}, b{1, 1}, c{2, 0};
  l.heard(a, t0);  // no lease yet: nothing tracked
  CHECK(l.held() == 0);
  CHECK_FALSE(l.next_deadline().has_value());
  l.ping(a, t0);
  l.ping(b, t0 + 100ms);
  l.ping(c, t0 + 200ms);
  CHECK(l.held() == 3);
  CHECK(*l.next_deadline() == t0 + 1000ms);
  l.heard(a, t0 + 900ms);  // renewed
  CHECK(*l.next_deadline() == t0 + 1100ms);
  l.end(c);
  CHECK(l.expire(t0 + 1099ms).empty());
  auto gone = l.expire(t0 + 1100ms);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == b);
  CHECK(l.held() == 1);
  gone = l.expire(t0 + 10s);
  REQUIRE(gone.size() == 1);
  CHECK(gone[0] == a);
  CHECK(l.held() == 0);
  CHECK(l.expire(t0 + 20s).empty());  // each expiry is reported once
}

TEST_CASE("a zero lease tracks nothing") {
  ClientLeases l(0ms);
  l.ping(PeerId{0, 1}, ClientLeases::Clock::now());
  CHECK(l.held() == 0);
  CHECK(l.expire(ClientLeases::Clock::now() + 1h).empty());
}

TEST_CASE("a presumed-dead client's locks go silently, waiters are granted, it gets ESTALE") {
  oss::LockService s({});
  const PeerId dead{0, 2}, live{0, 3};
  wire::LockEnqueueRequest m{7, 4, 0, 0, 4096, 0};
  wire::Reply r1, r2;
  bool deferred = false;
  REQUIRE(s.enqueue(dead, 1, wire::encode_body(m), r1, &deferred).is_ok());
  REQUIRE_FALSE(deferred);
  REQUIRE(s.enqueue(live, 2, wire::encode_body(m), r2, &deferred).is_ok());
  REQUIRE(deferred);
  (void)s.take_outgoing();  // the callback to the dead client
  s.expire_peer(dead, "presumed dead");
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 1);  // the grant to the live client, nothing to the dead one
  CHECK(out[0].peer == live);
  CHECK(out[0].request_id == 2);
  CHECK(out[0].status == 0);
  CHECK(s.check_peer(dead).code() == ESTALE);
  CHECK(s.check_peer(live).is_ok());
  CHECK_FALSE(s.next_deadline().has_value());  // no callback deadline left
}

}  // TEST_SUITE

TEST_SUITE("client_leases") {

TEST_CASE("the lock servers' millisecond settings: good values, bad values fall back to defaults") {
  struct Var {
    const char* name;
    uint64_t (*read)();
    uint64_t fallback;
    bool zero_ok;
  };
  const Var vars[] = {
      {server::kEnvClientLease, server::client_lease_ms_from_env, server::kDefaultClientLeaseMs, true},
      {server::kEnvLockContention, server::lock_contention_ms_from_env,
       server::kDefaultLockContentionMs, true},
      {server::kEnvLockCallbackTimeout, server::lock_callback_timeout_from_env,
       server::kDefaultLockCallbackTimeoutMs, false},
  };
  for (const auto& v : vars) {
    CAPTURE(v.name);
    ::unsetenv(v.name);
    CHECK(v.read() == v.fallback);
    ::setenv(v.name, "1234", 1);
    CHECK(v.read() == 1234);
    ::setenv(v.name, "0", 1);
    CHECK(v.read() == (v.zero_ok ? 0 : v.fallback));  // 0 = off where that means something
    for (const char* bad : {"abc", "-5", "12ms", "1e3", " 7", "99999999999"}) {
      CAPTURE(bad);
      ::setenv(v.name, bad, 1);
      CHECK(v.read() == v.fallback);
    }
    ::unsetenv(v.name);
  }
}

}  // TEST_SUITE
