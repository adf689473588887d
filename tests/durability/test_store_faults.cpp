// mpi.durability.store_faults: errors of a real directory store reach the
// client as clear errors, nothing already stored is damaged, and the server
// keeps serving. 2 servers (directory store in a fresh temporary directory)
// + 2 clients; faults come from NACRE_STORE_FAULTS (set by ctest):
//
//   --part enospc   NACRE_STORE_FAULTS=write-enospc-after=1048576,sync-eio
//     1. 512 KiB written (write-through) to a file on server 0: stored.
//     2. 1 MiB more: ENOSPC naming the path and "no space left"; the file
//        still holds exactly the first 512 KiB.
//     3. The server still serves: metadata calls, and a write that fits.
//     4. sync: EIO naming the path and "sync failed"; the server goes on.
//     5. Write-back: 600 KiB cached under the lock, then close(): ENOSPC
//        saying the cached writes are lost; the old bytes are intact.
//   --part read-eio NACRE_STORE_FAULTS=read-eio-object=2
//     The first file made (inode and object id 2): reads fail with EIO
//     naming the path; other files read fine.
#include "mpi/mpi_check.hpp"

#include <filesystem>

using namespace nacre;

namespace {

std::string g_dir;

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 13 + seed);
  return v;
}

bool has(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

void part_enospc(mpicheck::Env& env) {
  if (env.rank != 0) return;  // one writer: the byte budget is per server
  const LayoutRequest on_server0{64 << 10, 1, 0};
  auto f = env.fs.create("/full", 0644, on_server0);
  REQUIRE_OK(f);
  REQUIRE_OK(f->close());
  auto w = env.fs.open("/full", open_flags::kReadWrite | open_flags::kWriteThrough);
  REQUIRE_OK(w);
  const auto a = pattern(512 << 10, 1);
  CHECK_OK(w->write_at(0, a.data(), a.size()));

  const auto b = pattern(1 << 20, 2);
  auto full = w->write_at(a.size(), b.data(), b.size());
  CHECK(!full.is_ok());
  CHECK(full.status().code() == ENOSPC);
  CHECK(has(full.status(), "/full"));
  CHECK(has(full.status(), "no space left"));
  std::printf("  ENOSPC: %s\n", full.status().to_string().c_str());

  // Nothing of the refused write is stored; the earlier bytes are intact.
  auto size = w->size();
  REQUIRE_OK(size);
  CHECK(*size == a.size());
  std::vector<uint8_t> got(a.size() + 100, 0xEE);
  auto n = w->read_at(0, got.data(), got.size());
  REQUIRE_OK(n);
  CHECK(*n == a.size());
  CHECK(std::equal(a.begin(), a.end(), got.begin()));

  // The servers keep serving: metadata, and a write that still fits.
  CHECK_OK(env.fs.mkdir("/after"));
  CHECK_OK(env.fs.stat("/after"));
  auto small = env.fs.create("/after/small", 0644, on_server0);
  REQUIRE_OK(small);
  CHECK_OK(small->write_at(0, a.data(), 1000));

  // sync fails with EIO (injected), clearly, and nothing else breaks.
  Status synced = w->sync();
  CHECK(synced.code() == EIO);
  CHECK(has(synced, "/full"));
  CHECK(has(synced, "sync failed"));
  std::printf("  EIO on sync: %s\n", synced.to_string().c_str());
  CHECK_OK(w->close());
  CHECK_OK(small->close());

  // Write-back: the store's ENOSPC comes back from close(), which says the
  // cached writes are lost; the file keeps its old bytes.
  auto c = env.fs.open("/full", open_flags::kReadWrite);
  REQUIRE_OK(c);
  const auto d = pattern(600 << 10, 3);
  CHECK_OK(c->write_at(0, d.data(), d.size()));
  Status closed = c->close();
  CHECK(closed.code() == ENOSPC);
  CHECK(has(closed, "lost"));
  std::printf("  ENOSPC at close: %s\n", closed.to_string().c_str());
  auto r = env.fs.open("/full", open_flags::kRead);
  REQUIRE_OK(r);
  std::fill(got.begin(), got.end(), 0xEE);
  n = r->read_at(0, got.data(), a.size());
  REQUIRE_OK(n);
  CHECK(std::equal(a.begin(), a.end(), got.begin()));
  CHECK_OK(r->close());
}

void part_read_eio(mpicheck::Env& env) {
  if (env.rank == 0) {
    auto f = env.fs.create("/bad-sector");
    REQUIRE_OK(f);
    auto st = env.fs.stat("/bad-sector");
    REQUIRE_OK(st);
    REQUIRE(st->ino == 2);  // the object id the fault rule names
    const auto a = pattern(100 << 10, 4);
    CHECK_OK(f->write_at(0, a.data(), a.size()));
    CHECK_OK(f->close());
    auto g = env.fs.create("/good");
    REQUIRE_OK(g);
    CHECK_OK(g->write_at(0, a.data(), a.size()));
    CHECK_OK(g->close());
  }
  env.barrier();
  auto f = env.fs.open("/bad-sector", open_flags::kRead);
  REQUIRE_OK(f);
  std::vector<uint8_t> got(100 << 10);
  auto n = f->read_at(0, got.data(), got.size());
  CHECK(!n.is_ok());
  CHECK(n.status().code() == EIO);
  CHECK(has(n.status(), "/bad-sector"));
  CHECK(has(n.status(), "read error"));
  if (env.rank == 0) std::printf("  EIO on read: %s\n", n.status().to_string().c_str());
  auto g = env.fs.open("/good", open_flags::kRead);
  REQUIRE_OK(g);
  auto m = g->read_at(0, got.data(), got.size());
  REQUIRE_OK(m);
  CHECK(got == pattern(100 << 10, 4));
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string part = mpicheck::arg_value(args, "--part", "enospc");
  Config config;
  if (!mpicheck::directory_store_config("nacre-faults", 2, &config, &g_dir))
    return mpicheck::finish_without_runtime();
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  return mpicheck::run_embedded(argc, argv, config, [&](mpicheck::Env& env) {
    REQUIRE(provided == MPI_THREAD_MULTIPLE);
    if (env.rank == 0) std::printf("mpi.durability.store_faults --part %s\n", part.c_str());
    if (part == "enospc") part_enospc(env);
    else if (part == "read-eio") part_read_eio(env);
    else REQUIRE(false);
    env.barrier();
  }, [&] {
    if (world_rank == 0) {
      std::error_code ec;
      std::filesystem::remove_all(g_dir, ec);
    }
  });
}
