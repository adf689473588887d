// Shared striped-I/O scenario for the MPI tests (mpi.striped_io,
// mpi.directory_store).
//
// Every client writes disjoint regions of one shared striped file, then every
// client reads the whole file back and compares it to a model that each rank
// rebuilds on its own from the seeds of all ranks:
//   * a global seed cuts the file into blocks and gives each block an owner
//     rank or none (a hole that nobody writes);
//   * rank r's seed (derived from the global seed) picks the sub-ranges of its
//     blocks it writes, their order and sizes;
//   * the byte at file offset o written by rank r is a hash of (r's seed, o),
//     so overlapping writes by one rank need no ordering.
// One block per file is a multi-MiB region written with a single write_at
// (crossing many stripes and several RPCs).
#pragma once

#include "mpi_check.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace striped {

struct Case {
  uint64_t stripe_size;
  int32_t stripe_count;  // -1: all servers
  uint64_t span;         // about how many bytes the blocks cover (plus the big block)
};

inline uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t rank_seed(uint64_t seed, int rank) { return mix(seed * 1000003ull + 7919ull * (rank + 1)); }

inline void fill(uint64_t rseed, uint64_t off, uint8_t* out, size_t len) {
  for (size_t i = 0; i < len; ++i) {
    const uint64_t o = off + i;
    out[i] = static_cast<uint8_t>(mix(rseed ^ (o >> 3)) >> ((o & 7) * 8));
  }
}

struct Block {
  uint64_t off, len;
  int owner;  // == client count: a hole
  bool big;
};

struct Write {
  uint64_t off, len;
};

// The blocks of case `index` (identical on every rank).
inline std::vector<Block> plan_blocks(uint64_t seed, int index, const Case& c, int clients) {
  std::mt19937_64 rng(mix(seed ^ (0xB10Cull + static_cast<uint64_t>(index))));
  std::vector<Block> blocks;
  uint64_t pos = rng() % (200 << 10);  // the file may start with a hole
  if (pos) blocks.push_back({0, pos, clients, false});
  const int big_at = 1 + static_cast<int>(rng() % 3);
  int n = 0;
  while (pos < c.span || n <= big_at) {
    Block b;
    b.off = pos;
    b.big = n == big_at;
    if (b.big) {
      b.len = (3ull << 20) + rng() % (1 << 20) + 1;  // 3..4 MiB, unaligned
      b.owner = static_cast<int>(static_cast<uint64_t>(index) % static_cast<uint64_t>(clients));
    } else {
      b.len = (4 << 10) + rng() % std::max<uint64_t>(c.span / 6, 8 << 10);
      b.owner = static_cast<int>(rng() % static_cast<uint64_t>(clients + 1));
    }
    blocks.push_back(b);
    pos += b.len;
    ++n;
  }
  // The file ends with written data, so its size is known exactly.
  if (blocks.back().owner == clients) blocks.back().owner = 0;
  return blocks;
}

// The writes rank r makes in case `index`, in the order it makes them.
inline std::vector<Write> plan_writes(uint64_t seed, int index, const std::vector<Block>& blocks,
                                      int rank) {
  std::mt19937_64 rng(mix(rank_seed(seed, rank) ^ (0x3417Eull + static_cast<uint64_t>(index))));
  std::vector<Write> w;
  for (const auto& b : blocks) {
    if (b.owner != rank) continue;
    if (b.big) {
      w.push_back({b.off, b.len});
      continue;
    }
    // The last block is written to its end; others get 1..3 random pieces
    // (leaving holes) in some cases, or are written in full.
    const bool last = &b == &blocks.back();
    if (last || rng() % 3 == 0) {
      // In full, in one to four random-size pieces.
      uint64_t at = b.off;
      while (at < b.off + b.len) {
        const uint64_t left = b.off + b.len - at;
        const uint64_t len = std::min<uint64_t>(left, 1 + rng() % (b.len / 2 + 1));
        w.push_back({at, len});
        at += len;
      }
    } else {
      const int pieces = 1 + static_cast<int>(rng() % 3);
      for (int p = 0; p < pieces; ++p) {
        const uint64_t off = b.off + rng() % b.len;
        const uint64_t len = 1 + rng() % (b.off + b.len - off);
        w.push_back({off, len});
      }
    }
  }
  std::shuffle(w.begin(), w.end(), rng);
  return w;
}

inline bool compare(const uint8_t* got, const uint8_t* want, size_t n, uint64_t file_off,
                    const char* what, const std::string& path, int line) {
  ++mpicheck::state().checks;
  if (std::memcmp(got, want, n) == 0) return true;
  size_t i = 0;
  while (got[i] == want[i]) ++i;
  size_t bad = 0;
  for (size_t j = i; j < n; ++j) bad += got[j] != want[j];
  mpicheck::fail(__FILE__, line,
                 std::string(what) + " " + path + ": first mismatch at file offset " +
                     std::to_string(file_off + i) + " (got " + std::to_string(got[i]) +
                     ", want " + std::to_string(want[i]) + "), " + std::to_string(bad) +
                     " of " + std::to_string(n) + " bytes differ");
  return false;
}

struct Outcome {
  uint64_t size = 0;
  nacre::Layout layout;
};

// Runs one case on `path` (created by client 0). The file is left in place.
inline Outcome run_case(mpicheck::Env& env, const std::string& path, int index, const Case& c,
                        uint64_t seed) {
  Outcome out;
  nacre::FileSystem& fs = env.fs;
  if (env.rank == 0) {
    auto f = fs.create(path, 0644, nacre::LayoutRequest{c.stripe_size, c.stripe_count, -1});
    REQUIRE_OK(f);
    REQUIRE_OK(f->close());
  }
  env.barrier();
  auto f = fs.open(path, nacre::open_flags::kReadWrite);
  REQUIRE_OK(f);
  out.layout = f->layout();
  const uint32_t want_count =
      c.stripe_count == -1 ? static_cast<uint32_t>(env.servers) : static_cast<uint32_t>(c.stripe_count);
  CHECK_EQ(f->layout().stripe_size, c.stripe_size);
  CHECK_EQ(f->layout().stripe_count(), want_count);
  {
    std::vector<bool> used(static_cast<size_t>(env.servers), false);
    for (const auto& t : f->layout().stripes) {
      CHECK(t.server < static_cast<uint32_t>(env.servers));
      if (t.server < used.size()) {
        CHECK(!used[t.server]);  // a file's stripes are on distinct servers
        used[t.server] = true;
      }
    }
  }

  const auto blocks = plan_blocks(seed, index, c, env.size);
  // Write this rank's regions.
  {
    const auto writes = plan_writes(seed, index, blocks, env.rank);
    const uint64_t rs = rank_seed(seed, env.rank);
    std::vector<uint8_t> buf;
    for (const auto& w : writes) {
      buf.resize(w.len);
      fill(rs, w.off, buf.data(), w.len);
      auto n = f->write_at(w.off, buf.data(), w.len);
      CHECK_OK(n);
      if (n) CHECK_EQ(*n, static_cast<size_t>(w.len));
    }
  }
  // The model, from every rank's seed.
  std::vector<uint8_t> model;
  for (int r = 0; r < env.size; ++r) {
    const uint64_t rs = rank_seed(seed, r);
    for (const auto& w : plan_writes(seed, index, blocks, r)) {
      if (model.size() < w.off + w.len) model.resize(w.off + w.len, 0);
      fill(rs, w.off, model.data() + w.off, w.len);
    }
  }
  const uint64_t end = model.size();
  out.size = end;
  env.barrier();

  // Sizes seen by this client.
  auto sz = f->size();
  CHECK_OK(sz);
  if (sz) CHECK_EQ(*sz, end);
  auto st = fs.stat(path);
  CHECK_OK(st);
  if (st) CHECK_EQ(st->size, end);

  // Read everything back in random pieces, starting at a rank-dependent place.
  std::mt19937_64 rng(mix(rank_seed(seed, env.rank) ^ (0x4EADull + static_cast<uint64_t>(index))));
  std::vector<uint8_t> buf;
  uint64_t pos = (end / static_cast<uint64_t>(env.size)) * static_cast<uint64_t>(env.rank);
  uint64_t done = 0;
  while (done < end) {
    const uint64_t len = std::min<uint64_t>(1 + rng() % (1536 << 10), end - done);
    const uint64_t off = pos % end;
    const uint64_t n = std::min<uint64_t>(len, end - off);
    buf.assign(n, 0xEE);
    auto got = f->read_at(off, buf.data(), n);
    CHECK_OK(got);
    if (!got) break;
    CHECK_EQ(*got, static_cast<size_t>(n));
    if (!compare(buf.data(), model.data() + off, n, off, "read of", path, __LINE__)) break;
    pos = off + n;
    done += n;
  }
  // Every hole block reads as zeros (in one read each).
  for (const auto& b : blocks) {
    if (b.owner != env.size) continue;
    buf.assign(b.len, 0xEE);
    auto got = f->read_at(b.off, buf.data(), b.len);
    CHECK_OK(got);
    if (!got) continue;
    CHECK_EQ(*got, static_cast<size_t>(b.len));
    const std::vector<uint8_t> zeros(b.len, 0);
    compare(buf.data(), zeros.data(), b.len, b.off, "hole of", path, __LINE__);
  }
  // One client per case reads the whole file with one call; another the big
  // block alone.
  if (env.rank == (index + 1) % env.size) {
    buf.assign(end, 0xEE);
    auto got = f->read_at(0, buf.data(), end);
    CHECK_OK(got);
    if (got) {
      CHECK_EQ(*got, static_cast<size_t>(end));
      compare(buf.data(), model.data(), end, 0, "whole read of", path, __LINE__);
    }
  }
  for (const auto& b : blocks) {
    if (!b.big || env.rank != (index + 2) % env.size) continue;
    buf.assign(b.len, 0xEE);
    auto got = f->read_at(b.off, buf.data(), b.len);
    CHECK_OK(got);
    if (got && *got == b.len)
      compare(buf.data(), model.data() + b.off, b.len, b.off, "big-block read of", path, __LINE__);
  }
  // Reads crossing or past end of file give short counts.
  {
    uint8_t tail[100];
    std::memset(tail, 0xEE, sizeof tail);
    auto got = f->read_at(end - 7, tail, sizeof tail);
    CHECK_OK(got);
    if (got) {
      CHECK_EQ(*got, size_t{7});
      compare(tail, model.data() + end - 7, 7, end - 7, "tail read of", path, __LINE__);
    }
    CHECK_EQ(f->read_at(end, tail, sizeof tail).value(), size_t{0});
    CHECK_EQ(f->read_at(end + (5 << 20) + 3, tail, sizeof tail).value(), size_t{0});
    CHECK_EQ(f->read_at(end - 1, tail, 0).value(), size_t{0});
  }
  CHECK_OK(f->close());
  env.barrier();
  return out;
}

inline void print_seed(const mpicheck::Env& env, uint64_t seed, const char* name) {
  if (env.rank == 0) {
    std::printf("%s: seed %" PRIu64 " (rerun with: --seed %" PRIu64 "), %d clients, %d servers\n",
                name, seed, seed, env.size, env.servers);
    std::fflush(stdout);
  }
}

}  // namespace striped
