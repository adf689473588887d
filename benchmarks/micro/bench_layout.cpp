// Striping arithmetic: map_extent and plan_transfer for 4 KiB, 1 MiB and
// 64 MiB extents at stripe counts 1, 4 and 16 (1 MiB stripes, 4 MiB RPCs,
// an unaligned start so every extent straddles a stripe boundary).
#include "layout/layout_math.hpp"

#include <benchmark/benchmark.h>

namespace {

using nacre::layout::StripeGeometry;

constexpr uint64_t kStripeSize = 1 << 20;
constexpr uint64_t kMaxRpc = 4 << 20;
constexpr uint64_t kOffset = (3 << 20) + 512;

void extent_args(benchmark::internal::Benchmark* b) {
  for (int64_t len : {int64_t{4} << 10, int64_t{1} << 20, int64_t{64} << 20})
    for (int64_t count : {1, 4, 16}) b->Args({len, count});
  b->ArgNames({"bytes", "stripes"});
}

void BM_map_extent(benchmark::State& state) {
  const uint64_t len = static_cast<uint64_t>(state.range(0));
  const StripeGeometry g{kStripeSize, static_cast<uint32_t>(state.range(1))};
  size_t pieces = 0;
  for (auto _ : state) {
    auto v = nacre::layout::map_extent(g, kOffset, len);
    pieces = v.size();
    benchmark::DoNotOptimize(v.data());
  }
  state.counters["pieces"] = static_cast<double>(pieces);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_map_extent)->Apply(extent_args);

void BM_plan_transfer(benchmark::State& state) {
  const uint64_t len = static_cast<uint64_t>(state.range(0));
  const StripeGeometry g{kStripeSize, static_cast<uint32_t>(state.range(1))};
  size_t rpcs = 0;
  for (auto _ : state) {
    auto v = nacre::layout::plan_transfer(g, kOffset, len, kMaxRpc);
    rpcs = v.size();
    benchmark::DoNotOptimize(v.data());
  }
  state.counters["rpcs"] = static_cast<double>(rpcs);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_plan_transfer)->Apply(extent_args);

}  // namespace
