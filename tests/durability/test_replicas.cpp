// mpi.durability.replicas*: synchronous replicas, read fail-over, repair of
// damaged copies, stale copies. 3 servers (persistent deployment, 2
// replicas, directory store in a fresh temporary directory) + 2 clients.
// The test reads and damages the object files on disk directly:
// <dir>/server-<k>/<16 hex digits of the object id>.obj.
//
//   --part basic        (no faults)
//     1. Files of 1, 2 and 3 stripes, written through and through the
//        write-back cache, synced: every copy's object file on disk holds
//        the same bytes, on the servers the layout names (distinct per
//        stripe); the other client reads everything back.
//     2. Bit rot: bytes flipped in a primary's object file. Reads return
//        the right bytes (from the mirror) and rewrite the damaged pages:
//        afterwards the primary's file equals the mirror's again.
//     3. The same page damaged in both copies: EIO naming every copy.
//     4. Truncate and append reach both copies.
//   --part stale        NACRE_STORE_FAULTS=write-enospc-after=262144,server=1
//     Server 1's disk fills up. A file whose mirror is on server 1: the
//     write succeeds, the mirror is marked stale (<id>.stale on disk). A
//     file whose primary is on server 1: the write succeeds, the primary is
//     marked stale, and reads and size() come from the mirror. health() says
//     degraded; rebuild() cannot resync onto the full disk and says so; fsck
//     lists both stale copies; reads still return the right bytes.
//   --part read-eio     NACRE_STORE_FAULTS=read-eio-object=2,server=0
//     The first file's primary (object 2 on server 0) fails every read with
//     EIO: reads come from the mirror, correct.
#include "mpi/mpi_check.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace nacre;

namespace {

std::string g_dir;

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 7 + seed) ^ (i >> 12));
  return v;
}

bool has(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

std::string object_path(const StripeTarget& t, const char* ext = ".obj") {
  char n[40];
  std::snprintf(n, sizeof n, "/%016llx%s", static_cast<unsigned long long>(t.object_id), ext);
  return g_dir + "/server-" + std::to_string(t.server) + n;
}

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void flip(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  REQUIRE(f.good());
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5A);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
  REQUIRE(f.good());
}

// Every stripe's copies: on distinct servers, identical object files.
void check_copies_on_disk(const Layout& l) {
  REQUIRE(l.copies() == 2);
  for (uint32_t i = 0; i < l.stripe_count(); ++i) {
    const StripeTarget& a = l.copy(0, i);
    const StripeTarget& b = l.copy(1, i);
    CHECK(a.server != b.server);
    CHECK(a.object_id != b.object_id);
    const auto pa = slurp(object_path(a)), pb = slurp(object_path(b));
    CHECK(!pa.empty());
    CHECK(pa == pb);
  }
}

void part_basic(mpicheck::Env& env) {
  struct Case {
    const char* path;
    LayoutRequest layout;
    size_t bytes;
    bool cached;
  };
  const Case cases[] = {
      {"/one", {64 << 10, 1, 2}, 300'000, false},
      {"/two", {64 << 10, 2, 1}, 1'000'003, true},
      {"/three", {128 << 10, -1, -1}, 2'500'000, false},
  };
  // 1. Written and synced by client 0; read back by client 1.
  if (env.rank == 0) {
    uint8_t seed = 1;
    for (const auto& c : cases) {
      auto f = env.fs.create(c.path, 0644, c.layout);
      REQUIRE_OK(f);
      const auto data = pattern(c.bytes, seed++);
      if (c.cached) {  // small records through the write-back cache
        for (size_t at = 0; at < data.size(); at += 4096)
          CHECK_OK(f->write_at(at, data.data() + at, std::min<size_t>(4096, data.size() - at)));
      } else {
        CHECK_OK(f->write_at(0, data.data(), data.size()));
      }
      CHECK_OK(f->sync());
      CHECK_OK(f->close());
    }
  }
  env.barrier();
  if (env.rank == 1) {
    uint8_t seed = 1;
    for (const auto& c : cases) {
      auto f = env.fs.open(c.path, open_flags::kRead);
      REQUIRE_OK(f);
      check_copies_on_disk(f->layout());
      std::vector<uint8_t> got(c.bytes);
      auto n = f->read_at(0, got.data(), got.size());
      REQUIRE_OK(n);
      CHECK(*n == c.bytes);
      CHECK(got == pattern(c.bytes, seed++));
      CHECK_OK(f->close());
    }
  }
  env.barrier();

  // 2. Bit rot in the primary of /three's stripe 1.
  Layout three;
  {
    auto f = env.fs.open("/three", open_flags::kRead);
    REQUIRE_OK(f);
    three = f->layout();
    CHECK_OK(f->close());
  }
  const std::string primary = object_path(three.copy(0, 1));
  const std::string mirror = object_path(three.copy(1, 1));
  if (env.rank == 0) {
    flip(primary, 5);
    flip(primary, 70'000);
    CHECK(slurp(primary) != slurp(mirror));
  }
  env.barrier();
  if (env.rank == 1) {
    auto f = env.fs.open("/three", open_flags::kRead);
    REQUIRE_OK(f);
    std::vector<uint8_t> got(2'500'000);
    auto n = f->read_at(0, got.data(), got.size());
    REQUIRE_OK(n);
    CHECK(got == pattern(2'500'000, 3));
    CHECK(slurp(primary) == slurp(mirror));  // the damaged pages were rewritten
    CHECK_OK(f->close());
  }
  env.barrier();

  // 3. The same page damaged in both copies: an error, never bad bytes.
  if (env.rank == 0) {
    flip(primary, 9000);
    flip(mirror, 9001);
  }
  env.barrier();
  if (env.rank == 1) {
    auto f = env.fs.open("/three", open_flags::kRead);
    REQUIRE_OK(f);
    std::vector<uint8_t> got(1000);
    auto n = f->read_at(128 << 10 | 8500, got.data(), got.size());  // stripe 1, object bytes 8500..
    CHECK(!n.is_ok());
    CHECK(n.status().code() == EIO);
    CHECK(has(n.status(), "no copy could be read"));
    CHECK(has(n.status(), "checksum mismatch"));
    std::printf("  both copies damaged: %s\n", n.status().to_string().c_str());
    // Other pages of the same objects still read.
    auto ok = f->read_at(128 << 10 | 20000, got.data(), got.size());
    CHECK_OK(ok);
    CHECK_OK(f->close());
  }
  env.barrier();

  // 4. Truncate and append reach both copies.
  if (env.rank == 0) {
    auto f = env.fs.open("/two", open_flags::kReadWrite);
    REQUIRE_OK(f);
    CHECK_OK(f->set_size(100'000));
    const auto tail = pattern(5000, 9);
    auto at = f->append(tail.data(), tail.size());
    REQUIRE_OK(at);
    CHECK(*at == 100'000);
    CHECK_OK(f->sync());
    auto size = f->size();
    REQUIRE_OK(size);
    CHECK(*size == 105'000);
    check_copies_on_disk(f->layout());
    CHECK_OK(f->close());
  }
  env.barrier();
}

void write_all(FileSystem& fs, const char* path, const LayoutRequest& layout,
               const std::vector<uint8_t>& data) {
  auto f = fs.create(path, 0644, layout);
  REQUIRE_OK(f);
  CHECK_OK(f->write_at(0, data.data(), data.size()));
  CHECK_OK(f->sync());
  CHECK_OK(f->close());
}

void part_stale(mpicheck::Env& env) {
  if (env.rank != 0) return;
  // Mirror on the full server 1: written, mirror marked stale.
  const auto a = pattern(512 << 10, 4);
  write_all(env.fs, "/mirror-full", LayoutRequest{64 << 10, 1, 0}, a);
  auto fa = env.fs.open("/mirror-full", open_flags::kRead);
  REQUIRE_OK(fa);
  const Layout la = fa->layout();
  CHECK(la.copy(1, 0).server == 1);
  CHECK(std::filesystem::exists(object_path(la.copy(1, 0), ".stale")));
  CHECK(!std::filesystem::exists(object_path(la.copy(0, 0), ".stale")));
  std::vector<uint8_t> got(a.size());
  auto n = fa->read_at(0, got.data(), got.size());
  REQUIRE_OK(n);
  CHECK(got == a);
  CHECK_OK(fa->close());

  // Primary on the full server 1: written, primary marked stale, reads
  // and size from the mirror on server 2.
  const auto b = pattern(700 << 10, 5);
  write_all(env.fs, "/primary-full", LayoutRequest{64 << 10, 1, 1}, b);
  auto fb = env.fs.open("/primary-full", open_flags::kRead);
  REQUIRE_OK(fb);
  const Layout lb = fb->layout();
  CHECK(lb.copy(0, 0).server == 1);
  CHECK(lb.copy(1, 0).server == 2);
  CHECK(std::filesystem::exists(object_path(lb.copy(0, 0), ".stale")));
  auto size = fb->size();
  REQUIRE_OK(size);
  CHECK(*size == b.size());
  got.assign(b.size(), 0);
  n = fb->read_at(0, got.data(), got.size());
  REQUIRE_OK(n);
  CHECK(*n == b.size());
  CHECK(got == b);
  CHECK_OK(fb->close());

  // The file system says it is degraded; a rebuild cannot write to the full
  // server, says so, and changes nothing that reads see.
  auto health = env.fs.health();
  REQUIRE_OK(health);
  CHECK(degraded(*health));
  CHECK((*health)[1].stale_objects == 2);
  CHECK((*health)[0].stale_objects == 0);
  auto rebuilt = env.fs.rebuild();
  REQUIRE_OK(rebuilt);
  CHECK(rebuilt->failed.size() == 2);
  for (const auto& f : rebuilt->failed) std::printf("  rebuild failed: %s\n", f.c_str());
  CHECK(rebuilt->stale_resynced == 0);
  if (!rebuilt->failed.empty()) CHECK(has(Status::error(EIO, rebuilt->failed[0]), "no space left"));
  auto fsck = env.fs.fsck();
  REQUIRE_OK(fsck);
  CHECK(fsck->stale.size() == 2);
  std::printf("  %s\n", fsck->summary().c_str());
  CHECK(!fsck->clean());
  fb = env.fs.open("/primary-full", open_flags::kRead);
  REQUIRE_OK(fb);
  got.assign(b.size(), 0);
  n = fb->read_at(0, got.data(), got.size());
  REQUIRE_OK(n);
  CHECK(got == b);
  CHECK_OK(fb->close());
}

void part_read_eio(mpicheck::Env& env) {
  if (env.rank != 0) return;
  const auto a = pattern(300 << 10, 6);
  write_all(env.fs, "/first", LayoutRequest{64 << 10, 2, 0}, a);  // inode 2: object 2
  auto f = env.fs.open("/first", open_flags::kRead);
  REQUIRE_OK(f);
  REQUIRE(f->layout().stripes[0].object_id == 2);
  std::vector<uint8_t> got(a.size());
  auto n = f->read_at(0, got.data(), got.size());
  REQUIRE_OK(n);
  CHECK(got == a);
  CHECK_OK(f->close());
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string part = mpicheck::arg_value(args, "--part", "basic");
  Config config;
  if (!mpicheck::directory_store_config("nacre-replicas", 3, &config, &g_dir))
    return mpicheck::finish_without_runtime();
  config.deployment = DeploymentType::kPersistent;
  config.replicas = 2;
  return mpicheck::run_embedded(argc, argv, config, [&](mpicheck::Env& env) {
    REQUIRE(provided == MPI_THREAD_MULTIPLE);
    if (env.rank == 0) std::printf("mpi.durability.replicas --part %s\n", part.c_str());
    if (part == "basic") part_basic(env);
    else if (part == "stale") part_stale(env);
    else if (part == "read-eio") part_read_eio(env);
    else REQUIRE(false);
  });
}
