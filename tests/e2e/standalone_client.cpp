// A client job for the standalone end-to-end test. Every rank connects to
// the server job (NACRE_ADDRESS), then:
//   write <tag>   each rank writes /jobs/<tag>/rank<r> with a pattern derived
//                 from (tag, rank) and a shared striped file /jobs/<tag>/shared
//   verify <tag>  reads what a `write <tag>` job left and checks every byte
//   list          prints the tags under /jobs (rank 0)
// Exits non-zero (with the error) on any failure.
#include <nacre/nacre.hpp>

#include <mpi.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

uint8_t pattern(const std::string& tag, int rank, uint64_t i) {
  uint64_t h = 1469598103934665603ull;
  for (char c : tag) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return static_cast<uint8_t>((h >> 7) + rank * 131 + i * 7 + (i >> 12));
}

constexpr uint64_t kBlock = 3 * 65536 + 123;  // crosses stripes

int failed(int rank, const std::string& what, const nacre::Status& s) {
  std::fprintf(stderr, "standalone_client rank %d: %s: %s\n", rank, what.c_str(),
               s.to_string().c_str());
  return 1;
}

int do_write(nacre::FileSystem& fs, MPI_Comm comm, int rank, int size, const std::string& tag) {
  const std::string dir = "/jobs/" + tag;
  if (rank == 0) {
    auto s = fs.mkdir("/jobs");
    if (!s && s.code() != EEXIST) return failed(rank, "mkdir /jobs", s);
    if (s = fs.mkdir(dir); !s) return failed(rank, "mkdir " + dir, s);
    auto f = fs.create(dir + "/shared", 0644, nacre::LayoutRequest{65536, -1, -1});
    if (!f) return failed(rank, "create shared", f.status());
  }
  MPI_Barrier(comm);
  std::vector<uint8_t> buf(kBlock);
  for (uint64_t i = 0; i < kBlock; ++i) buf[i] = pattern(tag, rank, i);
  auto own = fs.create(dir + "/rank" + std::to_string(rank));
  if (!own) return failed(rank, "create own file", own.status());
  if (auto w = own->write_at(0, buf.data(), buf.size()); !w) return failed(rank, "write own", w.status());
  auto shared = fs.open(dir + "/shared", nacre::open_flags::kWrite);
  if (!shared) return failed(rank, "open shared", shared.status());
  if (auto w = shared->write_at(static_cast<uint64_t>(rank) * kBlock, buf.data(), buf.size()); !w)
    return failed(rank, "write shared", w.status());
  (void)size;
  return 0;
}

int do_verify(nacre::FileSystem& fs, int rank, const std::string& tag) {
  const std::string dir = "/jobs/" + tag;
  auto ls = fs.readdir(dir);
  if (!ls) return failed(rank, "readdir " + dir, ls.status());
  int writers = static_cast<int>(ls->size()) - 1;  // rank files + shared
  if (writers < 1) return failed(rank, "verify", nacre::Status::error(ENOENT, "no rank files in " + dir));
  auto shared = fs.open(dir + "/shared", nacre::open_flags::kRead);
  if (!shared) return failed(rank, "open shared", shared.status());
  auto size = shared->size();
  if (!size || *size != writers * kBlock)
    return failed(rank, "shared size", nacre::Status::error(EIO, "unexpected size of " + dir + "/shared"));
  std::vector<uint8_t> buf(kBlock);
  for (int w = 0; w < writers; ++w) {
    for (const std::string& name : {dir + "/rank" + std::to_string(w), dir + "/shared"}) {
      auto f = fs.open(name, nacre::open_flags::kRead);
      if (!f) return failed(rank, "open " + name, f.status());
      const uint64_t off = name.ends_with("shared") ? w * kBlock : 0;
      auto n = f->read_at(off, buf.data(), buf.size());
      if (!n || *n != kBlock) return failed(rank, "read " + name, n ? nacre::Status::error(EIO, "short read") : n.status());
      for (uint64_t i = 0; i < kBlock; ++i)
        if (buf[i] != pattern(tag, w, i))
          return failed(rank, "verify " + name,
                        nacre::Status::error(EIO, "byte " + std::to_string(i) + " differs"));
    }
  }
  if (rank == 0) std::printf("verified %d writer(s) of job '%s'\n", writers, tag.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 2) {
    if (rank == 0) std::fprintf(stderr, "usage: standalone_client write|verify <tag> | list\n");
    MPI_Finalize();
    return 2;
  }
  const std::string cmd = argv[1];
  const std::string tag = argc > 2 ? argv[2] : "";
  auto config = nacre::Config::load();
  if (!config) {
    failed(rank, "config", config.status());
    MPI_Finalize();
    return 1;
  }
  auto rt = nacre::Runtime::connect(MPI_COMM_WORLD, *config);
  if (!rt) {
    failed(rank, "connect", rt.status());
    MPI_Finalize();
    return 1;
  }
  int rc = 0;
  if (cmd == "write") rc = do_write(rt->fs(), rt->client_comm(), rank, size, tag);
  else if (cmd == "verify") rc = do_verify(rt->fs(), rank, tag);
  else if (cmd == "list" && rank == 0) {
    auto ls = rt->fs().readdir("/jobs");
    if (!ls) rc = failed(rank, "readdir /jobs", ls.status());
    else for (const auto& e : *ls) std::printf("job %s\n", e.name.c_str());
  }
  int any = 0;
  MPI_Allreduce(&rc, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (auto s = rt->shutdown(); !s) any = failed(rank, "shutdown", s);
  MPI_Finalize();
  return any;
}
