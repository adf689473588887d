// mpi.namespace: every namespace operation from several client ranks, results
// seen consistently by all clients, and races (distinct and identical names).
#include "mpi_check.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>

using namespace nacre;

namespace {

std::string names_of(const std::vector<DirEntry>& v) {
  std::string s;
  for (const auto& e : v)
    s += e.name + (e.type == FileType::kDirectory ? "/" : "") + ":" + std::to_string(e.ino) + " ";
  return s;
}

std::vector<uint8_t> pattern(size_t n, uint8_t salt) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 31 + salt);
  return v;
}

void write_file(FileSystem& fs, const std::string& path, const std::vector<uint8_t>& data,
                LayoutRequest layout = {}) {
  auto f = fs.create(path, 0644, layout);
  CHECK_OK(f);
  if (!f) return;
  CHECK_OK(f->write_at(0, data.data(), data.size()));
  CHECK_OK(f->close());
}

bool has_contents(FileSystem& fs, const std::string& path, const std::vector<uint8_t>& want) {
  auto f = fs.open(path, open_flags::kRead);
  if (!f) return false;
  std::vector<uint8_t> got(want.size() + 16, 0xEE);
  auto n = f->read_at(0, got.data(), got.size());
  if (!n || *n != want.size()) return false;
  got.resize(want.size());
  return got == want && f->close().is_ok();
}

// Operations on the rank's own subtree /c<rank>.
void own_tree(mpicheck::Env& env) {
  FileSystem& fs = env.fs;
  const std::string top = "/c" + std::to_string(env.rank);

  // mkdir / stat / attributes of directories
  CHECK_OK(fs.mkdir(top));
  CHECK_ERRNO_PATH(fs.mkdir(top), EEXIST, top);
  CHECK_OK(fs.mkdir(top + "/d", 0750));
  auto d = fs.stat(top + "/d");
  CHECK_OK(d);
  if (d) {
    CHECK(d->type == FileType::kDirectory);
    CHECK_EQ(d->mode, 0750u);
    CHECK_EQ(d->nlink, 2u);
    CHECK_EQ(d->uid, static_cast<uint32_t>(::getuid()));
    CHECK_EQ(d->gid, static_cast<uint32_t>(::getgid()));
    CHECK(d->ino != 0);
  }
  CHECK_OK(fs.mkdir(top + "/d/e"));
  auto d2 = fs.stat(top + "/d");
  CHECK_OK(d2);
  if (d2) CHECK_EQ(d2->nlink, 3u);  // ".", the entry in top, and e's ".."

  // create / open / stat of files
  auto f = fs.create(top + "/f", 0640);
  CHECK_OK(f);
  if (!f) return;
  CHECK_ERRNO_PATH(fs.create(top + "/f"), EEXIST, top + "/f");
  CHECK_EQ(f->path(), top + "/f");
  auto st0 = fs.stat(top + "/f");
  CHECK_OK(st0);
  if (!st0) return;
  CHECK(st0->type == FileType::kRegular);
  CHECK_EQ(st0->mode, 0640u);
  CHECK_EQ(st0->nlink, 1u);
  CHECK_EQ(st0->size, 0u);
  CHECK_EQ(st0->uid, static_cast<uint32_t>(::getuid()));
  CHECK_EQ(st0->gid, static_cast<uint32_t>(::getgid()));
  CHECK(st0->mtime.sec > 0);
  CHECK(st0->ctime.sec > 0);
  CHECK(st0->atime.sec > 0);
  // mtime advances after a write
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto data = pattern(100000, static_cast<uint8_t>(env.rank));
  CHECK_OK(f->write_at(0, data.data(), data.size()));
  auto st1 = fs.stat(top + "/f");
  CHECK_OK(st1);
  if (st1) {
    CHECK_EQ(st1->size, data.size());
    CHECK(st1->mtime > st0->mtime);
    CHECK_EQ(st1->ino, st0->ino);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_OK(f->write_at(5, "x", 1));
  auto st2 = fs.stat(top + "/f");
  CHECK_OK(st2);
  if (st1 && st2) CHECK(st2->mtime > st1->mtime);
  CHECK_OK(f->write_at(5, data.data() + 5, 1));
  CHECK_OK(f->close());
  CHECK(has_contents(fs, top + "/f", data));

  // open without kCreate, with kCreate on an existing file, with kTruncate
  auto r = fs.open(top + "/f", open_flags::kRead);
  CHECK_OK(r);
  auto again = fs.open(top + "/f", open_flags::kCreate | open_flags::kReadWrite);
  CHECK_OK(again);
  if (again) {
    CHECK_EQ(again->size().value(), data.size());  // not truncated, same file
    CHECK_OK(again->close());
  }
  if (r) CHECK_OK(r->close());
  auto fresh = fs.open(top + "/new", open_flags::kCreate | open_flags::kWrite, 0600);
  CHECK_OK(fresh);
  if (fresh) CHECK_OK(fresh->close());
  auto nst = fs.stat(top + "/new");
  CHECK_OK(nst);
  if (nst) CHECK_EQ(nst->mode, 0600u);
  write_file(fs, top + "/trunc", data);
  auto tr = fs.open(top + "/trunc", open_flags::kReadWrite | open_flags::kTruncate);
  CHECK_OK(tr);
  if (tr) {
    CHECK_EQ(tr->size().value(), 0u);
    CHECK_OK(tr->close());
  }
  CHECK_EQ(fs.stat(top + "/trunc").value().size, 0u);
  CHECK_ERRNO_PATH(fs.open(top + "/d", open_flags::kRead), EISDIR, top + "/d");

  // truncate
  CHECK_OK(fs.truncate(top + "/f", 1000));
  CHECK_EQ(fs.stat(top + "/f").value().size, 1000u);
  CHECK(has_contents(fs, top + "/f", std::vector<uint8_t>(data.begin(), data.begin() + 1000)));
  CHECK_OK(fs.truncate(top + "/f", 3000));
  {
    auto want = std::vector<uint8_t>(data.begin(), data.begin() + 1000);
    want.resize(3000, 0);
    CHECK(has_contents(fs, top + "/f", want));
    CHECK_OK(fs.truncate(top + "/f", 0));
    CHECK_EQ(fs.stat(top + "/f").value().size, 0u);
  }

  // rename within a directory
  write_file(fs, top + "/a", pattern(5000, 1));
  const uint64_t a_ino = fs.stat(top + "/a").value().ino;
  CHECK_OK(fs.rename(top + "/a", top + "/b"));
  CHECK_ERRNO_PATH(fs.stat(top + "/a"), ENOENT, top + "/a");
  CHECK_EQ(fs.stat(top + "/b").value().ino, a_ino);
  CHECK(has_contents(fs, top + "/b", pattern(5000, 1)));
  // across directories (one namespace: no EXDEV)
  CHECK_OK(fs.rename(top + "/b", top + "/d/e/b"));
  CHECK_EQ(fs.stat(top + "/d/e/b").value().ino, a_ino);
  CHECK(has_contents(fs, top + "/d/e/b", pattern(5000, 1)));
  CHECK_OK(fs.rename(top + "/d/e/b", top + "/b"));
  // over an existing file: the target's old contents go away
  write_file(fs, top + "/g", pattern(7000, 2));
  CHECK_OK(fs.rename(top + "/b", top + "/g"));
  CHECK_ERRNO(fs.stat(top + "/b"), ENOENT);
  CHECK_EQ(fs.stat(top + "/g").value().ino, a_ino);
  CHECK(has_contents(fs, top + "/g", pattern(5000, 1)));
  // onto itself: nothing happens
  CHECK_OK(fs.rename(top + "/g", top + "/g"));
  CHECK(has_contents(fs, top + "/g", pattern(5000, 1)));
  // a directory over an empty directory
  CHECK_OK(fs.mkdir(top + "/x"));
  CHECK_OK(fs.mkdir(top + "/x/inner"));
  CHECK_OK(fs.mkdir(top + "/y"));
  const uint64_t x_ino = fs.stat(top + "/x").value().ino;
  const uint32_t top_links = fs.stat(top).value().nlink;
  CHECK_OK(fs.rename(top + "/x", top + "/y"));
  CHECK_ERRNO(fs.stat(top + "/x"), ENOENT);
  CHECK_EQ(fs.stat(top + "/y").value().ino, x_ino);
  CHECK_OK(fs.stat(top + "/y/inner"));
  CHECK_EQ(fs.stat(top).value().nlink, top_links - 1);
  // a directory across directories keeps its subtree and fixes link counts
  const uint32_t d_links = fs.stat(top + "/d").value().nlink;
  CHECK_OK(fs.rename(top + "/y", top + "/d/y"));
  CHECK_OK(fs.stat(top + "/d/y/inner"));
  CHECK_EQ(fs.stat(top + "/d").value().nlink, d_links + 1);
  CHECK_EQ(fs.stat(top).value().nlink, top_links - 2);
  // errors of rename
  CHECK_OK(fs.mkdir(top + "/full"));
  CHECK_OK(fs.mkdir(top + "/full/child"));
  CHECK_OK(fs.mkdir(top + "/empty"));
  CHECK_ERRNO_PATH(fs.rename(top + "/empty", top + "/full"), ENOTEMPTY, top + "/full");
  CHECK_ERRNO_PATH(fs.rename(top + "/empty", top + "/g"), ENOTDIR, top + "/g");
  CHECK_ERRNO_PATH(fs.rename(top + "/g", top + "/empty"), EISDIR, top + "/empty");
  CHECK_ERRNO_PATH(fs.rename(top + "/full", top + "/full/child/deeper"), EINVAL, top + "/full");
  CHECK_ERRNO_PATH(fs.rename(top + "/d", top + "/d/y/inner/z"), EINVAL, top + "/d");
  CHECK_ERRNO_PATH(fs.rename(top + "/nothing", top + "/other"), ENOENT, top + "/nothing");
  CHECK_ERRNO(fs.rename(top + "/g", top + "/nodir/g"), ENOENT);
  CHECK_OK(fs.stat(top + "/g"));  // failed renames change nothing
  // "/full2" starts with "/full" but is not inside it
  CHECK_OK(fs.rename(top + "/full", top + "/full2"));
  CHECK_OK(fs.rename(top + "/full2", top + "/full"));

  // rmdir / unlink and their errors
  CHECK_ERRNO_PATH(fs.rmdir(top + "/full"), ENOTEMPTY, top + "/full");
  CHECK_ERRNO_PATH(fs.rmdir(top + "/g"), ENOTDIR, top + "/g");
  CHECK_ERRNO_PATH(fs.unlink(top + "/full"), EISDIR, top + "/full");
  CHECK_ERRNO_PATH(fs.unlink(top + "/nothing"), ENOENT, top + "/nothing");
  CHECK_ERRNO_PATH(fs.rmdir(top + "/nothing"), ENOENT, top + "/nothing");
  CHECK_OK(fs.rmdir(top + "/full/child"));
  CHECK_OK(fs.rmdir(top + "/full"));
  CHECK_OK(fs.rmdir(top + "/empty"));
  CHECK_ERRNO(fs.stat(top + "/full"), ENOENT);

  // default layouts and their inheritance
  auto root_l = fs.get_default_layout("/");
  CHECK_OK(root_l);
  if (root_l) {
    CHECK_EQ(root_l->stripe_size, uint64_t{1} << 20);
    CHECK_EQ(root_l->stripe_count, -1);
  }
  const std::string wide = top + "/wide";
  CHECK_OK(fs.mkdir(wide));
  CHECK_OK(fs.set_default_layout(wide, LayoutRequest{128 << 10, 1, -1}));
  auto wl = fs.get_default_layout(wide);
  CHECK_OK(wl);
  if (wl) {
    CHECK_EQ(wl->stripe_size, uint64_t{128} << 10);
    CHECK_EQ(wl->stripe_count, 1);
  }
  CHECK_OK(fs.mkdir(wide + "/sub"));
  auto sl = fs.get_default_layout(wide + "/sub");
  CHECK_OK(sl);
  if (sl && wl) CHECK(*sl == *wl);
  auto inh = fs.create(wide + "/sub/f");
  CHECK_OK(inh);
  if (inh) {
    CHECK_EQ(inh->layout().stripe_size, uint64_t{128} << 10);
    CHECK_EQ(inh->layout().stripe_count(), 1u);
    auto gl = fs.get_layout(wide + "/sub/f");
    CHECK_OK(gl);
    if (gl) CHECK(*gl == inh->layout());
    CHECK_OK(inh->close());
  }
  // only the given fields change; an explicit request overrides the default
  CHECK_OK(fs.set_default_layout(wide, LayoutRequest{0, -1, -1}));
  wl = fs.get_default_layout(wide);
  CHECK_OK(wl);
  if (wl) {
    CHECK_EQ(wl->stripe_size, uint64_t{128} << 10);
    CHECK_EQ(wl->stripe_count, -1);
  }
  auto ex = fs.create(wide + "/explicit", 0644, LayoutRequest{64 << 10, 0, 1});
  CHECK_OK(ex);
  if (ex) {
    CHECK_EQ(ex->layout().stripe_size, uint64_t{64} << 10);
    CHECK_EQ(ex->layout().stripe_count(), static_cast<uint32_t>(env.servers));
    CHECK_EQ(ex->layout().stripes[0].server, 1u);
    CHECK_OK(ex->close());
  }
  // the subdirectory made earlier kept its copy of the old default
  auto inh2 = fs.create(wide + "/sub/g");
  CHECK_OK(inh2);
  if (inh2) CHECK_EQ(inh2->layout().stripe_count(), 1u);
  auto all = fs.create(wide + "/all");
  CHECK_OK(all);
  if (all) CHECK_EQ(all->layout().stripe_count(), static_cast<uint32_t>(env.servers));
  CHECK_ERRNO_PATH(fs.get_layout(wide), EISDIR, wide);
  CHECK_ERRNO_PATH(fs.get_default_layout(wide + "/all"), ENOTDIR, wide + "/all");
  CHECK_ERRNO_PATH(fs.set_default_layout(wide + "/all", LayoutRequest{}), ENOTDIR, wide + "/all");

  // a file of the default root layout stripes over every server
  auto rootf = fs.create(top + "/rootlayout");
  CHECK_OK(rootf);
  if (rootf) {
    CHECK_EQ(rootf->layout().stripe_size, uint64_t{1} << 20);
    CHECK_EQ(rootf->layout().stripe_count(), static_cast<uint32_t>(env.servers));
  }
}

void check_tree(mpicheck::Env& env, int owner) {
  FileSystem& fs = env.fs;
  const std::string top = "/c" + std::to_string(owner);
  auto ls = fs.readdir(top);
  CHECK_OK(ls);
  if (ls) {
    std::vector<std::string> names;
    for (const auto& e : *ls) names.push_back(e.name);
    const std::vector<std::string> want = {"d", "f", "g", "new", "rootlayout", "trunc", "wide"};
    CHECK_EQ(names.size(), want.size());
    CHECK(names == want);
  }
  CHECK(has_contents(fs, top + "/g", pattern(5000, 1)));
  auto st = fs.stat(top + "/d/y/inner");
  CHECK_OK(st);
  if (st) CHECK(st->type == FileType::kDirectory);
  auto l = fs.get_default_layout(top + "/wide");
  CHECK_OK(l);
  if (l) CHECK_EQ(l->stripe_size, uint64_t{128} << 10);
}

void remove_tree(FileSystem& fs, const std::string& path) {
  auto ls = fs.readdir(path);
  CHECK_OK(ls);
  if (ls)
    for (const auto& e : *ls) {
      const std::string p = path + "/" + e.name;
      if (e.type == FileType::kDirectory) remove_tree(fs, p);
      else CHECK_OK(fs.unlink(p));
    }
  CHECK_OK(fs.rmdir(path));
}

}  // namespace

int main(int argc, char** argv) {
  nacre::Config config;
  config.servers = 2;
  return mpicheck::run_embedded(argc, argv, config, [](mpicheck::Env& env) {
    FileSystem& fs = env.fs;
    CHECK_EQ(fs.server_count(), env.servers);
    CHECK(env.size >= 2);

    own_tree(env);
    env.barrier();

    // Every client sees every other client's tree, and the same listing.
    for (int r = 0; r < env.size; ++r) check_tree(env, r);
    for (const std::string dir : {"/", "/c0", "/c0/d", "/c1/wide"}) {
      auto ls = fs.readdir(dir);
      CHECK_OK(ls);
      CHECK(mpicheck::same_on_all(env.comm, ls ? names_of(*ls) : std::string("error")));
    }
    auto root = fs.readdir("/");
    CHECK_OK(root);
    if (root) CHECK_EQ(root->size(), static_cast<size_t>(env.size));
    env.barrier();

    // Another client's mtime moves when this client writes.
    if (env.rank == 1) {
      auto before = fs.stat("/c0/g").value().mtime;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      auto f = fs.open("/c0/g", open_flags::kWrite);
      CHECK_OK(f);
      if (f) CHECK_OK(f->write_at(0, "\x01", 1));
      CHECK(fs.stat("/c0/g").value().mtime > before);
      if (f) CHECK_OK(f->write_at(0, pattern(1, 1).data(), 1));
    }
    env.barrier();

    // Concurrent creates of distinct names in one directory.
    if (env.rank == 0) CHECK_OK(fs.mkdir("/many"));
    env.barrier();
    constexpr int kPerRank = 60;
    for (int i = 0; i < kPerRank; ++i) {
      const std::string p = "/many/r" + std::to_string(env.rank) + "_" + std::to_string(i);
      if (i % 4 == 0) {
        CHECK_OK(fs.mkdir(p));
      } else {
        auto f = fs.create(p);
        CHECK_OK(f);
      }
    }
    env.barrier();
    auto many = fs.readdir("/many");
    CHECK_OK(many);
    if (many) {
      CHECK_EQ(many->size(), static_cast<size_t>(kPerRank * env.size));
      std::set<std::string> seen;
      std::set<uint64_t> inos;
      for (const auto& e : *many) {
        seen.insert(e.name);
        inos.insert(e.ino);
      }
      CHECK_EQ(seen.size(), many->size());
      CHECK_EQ(inos.size(), many->size());
      for (int r = 0; r < env.size; ++r)
        for (int i = 0; i < kPerRank; ++i)
          CHECK_EQ(seen.count("r" + std::to_string(r) + "_" + std::to_string(i)), size_t{1});
      CHECK(std::is_sorted(many->begin(), many->end(),
                           [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; }));
      CHECK(mpicheck::same_on_all(env.comm, names_of(*many)));
    }
    CHECK_EQ(fs.stat("/many").value().nlink, 2u + kPerRank / 4 * static_cast<uint32_t>(env.size));
    env.barrier();

    // Concurrent exclusive creates (and mkdirs) of the SAME name: one winner.
    for (int round = 0; round < 12; ++round) {
      const std::string p = "/race" + std::to_string(round);
      env.barrier();
      int won = 0;
      if (round % 3 == 2) {
        Status s = fs.mkdir(p);
        if (s) won = 1;
        else CHECK_ERRNO_PATH(s, EEXIST, p);
      } else {
        auto f = fs.create(p);
        if (f) {
          won = 1;
          CHECK_OK(f->write_at(0, &env.rank, sizeof env.rank));
        } else {
          CHECK_ERRNO_PATH(f, EEXIST, p);
        }
      }
      const int winners = mpicheck::sum_over(env.comm, won);
      CHECK_EQ(winners, 1);
      // Everyone agrees on who won.
      int winner = won ? env.rank : -1, agreed = -1;
      MPI_Allreduce(&winner, &agreed, 1, MPI_INT, MPI_MAX, env.comm);
      if (round % 3 != 2) {
        auto f = fs.open(p, open_flags::kRead);
        CHECK_OK(f);
        int got = -1;
        if (f) CHECK_EQ(f->read_at(0, &got, sizeof got).value(), sizeof got);
        CHECK_EQ(got, agreed);
      }
    }
    env.barrier();

    // Cleanup: each client its own tree; client 0 the shared names.
    remove_tree(fs, "/c" + std::to_string(env.rank));
    env.barrier();
    if (env.rank == 0) {
      remove_tree(fs, "/many");
      for (int round = 0; round < 12; ++round) {
        const std::string p = "/race" + std::to_string(round);
        if (round % 3 == 2) CHECK_OK(fs.rmdir(p));
        else CHECK_OK(fs.unlink(p));
      }
    }
    env.barrier();
    auto empty = fs.readdir("/");
    CHECK_OK(empty);
    if (empty) CHECK_EQ(empty->size(), size_t{0});
  });
}
