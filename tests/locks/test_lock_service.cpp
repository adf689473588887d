// The lock server of one OSS (lib/oss/lock_service.*) driven directly:
// grants, deferred grants, callbacks, cancels, eviction, hostile input.
#include "oss/lock_service.hpp"
#include "wire/messages.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace nacre;
using oss::LockOutgoing;
using oss::LockService;
using transport::PeerId;

namespace {

constexpr uint8_t kPR = 3, kPW = 4, kGroup = 6;

std::vector<uint8_t> enq_body(uint64_t obj, uint8_t mode, uint64_t start, uint64_t end,
                              uint32_t flags = 0, uint64_t gid = 0) {
  wire::LockEnqueueRequest m;
  m.object_id = obj;
  m.mode = mode;
  m.gid = gid;
  m.start = start;
  m.end = end;
  m.flags = flags;
  return wire::encode_body(m);
}

struct Enq {
  Status status;
  bool deferred = false;
  wire::LockEnqueueReply grant;
};

Enq enqueue(LockService& s, PeerId p, uint64_t req_id, const std::vector<uint8_t>& body) {
  Enq e;
  wire::Reply reply;
  e.status = s.enqueue(p, req_id, body, reply, &e.deferred);
  if (e.status && !e.deferred) REQUIRE(wire::decode_body(reply.body, e.grant, "grant").is_ok());
  return e;
}

Status cancel(LockService& s, PeerId p, uint64_t obj, uint64_t handle) {
  return s.cancel(p, wire::encode_body(wire::LockCancelRequest{obj, handle}));
}

wire::LockCallbackBody callback_of(const LockOutgoing& o) {
  wire::LockCallbackBody b;
  REQUIRE(o.callback);
  REQUIRE(wire::decode_body(o.body, b, "callback").is_ok());
  return b;
}

const PeerId A{0, 2}, B{0, 3}, C{1, 0};

}  // namespace

TEST_SUITE("lock_service") {

TEST_CASE("an uncontended request is granted at once and expanded to the whole object") {
  LockService s({});
  auto e = enqueue(s, A, 1, enq_body(7, kPW, 4096, 8192));
  REQUIRE(e.status.is_ok());
  CHECK_FALSE(e.deferred);
  CHECK(e.grant.handle != 0);
  CHECK(e.grant.start == 0);
  CHECK(e.grant.end == locks::kEof);
  CHECK(s.take_outgoing().empty());
}

TEST_CASE("no-expand grants exactly the wanted extent") {
  LockService s({});
  auto e = enqueue(s, A, 1, enq_body(7, kPW, 100, 200, wire::kLockFlagNoExpand));
  REQUIRE(e.status.is_ok());
  CHECK(e.grant.start == 100);
  CHECK(e.grant.end == 200);
}

TEST_CASE("a conflicting request waits, the holder is called back, the cancel grants it") {
  LockService s({3, {}, std::chrono::milliseconds(10000)});
  auto a = enqueue(s, A, 1, enq_body(7, kPW, 0, 4096));
  REQUIRE(a.status.is_ok());
  auto b = enqueue(s, B, 55, enq_body(7, kPR, 0, 100));
  REQUIRE(b.status.is_ok());
  CHECK(b.deferred);
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].peer == A);
  auto cb = callback_of(out[0]);
  CHECK(cb.server == 3);
  CHECK(cb.object_id == 7);
  CHECK(cb.handle == a.grant.handle);
  CHECK(s.next_deadline().has_value());
  // Another client cannot cancel A's lock.
  CHECK(cancel(s, B, 7, a.grant.handle).code() == EPERM);
  REQUIRE(cancel(s, A, 7, a.grant.handle).is_ok());
  CHECK_FALSE(s.next_deadline().has_value());
  out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].callback);
  CHECK(out[0].peer == B);
  CHECK(out[0].request_id == 55);
  CHECK(out[0].status == 0);
  wire::LockEnqueueReply g;
  REQUIRE(wire::decode_body(out[0].body, g, "grant").is_ok());
  CHECK(g.start <= 0);
  CHECK(g.end >= 100);
  // A cancel of a lock that is gone is ENOENT.
  CHECK(cancel(s, A, 7, a.grant.handle).code() == ENOENT);
  CHECK(cancel(s, A, 99, 1).code() == ENOENT);
}

TEST_CASE("compatible readers share, group locks of one group share") {
  LockService s({});
  CHECK_FALSE(enqueue(s, A, 1, enq_body(1, kPR, 0, 10)).deferred);
  CHECK_FALSE(enqueue(s, B, 2, enq_body(1, kPR, 0, 10)).deferred);
  CHECK_FALSE(enqueue(s, A, 3, enq_body(2, kGroup, 0, 10, 0, 9)).deferred);
  CHECK_FALSE(enqueue(s, B, 4, enq_body(2, kGroup, 0, 10, 0, 9)).deferred);
  CHECK(enqueue(s, C, 5, enq_body(2, kGroup, 0, 10, 0, 8)).deferred);
  CHECK(s.take_outgoing().size() == 2);  // both group holders are called back
}

TEST_CASE("bad requests are refused with a clear error") {
  LockService s({});
  CHECK(enqueue(s, A, 1, enq_body(1, 5 /* EX */, 0, 10)).status.code() == EINVAL);
  CHECK(enqueue(s, A, 1, enq_body(1, 200, 0, 10)).status.code() == EINVAL);
  CHECK(enqueue(s, A, 1, enq_body(1, kPR, 10, 10)).status.code() == EINVAL);
  CHECK(enqueue(s, A, 1, enq_body(1, kPR, 0, 10, 0x80)).status.code() == EINVAL);
  auto body = enq_body(1, kPR, 0, 10);
  body.pop_back();
  auto e = enqueue(s, A, 1, body);
  CHECK(e.status.code() == EBADMSG);
  body = enq_body(1, kPR, 0, 10);
  body.push_back(0);
  CHECK(enqueue(s, A, 1, body).status.code() == EBADMSG);
  std::vector<uint8_t> short_cancel(3, 0);
  CHECK(s.cancel(A, short_cancel).code() == EBADMSG);
  CHECK(s.table_count() == 0);
}

TEST_CASE("a holder that does not answer is evicted; waiters proceed; its requests fail") {
  LockService s({1, {}, std::chrono::milliseconds(20)});
  auto a = enqueue(s, A, 1, enq_body(7, kPW, 0, 10));
  auto a2 = enqueue(s, A, 2, enq_body(8, kPW, 0, 10));
  auto b = enqueue(s, B, 9, enq_body(7, kPW, 0, 10));
  REQUIRE(b.deferred);
  // C waits behind B for object 8's lock of A too.
  auto c = enqueue(s, C, 11, enq_body(8, kPR, 0, 10));
  REQUIRE(c.deferred);
  (void)s.take_outgoing();
  s.expire(LockService::Clock::now());  // not due yet
  CHECK_FALSE(s.evicted(A));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  s.expire(LockService::Clock::now());
  CHECK(s.evicted(A));
  auto out = s.take_outgoing();
  int grants = 0;
  for (const auto& o : out) {
    CHECK_FALSE(o.callback);
    CHECK(o.status == 0);
    if (o.peer == B) CHECK(o.request_id == 9);
    if (o.peer == C) CHECK(o.request_id == 11);
    ++grants;
  }
  CHECK(grants == 2);
  Status st = s.check_peer(A);
  CHECK(st.code() == ESTALE);
  CHECK(st.message().find("evicted by server 1") != std::string::npos);
  CHECK(enqueue(s, A, 3, enq_body(9, kPR, 0, 10)).status.code() == ESTALE);
  CHECK(cancel(s, A, 7, a.grant.handle).code() == ESTALE);
  (void)a2;
  CHECK(s.check_peer(B).is_ok());
}

TEST_CASE("a group lock holder is called back but never evicted; a joining member too") {
  LockService s({1, {}, std::chrono::milliseconds(20)});
  auto a = enqueue(s, A, 1, enq_body(7, kGroup, 0, 100, 0, 5));
  REQUIRE_FALSE(a.deferred);
  auto b = enqueue(s, B, 2, enq_body(7, kPW, 0, 10));
  REQUIRE(b.deferred);
  // C joins group 5 ahead of B's request and is called back at once.
  auto c = enqueue(s, C, 3, enq_body(7, kGroup, 0, 100, 0, 5));
  REQUIRE_FALSE(c.deferred);
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 2);
  CHECK(callback_of(out[0]).handle == a.grant.handle);
  CHECK(out[0].peer == A);
  CHECK(callback_of(out[1]).handle == c.grant.handle);
  CHECK(out[1].peer == C);
  CHECK_FALSE(s.next_deadline().has_value());  // no eviction clock runs
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  s.expire(LockService::Clock::now());
  CHECK_FALSE(s.evicted(A));
  CHECK_FALSE(s.evicted(C));
  // Only when both members give it back is the writer granted.
  CHECK(cancel(s, A, 7, a.grant.handle).is_ok());
  CHECK(s.take_outgoing().empty());
  CHECK(cancel(s, C, 7, c.grant.handle).is_ok());
  out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].peer == B);
  CHECK(out[0].request_id == 2);
}

TEST_CASE("an empty lock table goes away; the next one never reuses a handle") {
  LockService s({});
  auto a = enqueue(s, A, 1, enq_body(7, kPW, 0, 10));
  REQUIRE_FALSE(a.deferred);
  auto b = enqueue(s, B, 2, enq_body(7, kPW, 0, 10));
  REQUIRE(b.deferred);
  (void)s.take_outgoing();
  CHECK(s.table_count() == 1);
  CHECK(cancel(s, A, 7, a.grant.handle).is_ok());  // grants B
  CHECK(s.table_count() == 1);
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  wire::LockEnqueueReply gb;
  REQUIRE(wire::decode_body(out[0].body, gb, "grant").is_ok());
  CHECK(cancel(s, B, 7, gb.handle).is_ok());
  CHECK(s.table_count() == 0);  // nothing left on object 7
  // A stale cancel of an old handle finds nothing, and new handles are fresh.
  CHECK(cancel(s, A, 7, a.grant.handle).code() == ENOENT);
  auto c = enqueue(s, A, 3, enq_body(7, kPW, 0, 10));
  REQUIRE_FALSE(c.deferred);
  CHECK(c.grant.handle > gb.handle);
  // A departing client's tables go too.
  auto d = enqueue(s, C, 4, enq_body(9, kPR, 0, 10));
  REQUIRE_FALSE(d.deferred);
  CHECK(s.table_count() == 2);
  s.release_peer(A);
  s.release_peer(C);
  CHECK(s.table_count() == 0);
  // A refused request leaves no table behind.
  CHECK(enqueue(s, A, 5, enq_body(11, kPW, 10, 10)).status.code() == EINVAL);
  CHECK(s.table_count() == 0);
}

TEST_CASE("an evicted client's waiting request gets an ESTALE reply") {
  LockService s({0, {}, std::chrono::milliseconds(10)});
  auto b = enqueue(s, B, 1, enq_body(7, kPW, 0, 10));       // B holds object 7
  auto a = enqueue(s, A, 2, enq_body(8, kPW, 0, 10));       // A holds object 8
  REQUIRE(enqueue(s, A, 3, enq_body(7, kPW, 0, 10)).deferred);  // A waits for B
  REQUIRE(enqueue(s, B, 4, enq_body(8, kPW, 0, 10)).deferred);  // B waits for A
  (void)s.take_outgoing();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  s.expire(LockService::Clock::now());
  // Both were called back and neither answered: both are evicted. The first
  // one evicted still had a waiting request: it is answered with ESTALE
  // (the other one's request was granted by that eviction, then revoked).
  CHECK(s.evicted(A));
  CHECK(s.evicted(B));
  int estale = 0;
  for (const auto& o : s.take_outgoing())
    if (!o.callback && o.status == ESTALE) {
      ++estale;
      CHECK(o.body.size() == wire::kLockEnqueueReplyBody);
      CHECK(o.text.find("evicted") != std::string::npos);
    }
  CHECK(estale == 1);
  (void)a;
  (void)b;
}

TEST_CASE("a disconnecting client's locks go away silently") {
  LockService s({});
  auto a = enqueue(s, A, 1, enq_body(7, kPW, 0, 10));
  REQUIRE(enqueue(s, B, 2, enq_body(7, kPW, 0, 10)).deferred);
  (void)s.take_outgoing();
  s.release_peer(A);
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].peer == B);
  CHECK(out[0].request_id == 2);
  CHECK_FALSE(s.next_deadline().has_value());
  (void)a;
}

// ---- server-side locking of contended objects ------------------------------

namespace {
LockService contention_service(std::chrono::milliseconds window, uint32_t conflicts = 4) {
  oss::LockServiceOptions o;
  o.contention_window = window;
  o.contended_conflicts = conflicts;
  return LockService(o);
}
Status srvlock(LockService& s, PeerId p, uint64_t obj, uint64_t start, uint64_t end, bool write,
               bool* contended) {
  return s.server_side_lock(p, obj, locks::Extent{start, end}, write, contended);
}
// A holds PW on [0, 4096) of obj; B asks for it and waits; A cancels.
void one_conflict(LockService& s, uint64_t obj, uint64_t req) {
  auto a = enqueue(s, A, req, enq_body(obj, kPW, 0, 4096, wire::kLockFlagNoExpand));
  REQUIRE(a.status.is_ok());
  REQUIRE_FALSE(a.deferred);
  auto b = enqueue(s, B, req + 1, enq_body(obj, kPW, 0, 4096, wire::kLockFlagNoExpand));
  REQUIRE(b.deferred);
  REQUIRE(cancel(s, A, obj, a.grant.handle).is_ok());
  for (const auto& o : s.take_outgoing()) {
    if (o.callback) continue;
    wire::LockEnqueueReply g;
    REQUIRE(wire::decode_body(o.body, g, "grant").is_ok());
    REQUIRE(cancel(s, B, obj, g.handle).is_ok());
  }
  (void)s.take_outgoing();
}
}  // namespace

TEST_CASE("server-side locking: refused exactly while another client's lock conflicts") {
  LockService s = contention_service(std::chrono::milliseconds(60000));
  bool contended = true;
  // Nothing locked: allowed, not contended.
  CHECK(srvlock(s, B, 7, 0, 100, true, &contended).is_ok());
  CHECK_FALSE(contended);
  auto a = enqueue(s, A, 1, enq_body(7, kPR, 1000, 2000, wire::kLockFlagNoExpand));
  REQUIRE(a.status.is_ok());
  // A's PR lock: B's write over it is refused, B's read and B's write
  // elsewhere are not; A's own I/O never conflicts with A's lock.
  Status w = srvlock(s, B, 7, 1500, 1600, true, &contended);
  CHECK(w.code() == EBUSY);
  CHECK(w.message().find("locked by another client") != std::string::npos);
  CHECK(srvlock(s, B, 7, 1500, 1600, false, &contended).is_ok());
  CHECK(srvlock(s, B, 7, 2000, 3000, true, &contended).is_ok());
  CHECK(srvlock(s, B, 8, 1500, 1600, true, &contended).is_ok());  // another object
  CHECK(srvlock(s, A, 7, 1500, 1600, true, &contended).is_ok());
  // A waiting request conflicts too (it was there first).
  auto c = enqueue(s, C, 2, enq_body(7, kPW, 1900, 2500, wire::kLockFlagNoExpand));
  REQUIRE(c.deferred);
  CHECK(srvlock(s, B, 7, 2400, 2450, false, &contended).code() == EBUSY);
  CHECK(srvlock(s, B, 7, 2500, 2600, false, &contended).is_ok());
  // Empty extents touch nothing.
  CHECK(srvlock(s, B, 7, 1500, 1500, true, &contended).is_ok());
  // Server-side locking takes no lock: the table is unchanged.
  CHECK(s.table(7)->granted_count() == 1);
  CHECK(s.table(7)->waiting_count() == 1);
}

TEST_CASE("server-side locking: an object becomes contended after enough waits, and grants say so") {
  LockService s = contention_service(std::chrono::milliseconds(60000), 3);
  bool contended = true;
  one_conflict(s, 7, 10);
  one_conflict(s, 7, 20);
  CHECK_FALSE(s.contended(7));
  CHECK(srvlock(s, A, 7, 0, 10, true, &contended).is_ok());
  CHECK_FALSE(contended);
  one_conflict(s, 7, 30);  // the third wait
  CHECK(s.contended(7));
  CHECK_FALSE(s.contended(8));
  auto g = enqueue(s, A, 40, enq_body(7, kPR, 0, 10));
  REQUIRE(g.status.is_ok());
  CHECK(g.grant.flags == wire::kLockReplyContended);
  // ... and are not expanded (a grown lock would refuse the others'
  // server-side locked I/O), while an uncontended object's are.
  CHECK(g.grant.start == 0);
  CHECK(g.grant.end == 10);
  auto other = enqueue(s, A, 41, enq_body(8, kPR, 0, 10));
  CHECK(other.grant.flags == 0);
  CHECK(other.grant.end == locks::kEof);
  REQUIRE(cancel(s, A, 7, g.grant.handle).is_ok());
  CHECK(srvlock(s, B, 7, 0, 10, true, &contended).is_ok());
  CHECK(contended);
  // Refusals count as conflicts too.
  LockService r = contention_service(std::chrono::milliseconds(60000), 2);
  auto h = enqueue(r, A, 1, enq_body(9, kPW, 0, 100));
  REQUIRE(h.status.is_ok());
  CHECK(srvlock(r, B, 9, 0, 10, true, &contended).code() == EBUSY);
  CHECK_FALSE(r.contended(9));
  CHECK(srvlock(r, B, 9, 0, 10, true, &contended).code() == EBUSY);
  CHECK(r.contended(9));
}

TEST_CASE("server-side locking: contention ends a window after the last conflict unless clients interleave") {
  const auto window = std::chrono::milliseconds(150);
  LockService s = contention_service(window, 1);
  bool contended = false;
  one_conflict(s, 7, 10);
  REQUIRE(s.contended(7));
  // One client alone: no refresh, the mark runs out.
  std::this_thread::sleep_for(window / 2);
  CHECK(srvlock(s, A, 7, 0, 10, true, &contended).is_ok());
  CHECK(contended);
  std::this_thread::sleep_for(window);
  CHECK(srvlock(s, A, 7, 0, 10, true, &contended).is_ok());
  CHECK_FALSE(contended);
  CHECK_FALSE(s.contended(7));
  // Two clients alternating keep it contended past the first window.
  one_conflict(s, 7, 20);
  REQUIRE(s.contended(7));
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(window / 3);
    CHECK(srvlock(s, i % 2 ? A : B, 7, 0, 10, true, &contended).is_ok());
    CHECK(contended);
  }
  CHECK(s.contended(7));
}

TEST_CASE("server-side locking: a zero window turns contention off; evicted clients are refused") {
  LockService s = contention_service(std::chrono::milliseconds(0), 1);
  bool contended = true;
  one_conflict(s, 7, 10);
  one_conflict(s, 7, 20);
  CHECK_FALSE(s.contended(7));
  CHECK(srvlock(s, A, 7, 0, 10, true, &contended).is_ok());
  CHECK_FALSE(contended);
  // An evicted client gets ESTALE, like its other requests.
  LockService e({1, {}, std::chrono::milliseconds(1)});
  REQUIRE(enqueue(e, A, 1, enq_body(7, kPW, 0, 4096)).status.is_ok());
  REQUIRE(enqueue(e, B, 2, enq_body(7, kPW, 0, 4096)).deferred);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  e.expire(LockService::Clock::now());
  REQUIRE(e.evicted(A));
  CHECK(srvlock(e, A, 7, 0, 10, false, &contended).code() == ESTALE);
}

}  // TEST_SUITE
