// mpi.locks.group: File::group_lock between ranks (docs/LOCKS.md, "Group
// locks"). 2 servers + 4 clients; clients 0..2 take group lock 77 on one
// file, client 3 does not.
//  1. The members write interleaved 47008-byte records (ior-hard shape)
//     with no lock traffic: no callback reaches them while they write.
//  2. The outsider's read then waits while the members hold the lock for
//     longer than the callback timeout (NACRE_LOCK_CALLBACK_TIMEOUT_MS is
//     set low by ctest): members are called back but never evicted; the
//     read returns only after the last member dropped the lock, and sees
//     every record.
//  3. Afterwards the members' ordinary locked I/O works (not evicted).
//
//   test_group_lock [--mpi-init plain] [--records N]
#include "locks_job.hpp"

#include <chrono>
#include <thread>

namespace {

constexpr uint64_t kRecord = 47008;
constexpr uint64_t kGid = 77;
constexpr int kMembers = 3;

uint8_t stamp(uint64_t record, uint64_t i) { return static_cast<uint8_t>(record * 31 + i / 4096 + 1); }

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  return run_locks_job(argc, argv, 2, [&](mpicheck::Env& env) {
    REQUIRE(env.size == kMembers + 1);
    const int records = std::atoi(mpicheck::arg_value(env.args, "--records", "60").c_str());
    const bool member = env.rank < kMembers;
    if (env.rank == 0) REQUIRE_OK(env.fs.create("/grp"));
    env.barrier();
    auto f = env.fs.open("/grp", nacre::open_flags::kReadWrite);
    REQUIRE_OK(f);
    const uint64_t total = static_cast<uint64_t>(records) * kMembers * kRecord;
    auto core = nacre::client::FileAccess::core(*f);

    // The outsider holds a lock (and maybe a cached write) before the group.
    std::vector<uint8_t> early(512, 0xee);
    if (!member) REQUIRE_OK(f->write_at(total + 4096, early.data(), early.size()));
    env.barrier();

    // ---- 1. members write under the group lock -----------------------------
    if (member) {
      REQUIRE_OK(f->group_lock(kGid));
      CHECK(f->group_lock(kGid).code() == EINVAL);
    }
    env.barrier();
    if (member) {
      const uint64_t callbacks_before = core->lock_callbacks();
      std::vector<uint8_t> rec(kRecord);
      for (int i = 0; i < records; ++i) {
        const uint64_t r = static_cast<uint64_t>(i) * kMembers + static_cast<uint64_t>(env.rank);
        for (uint64_t b = 0; b < kRecord; ++b) rec[b] = stamp(r, b);
        REQUIRE_OK(f->write_at(r * kRecord, rec.data(), rec.size()));
      }
      CHECK(core->lock_callbacks() == callbacks_before);
      CHECK(core->write_cache().dirty_bytes() == 0);
    }
    env.barrier();

    // ---- 2. the outsider's read waits for the whole group ------------------
    double unlocked_at = 0;
    if (member) {
      // Longer than the callback timeout: group locks are not evicted.
      std::this_thread::sleep_for(std::chrono::milliseconds(1200 + 200 * env.rank));
      unlocked_at = now_s();
      REQUIRE_OK(f->group_unlock());
      CHECK(f->group_lock_id() == 0);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // members are asleep now
      std::vector<uint8_t> all(total);
      auto n = f->read_at(0, all.data(), all.size());
      const double read_done = now_s();
      REQUIRE_OK(n);
      CHECK(*n == total);
      uint64_t bad = 0;
      for (uint64_t r = 0; r < total / kRecord; ++r)
        for (uint64_t b = 0; b < kRecord; b += 997) bad += all[r * kRecord + b] != stamp(r, b);
      CHECK(bad == 0);
      unlocked_at = read_done;
    }
    // The read finished after the last member's unlock (same node: one clock).
    double last_unlock = member ? unlocked_at : 0, read_done = member ? 0 : unlocked_at;
    double got[2] = {0, 0}, mine[2] = {last_unlock, read_done};
    MPI_Allreduce(mine, got, 2, MPI_DOUBLE, MPI_MAX, env.comm);
    CHECK(got[1] >= got[0]);
    if (env.rank == 0)
      std::printf("mpi.locks.group: %d records by %d members; the outsider's read returned "
                  "%.3f s after the last unlock\n",
                  records * kMembers, kMembers, got[1] - got[0]);

    // ---- 3. nobody was evicted: ordinary locked I/O goes on ----------------
    env.barrier();
    std::vector<uint8_t> one(100, static_cast<uint8_t>(env.rank + 1)), back(100);
    const uint64_t at = total + 8192 + static_cast<uint64_t>(env.rank) * 100;
    REQUIRE_OK(f->write_at(at, one.data(), one.size()));
    REQUIRE_OK(f->read_at(at, back.data(), back.size()));
    CHECK(back == one);
    env.barrier();
    if (env.rank == 0) {
      std::vector<uint8_t> e(early.size());
      REQUIRE_OK(f->read_at(total + 4096, e.data(), e.size()));
      CHECK(e == early);  // the outsider's early cached write survived
    }
    REQUIRE_OK(f->close());
  });
}
