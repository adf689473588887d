// mpi.truncate_holes: truncate shrinks and extends (leaving holes that read as
// zeros), through File::set_size, FileSystem::truncate and open(kTruncate);
// every client sees the same size and bytes after each step.
//
//   test_truncate_holes --servers N
#include "mpi_check.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace nacre;

namespace {

uint8_t byte_at(uint64_t off) { return static_cast<uint8_t>((off * 131 + 7) % 251 + 1); }  // never 0

// Every client checks size (File::size and stat) and content against the
// model: bytes < data_end that were written keep byte_at(), the rest are 0.
struct Model {
  uint64_t size = 0;
  std::vector<std::pair<uint64_t, uint64_t>> data;  // [begin, end) with byte_at()
  uint8_t at(uint64_t off) const {
    if (off >= size) return 0;
    for (const auto& [b, e] : data)
      if (off >= b && off < e) return byte_at(off);
    return 0;
  }
  void cut(uint64_t new_size) {
    size = new_size;
    for (auto& [b, e] : data) {
      if (e > new_size) e = std::max(b, new_size);
    }
  }
};

void verify(mpicheck::Env& env, File& f, const std::string& path, const Model& m, int line) {
  auto sz = f.size();
  CHECK_OK(sz);
  if (sz && *sz != m.size)
    mpicheck::fail(__FILE__, line, path + ": File::size " + std::to_string(*sz) + ", want " +
                                       std::to_string(m.size));
  auto st = env.fs.stat(path);
  CHECK_OK(st);
  if (st && st->size != m.size)
    mpicheck::fail(__FILE__, line, path + ": stat size " + std::to_string(st->size) + ", want " +
                                       std::to_string(m.size));
  const size_t want = static_cast<size_t>(m.size);
  std::vector<uint8_t> buf(want + 4096, 0xEE);
  auto n = f.read_at(0, buf.data(), buf.size());
  CHECK_OK(n);
  if (!n) return;
  if (*n != want)
    mpicheck::fail(__FILE__, line, path + ": read returned " + std::to_string(*n) + ", want " +
                                       std::to_string(want));
  for (size_t i = 0; i < std::min<size_t>(*n, want); ++i)
    if (buf[i] != m.at(i)) {
      mpicheck::fail(__FILE__, line, path + ": byte " + std::to_string(i) + " is " +
                                         std::to_string(buf[i]) + ", want " +
                                         std::to_string(m.at(i)));
      break;
    }
  // Sizes agree on all clients.
  unsigned long long mine = sz ? *sz : ~0ull, lo = 0, hi = 0;
  MPI_Allreduce(&mine, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, env.comm);
  MPI_Allreduce(&mine, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, env.comm);
  if (lo != hi)
    mpicheck::fail(__FILE__, line, path + ": clients see sizes from " + std::to_string(lo) +
                                       " to " + std::to_string(hi));
}

void write_range(File& f, uint64_t b, uint64_t e) {
  std::vector<uint8_t> buf(e - b);
  for (uint64_t o = b; o < e; ++o) buf[o - b] = byte_at(o);
  auto n = f.write_at(b, buf.data(), buf.size());
  CHECK_OK(n);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  nacre::Config config;
  config.servers = std::atoi(mpicheck::arg_value(args, "--servers", "1").c_str());
  return mpicheck::run_embedded(argc, argv, config, [](mpicheck::Env& env) {
    FileSystem& fs = env.fs;
    const std::string path = "/t";
    const int last = env.size - 1;
    if (env.rank == 0) {
      auto f = fs.create(path, 0644, LayoutRequest{64 << 10, -1, -1});
      REQUIRE_OK(f);
      CHECK_EQ(f->layout().stripe_count(), static_cast<uint32_t>(env.servers));
    }
    env.barrier();
    auto fo = fs.open(path, open_flags::kReadWrite);
    REQUIRE_OK(fo);
    File& f = *fo;
    Model m;
    auto step = [&](int line) {
      env.barrier();
      verify(env, f, path, m, line);
      env.barrier();
    };

    // 300000 bytes written by client 0 (several stripe units).
    if (env.rank == 0) write_range(f, 0, 300000);
    m.size = 300000;
    m.data.push_back({0, 300000});
    step(__LINE__);

    // Shrink through File::set_size on the last client, unaligned.
    if (env.rank == last) CHECK_OK(f.set_size(100001));
    m.cut(100001);
    step(__LINE__);

    // Extend through FileSystem::truncate on client 0: the old bytes past
    // 100001 must not come back.
    if (env.rank == 0) CHECK_OK(fs.truncate(path, 500000));
    m.size = 500000;
    step(__LINE__);

    // Shrink to stripe boundaries and just past/before them.
    for (uint64_t s : {uint64_t{196608}, uint64_t{131072}, uint64_t{131073}, uint64_t{65535},
                       uint64_t{65536}}) {
      if (env.rank == static_cast<int>(s % static_cast<uint64_t>(env.size)))
        CHECK_OK(s % 2 ? f.set_size(s) : fs.truncate(path, s));
      if (s < m.size) m.cut(s);
      else m.size = s;
      step(__LINE__);
    }

    // Write far past the end: the gap is a hole.
    if (env.rank == last) write_range(f, 1000000, 1000010);
    m.size = 1000010;
    m.data.push_back({1000000, 1000010});
    step(__LINE__);

    // Each client fills its own slice of the hole; then truncate in the
    // middle of one client's slice.
    {
      const uint64_t b = 200000 + 100000 * static_cast<uint64_t>(env.rank);
      write_range(f, b, b + 50000);
      for (int r = 0; r < env.size; ++r) {
        const uint64_t rb = 200000 + 100000 * static_cast<uint64_t>(r);
        m.data.push_back({rb, rb + 50000});
      }
      step(__LINE__);
      const uint64_t mid = 200000 + 100000 * static_cast<uint64_t>(last) + 12345;
      if (env.rank == 0) CHECK_OK(fs.truncate(path, mid));
      m.cut(mid);
      step(__LINE__);
      if (env.rank == last) CHECK_OK(f.set_size(mid + 400000));
      m.size = mid + 400000;
      step(__LINE__);
    }

    // Truncate to zero with open(kTruncate) while others hold it open.
    if (env.rank == last) {
      auto t = fs.open(path, open_flags::kWrite | open_flags::kTruncate);
      CHECK_OK(t);
      if (t) CHECK_OK(t->close());
    }
    m.cut(0);
    step(__LINE__);
    // Extend an empty file: all hole.
    if (env.rank == 0) CHECK_OK(f.set_size(777777));
    m.size = 777777;
    step(__LINE__);
    // Reads of the hole past what is there return zeros and short counts at the end.
    {
      std::vector<uint8_t> buf(100, 0xEE);
      auto n = f.read_at(777777 - 10, buf.data(), buf.size());
      CHECK_OK(n);
      if (n) CHECK_EQ(*n, size_t{10});
      for (int i = 0; i < 10; ++i) CHECK_EQ(buf[static_cast<size_t>(i)], uint8_t{0});
      CHECK_EQ(f.read_at(777777, buf.data(), buf.size()).value(), size_t{0});
    }
    env.barrier();

    // Errors.
    if (env.rank == 0) {
      CHECK_ERRNO_PATH(fs.truncate("/missing", 10), ENOENT, "/missing");
      CHECK_OK(fs.mkdir("/dir"));
      CHECK_ERRNO_PATH(fs.truncate("/dir", 10), EISDIR, "/dir");
      CHECK_OK(fs.rmdir("/dir"));
      CHECK_ERRNO_PATH(fs.truncate(path, kMaxFileSize + 1), EFBIG, path);
      CHECK_ERRNO_PATH(f.set_size(kMaxFileSize + 1), EFBIG, path);
      auto ro = fs.open(path, open_flags::kRead);
      CHECK_OK(ro);
      if (ro) CHECK_ERRNO_PATH(ro->set_size(5), EBADF, path);
      CHECK_EQ(f.size().value(), uint64_t{777777});  // the failures changed nothing
    }
    env.barrier();

    // The largest size there is, then back.
    if (env.rank == last) CHECK_OK(f.set_size(kMaxFileSize));
    env.barrier();
    CHECK_EQ(f.size().value(), kMaxFileSize);
    {
      uint8_t buf[16];
      std::memset(buf, 0xEE, sizeof buf);
      auto n = f.read_at(kMaxFileSize - 8, buf, 8);  // the last 8 bytes: a hole
      CHECK_OK(n);
      if (n) CHECK_EQ(*n, size_t{8});
      CHECK(std::count(buf, buf + 8, 0) == 8);
      // A read crossing the end of a file of the largest size is a short read
      // like any other read crossing the end of file (read_at's contract).
      // Regression: ClientCore::read used to apply the write-side range check
      // and fail with EFBIG.
      std::memset(buf, 0xEE, sizeof buf);
      auto cross = f.read_at(kMaxFileSize - 8, buf, sizeof buf);
      CHECK_OK(cross);
      if (cross) CHECK_EQ(*cross, size_t{8});
      // At or past the largest size there is nothing to read.
      auto past = f.read_at(kMaxFileSize, buf, sizeof buf);
      CHECK_OK(past);
      if (past) CHECK_EQ(*past, size_t{0});
    }
    env.barrier();
    if (env.rank == 0) CHECK_OK(fs.truncate(path, 10));
    m.cut(10);
    step(__LINE__);

    CHECK_OK(f.close());
    env.barrier();
    if (env.rank == 0) CHECK_OK(fs.unlink(path));
  });
}
