// mpi.locks.append: concurrent File::append from every client rank on one
// striped file (2 servers, 64 KiB stripes). Each rank appends records of
// varying length (some spanning stripes) made of a header (writer, sequence,
// length) and a payload derived from it. Afterwards the file must parse
// from start to end as whole records, hold every record of every rank once,
// at the offsets append() returned, and its size must be their total.
//
//   test_append [--records N] [--write-through]
#include "locks_job.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace {

struct Header {
  uint32_t writer;
  uint32_t seq;
  uint64_t len;  // payload bytes
};

uint8_t payload_byte(uint32_t writer, uint32_t seq, uint64_t i) {
  return static_cast<uint8_t>((writer * 131 + seq * 7 + i) & 0xff);
}

uint64_t payload_len(uint32_t writer, uint32_t seq) {
  return 1 + (static_cast<uint64_t>(writer) * 7919 + seq * 104729) % 100000;
}

}  // namespace

int main(int argc, char** argv) {
  return run_locks_job(argc, argv, 2, [&](mpicheck::Env& env) {
    const int records = std::atoi(mpicheck::arg_value(env.args, "--records", "100").c_str());
    const bool wt = std::find(env.args.begin(), env.args.end(), "--write-through") != env.args.end();
    uint32_t flags = nacre::open_flags::kReadWrite;
    if (wt) flags |= nacre::open_flags::kWriteThrough;
    if (env.rank == 0) REQUIRE_OK(env.fs.create("/log"));
    env.barrier();
    auto f = env.fs.open("/log", flags);
    REQUIRE_OK(f);
    std::vector<uint64_t> mine;  // offset, seq pairs
    std::vector<uint8_t> rec;
    for (int s = 0; s < records; ++s) {
      const auto seq = static_cast<uint32_t>(s);
      const Header h{static_cast<uint32_t>(env.rank), seq, payload_len(env.rank, seq)};
      rec.resize(sizeof h + h.len);
      std::memcpy(rec.data(), &h, sizeof h);
      for (uint64_t i = 0; i < h.len; ++i) rec[sizeof h + i] = payload_byte(h.writer, seq, i);
      auto at = f->append(rec.data(), rec.size());
      CHECK_OK(at);
      if (at) mine.insert(mine.end(), {*at, seq});
    }
    locks_job::check_lock_mode(*f);
    REQUIRE_OK(f->close());
    env.barrier();

    // Every rank's (offset, writer, seq) on rank 0.
    int n = static_cast<int>(mine.size());
    std::vector<int> counts(env.size), displs(env.size);
    MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, env.comm);
    int total = 0;
    for (int i = 0; i < env.size; ++i) displs[i] = total, total += counts[i];
    std::vector<uint64_t> all(static_cast<size_t>(std::max(total, 1)));
    MPI_Gatherv(mine.data(), n, MPI_UINT64_T, all.data(), counts.data(), displs.data(),
                MPI_UINT64_T, 0, env.comm);
    if (env.rank != 0) return;
    std::map<uint64_t, std::pair<uint32_t, uint32_t>> returned;  // offset -> (writer, seq)
    for (int w = 0; w < env.size; ++w)
      for (int i = displs[w]; i + 1 < displs[w] + counts[w]; i += 2)
        CHECK(returned.emplace(all[i], std::make_pair(static_cast<uint32_t>(w),
                                                      static_cast<uint32_t>(all[i + 1])))
                  .second);
    auto g = env.fs.open("/log", nacre::open_flags::kRead);
    REQUIRE_OK(g);
    auto size = g->size();
    REQUIRE_OK(size);
    std::vector<uint8_t> file(*size);
    auto got = g->read_at(0, file.data(), file.size());
    REQUIRE_OK(got);
    CHECK(*got == file.size());
    std::set<std::pair<uint32_t, uint32_t>> seen;
    uint64_t at = 0;
    long bad = 0;
    while (at + sizeof(Header) <= file.size() && bad == 0) {
      Header h;
      std::memcpy(&h, file.data() + at, sizeof h);
      auto r = returned.find(at);
      if (r == returned.end() || r->second != std::make_pair(h.writer, h.seq) ||
          h.len != payload_len(h.writer, h.seq) || at + sizeof h + h.len > file.size()) {
        std::printf("bad record at offset %llu\n", static_cast<unsigned long long>(at));
        ++bad;
        break;
      }
      for (uint64_t i = 0; i < h.len; ++i)
        if (file[at + sizeof h + i] != payload_byte(h.writer, h.seq, i)) {
          std::printf("record (%u, %u) corrupt at byte %llu\n", h.writer, h.seq,
                      static_cast<unsigned long long>(i));
          ++bad;
          break;
        }
      seen.insert({h.writer, h.seq});
      at += sizeof h + h.len;
    }
    CHECK(bad == 0);
    CHECK(at == file.size());
    CHECK(seen.size() == static_cast<size_t>(env.size) * static_cast<size_t>(records));
    std::printf("mpi.locks.append: %zu records from %d ranks, %llu bytes, %s: %s\n", seen.size(),
                env.size, static_cast<unsigned long long>(file.size()),
                wt ? "write-through" : "write-back", bad ? "CORRUPT" : "all intact");
  });
}
