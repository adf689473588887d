// mpiio_file.group_hint: the MPI-IO hint nacre_group_lock (docs/LOCKS.md,
// "Group locks"). 2 servers + 4 clients: clients 0..2 open one file with
// nacre_group_lock=11 on their own communicator, client 3 is an outsider.
//  * a bad value is EINVAL at open, naming the hint, on every rank;
//  * get_info reports the group; atomic mode is refused under it;
//  * collective (two-phase, ior-hard records through a view) and independent
//    writes and reads by the members cause no lock callback and leave only
//    the group locks in the lock cache; the data reads back;
//  * the outsider's read waits until the members have closed the file, then
//    sees every byte.
#include "client/file_access.hpp"
#include "mf_common.hpp"

#include <chrono>
#include <thread>

namespace {

using nacre::mpiio::MpiFile;

constexpr int kMembers = 3;
constexpr int64_t kRecord = 47008;
constexpr int kRecords = 12;  // per member

uint8_t byte_of(int64_t off) { return static_cast<uint8_t>(off * 7 / 4096 + off % 251 + 1); }

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  return mpicheck::run_embedded(argc, argv, mftest::config(), [](mpicheck::Env& env) {
    REQUIRE(env.size == kMembers + 1);
    {  // a bad value: the same EINVAL everywhere, naming the hint
      MPI_Info bad = mftest::info({{"nacre_group_lock", "eleven"}});
      auto f = MpiFile::open(env.comm, env.fs, "/gh-bad", MPI_MODE_RDWR | MPI_MODE_CREATE, bad);
      MPI_Info_free(&bad);
      CHECK_ERRNO(f, EINVAL);
      if (!f) CHECK(f.status().to_string().find("nacre_group_lock") != std::string::npos);
    }
    const bool member = env.rank < kMembers;
    MPI_Comm group = MPI_COMM_NULL;
    MPI_Comm_split(env.comm, member ? 0 : 1, env.rank, &group);
    const int64_t region = kMembers * kRecords * kRecord;  // collective records
    const int64_t tail = 4096;                              // independent, per member
    const int64_t total = region + kMembers * tail;
    double closed_at = 0;
    if (member) {
      MPI_Info hint = mftest::info({{"nacre_group_lock", "11"}});
      auto f = MpiFile::open(group, env.fs, "/gh", MPI_MODE_RDWR | MPI_MODE_CREATE, hint);
      MPI_Info_free(&hint);
      REQUIRE_OK(f);
      MPI_Info used = f->get_info();
      char value[64] = {};
      int flag = 0;
      MPI_Info_get(used, "nacre_group_lock", sizeof value - 1, value, &flag);
      MPI_Info_free(&used);
      CHECK(flag);
      CHECK(std::string(value) == "11");
      CHECK_ERRNO(f->set_atomicity(true), EINVAL);
      // The client core (shared by every handle of this rank).
      auto probe = env.fs.open("/gh", nacre::open_flags::kRead);
      REQUIRE_OK(probe);
      auto core = nacre::client::FileAccess::core(*probe);
      const uint64_t callbacks = core->lock_callbacks();
      // Interleaved records through a view, written collectively.
      MPI_Datatype rec;
      MPI_Type_vector(kRecords, kRecord, kMembers * kRecord, MPI_BYTE, &rec);
      MPI_Type_commit(&rec);
      REQUIRE_OK(f->set_view(env.rank * kRecord, MPI_BYTE, rec, "native", MPI_INFO_NULL));
      std::vector<uint8_t> mine(kRecords * kRecord), back(mine.size());
      for (int k = 0; k < kRecords; ++k)
        for (int64_t b = 0; b < kRecord; ++b)
          mine[k * kRecord + b] = byte_of((k * kMembers + env.rank) * kRecord + b);
      auto w = f->write_at_all(0, mine.data(), static_cast<int64_t>(mine.size()), MPI_BYTE);
      REQUIRE_OK(w);
      auto r = f->read_at_all(0, back.data(), static_cast<int64_t>(back.size()), MPI_BYTE);
      REQUIRE_OK(r);
      CHECK(back == mine);
      REQUIRE_OK(f->set_view(0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL));
      std::vector<uint8_t> t(tail);
      const int64_t at = region + env.rank * tail;
      for (int64_t b = 0; b < tail; ++b) t[b] = byte_of(at + b);
      REQUIRE_OK(f->write_at(at, t.data(), tail, MPI_BYTE));
      REQUIRE_OK(f->sync());
      CHECK(core->lock_callbacks() == callbacks);
      // Only the group's locks: one per stripe object of the file.
      CHECK(core->lock_cache().cached_count() == f->layout().stripe_count());
      MPI_Type_free(&rec);
      REQUIRE_OK(probe->close());
      MPI_Barrier(env.comm);  // (1) the outsider may start reading now
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      closed_at = now_s();
      REQUIRE_OK(f->close());
    } else {
      MPI_Barrier(env.comm);  // (1)
      auto f = env.fs.open("/gh", nacre::open_flags::kRead);
      REQUIRE_OK(f);
      std::vector<uint8_t> all(static_cast<size_t>(total));
      auto n = f->read_at(0, all.data(), all.size());
      closed_at = -now_s();  // when the read returned (negated: max below = last close)
      REQUIRE_OK(n);
      CHECK(*n == all.size());
      int64_t bad = 0;
      for (int64_t i = 0; i < total; ++i) bad += all[static_cast<size_t>(i)] != byte_of(i);
      CHECK(bad == 0);
      REQUIRE_OK(f->close());
    }
    // The outsider's read returned after the last member closed.
    double last_close = member ? closed_at : 0, read_done = member ? 0 : -closed_at;
    double mine[2] = {last_close, read_done}, got[2] = {0, 0};
    MPI_Allreduce(mine, got, 2, MPI_DOUBLE, MPI_MAX, env.comm);
    CHECK(got[1] >= got[0]);
    if (env.rank == 0)
      std::printf("mpiio_file.group_hint: the outsider's read returned %.3f s after the last "
                  "member closed\n", got[1] - got[0]);
    MPI_Comm_free(&group);
  });
}
