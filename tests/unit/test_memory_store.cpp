// The memory store and its chunk pool against a byte model.
#include "store/chunk_pool.hpp"
#include "store/object_store.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <set>

using namespace nacre;

TEST_SUITE("store") {

TEST_CASE("chunk pool: reserve maps slabs, chunks are distinct and reused") {
  store::ChunkPool pool(1 << 20, 8 << 20);
  REQUIRE(pool.reserve(20 << 20));
  CHECK(pool.mapped_bytes() == (24u << 20));  // whole 8 MiB slabs
  std::set<uint8_t*> seen;
  for (int i = 0; i < 24; ++i) {
    uint8_t* c = pool.take();
    REQUIRE(c != nullptr);
    std::memset(c, i, 1 << 20);  // writable, whole chunk
    CHECK(seen.insert(c).second);
  }
  CHECK(pool.mapped_bytes() == (24u << 20));  // no growth while reserved chunks last
  uint8_t* again = *seen.begin();
  pool.give_back(again);
  CHECK(pool.take() == again);
  CHECK(pool.take() != nullptr);  // grows by another slab
  CHECK(pool.mapped_bytes() == (32u << 20));
}

TEST_CASE("memory store matches a model through writes, truncates and destroys") {
  auto st = store::make_memory_store(3 << 20);
  std::mt19937_64 rng(5);
  std::vector<uint8_t> model;
  for (int i = 0; i < 300; ++i) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 6) {
      const uint64_t off = rng() % (5 << 20), len = 1 + rng() % (1500 << 10);
      std::vector<uint8_t> d(len);
      for (auto& b : d) b = static_cast<uint8_t>(rng());
      auto size = st->write(1, off, d);
      REQUIRE(size.is_ok());
      if (model.size() < off + len) model.resize(off + len, 0);
      std::memcpy(model.data() + off, d.data(), len);
      CHECK(*size == model.size());
    } else if (op < 8) {
      const uint64_t size = rng() % (6 << 20);
      REQUIRE(st->truncate(1, size).is_ok());
      model.resize(size, 0);
    } else if (op == 8) {
      REQUIRE(st->destroy(1).is_ok());
      model.clear();
    }
    const uint64_t off = rng() % (6 << 20), len = rng() % (2 << 20);
    std::vector<uint8_t> out(len, 0xEE);
    uint64_t objsize = 0;
    auto n = st->read(1, off, out, &objsize);
    REQUIRE(n.is_ok());
    CHECK(objsize == model.size());
    const uint64_t expect = off >= model.size() ? 0 : std::min<uint64_t>(len, model.size() - off);
    REQUIRE(*n == expect);
    REQUIRE(std::memcmp(out.data(), model.data() + off, expect) == 0);
  }
}

}  // TEST_SUITE
