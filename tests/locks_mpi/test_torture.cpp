// mpi.locks.torture: consistency torture of POSIX-mode extent locks.
//
// Every client rank does random overlapping writes and reads on one striped
// file. The file is made of 16-byte chunks; a write stamps every chunk it
// covers with (writer, sequence) and its own chunk range, so a read can tell
// which write each chunk came from and what else that write covered.
//
// Checks (0 violations required unless --lockless):
//  * integrity: every chunk is zero (never written) or a well-formed stamp
//    whose range contains the chunk;
//  * atomicity: for the writes W seen in one read, "W happened before V"
//    edges are drawn (V shows at a chunk W also covers; a writer's earlier
//    write precedes its later one; "never written" precedes everything). A
//    read that saw a write only partly, mixed with an older one, makes a
//    cycle;
//  * read-after-write: after every round (MPI_Barrier), every rank reads the
//    whole file; each chunk must show one of that round's writes covering it
//    (the last of each writer), or, if none covered it, what the previous
//    round showed; all ranks must see the same bytes.
//
// By default clients cache small writes under their PW locks (write-back);
// --write-through sends every write at once (still under locks).
// The random overlapping I/O makes the objects contended, so clients switch
// to server-side locking for the calls that fit one object (docs/LOCKS.md,
// "Contended objects"); --server-locking yes|no checks that they did (or,
// with NACRE_LOCK_CONTENTION_MS=0, that they did not).
//
//   test_torture --servers N [--mpi-init plain] [--seed S] [--ops N] [--rounds R] [--lockless] [--write-through]
//                [--server-locking yes|no|any] [--read-cache-hits yes] [--aged-locks yes]
// --read-cache-hits yes: some reads must have been served by the clients'
// read caches (with client locks kept, i.e. NACRE_LOCK_CONTENTION_MS=0).
#include "locks_job.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <map>
#include <random>
#include <set>

namespace {

constexpr uint64_t kChunk = 16;
constexpr uint64_t kRegionChunks = 32768;  // 512 KiB
constexpr uint64_t kMaxWriteChunks = 6144;  // 96 KiB
constexpr uint64_t kMaxReadChunks = 8192;   // 128 KiB

struct WriteRec {
  uint64_t id = 0;     // (writer + 1) << 48 | seq, never 0
  uint64_t start = 0;  // chunk index
  uint64_t count = 0;  // chunks
};

uint64_t make_id(int writer, uint64_t seq) { return (static_cast<uint64_t>(writer + 1) << 48) | seq; }
int writer_of(uint64_t id) { return static_cast<int>(id >> 48) - 1; }
uint64_t seq_of(uint64_t id) { return id & ((1ull << 48) - 1); }

void fill(std::vector<uint64_t>& buf, const WriteRec& w) {
  buf.resize(2 * w.count);
  for (uint64_t i = 0; i < w.count; ++i) {
    buf[2 * i] = w.id;
    buf[2 * i + 1] = (w.start << 32) | w.count;
  }
}

// Checks one read of chunks [first, first + n) (words: 2 per chunk).
// Returns a description of the first violation, or "".
std::string check_read(const uint64_t* words, uint64_t first, uint64_t n, int writers) {
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> seen;  // id -> (start, count); id 0 = zeros
  std::vector<uint64_t> ids(n);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t id = words[2 * i], range = words[2 * i + 1];
    const uint64_t x = first + i;
    if (id == 0 && range == 0) {
      ids[i] = 0;
      seen.emplace(0, std::make_pair(0, kRegionChunks));
      continue;
    }
    const uint64_t start = range >> 32, count = range & 0xffffffffu;
    if (id == 0 || writer_of(id) < 0 || writer_of(id) >= writers || x < start ||
        x >= start + count)
      return "garbled chunk " + std::to_string(x);
    auto [it, fresh] = seen.emplace(id, std::make_pair(start, count));
    if (!fresh && it->second != std::make_pair(start, count))
      return "write " + std::to_string(id) + " shows two ranges";
    ids[i] = id;
  }
  // Happens-before edges among the seen writes.
  std::map<uint64_t, std::set<uint64_t>> after;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t x = first + i, shown = ids[i];
    for (const auto& [w, r] : seen)
      if (w != shown && r.first <= x && x < r.first + r.second) after[w].insert(shown);
  }
  for (const auto& [a, ra] : seen)
    for (const auto& [b, rb] : seen)
      if (a != 0 && b != 0 && writer_of(a) == writer_of(b) && seq_of(a) < seq_of(b))
        after[a].insert(b);
  // Cycle search (white/grey/black DFS).
  std::map<uint64_t, int> color;
  std::string cycle;
  std::function<bool(uint64_t)> dfs = [&](uint64_t u) {
    color[u] = 1;
    for (uint64_t v : after[u]) {
      if (color[v] == 1) {
        cycle = "write " + std::to_string(u) + " and write " + std::to_string(v) +
                " are each seen over the other (torn write)";
        return true;
      }
      if (color[v] == 0 && dfs(v)) return true;
    }
    color[u] = 2;
    return false;
  };
  for (const auto& [w, r] : seen)
    if (color[w] == 0 && dfs(w)) return cycle;
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  const int provided = locks_job::init_mpi(argc, argv);
  std::vector<std::string> args(argv + 1, argv + argc);
  nacre::Config config;
  config.servers = std::atoi(mpicheck::arg_value(args, "--servers", "2").c_str());
  config.stripe_size = 64 << 10;
  config.stripe_count = -1;
  const uint64_t seed =
      std::strtoull(mpicheck::arg_value(args, "--seed", "20261125").c_str(), nullptr, 10);
  const int ops = std::atoi(mpicheck::arg_value(args, "--ops", "1200").c_str());
  const int rounds = std::max(1, std::atoi(mpicheck::arg_value(args, "--rounds", "8").c_str()));
  const bool lockless = std::find(args.begin(), args.end(), "--lockless") != args.end();
  const bool write_through = std::find(args.begin(), args.end(), "--write-through") != args.end();
  const std::string server_locking = mpicheck::arg_value(args, "--server-locking", "any");
  const bool want_hits = mpicheck::arg_value(args, "--read-cache-hits", "no") == "yes";
  const bool want_aged = mpicheck::arg_value(args, "--aged-locks", "no") == "yes";

  return mpicheck::run_embedded(argc, argv, config, [&](mpicheck::Env& env) {
    if (env.rank == 0) {
      std::printf("mpi.locks.torture: seed %" PRIu64 " (--seed to replay), %d clients, %d ops "
                  "each in %d rounds, %s, MPI thread level %d\n",
                  seed, env.size, ops, rounds,
                  lockless                    ? "lockless"
                  : locks_job::g_plain_init   ? "POSIX locks held per call (plain MPI_Init)"
                  : write_through             ? "POSIX locks, write-through"
                                              : "POSIX locks, write-back cache",
                  provided);
      std::fflush(stdout);
    }
    locks_job::check_thread_level(provided);
    uint32_t flags = nacre::open_flags::kReadWrite | nacre::open_flags::kCreate;
    if (lockless) flags |= nacre::open_flags::kLockless;
    if (write_through) flags |= nacre::open_flags::kWriteThrough;
    if (env.rank == 0) REQUIRE_OK(env.fs.create("/torture"));
    env.barrier();
    auto f = env.fs.open("/torture", flags);
    REQUIRE_OK(f);
    if (!lockless) locks_job::check_lock_mode(*f);
    std::mt19937_64 rng(seed ^ (0x9e3779b97f4a7c15ull * static_cast<uint64_t>(env.rank + 1)));
    std::vector<uint64_t> wbuf, rbuf(2 * kRegionChunks), snapshot(2 * kRegionChunks, 0);
    std::vector<uint64_t> prev(2 * kRegionChunks, 0);
    uint64_t seq = 0;
    long atomicity_violations = 0, raw_violations = 0, reads = 0, writes = 0;
    const double t0 = MPI_Wtime();
    for (int round = 0; round < rounds; ++round) {
      std::vector<WriteRec> mine;
      for (int op = 0; op < ops / rounds; ++op) {
        const bool write = rng() % 2 == 0;
        const uint64_t start = rng() % kRegionChunks;
        const uint64_t count = std::min<uint64_t>(
            1 + rng() % (write ? kMaxWriteChunks : kMaxReadChunks), kRegionChunks - start);
        if (write) {
          WriteRec w{make_id(env.rank, ++seq), start, count};
          fill(wbuf, w);
          CHECK_OK(f->write_at(start * kChunk, wbuf.data(), count * kChunk));
          mine.push_back(w);
          ++writes;
        } else {
          auto n = f->read_at(start * kChunk, rbuf.data(), count * kChunk);
          CHECK_OK(n);
          if (!n) continue;
          // Bytes past the end of file read as zeros, like holes.
          std::memset(reinterpret_cast<uint8_t*>(rbuf.data()) + *n, 0, count * kChunk - *n);
          ++reads;
          std::string bad = check_read(rbuf.data(), start, count, env.size);
          if (!bad.empty()) {
            ++atomicity_violations;
            if (atomicity_violations <= 3 && !lockless)
              std::printf("rank %d round %d: read of chunks [%" PRIu64 ", +%" PRIu64 "): %s\n",
                          env.rank, round, start, count, bad.c_str());
          }
        }
      }
      // Round end: every write of the round has returned.
      env.barrier();
      int n_mine = static_cast<int>(mine.size() * 3);
      std::vector<int> counts(env.size), displs(env.size);
      MPI_Allgather(&n_mine, 1, MPI_INT, counts.data(), 1, MPI_INT, env.comm);
      int total = 0;
      for (int i = 0; i < env.size; ++i) displs[i] = total, total += counts[i];
      std::vector<uint64_t> flat, all(static_cast<size_t>(total));
      for (const auto& w : mine) flat.insert(flat.end(), {w.id, w.start, w.count});
      MPI_Allgatherv(flat.data(), n_mine, MPI_UINT64_T, all.data(), counts.data(), displs.data(),
                     MPI_UINT64_T, env.comm);
      // Per chunk: the last write of each writer this round.
      std::vector<std::vector<uint64_t>> last(kRegionChunks);
      for (size_t i = 0; i + 2 < all.size() + 0 && i < all.size(); i += 3) {
        const uint64_t id = all[i], s = all[i + 1], c = all[i + 2];
        for (uint64_t x = s; x < s + c; ++x) {
          auto& v = last[x];
          auto it = std::find_if(v.begin(), v.end(),
                                 [&](uint64_t o) { return writer_of(o) == writer_of(id); });
          if (it == v.end()) v.push_back(id);
          else if (seq_of(*it) < seq_of(id)) *it = id;
        }
      }
      std::fill(snapshot.begin(), snapshot.end(), 0);
      auto n = f->read_at(0, snapshot.data(), kRegionChunks * kChunk);
      CHECK_OK(n);
      long raw_round = 0;
      for (uint64_t x = 0; x < kRegionChunks; ++x) {
        const uint64_t id = snapshot[2 * x];
        bool ok;
        if (last[x].empty()) ok = id == prev[2 * x] && snapshot[2 * x + 1] == prev[2 * x + 1];
        else ok = std::find(last[x].begin(), last[x].end(), id) != last[x].end();
        if (!ok) ++raw_round;
      }
      if (raw_round && !lockless)
        std::printf("rank %d round %d: %ld chunks do not show the round's last writes\n", env.rank,
                    round, raw_round);
      raw_violations += raw_round;
      // Every rank must have seen the same bytes.
      uint64_t h = 1469598103934665603ull;
      for (uint64_t w : snapshot) h = (h ^ w) * 1099511628211ull;
      uint64_t hmin = 0, hmax = 0;
      MPI_Allreduce(&h, &hmin, 1, MPI_UINT64_T, MPI_MIN, env.comm);
      MPI_Allreduce(&h, &hmax, 1, MPI_UINT64_T, MPI_MAX, env.comm);
      if (!lockless) CHECK(hmin == hmax);
      prev = snapshot;
      env.barrier();
    }
    if (!lockless) {
      locks_job::check_lock_mode(*f);  // call-scoped: still no lock held
      CHECK_EQ(atomicity_violations, 0L);
      CHECK_EQ(raw_violations, 0L);
    }
    const auto core = nacre::client::FileAccess::core(*f);
    long totals[8] = {atomicity_violations, raw_violations, reads, writes,
                      static_cast<long>(core->server_locked_ios()),
                      static_cast<long>(core->server_lock_refusals()),
                      static_cast<long>(core->read_cache().hits()),
                      static_cast<long>(core->lock_cache().aged_out())};
    long sums[8];
    MPI_Allreduce(totals, sums, 8, MPI_LONG, MPI_SUM, env.comm);
    if (env.rank == 0) {
      std::printf("mpi.locks.torture: %ld writes, %ld reads in %.2f s; atomicity violations %ld, "
                  "read-after-write violations %ld (chunks); server-locked calls %ld "
                  "(refused %ld); read-cache hits %ld; locks aged out %ld\n",
                  sums[3], sums[2], MPI_Wtime() - t0, sums[0], sums[1], sums[4], sums[5], sums[6],
                  sums[7]);
      std::fflush(stdout);
    }
    if (want_hits) CHECK(sums[6] > 0);
    if (want_aged) CHECK(sums[7] > 0);
    if (server_locking == "yes") CHECK(sums[4] > 0);
    if (server_locking == "no") CHECK_EQ(sums[4], 0L);
    CHECK_OK(f->close());
    env.barrier();
    if (env.rank == 0) CHECK_OK(env.fs.unlink("/torture"));
  });
}
