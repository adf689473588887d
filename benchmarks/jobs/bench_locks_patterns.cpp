// nacre-bench-locks, parts 1 and 2: sequential records by one client, and
// ior-hard independent on every client (bench_locks.hpp).
#include "bench_locks.hpp"

#include <algorithm>
#include <cstring>
#include <iostream>

namespace nacre::jobs::locks {

namespace {

int rank_in(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

// Prints a failure (once per rank that has one) and passes ok through.
bool report(const Status& s, const std::string& what) {
  if (!s) std::cerr << what << ": " << s.to_string() << "\n";
  return s.is_ok();
}

std::string size_label(uint64_t bytes) {
  return bytes % 1024 == 0 ? std::to_string(bytes >> 10) + "k" : std::to_string(bytes) + "B";
}

// ---------------------------------------------------------------------------
// 1. Sequential records

// One system, one record size: open..writes..close timed (seconds, or < 0 on
// failure; *close_share: the part of it spent in close), then open..reads
// of the same records..close timed (*read_seconds) and checked. Local
// (client 0).
double records_once(BenchFile& f, uint64_t record, uint64_t file_bytes, uint64_t salt,
                    std::vector<uint8_t>& out, std::vector<uint8_t>& in, double* close_share,
                    double* read_seconds) {
  const uint64_t n = file_bytes / record;
  fill_pattern(out.data(), n * record, 0, salt);  // untimed
  const double t0 = now_seconds();
  Status s = f.open(MPI_COMM_SELF, true);
  for (uint64_t i = 0; s && i < n; ++i) s = f.write_at(i * record, out.data() + i * record, record);
  const double t_close = now_seconds();
  Status c = f.close(MPI_COMM_SELF);
  const double t = now_seconds() - t0;
  *close_share = (t0 + t - t_close) / t;
  if (s) s = c;
  if (!report(s, f.name() + " records write")) return -1;
  std::memset(in.data(), 0, n * record);
  const double r0 = now_seconds();
  s = f.open(MPI_COMM_SELF, false);
  for (uint64_t i = 0; s && i < n; ++i) s = f.read_at(i * record, in.data() + i * record, record);
  c = f.close(MPI_COMM_SELF);
  *read_seconds = now_seconds() - r0;
  if (s) s = c;
  if (s && std::memcmp(in.data(), out.data(), n * record) != 0)
    s = Status::error(EIO, "VERIFICATION FAILED: " +
                               std::to_string(count_mismatches(in.data(), n * record, 0, salt)) +
                               " bytes differ from what was written");
  Status r = f.remove(MPI_COMM_SELF);
  if (s) s = r;
  return report(s, f.name() + " records " + size_label(record)) ? t : -1;
}

}  // namespace

bool bench_records(FileSystem& fs, MPI_Comm clients, const Options& o, int rep,
                   std::vector<Series>& results) {
  bool ok = true;
  if (rank_in(clients) == 0) {
    const std::string base = "/" + o.tag + "-records";
    std::vector<std::unique_ptr<BenchFile>> systems;
    systems.push_back(nacre_bench_file(fs, "nacre:cache", base + "-cache", 0));
    systems.push_back(nacre_bench_file(fs, "nacre:write-through", base + "-wt",
                                       open_flags::kWriteThrough));
    systems.push_back(nacre_bench_file(fs, "nacre:lockless", base + "-ll", open_flags::kLockless));
    systems.push_back(mpiio_bench_file("mpiio:" + o.local_dir, o.local_dir + base + ".mpiio"));
    systems.push_back(posix_bench_file("posix:" + o.local_dir, o.local_dir + base + ".posix"));
    systems.push_back(memcpy_bench_file("memcpy"));  // copying alone, no server
    systems.push_back(coalesced_bench_file(          // moving the bytes, no per-record cost
        "nacre:bulk", nacre_bench_file(fs, "nacre:bulk", base + "-bulk", open_flags::kLockless)));
    std::vector<uint8_t> out(o.records_file), in(o.records_file);
    for (size_t ri = 0; ri < o.record_sizes.size() && ok; ++ri) {
      const uint64_t rs = o.record_sizes[ri];
      const double mib = static_cast<double>(o.records_file / rs * rs) / kMiB;
      for (size_t k = 0; k < systems.size() && ok; ++k) {
        const size_t si = (k + static_cast<size_t>(rep)) % systems.size();  // rotate the order
        const uint64_t salt = (static_cast<uint64_t>(rep) * 16 + ri) * 16 + si + 1;
        double close_share = 0, rt = 0;
        const double t =
            records_once(*systems[si], rs, o.records_file, salt, out, in, &close_share, &rt);
        ok = t > 0;
        if (ok) {
          const std::string m = "records_" + size_label(rs);
          series(results, m + "_write", systems[si]->name(), "MiB/s").samples.push_back(mib / t);
          series(results, m + "_read", systems[si]->name(), "MiB/s").samples.push_back(mib / rt);
          series(results, m + "_in_close", systems[si]->name(), "%").samples.push_back(100 * close_share);
        }
      }
    }
  }
  idle_barrier(clients);
  return all_ok(clients, ok);
}

// ---------------------------------------------------------------------------
// 2. ior-hard independent

namespace {

struct IorPhase {
  double seconds = -1;
  uint64_t callbacks = 0, cancels = 0;  // this rank's, during the phase
  uint64_t server_locked = 0;           // calls done with server-side locking
};

// COLLECTIVE: open (create or not), one call per record, close; timed as
// the slowest rank. Lock counters are read after open and after close.
IorPhase ior_phase(BenchFile& f, MPI_Comm comm, bool write, uint64_t segments, int target_rank,
                   std::vector<uint8_t>& buf) {
  int clients = 1;
  MPI_Comm_size(comm, &clients);
  IorPhase p;
  uint64_t cb0 = 0, ca0 = 0, sl0 = 0;
  p.seconds = timed(comm, [&]() -> Status {
    NACRE_RETURN_IF_ERROR(f.open(comm, write));
    cb0 = f.callbacks();
    ca0 = f.cancels();
    sl0 = f.server_locked();
    Status s;
    for (uint64_t i = 0; s && i < segments; ++i) {
      const uint64_t off = (i * static_cast<uint64_t>(clients) + static_cast<uint64_t>(target_rank)) *
                           kIorRecord;
      s = write ? f.write_at(off, buf.data() + i * kIorRecord, kIorRecord)
                : f.read_at(off, buf.data() + i * kIorRecord, kIorRecord);
    }
    Status c = f.close(comm);  // collective: every rank gets here
    return s ? c : s;
  });
  p.callbacks = f.callbacks() - cb0;
  p.cancels = f.cancels() - ca0;
  p.server_locked = f.server_locked() - sl0;
  return p;
}

uint64_t sum_over(MPI_Comm comm, uint64_t v) {
  uint64_t all = 0;
  MPI_Reduce(&v, &all, 1, MPI_UINT64_T, MPI_SUM, 0, comm);
  return all;
}

}  // namespace

bool bench_ior_hard(FileSystem& fs, MPI_Comm clients, const Options& o, int rep,
                    std::vector<Series>& results) {
  int n = 1;
  MPI_Comm_size(clients, &n);
  const int me = rank_in(clients);
  const int next = (me + 1) % n;  // IOR -C: read the neighbour's records
  const std::string base = "/" + o.tag + "-iorhard";
  std::vector<std::unique_ptr<BenchFile>> systems;
  systems.push_back(nacre_bench_file(fs, "nacre:locks", base + "-locks", 0));
  systems.push_back(nacre_bench_file(fs, "nacre:no-expand", base + "-noexp", open_flags::kNoExpand));
  systems.push_back(nacre_bench_file(fs, "nacre:lockless", base + "-ll", open_flags::kLockless));
  // Every client in one group lock: no lock traffic inside, others kept out.
  systems.push_back(nacre_bench_file(fs, "nacre:group", base + "-grp", 0, {}, 4242));
  systems.push_back(mpiio_bench_file("mpiio:" + o.local_dir, o.local_dir + base + ".mpiio"));
  if (!o.ior_systems.empty()) {
    const std::string list = "," + o.ior_systems + ",";
    std::erase_if(systems, [&](const std::unique_ptr<BenchFile>& f) {
      return list.find("," + f->name() + ",") == std::string::npos;
    });
  }
  const uint64_t bytes = o.ior_segments * kIorRecord;
  const double mib = static_cast<double>(bytes) * n / kMiB;
  std::vector<uint8_t> out(bytes), in(bytes);
  bool ok = true;
  for (size_t k = 0; k < systems.size() && ok; ++k) {
    const size_t si = (k + static_cast<size_t>(rep)) % systems.size();  // rotate the order
    BenchFile& f = *systems[si];
    const uint64_t salt = static_cast<uint64_t>(rep) * 16 + si + 1;
    for (uint64_t i = 0; i < o.ior_segments; ++i)  // untimed
      fill_pattern(out.data() + i * kIorRecord, kIorRecord,
                   (i * static_cast<uint64_t>(n) + static_cast<uint64_t>(me)) * kIorRecord, salt);
    std::memset(in.data(), 0, bytes);
    const IorPhase w = ior_phase(f, clients, true, o.ior_segments, me, out);
    IorPhase r;
    if (w.seconds > 0) r = ior_phase(f, clients, false, o.ior_segments, next, in);
    uint64_t bad = 0;
    if (r.seconds > 0)
      for (uint64_t i = 0; i < o.ior_segments; ++i)
        bad += count_mismatches(in.data() + i * kIorRecord, kIorRecord,
                                (i * static_cast<uint64_t>(n) + static_cast<uint64_t>(next)) * kIorRecord,
                                salt);
    if (bad) std::cerr << f.name() << " ior-hard: VERIFICATION FAILED on client " << me << ": "
                       << bad << " bytes differ from what client " << next << " wrote\n";
    Status rm = f.remove(clients);
    ok = all_ok(clients, w.seconds > 0 && r.seconds > 0 && bad == 0 && report(rm, f.name()));
    const uint64_t cbw = sum_over(clients, w.callbacks), caw = sum_over(clients, w.cancels);
    const uint64_t cbr = sum_over(clients, r.callbacks), car = sum_over(clients, r.cancels);
    const uint64_t slw = sum_over(clients, w.server_locked), slr = sum_over(clients, r.server_locked);
    if (ok && me == 0) {
      series(results, "ior_hard_write", f.name(), "MiB/s").samples.push_back(mib / w.seconds);
      series(results, "ior_hard_read", f.name(), "MiB/s").samples.push_back(mib / r.seconds);
      if (f.name().rfind("nacre:", 0) == 0) {
        series(results, "callbacks_write", f.name(), "count").samples.push_back(static_cast<double>(cbw));
        series(results, "cancels_write", f.name(), "count").samples.push_back(static_cast<double>(caw));
        series(results, "callbacks_read", f.name(), "count").samples.push_back(static_cast<double>(cbr));
        series(results, "cancels_read", f.name(), "count").samples.push_back(static_cast<double>(car));
        series(results, "srvlock_write", f.name(), "count").samples.push_back(static_cast<double>(slw));
        series(results, "srvlock_read", f.name(), "count").samples.push_back(static_cast<double>(slr));
      }
    }
  }
  return ok;
}

}  // namespace nacre::jobs::locks
