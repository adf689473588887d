// nacre-bench-locks (issue 3, "Benchmarks"): the pieces shared by the job's
// main (bench_locks.cpp), its file systems (bench_locks_files.cpp), its I/O
// patterns (bench_locks_patterns.cpp) and its lock micro-benchmark
// (bench_locks_micro.cpp).
//
// Every pattern function is COLLECTIVE over the client communicator it gets,
// appends its samples to `results` on client rank 0 only, and returns false
// on every client if anything failed anywhere (the failing rank prints why;
// a read-back that differs from what was written is a failure).
#pragma once

#include "job_common.hpp"

#include <memory>
#include <string>
#include <vector>

namespace nacre::jobs::locks {

struct Options {
  int reps = 3;
  // 1. sequential records by one client
  std::vector<uint64_t> record_sizes{4 << 10, 16 << 10, 64 << 10};
  uint64_t records_file = 32 * kMiB;  // bytes per file
  // 2. ior-hard independent
  uint64_t ior_segments = 4000;  // records of 47008 bytes per client
  std::string ior_systems;       // comma-separated subset of the ior-hard systems ("": all)
  // 3. micro-benchmark
  int micro_iters = 2000;   // timed operations per measurement
  int micro_warmup = 100;
  int conflict_iters = 400; // alternating writes (both ranks together)
  std::string local_dir = "/tmp";
  std::string tag;  // unique name of this job (files)
  bool smoke = false;
};

inline constexpr uint64_t kIorRecord = 47008;

// Byte of a test file at file position pos: what every writer writes there
// and every reader expects (salt: one value per file written).
inline uint8_t pattern_byte(uint64_t pos, uint64_t salt) {
  const uint64_t x = (pos + 1 + (salt << 44)) * 0x9E3779B97F4A7C15ull;
  return static_cast<uint8_t>(x >> 56);
}
// Fills buf with the pattern of file bytes [pos, pos + len).
void fill_pattern(uint8_t* buf, size_t len, uint64_t pos, uint64_t salt);
// Bytes of buf that differ from the pattern of [pos, pos + len).
uint64_t count_mismatches(const uint8_t* buf, size_t len, uint64_t pos, uint64_t salt);

// One benchmark file on one system: Nacre through nacre::File with given
// open flags, MPI-IO on a local file (independent calls), or POSIX
// pwrite/pread on a local file.
class BenchFile {
 public:
  virtual ~BenchFile() = default;
  // Row label: "nacre:cache", "mpiio:/tmp", ...
  virtual const std::string& name() const = 0;
  // COLLECTIVE over comm. create: rank 0 creates (or truncates) the file
  // before the others open it; otherwise every rank opens the existing one.
  virtual Status open(MPI_Comm comm, bool create) = 0;
  // Local. The whole of len bytes or an error.
  virtual Status write_at(uint64_t off, const void* buf, size_t len) = 0;
  virtual Status read_at(uint64_t off, void* buf, size_t len) = 0;
  // COLLECTIVE over comm: closes on every rank (Nacre: writes back the
  // client's cached writes first; no fsync anywhere).
  virtual Status close(MPI_Comm comm) = 0;
  // COLLECTIVE over comm: rank 0 removes the file (closed everywhere).
  virtual Status remove(MPI_Comm comm) = 0;
  // Lock traffic of this client rank since it started (Nacre with locking
  // only; zero elsewhere): callbacks received, cancels sent.
  virtual uint64_t callbacks() const { return 0; }
  virtual uint64_t cancels() const { return 0; }
  // Calls done with server-side locking (contended objects, docs/LOCKS.md).
  virtual uint64_t server_locked() const { return 0; }
};

// path: absolute Nacre path; flags: extra open_flags (kWriteThrough,
// kNoExpand, kLockless); layout: applied when the file is created.
// group_gid > 0: every rank takes File::group_lock(group_gid) after open
// (docs/LOCKS.md, "Group locks"); close drops it.
std::unique_ptr<BenchFile> nacre_bench_file(FileSystem& fs, std::string label, std::string path,
                                            uint32_t flags, LayoutRequest layout = {},
                                            uint64_t group_gid = 0);
// The ceiling of any client cache: the records copied into (and out of) a
// buffer in memory that is kept between repetitions (no server, no file).
std::unique_ptr<BenchFile> memcpy_bench_file(std::string label);
// inner's writes of consecutive records (consecutive in memory too)
// coalesced, without copying, into calls of up to 4 MiB: the cost of moving
// the bytes to the servers, the ceiling of a write-back cache whose close
// has written everything back.
std::unique_ptr<BenchFile> coalesced_bench_file(std::string label,
                                                std::unique_ptr<BenchFile> inner);
std::unique_ptr<BenchFile> mpiio_bench_file(std::string label, std::string path);
std::unique_ptr<BenchFile> posix_bench_file(std::string label, std::string path);

// Waits on a barrier without spinning (test + 200 us sleep), so idle ranks
// leave the two CPUs to the measured ones. Collective over comm.
void idle_barrier(MPI_Comm comm);

// 1. One client writes records_file bytes in sequential records of each
// size (Nacre: cache, write-through, lockless; MPI-IO and POSIX on
// local_dir), open..close timed, then reads back and checks (untimed).
// The other clients wait in idle_barrier.
bool bench_records(FileSystem& fs, MPI_Comm clients, const Options& o, int rep,
                   std::vector<Series>& results);

// 2. ior-hard independent on every client: record i*clients+me, then reads
// of the next rank's records (IOR -C), checked. Nacre locks on, no-expand,
// lockless; MPI-IO independent on local_dir. Also records lock callbacks
// and cancels (all clients, per phase).
bool bench_ior_hard(FileSystem& fs, MPI_Comm clients, const Options& o, int rep,
                    std::vector<Series>& results);

// 3. Lock micro-benchmark (bench_locks_micro.cpp): direct LOCK_ENQUEUE /
// LOCK_CANCEL latency (client 0) and throughput (every client), 4 KiB
// writes under a cached / new / no lock, and the conflict round trip of
// clients 0 and 1 alternately writing the same 4 KiB.
bool bench_lock_micro(FileSystem& fs, MPI_Comm clients, const Options& o, int rep,
                      std::vector<Series>& results);

// Raw MPI ping-pong of `bytes` between ranks a and b of comm (median round
// trip in microseconds, valid on rank a); every other rank waits in
// idle_barrier. Collective over comm. With a server rank in it, call while
// the Nacre runtime is not running (the server is not in its service loop).
double raw_pingpong_us(MPI_Comm comm, int a, int b, size_t bytes, int iters, int warmup);

}  // namespace nacre::jobs::locks
