// c) Streaming bandwidth: each client writes its own contiguous region of one
// shared file in `transfer`-sized calls, then reads its neighbour's region.
// Nacre (striped over every server) vs MPI-IO on /tmp and POSIX on /dev/shm
// and /tmp: same client ranks, same bytes, same calls.
#include "bench.hpp"

#include <cstring>
#include <iostream>

namespace nacre::jobs {

namespace {

bool run_system(SharedFile& f, MPI_Comm clients, const BenchOptions& opt, std::vector<char>& buf,
                std::vector<Series>& results) {
  int me = 0, n = 1;
  MPI_Comm_rank(clients, &me);
  MPI_Comm_size(clients, &n);
  const uint64_t region = opt.stream_bytes / n / opt.transfer * opt.transfer;
  const double mib = static_cast<double>(region) * n / kMiB;
  Status s = f.open(clients);
  if (!s) std::cerr << f.name() << ": " << s.to_string() << "\n";
  if (!all_ok(clients, s.is_ok())) return false;
  auto sweep = [&](bool write, int owner) {
    const uint64_t base = static_cast<uint64_t>(owner) * region;
    for (uint64_t off = 0; off < region; off += opt.transfer)
      NACRE_RETURN_IF_ERROR(write ? f.write_at(base + off, buf.data(), opt.transfer)
                                  : f.read_at(base + off, buf.data(), opt.transfer));
    return Status::ok();
  };
  const double tw = timed(clients, [&] { return sweep(true, me); });
  const double tr = tw < 0 ? -1 : timed(clients, [&] { return sweep(false, (me + 1) % n); });
  s = f.close_and_remove(clients);
  if (!s) std::cerr << f.name() << ": " << s.to_string() << "\n";
  if (!all_ok(clients, s.is_ok()) || tw < 0 || tr < 0) return false;
  if (me == 0) {
    series(results, "write_bw", f.name(), "MiB/s").samples.push_back(mib / tw);
    series(results, "read_bw", f.name(), "MiB/s").samples.push_back(mib / tr);
  }
  return true;
}

}  // namespace

bool bench_stream(FileSystem& fs, MPI_Comm clients, const BenchOptions& opt, int rep,
                  std::vector<Series>& results) {
  // One transfer buffer per rank, touched once, reused by every system.
  static std::vector<char> buf;
  if (buf.size() != opt.transfer) buf.assign(opt.transfer, 's');
  const std::string stem = opt.tag + "-stream" + std::to_string(rep);
  std::vector<std::unique_ptr<SharedFile>> systems;
  systems.push_back(nacre_file(fs, "/" + stem, LayoutRequest{0, -1, -1}));
  systems.push_back(mpiio_file("mpiio:/tmp", "/tmp/" + stem + "-mpiio"));
  systems.push_back(posix_file("posix:/dev/shm", "/dev/shm/" + stem));
  systems.push_back(posix_file("posix:/tmp", "/tmp/" + stem + "-posix"));
  // A second Nacre file in the same runtime: the servers now reuse the
  // memory the first file freed (the first one pays for first-touch page
  // faults, since every repetition starts fresh servers).
  systems.push_back(nacre_file(fs, "/" + stem + "-2", LayoutRequest{0, -1, -1}, "nacre:2nd-file"));
  for (auto& sys : systems)
    if (!run_system(*sys, clients, opt, buf, results)) return false;
  return true;
}

}  // namespace nacre::jobs
