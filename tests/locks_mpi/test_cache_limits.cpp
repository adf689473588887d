// mpi.locks.cache_limits: the client caches are bounded by [client]
// cache_max and read_cache_max (docs/LOCKS.md, "Client cache", "Read
// cache"), as set in the job's Config. 1 server + 2 clients; each client
// writes its own 8 MiB file in 4 KiB records (write-back) and reads it back
// in 4 KiB records (read cache, read-ahead); after every call the caches'
// memory must be within the limits, and the data must read back.
//
//   test_cache_limits [--cache-max BYTES] [--read-cache-max BYTES]
#include "locks_job.hpp"

#include <cinttypes>

int main(int argc, char** argv) {
  const int provided = locks_job::init_mpi(argc, argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  nacre::Config config;
  config.servers = 1;
  config.stripe_size = 1 << 20;
  config.cache_max = std::strtoull(mpicheck::arg_value(args, "--cache-max", "2097152").c_str(),
                                   nullptr, 10);
  config.read_cache_max = std::strtoull(
      mpicheck::arg_value(args, "--read-cache-max", "1048576").c_str(), nullptr, 10);
  return mpicheck::run_embedded(argc, argv, config, [&](mpicheck::Env& env) {
    locks_job::check_thread_level(provided);
    const std::string path = "/limits-" + std::to_string(env.rank);
    auto f = env.fs.open(path, nacre::open_flags::kReadWrite | nacre::open_flags::kCreate);
    REQUIRE_OK(f);
    auto core = nacre::client::FileAccess::core(*f);
    CHECK(core->cache_limit() == config.cache_max);
    CHECK(core->read_cache().limit() == config.read_cache_max);
    constexpr size_t kRec = 4096, kTotal = 8u << 20;
    std::vector<uint8_t> rec(kRec);
    uint64_t write_peak = 0, read_peak = 0, hits = 0;
    for (size_t at = 0; at < kTotal; at += kRec) {
      for (size_t i = 0; i < kRec; i += 512) rec[i] = static_cast<uint8_t>((at + i) / 512 + env.rank);
      REQUIRE_OK(f->write_at(at, rec.data(), kRec));
      write_peak = std::max(write_peak, core->write_cache().memory_bytes());
    }
    REQUIRE_OK(f->sync());
    for (size_t at = 0; at < kTotal; at += kRec) {
      auto n = f->read_at(at, rec.data(), kRec);
      REQUIRE_OK(n);
      REQUIRE(*n == kRec);
      for (size_t i = 0; i < kRec; i += 512)
        REQUIRE(rec[i] == static_cast<uint8_t>((at + i) / 512 + env.rank));
      read_peak = std::max(read_peak, core->read_cache().cached_bytes());
    }
    hits = core->read_cache().hits();
    CHECK(write_peak <= config.cache_max);
    CHECK(read_peak <= config.read_cache_max);
    CHECK(write_peak > 0);  // the caches were used at all
    CHECK(hits > 0);
    std::printf("client %d: write cache peak %" PRIu64 " of %" PRIu64 " bytes, read cache peak %" PRIu64
                " of %" PRIu64 " bytes, %" PRIu64 " read-cache hits\n",
                env.rank, write_peak, config.cache_max, read_peak, config.read_cache_max, hits);
    REQUIRE_OK(f->close());
  });
}
