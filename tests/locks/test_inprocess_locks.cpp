// Extent locks end to end in one process: server threads, clients with a
// lock progress thread each, over the loopback transport.
#include "support/loopback_cluster.hpp"

#include <doctest/doctest.h>

#include <algorithm>
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



struct ReadCacheStats {
  uint64_t hits = 0, misses = 0;
};

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

// A writer thread rewrites 192 KiB over 3 servers 200 times while the
// reader keeps reading it; returns the torn reads (0 required).
int torn_reads_of_spanning_writes(bool call_scoped) {
  LoopbackCluster c(3, 2, 1 << 20, {64 << 10, -1, -1}, "", 1, /*client_threads=*/!call_scoped);
  enable_locks(c, 2);
  for (int i = 0; i < 2; ++i) REQUIRE(c.core(i).call_scoped_locks() == call_scoped);
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
  MESSAGE(reads << " reads, " << torn << " torn");
  if (call_scoped) {  // nothing held or cached between calls
    for (int i = 0; i < 2; ++i) {
      CHECK(c.core(i).lock_cache().cached_count() == 0);
      CHECK(c.core(i).write_cache().dirty_bytes() == 0);
    }
  }
  return torn;
}

TEST_CASE("a write spanning three stripes is seen all or nothing by a concurrent reader") {
  CHECK(torn_reads_of_spanning_writes(/*call_scoped=*/false) == 0);
}

TEST_CASE("call-scoped locks (no progress thread): spanning writes are still atomic") {
  CHECK(torn_reads_of_spanning_writes(/*call_scoped=*/true) == 0);
}

TEST_CASE("call-scoped locks: no lock or cached byte outlives a call; others never wait") {
  LoopbackCluster c(2, 2, 1 << 20, {64 << 10, -1, -1}, "", 1, /*client_threads=*/false);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(c.core(i).call_scoped_locks());
    c.core(i).set_cache_limit(64 << 20);  // ignored: nothing is cached
    CHECK(c.core(i).cache_limit() == 0);
  }
  auto a = c.fs(0).create("/scoped");
  REQUIRE(a.is_ok());
  auto b = c.fs(1).open("/scoped", open_flags::kReadWrite);
  REQUIRE(b.is_ok());
  std::vector<uint8_t> x(4096, 0x11), y(4096, 0x22), got(4096);
  REQUIRE(a->write_at(0, x.data(), x.size()).is_ok());
  CHECK(c.core(0).lock_cache().cached_count() == 0);
  CHECK(c.core(0).write_cache().dirty_bytes() == 0);
  // Client 1's write and read need no callback to client 0: it holds nothing.
  REQUIRE(b->write_at(2048, y.data(), y.size()).is_ok());
  auto n = b->read_at(0, got.data(), got.size());
  REQUIRE(n.is_ok());
  CHECK(std::all_of(got.begin(), got.begin() + 2048, [](uint8_t v) { return v == 0x11; }));
  CHECK(std::all_of(got.begin() + 2048, got.end(), [](uint8_t v) { return v == 0x22; }));
  CHECK(c.core(0).lock_callbacks() == 0);
  // Each of those calls fit one object: one server-side locked RPC, no lock.
  CHECK(c.core(0).server_locked_ios() == 1);
  CHECK(c.core(1).server_locked_ios() == 2);
  // Size and append take whole-object locks, given back at once too.
  auto size = a->size();
  REQUIRE(size.is_ok());
  CHECK(*size == 6144);
  auto at = b->append(x.data(), 100);
  REQUIRE(at.is_ok());
  CHECK(*at == 6144);
  for (int i = 0; i < 2; ++i) CHECK(c.core(i).lock_cache().cached_count() == 0);
}

TEST_CASE("lock aging: a lock unused for NACRE_LOCK_MAX_AGE_MS is cancelled, its writes sent") {
  ScopedEnv age(client::kEnvLockMaxAge, "100");
  LoopbackCluster c(2, 2, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 2);
  auto w = c.fs(0).create("/aging");
  REQUIRE(w.is_ok());
  std::vector<uint8_t> data(4096, 0x5a), got(4096);
  REQUIRE(w->write_at(0, data.data(), data.size()).is_ok());
  CHECK(c.core(0).lock_cache().cached_count() == 1);
  CHECK(c.core(0).write_cache().dirty_bytes() == 4096);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (c.core(0).lock_cache().cached_count() != 0 && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(c.core(0).lock_cache().cached_count() == 0);
  CHECK(c.core(0).lock_cache().aged_out() == 1);
  CHECK(c.core(0).write_cache().dirty_bytes() == 0);  // written back before the cancel
  // Another client reads it without calling anything back.
  auto r = c.fs(1).open("/aging", open_flags::kRead);
  REQUIRE(r.is_ok());
  auto n = r->read_at(0, got.data(), got.size());
  REQUIRE(n.is_ok());
  CHECK(got == data);
  CHECK(c.core(0).lock_callbacks() == 0);
}

TEST_CASE("lock aging: NACRE_LOCK_MAX_AGE_MS=0 keeps cached locks; a bad value uses the default") {
  for (const char* v : {"0", "abc", "-5"}) {
    ScopedEnv age(client::kEnvLockMaxAge, v);
    LoopbackCluster c(2, 1, 1 << 20, {64 << 10, -1, -1});
    enable_locks(c, 1);
    auto w = c.fs(0).create("/keep");
    REQUIRE(w.is_ok());
    std::vector<uint8_t> data(4096, 1);
    REQUIRE(w->write_at(0, data.data(), data.size()).is_ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(c.core(0).lock_cache().cached_count() == 1);
    CHECK(c.core(0).lock_cache().aged_out() == 0);
  }
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
  REQUIRE(w->sync().is_ok());  // on the servers: survives the eviction
  REQUIRE(w->write_at(1 << 20, data.data(), 4096).is_ok());  // cached only: lost with it
  CHECK(c.core(0).write_cache().dirty_bytes() == 4096);
  c.core(0).lock_progress()->set_paused(true);  // client 0 stops answering callbacks
  auto r = c.fs(1).open("/evict", open_flags::kReadWrite);
  REQUIRE(r.is_ok());
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(r->read_at(0, got.data(), got.size()).is_ok());
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(got == data);  // written before the eviction: kept
  CHECK(waited >= std::chrono::milliseconds(250));
  auto* progress = c.core(0).lock_progress();
  const uint64_t cancels = progress->cancels_sent();
  progress->set_paused(false);
  // The held-back callback is handled now (write-back and cancel meet ESTALE).
  for (int i = 0; i < 5000 && progress->cancels_sent() == cancels; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  REQUIRE(progress->cancels_sent() > cancels);
  auto again = w->write_at(0, data.data(), 10);
  REQUIRE_FALSE(again.is_ok());
  CHECK(again.status().code() == ESTALE);
  CHECK(again.status().message().find("evicted by server") != std::string::npos);
  MESSAGE(again.status().to_string());
  // The cached write made before going silent is reported lost, once.
  Status lost = w->sync();
  CHECK(lost.code() == ESTALE);
  CHECK(lost.message().find("lost") != std::string::npos);
  MESSAGE(lost.to_string());
  // The servers stay up and serve the others.
  REQUIRE(r->write_at(0, data.data(), 4096).is_ok());
  auto third = c.fs(2).open("/evict", open_flags::kRead);
  REQUIRE(third.is_ok());
  REQUIRE(third->read_at(0, got.data(), 4096).is_ok());
  CHECK(got[0] == 7);
  CHECK(c.fs(2).stat("/evict").is_ok());
}


TEST_CASE("contended objects: interleaved writers switch to server-side locking, then back") {
  ScopedEnv window("NACRE_LOCK_CONTENTION_MS", "300");
  // 64 KiB stripes over 2 servers: about one record in 22 straddles two
  // objects and must take client locks, which are then not kept.
  LoopbackCluster c(2, 2, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 2);
  auto f0 = c.fs(0).create("/hard");
  REQUIRE(f0.is_ok());
  auto f1 = c.fs(1).open("/hard", open_flags::kReadWrite);
  REQUIRE(f1.is_ok());
  // ior-hard in miniature: records of 3000 bytes, client k writes records
  // 2i + k, both at once.
  constexpr size_t kRec = 3000;
  constexpr int kRecords = 300;
  std::atomic<int> done[2] = {0, 0};
  auto writer = [&](File& f, int k) {
    std::vector<uint8_t> rec(kRec);
    for (int i = 0; i < kRecords; ++i) {
      // Stay within a few records of the other writer, so the two really
      // interleave (cached writes would otherwise finish before the other
      // thread starts).
      while (done[1 - k].load() + 2 < i) std::this_thread::yield();
      const uint64_t index = 2 * static_cast<uint64_t>(i) + static_cast<uint64_t>(k);
      for (size_t b = 0; b < kRec; ++b) rec[b] = static_cast<uint8_t>(index * 7 + b);
      REQUIRE(f.write_at(index * kRec, rec.data(), kRec).is_ok());
      done[k].store(i + 1);
    }
  };
  std::thread t0([&] { writer(*f0, 0); });
  std::thread t1([&] { writer(*f1, 1); });
  t0.join();
  t1.join();
  const uint64_t server_locked = c.core(0).server_locked_ios() + c.core(1).server_locked_ios();
  MESSAGE("callbacks " << c.core(0).lock_cache().callbacks_received() << "/" << c.core(1).lock_cache().callbacks_received() << " server-locked writes: " << server_locked << " of " << 2 * kRecords << ", refused "
                                   << c.core(0).server_lock_refusals() + c.core(1).server_lock_refusals());
  CHECK(server_locked > 0);
  // Locks granted on the contended object were not kept (the ones from
  // before the switch were called back): nothing blocks the other's
  // server-side locked I/O.
  MESSAGE("cached locks: " << c.core(0).lock_cache().cached_count() << " / "
                           << c.core(1).lock_cache().cached_count());
  CHECK(c.core(0).lock_cache().cached_count() + c.core(1).lock_cache().cached_count() <= 4);
  // Every record is intact whichever way it went.
  std::vector<uint8_t> all(2 * kRecords * kRec);
  auto n = f1->read_at(0, all.data(), all.size());
  REQUIRE(n.is_ok());
  REQUIRE(*n == all.size());
  size_t bad = 0;
  for (size_t i = 0; i < all.size(); ++i)
    bad += all[i] != static_cast<uint8_t>((i / kRec) * 7 + i % kRec);
  CHECK(bad == 0);
  // Alone again: once the window has passed, a server-locked reply comes
  // back without the flag and the client goes back to locks and caching.
  bool cached = false;
  std::vector<uint8_t> small(100, 0x5a);
  for (int i = 0; i < 40 && !cached; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(f0->write_at(17, small.data(), small.size()).is_ok());
    cached = c.core(0).write_cache().dirty_bytes() > 0;
  }
  CHECK(cached);
  std::vector<uint8_t> back(100);
  REQUIRE(f1->read_at(17, back.data(), back.size()).is_ok());
  CHECK(back == small);
}

TEST_CASE("write-back: small writes stay cached until another client needs them") {
  LoopbackCluster c(2, 2, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 2);
  auto w = c.fs(0).create("/wb");
  REQUIRE(w.is_ok());
  std::vector<uint8_t> rec(4096);
  for (int i = 0; i < 64; ++i) {
    rec.assign(rec.size(), static_cast<uint8_t>(i + 1));
    REQUIRE(w->write_at(static_cast<uint64_t>(i) * 4096, rec.data(), rec.size()).is_ok());
  }
  CHECK(c.core(0).write_cache().dirty_bytes() == 64 * 4096);
  // Another client's size query and stat see every cached byte.
  auto r = c.fs(1).open("/wb", open_flags::kRead);
  REQUIRE(r.is_ok());
  auto size = r->size();
  REQUIRE(size.is_ok());
  CHECK(*size == 64 * 4096);
  CHECK(c.core(0).write_cache().dirty_bytes() == 0);  // the callbacks flushed it
  auto st = c.fs(1).stat("/wb");
  REQUIRE(st.is_ok());
  CHECK(st->size == 64 * 4096);
  std::vector<uint8_t> got(64 * 4096);
  auto n = r->read_at(0, got.data(), got.size());
  REQUIRE(n.is_ok());
  CHECK(*n == got.size());
  for (int i = 0; i < 64; ++i) CHECK(got[static_cast<size_t>(i) * 4096 + 17] == i + 1);
  // The writer reads its own cached writes too.
  rec.assign(rec.size(), 0xEE);
  REQUIRE(w->write_at(100, rec.data(), 10).is_ok());
  CHECK(c.core(0).write_cache().dirty_bytes() == 10);
  std::vector<uint8_t> mine(20);
  REQUIRE(w->read_at(95, mine.data(), mine.size()).is_ok());
  CHECK(mine[4] == 1);
  CHECK(mine[5] == 0xEE);
  CHECK(mine[14] == 0xEE);
  CHECK(mine[15] == 1);
}

TEST_CASE("write-behind: long runs of cached records go out while the writer goes on") {
  LoopbackCluster c(2, 2, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 2);
  auto w = c.fs(0).create("/behind");
  REQUIRE(w.is_ok());
  auto r = c.fs(1).open("/behind", open_flags::kRead);
  REQUIRE(r.is_ok());
  constexpr size_t kRec = 4096, kRecords = 2048;  // 8 MiB: 4 MiB per object
  std::vector<uint8_t> rec(kRec), got(kRec);
  auto stamp = [&](size_t i) {
    for (size_t b = 0; b < kRec; b += 8) {
      const uint64_t v = i * 1000003 + b;
      std::memcpy(rec.data() + b, &v, 8);
    }
  };
  for (size_t i = 0; i < kRecords; ++i) {
    stamp(i);
    REQUIRE(w->write_at(i * kRec, rec.data(), kRec).is_ok());
    // Now and then another client reads a record written a moment ago
    // (calls the writer's lock back in the middle of write-behind).
    if (i % 500 == 499) {
      REQUIRE(r->read_at((i - 3) * kRec, got.data(), kRec).is_ok());
      stamp(i - 3);
      CHECK(got == rec);
    }
  }
  // The progress thread wrote some of it behind already (it runs on its
  // own; give it a moment, the cache may not be empty yet).
  for (int k = 0; k < 200 && c.core(0).written_behind() == 0; ++k)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  MESSAGE("written behind: " << c.core(0).written_behind() << " of " << kRec * kRecords
                             << " bytes; still cached " << c.core(0).write_cache().dirty_bytes());
  CHECK(c.core(0).written_behind() > 0);
  REQUIRE(w->close().is_ok());
  std::vector<uint8_t> all(kRec * kRecords);
  auto n = r->read_at(0, all.data(), all.size());
  REQUIRE(n.is_ok());
  REQUIRE(*n == all.size());
  size_t bad = 0;
  for (size_t i = 0; i < kRecords; ++i) {
    stamp(i);
    bad += std::memcmp(all.data() + i * kRec, rec.data(), kRec) != 0;
  }
  CHECK(bad == 0);
}

TEST_CASE("read cache: sequential reads hit after read-ahead; writes by anyone are seen") {
  LoopbackCluster c(2, 2, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 2);
  auto w = c.fs(0).create("/rc");
  REQUIRE(w.is_ok());
  constexpr size_t kRec = 4096, kRecords = 256;  // 1 MiB over 2 objects
  std::vector<uint8_t> all(kRec * kRecords);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i * 13 + i / 4096);
  REQUIRE(w->write_at(0, all.data(), all.size()).is_ok());
  auto r = c.fs(1).open("/rc", open_flags::kReadWrite);
  REQUIRE(r.is_ok());
  const ReadCacheStats before{c.core(1).read_cache().hits(), c.core(1).read_cache().misses()};
  std::vector<uint8_t> got(kRec);
  size_t bad = 0;
  for (size_t i = 0; i < kRecords; ++i) {
    REQUIRE(r->read_at(i * kRec, got.data(), kRec).is_ok());
    bad += std::memcmp(got.data(), all.data() + i * kRec, kRec) != 0;
  }
  CHECK(bad == 0);
  const uint64_t hits = c.core(1).read_cache().hits() - before.hits;
  MESSAGE("sequential 4 KiB reads: " << hits << " of " << kRecords << " from the read cache");
  CHECK(hits > kRecords / 2);  // read-ahead fetched most of them
  // Reading it all again: every record is a hit.
  const uint64_t hits2 = c.core(1).read_cache().hits();
  for (size_t i = 0; i < kRecords; ++i) REQUIRE(r->read_at(i * kRec, got.data(), kRec).is_ok());
  CHECK(c.core(1).read_cache().hits() - hits2 == kRecords);
  // Another client's write calls our PR lock back: the cache is dropped.
  std::vector<uint8_t> fresh(kRec, 0x77);
  REQUIRE(w->write_at(5 * kRec, fresh.data(), kRec).is_ok());
  REQUIRE(r->read_at(5 * kRec, got.data(), kRec).is_ok());
  CHECK(got == fresh);
  // Our own write is seen by our next read (cached bytes are invalidated).
  std::vector<uint8_t> mine(100, 0x31);
  REQUIRE(r->read_at(7 * kRec, got.data(), kRec).is_ok());  // cache it
  REQUIRE(r->write_at(7 * kRec + 10, mine.data(), mine.size()).is_ok());
  REQUIRE(r->read_at(7 * kRec, got.data(), kRec).is_ok());
  CHECK(std::memcmp(got.data() + 10, mine.data(), mine.size()) == 0);
  CHECK(got[9] == all[7 * kRec + 9]);
  // A truncate by another client is seen (callback drops the cache).
  REQUIRE(r->read_at(200 * kRec, got.data(), kRec).is_ok());
  REQUIRE(w->set_size(100 * kRec).is_ok());
  auto n = r->read_at(200 * kRec, got.data(), kRec);
  REQUIRE(n.is_ok());
  CHECK(*n == 0);
  // No cache at all when the write-back cache is off.
  c.core(1).set_cache_limit(0);
  const uint64_t hits3 = c.core(1).read_cache().hits();
  for (int k = 0; k < 3; ++k) REQUIRE(r->read_at(0, got.data(), kRec).is_ok());
  CHECK(c.core(1).read_cache().hits() == hits3);
}

TEST_CASE("write-back: the cache limit bounds the client's memory; write-through caches nothing") {
  LoopbackCluster c(2, 1, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 1);
  c.core(0).set_cache_limit(256 << 10);
  auto f = c.fs(0).create("/limit");
  REQUIRE(f.is_ok());
  std::vector<uint8_t> rec(4096, 3);
  uint64_t peak = 0;
  for (int i = 0; i < 512; ++i) {
    REQUIRE(f->write_at(static_cast<uint64_t>(i) * 4096, rec.data(), rec.size()).is_ok());
    peak = std::max(peak, c.core(0).write_cache().dirty_bytes());
  }
  CHECK(peak <= 256 << 10);
  CHECK(peak > 0);
  REQUIRE(f->close().is_ok());
  CHECK(c.core(0).write_cache().dirty_bytes() == 0);  // close wrote the rest back
  auto g = c.fs(0).open("/limit", open_flags::kReadWrite | open_flags::kWriteThrough);
  REQUIRE(g.is_ok());
  REQUIRE(g->write_at(0, rec.data(), rec.size()).is_ok());
  CHECK(c.core(0).write_cache().dirty_bytes() == 0);
  auto sz = g->size();
  REQUIRE(sz.is_ok());
  CHECK(*sz == 512 * 4096);
}

TEST_CASE("write-back: truncate by another client lands after the cached writes") {
  LoopbackCluster c(2, 2, 1 << 20, {64 << 10, -1, -1});
  enable_locks(c, 2);
  auto w = c.fs(0).create("/cut");
  REQUIRE(w.is_ok());
  std::vector<uint8_t> rec(8192, 5);
  REQUIRE(w->write_at(0, rec.data(), rec.size()).is_ok());
  CHECK(c.core(0).write_cache().dirty_bytes() == 8192);
  auto t = c.fs(1).open("/cut", open_flags::kReadWrite);
  REQUIRE(t.is_ok());
  REQUIRE(t->set_size(1000).is_ok());
  CHECK(c.core(0).write_cache().dirty_bytes() == 0);
  auto sz = w->size();
  REQUIRE(sz.is_ok());
  CHECK(*sz == 1000);
  std::vector<uint8_t> got(8192, 0xFF);
  auto n = w->read_at(0, got.data(), got.size());
  REQUIRE(n.is_ok());
  CHECK(*n == 1000);
  CHECK(got[999] == 5);
}

}  // TEST_SUITE

namespace {
// Group locks (File::group_lock) between three in-process clients: 0 and 1
// are members of group 9, client 2 is not.
void group_lock_scenario(bool call_scoped) {
  LoopbackCluster c(2, 3, 1 << 20, {64 << 10, -1, -1}, "", 1, /*client_threads=*/!call_scoped);
  auto a = c.fs(0).create("/g");
  REQUIRE(a.is_ok());
  auto b = c.fs(1).open("/g", open_flags::kReadWrite);
  REQUIRE(b.is_ok());
  auto o = c.fs(2).open("/g", open_flags::kReadWrite);
  REQUIRE(o.is_ok());
  // The outsider caches a lock and a write first: the group lock calls it back.
  std::vector<uint8_t> early(100, 0x33);
  REQUIRE(o->write_at(200 << 10, early.data(), early.size()).is_ok());

  CHECK(a->group_lock(0).code() == EINVAL);
  CHECK(a->group_unlock().code() == EINVAL);
  REQUIRE(a->group_lock(9).is_ok());
  CHECK(a->group_lock_id() == 9);
  CHECK(a->group_lock(9).code() == EINVAL);  // already held by this handle
  REQUIRE(b->group_lock(9).is_ok());
  const uint64_t cb_a = c.core(0).lock_callbacks();
  const uint64_t cb_b = c.core(1).lock_callbacks();
  // Members write disjoint halves at will: no lock traffic, nothing cached.
  std::vector<uint8_t> x(64 << 10, 0x01), y(64 << 10, 0x02), got(128 << 10);
  for (int i = 0; i < 20; ++i) {
    REQUIRE(a->write_at(0, x.data(), x.size()).is_ok());
    REQUIRE(b->write_at(64 << 10, y.data(), y.size()).is_ok());
  }
  CHECK(c.core(0).lock_callbacks() == cb_a);
  CHECK(c.core(1).lock_callbacks() == cb_b);
  CHECK(c.core(0).write_cache().dirty_bytes() == 0);
  // A member reads what the other wrote (no cache in the way).
  auto n = a->read_at(0, got.data(), got.size());
  REQUIRE(n.is_ok());
  CHECK(got[0] == 0x01);
  CHECK(got[(64 << 10) + 5] == 0x02);
  // The outsider's read waits until both members have dropped the lock.
  std::atomic<bool> done{false};
  std::vector<uint8_t> seen(128 << 10);
  std::thread outsider([&] {
    auto r = o->read_at(0, seen.data(), seen.size());
    CHECK(r.is_ok());
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(done.load());
  REQUIRE(a->group_unlock().is_ok());
  CHECK(a->group_lock_id() == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(done.load());
  REQUIRE(b->close().is_ok());  // close drops the group lock too
  outsider.join();
  CHECK(done.load());
  CHECK(std::all_of(seen.begin(), seen.begin() + (64 << 10), [](uint8_t v) { return v == 1; }));
  CHECK(std::all_of(seen.begin() + (64 << 10), seen.end(), [](uint8_t v) { return v == 2; }));
  // The outsider's early cached write survived the group (written back
  // when the group lock called its lock back).
  std::vector<uint8_t> back(100);
  REQUIRE(a->read_at(200 << 10, back.data(), back.size()).is_ok());
  CHECK(back == early);
}
}  // namespace

TEST_SUITE("inprocess_locks") {

TEST_CASE("group lock: members share it without callbacks; everyone else waits for all of them") {
  group_lock_scenario(/*call_scoped=*/false);
}

TEST_CASE("group lock with call-scoped locks (no progress thread): held across calls") {
  group_lock_scenario(/*call_scoped=*/true);
}

TEST_CASE("a group-locked file closed after the client shut down: close returns, sends nothing") {
  for (bool call_scoped : {false, true}) {
    CAPTURE(call_scoped);
    LoopbackCluster c(2, 1, 1 << 20, {64 << 10, -1, -1}, "", 1, /*client_threads=*/!call_scoped);
    auto f = c.fs(0).create("/late");
    REQUIRE(f.is_ok());
    REQUIRE(f->group_lock(5).is_ok());
    c.stop();  // DISCONNECT: the servers dropped the group lock and stopped
    // A LOCK_CANCEL now would wait for an answer forever (ctest's timeout).
    const Status s = f->close();
    CHECK(s.code() == ENOTCONN);  // the CLOSE itself cannot reach server 0
    CHECK(f->group_lock_id() == 0);
  }
}

}  // TEST_SUITE
