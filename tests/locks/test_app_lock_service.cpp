// Application locks above the pure table: the metadata server's APP_LOCK
// service driven directly (deferred grants, DISCONNECT, hostile bodies), and
// nacre::File's lock / test_lock / flock over an in-process cluster.
#include "mds/app_lock_service.hpp"
#include "support/loopback_cluster.hpp"
#include "wire/messages.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace nacre;
using mds::AppLockService;
using transport::PeerId;

namespace {

std::vector<uint8_t> body(uint8_t op, uint8_t space, uint8_t type, uint64_t start, uint64_t end,
                          bool wait = false, uint64_t ino = 5, uint64_t handle = 1) {
  wire::AppLockRequest m;
  m.ino = ino;
  m.op = op;
  m.space = space;
  m.type = type;
  m.wait = wait;
  m.handle = handle;
  m.start = start;
  m.end = end;
  m.pid = 42;
  return wire::encode_body(m);
}

struct Answer {
  Status status;
  bool deferred = false;
  wire::AppLockReply rep;
  size_t error_body = 0;
};

Answer call(AppLockService& s, PeerId p, uint64_t id, const std::vector<uint8_t>& b) {
  Answer a;
  wire::Reply reply;
  a.status = s.handle(p, id, b, reply);
  a.deferred = reply.deferred;
  a.error_body = reply.error_body_size;
  if (a.status && !a.deferred) REQUIRE(wire::decode_body(reply.body, a.rep, "reply").is_ok());
  return a;
}

constexpr uint8_t kSet = wire::kAppLockSet, kTest = wire::kAppLockTest,
                  kRelease = wire::kAppLockRelease, kFcntl = wire::kAppLockSpaceFcntl,
                  kFlock = wire::kAppLockSpaceFlock;
const PeerId A{0, 2}, B{0, 3}, C{1, 0};

}  // namespace

TEST_SUITE("app_lock_service") {

TEST_CASE("grants, deferred grants, test answers, release at close and at DISCONNECT") {
  AppLockService s;
  REQUIRE(call(s, A, 1, body(kSet, kFcntl, 2, 0, 100)).status.is_ok());
  auto t = call(s, B, 2, body(kTest, kFcntl, 1, 50, 60));
  REQUIRE(t.status.is_ok());
  CHECK(t.rep.type == 2);
  CHECK(t.rep.start == 0);
  CHECK(t.rep.end == 100);
  CHECK(t.rep.pid == 42);
  CHECK(t.rep.owner_link == 0);
  CHECK(t.rep.owner_rank == 2);
  CHECK(call(s, B, 3, body(kSet, kFcntl, 1, 50, 60)).status.code() == EAGAIN);
  auto w = call(s, B, 4, body(kSet, kFcntl, 1, 50, 60, true));
  REQUIRE(w.status.is_ok());
  CHECK(w.deferred);
  auto w2 = call(s, C, 5, body(kSet, kFcntl, 2, 90, 200, true));
  REQUIRE(w2.status.is_ok());
  CHECK(w2.deferred);
  CHECK(s.take_outgoing().empty());
  // A's unlock of [0, 60) lets B in; C still waits for [90, 100).
  REQUIRE(call(s, A, 6, body(kSet, kFcntl, 0, 0, 60)).status.is_ok());
  auto out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].peer == B);
  CHECK(out[0].request_id == 4);
  // Close of any handle of A's on the file drops A's fcntl locks.
  REQUIRE(call(s, A, 7, body(kRelease, kFcntl, 0, 0, 0)).status.is_ok());
  out = s.take_outgoing();
  REQUIRE(out.size() == 1);
  CHECK(out[0].peer == C);
  // C's job ends: its lock goes.
  s.release_peer(C);
  CHECK(call(s, A, 8, body(kSet, kFcntl, 2, 150, 160)).status.is_ok());
}

TEST_CASE("a deadlock is refused; a waiter of a disconnecting client gets no reply") {
  AppLockService s;
  REQUIRE(call(s, A, 1, body(kSet, kFcntl, 2, 0, 1)).status.is_ok());
  REQUIRE(call(s, B, 2, body(kSet, kFcntl, 2, 1, 2)).status.is_ok());
  REQUIRE(call(s, A, 3, body(kSet, kFcntl, 2, 1, 2, true)).deferred);
  auto d = call(s, B, 4, body(kSet, kFcntl, 2, 0, 1, true));
  CHECK(d.status.code() == EDEADLK);
  CHECK(d.error_body == wire::kAppLockReplyBody);
  s.release_peer(A);  // A's waiting request is dropped without a reply
  CHECK(s.take_outgoing().empty());
  CHECK(call(s, C, 5, body(kSet, kFcntl, 2, 0, 1)).status.is_ok());
}

TEST_CASE("flock locks belong to the handle and are released by its close") {
  AppLockService s;
  REQUIRE(call(s, A, 1, body(kSet, kFlock, 2, 0, 0, false, 5, 10)).status.is_ok());
  CHECK(call(s, A, 2, body(kSet, kFlock, 1, 0, 0, false, 5, 11)).status.code() == EAGAIN);
  REQUIRE(call(s, B, 3, body(kSet, kFlock, 1, 0, 0, true, 5, 1)).deferred);
  REQUIRE(call(s, A, 4, body(kRelease, kFlock, 0, 0, 0, false, 5, 10)).status.is_ok());
  CHECK(s.take_outgoing().size() == 1);
}

TEST_CASE("hostile bodies get errors, never a crash") {
  AppLockService s;
  CHECK(call(s, A, 1, {}).status.code() == EBADMSG);
  auto b = body(kSet, kFcntl, 2, 0, 1);
  b.push_back(0);
  CHECK(call(s, A, 2, b).status.code() == EBADMSG);
  b = body(kSet, kFcntl, 2, 0, 1);
  b[11] = 7;  // wait flag: neither 0 nor 1
  CHECK(call(s, A, 3, b).status.code() == EBADMSG);
  CHECK(call(s, A, 4, body(9, kFcntl, 2, 0, 1)).status.code() == EINVAL);
  CHECK(call(s, A, 5, body(kSet, 3, 2, 0, 1)).status.code() == EINVAL);
  CHECK(call(s, A, 6, body(kSet, kFcntl, 3, 0, 1)).status.code() == EINVAL);
  CHECK(call(s, A, 7, body(kSet, kFcntl, 2, 5, 5)).status.code() == EINVAL);
  CHECK(call(s, A, 8, body(kSet, kFcntl, 2, UINT64_MAX - 1, UINT64_MAX)).status.code() == EINVAL);
  CHECK(call(s, A, 9, body(kTest, kFcntl, 0, 0, 1)).status.code() == EINVAL);
  CHECK(call(s, A, 10, body(kRelease, 0, 0, 0, 0)).status.code() == EINVAL);
  CHECK(call(s, A, 11, body(kRelease, 4, 0, 0, 0)).status.code() == EINVAL);
  CHECK(s.table().empty());
  // Still serving.
  CHECK(call(s, A, 12, body(kSet, kFcntl, 2, 0, 1)).status.is_ok());
}

}  // TEST_SUITE

TEST_SUITE("app_locks_inprocess") {

using nacre::testing::LoopbackCluster;

TEST_CASE("File::lock, test_lock, unlock, flock and close between two clients") {
  LoopbackCluster c(2, 2);
  auto fa = c.fs(0).open("/f", open_flags::kReadWrite | open_flags::kCreate, 0644);
  REQUIRE(fa);
  auto fb = c.fs(1).open("/f", open_flags::kReadWrite, 0644);
  REQUIRE(fb);
  auto ro = c.fs(1).open("/f", open_flags::kRead, 0644);
  REQUIRE(ro);
  CHECK(ro->lock(LockType::kExclusive, 0, 1, false).code() == EBADF);
  CHECK(fa->lock(LockType::kExclusive, 0, 10, false).is_ok());
  auto info = fb->test_lock(LockType::kShared, 5, 0);
  REQUIRE(info);
  CHECK(info->type == LockType::kExclusive);
  CHECK(info->start == 0);
  CHECK(info->len == 10);
  CHECK(info->rank == 0);
  CHECK(fb->lock(LockType::kShared, 5, 1, false).code() == EAGAIN);
  CHECK(ro->lock(LockType::kShared, 10, 0, false).is_ok());  // beyond A's range
  // B blocks until A unlocks.
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    CHECK(fb->lock(LockType::kExclusive, 0, 5, true).is_ok());
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(!got);
  CHECK(fa->unlock(0, 5).is_ok());
  waiter.join();
  CHECK(got);
  // A's other handle closing drops all of A's fcntl locks on the file.
  auto fa2 = c.fs(0).open("/f", open_flags::kRead, 0644);
  REQUIRE(fa2);
  CHECK(fa2->close().is_ok());
  info = fb->test_lock(LockType::kExclusive, 0, 0);
  REQUIRE(info);
  CHECK(info->type == LockType::kUnlock);  // only B's own locks remain
  // flock: per handle.
  CHECK(fa->flock(LockType::kExclusive, false).is_ok());
  CHECK(fb->flock(LockType::kShared, false).code() == EAGAIN);
  CHECK(fa2->flock(LockType::kShared, false).code() == EBADF);  // closed handle
  CHECK(fa->close().is_ok());
  CHECK(fb->flock(LockType::kShared, false).is_ok());
  CHECK(fb->lock(LockType::kShared, UINT64_MAX - 3, 2, false).code() == EINVAL);
  // Only the metadata server serves application locks.
  std::vector<uint8_t> out;
  CHECK(c.core(0).control_call(1, wire::MsgType::kAppLock, body(kSet, kFcntl, 2, 0, 1), &out)
            .code() == ENOSYS);
}

TEST_CASE("a client that disconnects releases its locks to a waiter") {
  LoopbackCluster c(1, 2);
  auto fa = c.fs(0).open("/g", open_flags::kReadWrite | open_flags::kCreate, 0644);
  auto fb = c.fs(1).open("/g", open_flags::kReadWrite, 0644);
  REQUIRE(fa);
  REQUIRE(fb);
  REQUIRE(fa->lock(LockType::kExclusive, 0, 0, false).is_ok());
  std::thread waiter([&] { CHECK(fb->lock(LockType::kExclusive, 100, 1, true).is_ok()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(c.core(0).disconnect().is_ok());
  waiter.join();
  CHECK(fb->unlock(0, 0).is_ok());
}

}  // TEST_SUITE
