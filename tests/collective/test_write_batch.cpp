// WriteBatch (write-behind bookkeeping) against a byte model, and the
// calls-per-flush rule.
#include "collective/write_batch.hpp"
#include "collective_model.hpp"

#include <random>
#include <set>

using namespace nacre::collective;

namespace {

// The documented classification, byte by byte.
WriteBatch::Fit model(const std::set<uint64_t>& pending, const std::vector<Extent>& call) {
  std::set<uint64_t> mine;
  for (const Extent& e : call)
    for (uint64_t b = e.offset; b < e.end(); ++b)
      if (!mine.insert(b).second) return WriteBatch::Fit::kOverlapsItself;
  for (uint64_t b : mine)
    if (pending.count(b)) return WriteBatch::Fit::kOverlapsPending;
  return WriteBatch::Fit::kAppend;
}

}  // namespace

TEST_SUITE("write_batch") {

TEST_CASE("ior-hard records append in O(1) and keep stream order") {
  WriteBatch b;
  const uint64_t rec = 47008, ranks = 4, me = 1;
  for (uint64_t i = 0; i < 100; ++i) {
    const Extent e{(i * ranks + me) * rec, rec};
    REQUIRE(b.classify({&e, 1}) == WriteBatch::Fit::kAppend);
    b.append({&e, 1});
  }
  CHECK(b.bytes() == 100 * rec);
  CHECK(b.max_call_bytes() == rec);
  REQUIRE(b.pieces().size() == 100);
  CHECK(b.pieces()[7] == Extent{(7 * ranks + me) * rec, rec});
  const Extent again{(3 * ranks + me) * rec + 5, 10};
  CHECK(b.classify({&again, 1}) == WriteBatch::Fit::kOverlapsPending);
  const Extent other_rank{(3 * ranks + 2) * rec, rec};
  CHECK(b.classify({&other_rank, 1}) == WriteBatch::Fit::kAppend);
  b.clear();
  CHECK(b.empty());
  CHECK(b.pieces().empty());
  CHECK(b.max_call_bytes() == 0);
  CHECK(b.classify({&again, 1}) == WriteBatch::Fit::kAppend);
}

TEST_CASE("zero-length pieces are ignored; a call writing a byte twice is reported") {
  WriteBatch b;
  const std::vector<Extent> call{{10, 0}, {100, 10}, {50, 0}, {105, 2}};
  CHECK(b.classify(call) == WriteBatch::Fit::kOverlapsItself);
  const std::vector<Extent> ok{{10, 0}, {100, 10}, {50, 0}, {90, 10}};
  REQUIRE(b.classify(ok) == WriteBatch::Fit::kAppend);
  b.append(ok);
  CHECK(b.pieces().size() == 2);
  CHECK(b.bytes() == 20);
}

TEST_CASE("random calls against the byte model") {
  std::mt19937_64 rng(testing::test_seed(20261130));
  for (int iter = 0; iter < 300; ++iter) {
    WriteBatch b;
    std::set<uint64_t> pending;
    std::vector<Extent> stream;  // expected pieces() (nonzero ones)
    uint64_t max_call = 0;
    const int calls = 1 + static_cast<int>(rng() % 12);
    const bool ascending = rng() % 2;
    uint64_t cursor = 0;
    for (int c = 0; c < calls; ++c) {
      std::vector<Extent> call;
      const int n = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) {
        const uint64_t len = rng() % 6;
        const uint64_t off = ascending ? cursor + rng() % 4 : rng() % 60;
        call.push_back({off, len});
        if (ascending) cursor = off + len;
      }
      const auto want = model(pending, call);
      REQUIRE(b.classify(call) == want);
      if (want != WriteBatch::Fit::kAppend) continue;
      b.append(call);
      uint64_t bytes = 0;
      for (const Extent& e : call) {
        if (!e.length) continue;
        stream.push_back(e);
        bytes += e.length;
        for (uint64_t x = e.offset; x < e.end(); ++x) pending.insert(x);
      }
      max_call = std::max(max_call, bytes);
    }
    REQUIRE(std::vector<Extent>(b.pieces().begin(), b.pieces().end()) == stream);
    CHECK(b.bytes() == pending.size());
    CHECK(b.max_call_bytes() == max_call);
  }
}

TEST_CASE("calls per flush") {
  CHECK(calls_per_flush(16 << 20, 47008, 1) == (16u << 20) / 47008);
  CHECK(calls_per_flush(16 << 20, 1 << 20, 1) == 16);
  CHECK(calls_per_flush(16 << 20, 64 << 20, 9) == 1);
  CHECK(calls_per_flush(16 << 20, 0, 9) == 9);
  CHECK(calls_per_flush(16 << 20, 0, 0) == 1);
  CHECK(calls_per_flush(uint64_t{1} << 40, 1, 1) == kMaxCallsPerFlush);
}

}  // TEST_SUITE
