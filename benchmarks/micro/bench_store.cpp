// Directory-store bandwidth with per-page checksums on and off (issue 6):
// 4 KiB, 64 KiB and 1 MiB writes and reads cycling through a 64 MiB object
// in a temporary directory under /tmp (page cache; no sync). Compare the
// checksums:1 rows with the checksums:0 rows for the cost of the checksums.
#include "store/object_store.hpp"

#include <benchmark/benchmark.h>

#include <stdlib.h>

#include <filesystem>
#include <vector>

namespace {

constexpr uint64_t kObjectBytes = 64 << 20;

struct BenchDir {
  std::string path;
  BenchDir() {
    char tmpl[] = "/tmp/nacre-bench-store-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~BenchDir() { std::filesystem::remove_all(path); }
};

void store_args(benchmark::internal::Benchmark* b) {
  for (int64_t len : {int64_t{4} << 10, int64_t{64} << 10, int64_t{1} << 20})
    for (int64_t sums : {0, 1}) b->Args({len, sums});
  b->ArgNames({"bytes", "checksums"});
}

std::unique_ptr<nacre::store::ObjectStore> open_store(const BenchDir& dir, bool checksums) {
  auto st = nacre::store::make_directory_store(dir.path, {.checksums = checksums});
  if (!st) return nullptr;
  return std::move(*st);
}

void BM_directory_write(benchmark::State& state) {
  const uint64_t len = static_cast<uint64_t>(state.range(0));
  BenchDir dir;
  auto st = open_store(dir, state.range(1) != 0);
  if (!st) return state.SkipWithError("cannot open the store");
  std::vector<uint8_t> data(len, 0x5a);
  uint64_t off = 0;
  for (auto _ : state) {
    if (!st->write(1, off, data)) return state.SkipWithError("write failed");
    off = (off + len) % kObjectBytes;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}
BENCHMARK(BM_directory_write)->Apply(store_args);

void BM_directory_read(benchmark::State& state) {
  const uint64_t len = static_cast<uint64_t>(state.range(0));
  BenchDir dir;
  auto st = open_store(dir, state.range(1) != 0);
  if (!st) return state.SkipWithError("cannot open the store");
  std::vector<uint8_t> data(1 << 20, 0x5a);
  for (uint64_t off = 0; off < kObjectBytes; off += data.size())
    if (!st->write(1, off, data)) return state.SkipWithError("write failed");
  std::vector<uint8_t> out(len);
  uint64_t off = 0, size = 0;
  for (auto _ : state) {
    if (!st->read(1, off, out, &size)) return state.SkipWithError("read failed");
    off = (off + len) % kObjectBytes;
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * len));
}
BENCHMARK(BM_directory_read)->Apply(store_args);

}  // namespace
