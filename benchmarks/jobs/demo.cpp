// nacre-demo: the clients of an embedded Nacre job write one shared file,
// striped over every server, in interleaved blocks (block b belongs to client
// b mod clients), then read it all back, each client checking the blocks
// another client wrote. The same pattern runs on MPI-IO (/tmp) and POSIX
// (/dev/shm, /tmp), interleaved, and a table of median bandwidths follows.
//
//   mpirun -n 4 nacre-demo [--size 256MiB] [--block 1MiB] [--reps 3]
//
// Exit status: 0 when every read-back matched, 1 on a verification or I/O
// failure, 2 on a usage or start-up error.
#include "job_common.hpp"

#include <cstring>
#include <iostream>

using namespace nacre;
using namespace nacre::jobs;

namespace {

// The 64-bit word `w` of block `b`: cheap to make and to check, different in
// every block and every word.
inline uint64_t pattern(uint64_t b, uint64_t w) {
  return (b << 32 | w) * 0x9E3779B97F4A7C15ull ^ 0xA5A5A5A5u;
}

struct Plan {
  uint64_t block = kMiB;
  uint64_t blocks = 0;       // in the whole file
  int clients = 1;
  int me = 0;                // rank in client_comm
  // Blocks of client c, in order: c, c + clients, ...
  uint64_t count_of(int c) const {
    return blocks > static_cast<uint64_t>(c) ? (blocks - c + clients - 1) / clients : 0;
  }
  uint64_t block_id(int c, uint64_t i) const { return static_cast<uint64_t>(c) + i * clients; }
};

void fill(const Plan& p, std::vector<uint8_t>& buf) {
  const uint64_t words = p.block / 8;
  for (uint64_t i = 0; i < p.count_of(p.me); ++i) {
    auto* w = reinterpret_cast<uint64_t*>(buf.data() + i * p.block);
    const uint64_t b = p.block_id(p.me, i);
    for (uint64_t k = 0; k < words; ++k) w[k] = pattern(b, k);
  }
}

// Counts the mismatching blocks in buf, which holds client `owner`'s blocks.
uint64_t check(const Plan& p, int owner, const std::vector<uint8_t>& buf) {
  const uint64_t words = p.block / 8;
  uint64_t bad = 0;
  for (uint64_t i = 0; i < p.count_of(owner); ++i) {
    const auto* w = reinterpret_cast<const uint64_t*>(buf.data() + i * p.block);
    const uint64_t b = p.block_id(owner, i);
    for (uint64_t k = 0; k < words; ++k)
      if (w[k] != pattern(b, k)) {
        ++bad;
        break;
      }
  }
  return bad;
}

Status write_mine(SharedFile& f, const Plan& p, const std::vector<uint8_t>& buf) {
  for (uint64_t i = 0; i < p.count_of(p.me); ++i)
    NACRE_RETURN_IF_ERROR(f.write_at(p.block_id(p.me, i) * p.block, buf.data() + i * p.block, p.block));
  return Status::ok();
}

Status read_theirs(SharedFile& f, const Plan& p, int owner, std::vector<uint8_t>& buf) {
  for (uint64_t i = 0; i < p.count_of(owner); ++i)
    NACRE_RETURN_IF_ERROR(f.read_at(p.block_id(owner, i) * p.block, buf.data() + i * p.block, p.block));
  return Status::ok();
}

// One write + read-back + check of one system. Returns false on any failure.
bool run_once(SharedFile& f, MPI_Comm comm, const Plan& p, const std::vector<uint8_t>& out,
              std::vector<uint8_t>& in, std::vector<Series>& results) {
  const double mib = static_cast<double>(p.blocks * p.block) / kMiB;
  Status s = f.open(comm);
  if (!all_ok(comm, s.is_ok())) {
    if (!s) std::cerr << f.name() << ": " << s.to_string() << "\n";
    return false;
  }
  const double tw = timed(comm, [&] { return write_mine(f, p, out); });
  const int owner = (p.me + 1) % p.clients;
  std::memset(in.data(), 0, in.size());
  const double tr = timed(comm, [&] { return read_theirs(f, p, owner, in); });
  const uint64_t bad_here = tr < 0 ? 0 : check(p, owner, in);
  uint64_t bad = 0;
  MPI_Allreduce(&bad_here, &bad, 1, MPI_UINT64_T, MPI_SUM, comm);
  s = f.close_and_remove(comm);
  const bool closed = all_ok(comm, s.is_ok());
  if (!s) std::cerr << f.name() << ": " << s.to_string() << "\n";
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (bad && rank == 0)
    std::cerr << f.name() << ": VERIFICATION FAILED: " << bad << " blocks differ\n";
  if (tw < 0 || tr < 0 || bad || !closed) return false;
  series(results, "write_bw", f.name(), "MiB/s").samples.push_back(mib / tw);
  series(results, "read_bw", f.name(), "MiB/s").samples.push_back(mib / tr);
  return true;
}

// Everything between MPI_Init and MPI_Finalize (the Runtime must be gone
// before MPI_Finalize). Collective over MPI_COMM_WORLD.
int run(uint64_t size, uint64_t block, int reps, bool nacre_only) {
  int world = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);
  auto config = job_config(2);
  const std::string tag = job_tag();
  if (!config) return 2;
  auto rt = Runtime::start(MPI_COMM_WORLD, *config);
  if (!rt) {
    if (world == 0) std::cerr << "Runtime::start: " << rt.status().to_string() << "\n";
    return 2;
  }
  bool ok = true;
  if (rt->is_client()) {
    MPI_Comm comm = rt->client_comm();
    Plan p;
    p.block = block;
    p.blocks = size / block;
    MPI_Comm_size(comm, &p.clients);
    MPI_Comm_rank(comm, &p.me);
    if (p.me == 0)
      std::cout << "nacre-demo: " << config->servers << " servers, " << p.clients << " clients, "
                << (p.blocks * p.block) / kMiB << " MiB in " << p.blocks << " blocks of "
                << p.block / 1024 << " KiB, " << reps << " repetitions (interleaved)\n"
                << std::flush;
    // Buffers are allocated and touched once, outside every timed phase.
    std::vector<uint8_t> out(p.count_of(p.me) * p.block), in(p.count_of((p.me + 1) % p.clients) * p.block);
    fill(p, out);
    std::memset(in.data(), 1, in.size());

    std::vector<std::unique_ptr<SharedFile>> systems;
    systems.push_back(nacre_file(rt->fs(), "/" + tag + ".dat", LayoutRequest{0, -1, -1}));
    if (!nacre_only) {
      systems.push_back(mpiio_file("mpiio:/tmp", "/tmp/" + tag + "-mpiio.dat"));
      systems.push_back(posix_file("posix:/dev/shm", "/dev/shm/" + tag + ".dat"));
      systems.push_back(posix_file("posix:/tmp", "/tmp/" + tag + "-posix.dat"));
    }
    std::vector<Series> results;
    for (int r = 0; r < reps && ok; ++r)
      for (auto& sys : systems) ok = run_once(*sys, comm, p, out, in, results) && ok;
    if (p.me == 0) {
      if (ok) {
        std::cout << "verification: every block read back as written, on every system\n";
        print_table("demo", results);
      } else {
        std::cout << "verification: FAILED (see above)\n";
      }
    }
    Status s = rt->shutdown();
    if (!s) {
      std::cerr << "shutdown: " << s.to_string() << "\n";
      ok = false;
    }
  }
  return all_ok(MPI_COMM_WORLD, ok) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int exit_code = 0;
  uint64_t size = 256 * kMiB, block = kMiB;
  int reps = 3;
  bool nacre_only = false;
  CLI::App app{"nacre-demo: write, read back and verify a shared striped file; compare "
               "with MPI-IO and POSIX"};
  app.add_option("--size", size, "total bytes of the shared file (e.g. 256MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--block", block, "bytes per block and per I/O call (e.g. 1MiB)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--reps", reps, "repetitions per system (interleaved)")->check(CLI::Range(1, 100));
  app.add_flag("--nacre-only", nacre_only, "skip the MPI-IO and POSIX baselines");
  if (!parse_cli(app, argc, argv, &exit_code)) {
    MPI_Finalize();
    return exit_code;
  }
  int world = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);
  if (block == 0 || block % 8 || block > (1u << 30) || size < block) {
    if (world == 0) std::cerr << "--block must be a multiple of 8 up to 1 GiB and <= --size\n";
    MPI_Finalize();
    return 2;
  }
  exit_code = run(size, block, reps, nacre_only);
  MPI_Finalize();
  return exit_code;
}

