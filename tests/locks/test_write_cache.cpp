// The client write-back cache (lib/client/write_cache.*) against a byte
// model: random puts, discards and takes on a few objects; after every step
// the cache's extents are sorted, disjoint, and hold exactly the model's
// dirty bytes.
#include "client/write_cache.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <vector>

using nacre::client::DirtyExtent;
using nacre::client::ObjectKey;
using nacre::client::WriteCache;

namespace {

constexpr uint64_t kSpan = 512;  // object bytes the random operations touch

// Per object: byte -> value for dirty bytes.
using Model = std::map<ObjectKey, std::map<uint64_t, uint8_t>>;

uint64_t seed() {
  const char* s = std::getenv("NACRE_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 20261130;
}

// Takes everything of key out of the cache, checks it against the model,
// and puts it back (so the cache is unchanged).
void check_object(WriteCache& c, const ObjectKey& key, const Model& model) {
  auto ex = c.take(key);
  auto m = model.find(key);
  std::map<uint64_t, uint8_t> got;
  std::vector<std::vector<uint8_t>> copies;
  uint64_t prev_end = 0;
  for (size_t i = 0; i < ex.size(); ++i) {
    REQUIRE(ex[i].length > 0);
    REQUIRE(ex[i].chunks.size() == (ex[i].length + WriteCache::kChunkBytes - 1) / WriteCache::kChunkBytes);
    if (i > 0) REQUIRE(ex[i].offset > prev_end);  // sorted, disjoint, not touching
    prev_end = ex[i].end();
    copies.push_back(ex[i].bytes());
    for (size_t b = 0; b < copies.back().size(); ++b) got[ex[i].offset + b] = copies.back()[b];
  }
  if (m == model.end()) CHECK(got.empty());
  else CHECK(got == m->second);
  std::vector<uint64_t> offsets;
  for (const auto& e : ex) offsets.push_back(e.offset);
  c.release(ex);
  for (size_t i = 0; i < copies.size(); ++i)
    REQUIRE(c.put(key, offsets[i], copies[i].data(), copies[i].size()));
}

}  // namespace

TEST_SUITE("write_cache") {

TEST_CASE("sequential small writes become one extent") {
  WriteCache c;
  std::vector<uint8_t> rec(4096);
  for (int i = 0; i < 256; ++i) {
    rec.assign(rec.size(), static_cast<uint8_t>(i));
    c.put({0, 7}, static_cast<uint64_t>(i) * rec.size(), rec.data(), rec.size());
  }
  CHECK(c.dirty_bytes() == 256 * 4096);
  CHECK(c.memory_bytes() == 256 * 4096);  // 16 chunks of 64 KiB
  auto ex = c.take({0, 7});
  REQUIRE(ex.size() == 1);
  CHECK(ex[0].offset == 0);
  CHECK(ex[0].length == 256 * 4096);
  CHECK(ex[0].bytes()[4096 * 200] == 200);
  CHECK(c.dirty_bytes() == 0);
  CHECK(c.dirty_objects() == 0);
  CHECK(c.memory_bytes() == 256 * 4096);  // taken, not yet released
  c.release(ex);
  CHECK(c.memory_bytes() == 0);
}

TEST_CASE("newer bytes win; discard splits; overlaps") {
  WriteCache c;
  const std::vector<uint8_t> a(100, 1), b(20, 2);
  c.put({1, 1}, 0, a.data(), a.size());
  c.put({1, 1}, 50, b.data(), b.size());
  c.discard({1, 1}, 10, 20);
  CHECK(c.dirty_bytes() == 90);
  CHECK(c.overlaps({1, 1}, 15, 16) == false);
  CHECK(c.overlaps({1, 1}, 15, 21) == true);
  CHECK(c.overlaps({1, 2}, 0, 100) == false);
  auto ex = c.take({1, 1});
  REQUIRE(ex.size() == 2);
  CHECK(ex[0].offset == 0);
  CHECK(ex[0].length == 10);
  CHECK(ex[1].offset == 20);
  CHECK(ex[1].bytes()[30] == 2);  // byte 50
  CHECK(ex[1].bytes()[50] == 1);  // byte 70
  c.release(ex);
}

TEST_CASE("take_server takes only that server's objects") {
  WriteCache c;
  const uint8_t x = 9;
  c.put({0, 1}, 0, &x, 1);
  c.put({1, 1}, 0, &x, 1);
  c.put({1, 5}, 3, &x, 1);
  c.put({2, 1}, 0, &x, 1);
  auto lost = c.take_server(1);
  CHECK(lost.size() == 2);
  CHECK(c.dirty_bytes() == 2);
  CHECK(c.dirty_objects() == 2);
  c.release(lost);
  auto all = c.take_all();
  CHECK(all.size() == 2);
  CHECK(c.dirty_bytes() == 0);
  c.release(all);
  CHECK(c.memory_bytes() == 0);
}

TEST_CASE("random operations match a byte model") {
  const uint64_t s = seed();
  MESSAGE("seed " << s << " (NACRE_SEED to replay)");
  std::mt19937_64 rng(s);
  for (int trial = 0; trial < 40; ++trial) {
    WriteCache c;
    Model model;
    const ObjectKey keys[3] = {{0, 1}, {0, 2}, {1, 1}};
    for (int step = 0; step < 300; ++step) {
      const ObjectKey key = keys[rng() % 3];
      const uint64_t off = rng() % kSpan;
      const uint64_t len = 1 + rng() % (rng() % 4 == 0 ? 200 : 16);
      const int op = static_cast<int>(rng() % 10);
      if (op < 7) {
        std::vector<uint8_t> data(len);
        for (auto& d : data) d = static_cast<uint8_t>(rng());
        c.put(key, off, data.data(), len);
        for (uint64_t i = 0; i < len; ++i) model[key][off + i] = data[i];
      } else if (op < 9) {
        REQUIRE(c.discard(key, off, off + len));
        auto& m = model[key];
        for (uint64_t i = off; i < off + len; ++i) m.erase(i);
        if (m.empty()) model.erase(key);
      } else {
        auto gone = c.take(key);
        c.release(gone);
        model.erase(key);
      }
      uint64_t bytes = 0;
      for (const auto& [k, m] : model) bytes += m.size();
      REQUIRE(c.dirty_bytes() == bytes);
      REQUIRE(c.dirty_objects() == model.size());
      // Memory: exactly the chunks the extents need (nothing leaks).
      uint64_t chunks = 0;
      for (const auto& [k, m] : model) {
        uint64_t prev = UINT64_MAX, run = 0;
        for (const auto& [b, v] : m) {
          if (prev != UINT64_MAX && b == prev + 1) ++run;
          else {
            if (run) chunks += (run + WriteCache::kChunkBytes - 1) / WriteCache::kChunkBytes;
            run = 1;
          }
          prev = b;
        }
        if (run) chunks += (run + WriteCache::kChunkBytes - 1) / WriteCache::kChunkBytes;
      }
      REQUIRE(c.memory_bytes() == chunks * WriteCache::kChunkBytes);
      const uint64_t q = rng() % kSpan, ql = 1 + rng() % 64;
      bool want = false;
      if (auto m = model.find(key); m != model.end())
        for (uint64_t i = q; i < q + ql && !want; ++i) want = m->second.count(i) != 0;
      REQUIRE(c.overlaps(key, q, q + ql) == want);
      check_object(c, key, model);
    }
  }
}

}  // TEST_SUITE
