// mpi.rename_open: a client keeps reading a file it has open while another
// client renames a file over it or unlinks it; new opens see the new file;
// the old file's objects are freed at the last close (checked on disk: the
// servers use a directory store under a fresh temporary directory).
#include "mpi_check.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

using namespace nacre;

namespace {

std::string g_dir;  // the store directory

std::vector<uint8_t> pattern(size_t n, uint8_t salt) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((i * 37 + salt * 101 + i / 251) | 1);
  return v;
}

// How many of the layout's objects exist as files in the servers' directories.
int objects_on_disk(const Layout& l) {
  int n = 0;
  for (const auto& t : l.stripes) {
    char name[64];
    std::snprintf(name, sizeof name, "/server-%u/%016llx.obj", t.server,
                  static_cast<unsigned long long>(t.object_id));
    if (std::filesystem::exists(g_dir + name)) ++n;
  }
  return n;
}

Layout bcast_layout(MPI_Comm comm, int root, const Layout& mine) {
  std::vector<unsigned long long> v;
  v.push_back(mine.stripe_size);
  for (const auto& t : mine.stripes) {
    v.push_back(t.server);
    v.push_back(t.object_id);
  }
  int n = static_cast<int>(v.size());
  MPI_Bcast(&n, 1, MPI_INT, root, comm);
  v.resize(static_cast<size_t>(n));
  MPI_Bcast(v.data(), n, MPI_UNSIGNED_LONG_LONG, root, comm);
  Layout l;
  l.stripe_size = v[0];
  for (size_t i = 1; i + 1 < v.size(); i += 2)
    l.stripes.push_back({static_cast<uint32_t>(v[i]), v[i + 1]});
  return l;
}

bool reads_back(File& f, const std::vector<uint8_t>& want) {
  std::vector<uint8_t> got(want.size() + 100, 0xEE);
  auto n = f.read_at(0, got.data(), got.size());
  if (!n || *n != want.size()) return false;
  got.resize(want.size());
  return got == want;
}

bool file_is(FileSystem& fs, const std::string& path, const std::vector<uint8_t>& want) {
  auto f = fs.open(path, open_flags::kRead);
  return f && reads_back(*f, want) && f->close().is_ok();
}

// std::optional<File> rather than a default-constructed File: `File f;` does
// not compile outside the library (see the report: File() = default in
// file.hpp needs the complete client::OpenFile).
using MaybeFile = std::optional<File>;

void write_new(FileSystem& fs, const std::string& path, const std::vector<uint8_t>& data,
               MaybeFile* keep = nullptr) {
  auto f = fs.create(path, 0644, LayoutRequest{64 << 10, 2, 0});
  REQUIRE_OK(f);
  CHECK_OK(f->write_at(0, data.data(), data.size()));
  if (keep) keep->emplace(std::move(*f));
  else CHECK_OK(f->close());
}

const Layout& layout_of(const MaybeFile& f) {
  static const Layout none;
  return f ? f->layout() : none;
}

bool listed(FileSystem& fs, const std::string& dir, const std::string& name) {
  auto ls = fs.readdir(dir);
  CHECK_OK(ls);
  if (!ls) return false;
  int n = 0;
  for (const auto& e : *ls) n += e.name == name;
  CHECK(n <= 1);
  return n == 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  mpicheck::start_clock();
  g_dir = mpicheck::make_shared_tempdir(MPI_COMM_WORLD, "nacre-rename-open");
  nacre::Config config;
  config.servers = 2;
  config.store = StoreKind::kDirectory;
  config.store_dir = g_dir;
  if (g_dir.empty()) mpicheck::fail(__FILE__, __LINE__, "no temporary directory");
  else {
    const int code = mpicheck::run_embedded(argc, argv, config, [](mpicheck::Env& env) {
      FileSystem& fs = env.fs;
      const int A = 0, B = 1;
      const bool a = env.rank == A, b = env.rank == B;
      const auto P1 = pattern(200000, 1), P2 = pattern(100000, 2), P3 = pattern(150000, 3),
                 P4 = pattern(10, 4), P5 = pattern(70000, 5), P6 = pattern(90000, 6);

      // 1. B renames another file over the file A has open.
      MaybeFile old;
      if (a) write_new(fs, "/victim", P1, &old);
      const Layout victim = bcast_layout(env.comm, A, layout_of(old));
      env.barrier();
      CHECK_EQ(objects_on_disk(victim), 2);
      uint64_t other_ino = 0;
      if (b) {
        write_new(fs, "/other", P2);
        other_ino = fs.stat("/other").value().ino;
        CHECK_OK(fs.rename("/other", "/victim"));
      }
      MPI_Bcast(&other_ino, 1, MPI_UINT64_T, B, env.comm);
      env.barrier();
      auto st = fs.stat("/victim");
      CHECK_OK(st);
      if (st) {
        CHECK_EQ(st->ino, other_ino);
        CHECK_EQ(st->size, P2.size());
      }
      CHECK_ERRNO_PATH(fs.stat("/other"), ENOENT, "/other");
      CHECK(listed(fs, "/", "victim"));
      CHECK(!listed(fs, "/", "other"));
      CHECK(file_is(fs, "/victim", P2));  // new opens see the new file
      if (a) {
        CHECK(reads_back(*old, P1));  // the open handle still reads the original
        CHECK_EQ(old->size().value(), P1.size());
        // and can still write it, without touching the new file
        CHECK_OK(old->write_at(0, "zzz", 3));
        std::vector<uint8_t> changed = P1;
        std::copy_n("zzz", 3, changed.begin());
        CHECK(reads_back(*old, changed));
      }
      env.barrier();
      CHECK(file_is(fs, "/victim", P2));
      CHECK_EQ(objects_on_disk(victim), 2);  // still open: not freed
      env.barrier();
      if (a) CHECK_OK(old->close());
      env.barrier();
      CHECK_EQ(objects_on_disk(victim), 0);  // freed at the last close
      CHECK(file_is(fs, "/victim", P2));
      CHECK_EQ(objects_on_disk(fs.get_layout("/victim").value()), 2);
      env.barrier();

      // 2. B unlinks a file both have open; A re-creates the name.
      MaybeFile a_old, b_old;
      uint64_t doomed_ino = 0;
      if (a) {
        write_new(fs, "/doomed", P3, &a_old);
        doomed_ino = fs.stat("/doomed").value().ino;
      }
      const Layout doomed = bcast_layout(env.comm, A, layout_of(a_old));
      env.barrier();
      if (b) {
        auto f = fs.open("/doomed", open_flags::kRead);
        CHECK_OK(f);
        if (f) b_old.emplace(std::move(*f));
        CHECK_OK(fs.unlink("/doomed"));
      }
      env.barrier();
      CHECK_ERRNO_PATH(fs.stat("/doomed"), ENOENT, "/doomed");
      CHECK_ERRNO_PATH(fs.open("/doomed", open_flags::kRead), ENOENT, "/doomed");
      CHECK(!listed(fs, "/", "doomed"));
      if (a) CHECK(reads_back(*a_old, P3));
      if (b) CHECK(reads_back(*b_old, P3));
      CHECK_EQ(objects_on_disk(doomed), 2);
      env.barrier();
      if (a) {
        write_new(fs, "/doomed", P4);
        auto nst = fs.stat("/doomed");
        CHECK_OK(nst);
        if (nst) CHECK(nst->ino != doomed_ino);
      }
      env.barrier();
      CHECK(file_is(fs, "/doomed", P4));
      if (a) {
        CHECK(reads_back(*a_old, P3));  // not mixed with the new file
        CHECK_OK(a_old->close());
        CHECK_OK(a_old->close());  // a second close is a no-op
      }
      env.barrier();
      CHECK_EQ(objects_on_disk(doomed), 2);  // B still has it open
      if (b) {
        CHECK(reads_back(*b_old, P3));
        CHECK_OK(b_old->close());
      }
      env.barrier();
      CHECK_EQ(objects_on_disk(doomed), 0);
      CHECK(file_is(fs, "/doomed", P4));
      env.barrier();

      // 3. Renaming over, or unlinking, a file nobody has open frees it at once.
      if (a) {
        write_new(fs, "/x", P5);
        write_new(fs, "/y", P6);
      }
      env.barrier();
      const Layout y = fs.get_layout("/y").value();
      const Layout x = fs.get_layout("/x").value();
      CHECK_EQ(objects_on_disk(y), 2);
      env.barrier();
      if (b) CHECK_OK(fs.rename("/x", "/y"));
      env.barrier();
      CHECK_EQ(objects_on_disk(y), 0);
      CHECK(file_is(fs, "/y", P5));
      env.barrier();
      if (a) CHECK_OK(fs.unlink("/y"));
      env.barrier();
      CHECK_EQ(objects_on_disk(x), 0);
      CHECK_ERRNO(fs.stat("/y"), ENOENT);
      env.barrier();

      // 4. An open file renamed by another client: the handle follows the file.
      MaybeFile src;
      if (a) write_new(fs, "/src", P5, &src);
      env.barrier();
      if (b) CHECK_OK(fs.rename("/src", "/moved"));
      env.barrier();
      if (a) {
        CHECK(reads_back(*src, P5));
        CHECK_OK(src->write_at(P5.size(), "tail", 4));
        CHECK_OK(src->close());
      }
      env.barrier();
      {
        std::vector<uint8_t> want = P5;
        want.insert(want.end(), {'t', 'a', 'i', 'l'});
        CHECK(file_is(fs, "/moved", want));
      }
      CHECK_ERRNO(fs.stat("/src"), ENOENT);
      env.barrier();

      if (a) {
        for (const char* p : {"/victim", "/doomed", "/moved"}) CHECK_OK(fs.unlink(p));
      }
      env.barrier();
      auto ls = fs.readdir("/");
      CHECK_OK(ls);
      if (ls) CHECK_EQ(ls->size(), size_t{0});
    }, [] {
      // Every object was freed: the servers' directories are empty.
      int rank = 0;
      MPI_Comm_rank(MPI_COMM_WORLD, &rank);
      if (rank == 0) {
        for (int s = 0; s < 2; ++s) {
          const std::string d = g_dir + "/server-" + std::to_string(s);
          ++mpicheck::state().checks;
          std::error_code ec;
          int left = 0;
          for (auto it = std::filesystem::directory_iterator(d, ec);
               !ec && it != std::filesystem::directory_iterator(); ++it)
            left += it->path().extension() == ".obj";  // not the directory's stamp
          if (ec || left)
            mpicheck::fail(__FILE__, __LINE__, d + ": " + std::to_string(left) +
                                                   " objects left (" + ec.message() + ")");
        }
        std::error_code ec;
        std::filesystem::remove_all(g_dir, ec);
      }
    });
    return code;
  }
  const int code = mpicheck::finish(MPI_COMM_WORLD);
  MPI_Finalize();
  return code;
}
