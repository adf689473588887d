// Extent locks end to end in one process: server threads, clients with a
// lock progress thread each, over the loopback transport.
#include "support/loopback_cluster.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

using namespace nacre;
using nacre::testing::LoopbackCluster;

namespace {

// Every client of the cluster gets locking (its own second transport).
void enable_locks(LoopbackCluster& c, int clients) {
  for (int i = 0; i < clients; ++i) c.core(i).enable_locking(c.network().client(i));
}

// Sets an environment variable for the life of the object.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST_SUITE("inprocess_locks") {

TEST_CASE("a read after another client's write calls the writer's lock back and sees the data") {
  LoopbackCluster c(2, 2, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 2);
  auto w = c.fs(0).create("/f");
  REQUIRE(w.is_ok());
  auto r = c.fs(1).open("/f", open_flags::kRead);
  REQUIRE(r.is_ok());
  std::vector<uint8_t> data(200 << 10, 0xab), got(200 << 10);
  REQUIRE(w->write_at(1000, data.data(), data.size()).is_ok());
  CHECK(c.core(0).lock_cache().cached_count() == 2);  // PW on both objects, cached
  auto n = r->read_at(1000, got.data(), got.size());
  REQUIRE(n.is_ok());
  CHECK(*n == got.size());
  CHECK(got == data);
  CHECK(c.core(0).lock_cache().callbacks_received() >= 1);
  // The reader's PR locks are cached; a second read needs no new lock.
  const uint64_t cached = c.core(1).lock_cache().cached_count();
  CHECK(cached >= 1);
  REQUIRE(r->read_at(0, got.data(), 100).is_ok());
  CHECK(c.core(1).lock_cache().cached_count() == cached);
  // Writing again takes the lock back from the reader.
  std::vector<uint8_t> more(4096, 0xcd);
  REQUIRE(w->write_at(1000, more.data(), more.size()).is_ok());
  REQUIRE(r->read_at(1000, got.data(), 4096).is_ok());
  CHECK(std::memcmp(got.data(), more.data(), 4096) == 0);
  CHECK(c.core(1).lock_cache().callbacks_received() >= 1);
}

TEST_CASE("a write spanning three stripes is seen all or nothing by a concurrent reader") {
  LoopbackCluster c(3, 2, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 2);
  auto w = c.fs(0).create("/atomic");
  REQUIRE(w.is_ok());
  auto r = c.fs(1).open("/atomic", open_flags::kRead);
  REQUIRE(r.is_ok());
  const size_t len = 3 * (64 << 10);  // offset 32 KiB: touches 4 stripes' worth of objects
  std::vector<uint8_t> zeros(len, 0);
  REQUIRE(w->write_at(32 << 10, zeros.data(), len).is_ok());
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::vector<uint8_t> buf(len);
    for (int i = 1; i <= 200; ++i) {
      std::memset(buf.data(), i & 0xff, len);
      REQUIRE(w->write_at(32 << 10, buf.data(), len).is_ok());
    }
    done = true;
  });
  int reads = 0, torn = 0;
  std::vector<uint8_t> got(len);
  while (!done.load() || reads < 20) {
    REQUIRE(r->read_at(32 << 10, got.data(), len).is_ok());
    ++reads;
    for (size_t i = 1; i < len; ++i)
      if (got[i] != got[0]) {
        ++torn;
        break;
      }
  }
  writer.join();
  CHECK(torn == 0);
  MESSAGE(reads << " reads, " << torn << " torn");
}

TEST_CASE("lockless files take no locks") {
  LoopbackCluster c(2, 1, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 1);
  auto f = c.fs(0).open("/nolock", open_flags::kCreate | open_flags::kReadWrite |
                                        open_flags::kLockless);
  REQUIRE(f.is_ok());
  std::vector<uint8_t> data(100 << 10, 1);
  REQUIRE(f->write_at(0, data.data(), data.size()).is_ok());
  REQUIRE(f->read_at(0, data.data(), data.size()).is_ok());
  CHECK(c.core(0).lock_cache().cached_count() == 0);
}

TEST_CASE("an unresponsive holder is evicted, the waiter proceeds, the holder's I/O fails") {
  ScopedEnv env("NACRE_LOCK_CALLBACK_TIMEOUT_MS", "300");
  LoopbackCluster c(2, 3, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 3);
  auto w = c.fs(0).create("/evict");
  REQUIRE(w.is_ok());
  std::vector<uint8_t> data(128 << 10, 7), got(128 << 10);
  REQUIRE(w->write_at(0, data.data(), data.size()).is_ok());
  c.core(0).lock_progress()->set_paused(true);  // client 0 stops answering callbacks
  auto r = c.fs(1).open("/evict", open_flags::kReadWrite);
  REQUIRE(r.is_ok());
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(r->read_at(0, got.data(), got.size()).is_ok());
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(got == data);  // written before the eviction: kept
  CHECK(waited >= std::chrono::milliseconds(250));
  c.core(0).lock_progress()->set_paused(false);
  auto again = w->write_at(0, data.data(), 10);
  REQUIRE_FALSE(again.is_ok());
  CHECK(again.status().code() == ESTALE);
  CHECK(again.status().message().find("evicted by server") != std::string::npos);
  MESSAGE(again.status().to_string());
  // The servers stay up and serve the others.
  REQUIRE(r->write_at(0, data.data(), 4096).is_ok());
  auto third = c.fs(2).open("/evict", open_flags::kRead);
  REQUIRE(third.is_ok());
  REQUIRE(third->read_at(0, got.data(), 4096).is_ok());
  CHECK(got[0] == 7);
  CHECK(c.fs(2).stat("/evict").is_ok());
}

}  // TEST_SUITE
