// 05: a persistent deployment with two copies of every object.
//
//   NACRE_SERVERS=2 mpirun -np 4 ./05_persistent_replicas [store-dir]
//
// The file system lives in store-dir (default: a fresh directory under /tmp,
// removed at the end): server k keeps its objects, their page checksums and
// (server 0) the LMDB metadata in <store-dir>/server-<k>. Each client writes
// its part of /results.dat and syncs (durable on both copies when sync()
// returns). Client 0 then shows where the copies of each stripe live (like
// `lfs getstripe`), asks the servers for their health, and runs fsck and
// scrub (docs/DURABILITY.md). Prints OK on client rank 0; exits non-zero
// with the error message on any failure, on every rank.
#include <nacre/nacre.hpp>

#include <mpi.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

constexpr const char* kPath = "/results.dat";
constexpr size_t kPart = 1 << 20;

bool report(int rank, const nacre::Status& s) {
  if (!s) std::fprintf(stderr, "rank %d: error: %s\n", rank, s.to_string().c_str());
  return s.is_ok();
}

bool all_ok(MPI_Comm comm, bool ok) {
  int local = ok ? 1 : 0, global = 0;
  MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MIN, comm);
  return global == 1;
}

// Every client writes and syncs its part; client 0 inspects the result.
bool client(nacre::Runtime& rt) {
  MPI_Comm comm = rt.client_comm();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  nacre::FileSystem& fs = rt.fs();
  bool ok = true;
  auto f = fs.open(kPath, nacre::open_flags::kCreate | nacre::open_flags::kReadWrite, 0644,
                   nacre::LayoutRequest{64 * 1024, -1, -1});
  ok = report(rank, f.status());
  if (ok) {
    std::vector<uint8_t> part(kPart, static_cast<uint8_t>('a' + rank));
    ok = report(rank, f->write_at(static_cast<uint64_t>(rank) * kPart, part.data(), part.size()).status()) &&
         report(rank, f->sync()) && report(rank, f->close());
  }
  if (!all_ok(comm, ok)) return false;
  if (rank != 0) return true;

  auto layout = fs.get_layout(kPath);
  if (!report(rank, layout.status())) return false;
  std::printf("%s: %u stripes of %llu bytes, %u copies\n", kPath, layout->stripe_count(),
              static_cast<unsigned long long>(layout->stripe_size), layout->copies());
  for (uint32_t i = 0; i < layout->stripe_count(); ++i)
    for (uint32_t c = 0; c < layout->copies(); ++c)
      std::printf("  stripe %u copy %u: server %u object %llx\n", i, c, layout->copy(c, i).server,
                  static_cast<unsigned long long>(layout->copy(c, i).object_id));
  auto health = fs.health();
  if (!report(rank, health.status())) return false;
  std::printf("health: %s\n", nacre::degraded(*health) ? "degraded" : "healthy");
  auto fsck = fs.fsck();
  if (!report(rank, fsck.status())) return false;
  std::printf("%s\n", fsck->summary().c_str());
  auto scrub = fs.scrub([](const std::string& line) { std::printf("  %s\n", line.c_str()); });
  if (!report(rank, scrub.status())) return false;
  std::printf("%s\n", scrub->summary().c_str());
  return fsck->clean() && scrub->clean() && !nacre::degraded(*health);
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int world = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);

  // The store directory: given, or a fresh one made by rank 0 for everyone.
  char dir[4096] = {};
  bool made = false;
  if (argc > 1) {
    std::snprintf(dir, sizeof dir, "%s", argv[1]);
  } else if (world == 0) {
    std::snprintf(dir, sizeof dir, "/tmp/nacre-example-XXXXXX");
    made = mkdtemp(dir) != nullptr;
    if (!made) dir[0] = '\0';
  }
  MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);

  auto config = nacre::Config::load();  // NACRE_SERVERS etc. from the environment
  int rc = 0;
  if (!config || dir[0] == '\0') {
    if (world == 0)
      std::fprintf(stderr, "error: %s\n",
                   config ? "cannot make a store directory" : config.status().to_string().c_str());
    rc = 1;
  } else {
    config->deployment = nacre::DeploymentType::kPersistent;
    config->store = nacre::StoreKind::kDirectory;
    config->store_dir = dir;
    config->replicas = 2;
    auto rt = nacre::Runtime::start(MPI_COMM_WORLD, *config);
    if (!rt) {
      std::fprintf(stderr, "rank %d: error: %s\n", world, rt.status().to_string().c_str());
      rc = 1;
    } else if (rt->is_client()) {
      const bool ok = client(*rt);
      nacre::Status down = rt->shutdown();
      report(world, down);
      rc = ok && down ? 0 : 1;
      int crank = 0;
      MPI_Comm_rank(rt->client_comm(), &crank);
      if (crank == 0 && rc == 0) std::printf("OK\n");
    }
  }
  MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (made) std::filesystem::remove_all(dir);
  MPI_Finalize();
  return rc;
}
