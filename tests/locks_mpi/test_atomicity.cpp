// mpi.locks.atomicity: MPI-IO atomic mode on Nacre, in the shape of ROMIO's
// `atomicity` test program (written here, not copied).
//
// 2 servers (64 KiB stripes) + 4 clients, one file, MPI_File_set_atomicity(1):
//  Part 1: client 0 overwrites a 1 MiB buffer (16 stripes on both servers)
//    with all 0s, then all 1s, ... while clients 1..3 keep reading the whole
//    buffer. Every read must be all 0s or all 1s, never a mix.
//  Part 2: the same through a noncontiguous view (a vector filetype: 4 KiB
//    blocks every 12 KiB), as ROMIO's second part does.
//  Part 3: collective writes in atomic mode. Clients 0 and 1 write with
//    write_at_all, each its own interleaved 47008-byte records (ior-hard
//    shape), stamped with the round; clients 2 and 3 read independently at
//    the same time. Each writer's records must all show the same round in
//    any one read (a writer's access is atomic; two writers' accesses are
//    separate, so they may differ from each other).
//
//   test_atomicity [--rounds N]
#include "locks_job.hpp"
#include "mpiio_file/mpi_file.hpp"

#include <algorithm>
#include <cstring>

namespace {

using nacre::mpiio::MpiFile;

constexpr int64_t kBuf = 1 << 20;
constexpr int64_t kRecord = 47008;
constexpr int kRecords = 8;  // per writer in part 3

// Index of the first byte that differs from buf[0], or -1 if all equal.
int64_t first_mix(const std::vector<uint8_t>& buf, int64_t n) {
  for (int64_t i = 1; i < n; ++i)
    if (buf[i] != buf[0]) return i;
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  return run_locks_job(argc, argv, 2, [&](mpicheck::Env& env) {
    REQUIRE(env.size == 4);
    const int rounds = std::max(2, std::atoi(mpicheck::arg_value(env.args, "--rounds", "40").c_str()));
    std::vector<uint8_t> buf(kBuf);

    for (int part = 1; part <= 2; ++part) {
      const std::string path = "/atomic-" + std::to_string(part);
      auto f = MpiFile::open(env.comm, env.fs, path, MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL);
      REQUIRE_OK(f);
      MPI_Datatype ftype = MPI_BYTE;
      if (part == 2) {  // 4 KiB of every 12 KiB
        MPI_Type_vector(1, 4096, 3 * 4096, MPI_BYTE, &ftype);
        MPI_Datatype resized;
        MPI_Type_create_resized(ftype, 0, 3 * 4096, &resized);
        MPI_Type_free(&ftype);
        ftype = resized;
        MPI_Type_commit(&ftype);
        REQUIRE_OK(f->set_view(0, MPI_BYTE, ftype, "native", MPI_INFO_NULL));
      }
      REQUIRE_OK(f->set_atomicity(true));
      CHECK(f->get_atomicity());
      if (env.rank == 0) {  // the initial contents: all 0s
        std::fill(buf.begin(), buf.end(), 0);
        CHECK_OK(f->write_at(0, buf.data(), kBuf, MPI_BYTE));
      }
      env.barrier();
      long mixes = 0, reads = 0, ones = 0;
      for (int r = 0; r < rounds; ++r) {
        if (env.rank == 0) {
          std::fill(buf.begin(), buf.end(), static_cast<uint8_t>((r + 1) % 2));
          CHECK_OK(f->write_at(0, buf.data(), kBuf, MPI_BYTE));
        } else {
          std::fill(buf.begin(), buf.end(), 0xAA);
          auto n = f->read_at(0, buf.data(), kBuf, MPI_BYTE);
          CHECK_OK(n);
          if (n) CHECK(*n == kBuf);
          ++reads;
          const int64_t at = first_mix(buf, kBuf);
          if (at >= 0) {
            if (++mixes <= 3)
              std::printf("rank %d part %d round %d: mixed read: byte 0 is %d, byte %lld is %d\n",
                          env.rank, part, r, buf[0], static_cast<long long>(at), buf[at]);
          } else {
            CHECK(buf[0] <= 1);
            ones += buf[0];
          }
        }
      }
      CHECK(mixes == 0);
      if (env.rank != 0)
        std::printf("part %d rank %d: %ld reads, %ld saw the 1s, %ld mixed\n", part, env.rank, reads,
                    ones, mixes);
      REQUIRE_OK(f->close());
      if (ftype != MPI_BYTE) MPI_Type_free(&ftype);
      env.barrier();
    }

    // ---- part 3: collective writes in atomic mode ----------------------
    const bool writer = env.rank < 2;
    MPI_Comm group = MPI_COMM_NULL;
    MPI_Comm_split(env.comm, writer ? 0 : 1, env.rank, &group);
    int grank = 0;
    MPI_Comm_rank(group, &grank);
    if (env.rank == 0) REQUIRE_OK(env.fs.create("/atomic-3"));
    env.barrier();
    auto f = MpiFile::open(group, env.fs, "/atomic-3", MPI_MODE_RDWR, MPI_INFO_NULL);
    REQUIRE_OK(f);
    REQUIRE_OK(f->set_atomicity(true));
    // Writer w owns records w, w+2, w+4, ... (interleaved, ior-hard style).
    MPI_Datatype rec;
    MPI_Type_vector(kRecords, kRecord, 2 * kRecord, MPI_BYTE, &rec);
    MPI_Type_commit(&rec);
    const int64_t span = 2 * kRecords * kRecord;
    std::vector<uint8_t> data(kRecords * kRecord), all(span);
    if (writer) REQUIRE_OK(f->set_view(grank * kRecord, MPI_BYTE, rec, "native", MPI_INFO_NULL));
    env.barrier();
    long mixes = 0;
    for (int r = 1; r <= rounds; ++r) {
      if (writer) {
        std::fill(data.begin(), data.end(), static_cast<uint8_t>(r));
        auto n = f->write_at_all(0, data.data(), static_cast<int64_t>(data.size()), MPI_BYTE);
        CHECK_OK(n);
      } else {
        auto n = f->read_at(0, all.data(), span, MPI_BYTE);
        CHECK_OK(n);
        for (int w = 0; w < 2 && n; ++w) {
          // Writer w's records must all show one round.
          const uint8_t first = all[static_cast<size_t>(w * kRecord)];
          bool mixed = false;
          for (int k = 0; k < kRecords && !mixed; ++k) {
            const size_t base = static_cast<size_t>((2 * k + w) * kRecord);
            for (int64_t b = 0; b < kRecord && !mixed; b += 512) mixed = all[base + b] != first;
            mixed = mixed || all[base + kRecord - 1] != first;
          }
          if (mixed && ++mixes <= 3)
            std::printf("rank %d round %d: writer %d's collective write seen partly\n", env.rank,
                        r, w);
        }
      }
    }
    CHECK(mixes == 0);
    MPI_Type_free(&rec);
    REQUIRE_OK(f->close());
    MPI_Comm_free(&group);
    if (env.rank == 0)
      std::printf("part 3: collective writes in atomic mode, %d rounds: %ld mixed reads\n", rounds,
                  mixes);
  });
}
