// Client and servers in one process over the loopback transport: the
// namespace and the striped data path end to end, without mpirun.
#include "support/loopback_cluster.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

using namespace nacre;
using nacre::testing::LoopbackCluster;

TEST_SUITE("inprocess") {

TEST_CASE("namespace operations") {
  LoopbackCluster c(3, 1);
  FileSystem& fs = c.fs();
  REQUIRE(fs.mkdir("/a").is_ok());
  CHECK(fs.mkdir("/a").code() == EEXIST);
  CHECK(fs.mkdir("/x/y").code() == ENOENT);
  CHECK(fs.mkdir("relative").code() == EINVAL);
  REQUIRE(fs.mkdir("/a/b", 0700).is_ok());
  auto f = fs.create("/a/file");
  REQUIRE(f.is_ok());
  CHECK(fs.create("/a/file").status().code() == EEXIST);
  auto st = fs.stat("/a/b");
  REQUIRE(st.is_ok());
  CHECK(st->type == FileType::kDirectory);
  CHECK(st->mode == 0700);
  auto ls = fs.readdir("/a");
  REQUIRE(ls.is_ok());
  REQUIRE(ls->size() == 2);
  CHECK((*ls)[0].name == "b");
  CHECK((*ls)[1].name == "file");
  CHECK(fs.rmdir("/a").code() == ENOTEMPTY);
  CHECK(fs.rmdir("/a/file").code() == ENOTDIR);
  CHECK(fs.unlink("/a/b").code() == EISDIR);
  REQUIRE(fs.rename("/a/file", "/a/b/moved").is_ok());
  CHECK(fs.stat("/a/file").status().code() == ENOENT);
  CHECK(fs.stat("/a/b/moved").is_ok());
  CHECK(fs.rename("/a", "/a/b/inside").code() == EINVAL);
  REQUIRE(fs.unlink("/a/b/moved").is_ok());
  REQUIRE(fs.rmdir("/a/b").is_ok());
  REQUIRE(f->close().is_ok());
  REQUIRE(fs.rmdir("/a").is_ok());
  CHECK(fs.readdir("/")->empty());
}

TEST_CASE("readdir pages through a large directory") {
  LoopbackCluster c(1, 1);
  FileSystem& fs = c.fs();
  REQUIRE(fs.mkdir("/d").is_ok());
  for (int i = 0; i < 1000; ++i) REQUIRE(fs.mkdir("/d/n" + std::to_string(i)).is_ok());
  auto ls = fs.readdir("/d");
  REQUIRE(ls.is_ok());
  CHECK(ls->size() == 1000);
}

TEST_CASE("striped writes and reads match a model, holes read as zeros") {
  LoopbackCluster c(4, 1, 256 << 10);
  FileSystem& fs = c.fs();
  auto f = fs.create("/data", 0644, LayoutRequest{64 << 10, 3, -1});
  REQUIRE(f.is_ok());
  CHECK(f->layout().stripe_count() == 3);
  std::vector<uint8_t> model;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    const uint64_t off = rng() % (3 << 20);
    const size_t len = 1 + rng() % (700 << 10);
    std::vector<uint8_t> buf(len);
    for (auto& b : buf) b = static_cast<uint8_t>(rng());
    REQUIRE(f->write_at(off, buf.data(), len).is_ok());
    if (model.size() < off + len) model.resize(off + len, 0);
    std::memcpy(model.data() + off, buf.data(), len);
  }
  auto size = f->size();
  REQUIRE(size.is_ok());
  CHECK(*size == model.size());
  for (int i = 0; i < 100; ++i) {
    const uint64_t off = rng() % (model.size() + 1000);
    const size_t len = rng() % (900 << 10);
    std::vector<uint8_t> buf(len, 0xEE);
    auto n = f->read_at(off, buf.data(), len);
    REQUIRE(n.is_ok());
    const size_t expect = off >= model.size() ? 0 : std::min<size_t>(len, model.size() - off);
    REQUIRE(*n == expect);
    REQUIRE(std::memcmp(buf.data(), model.data() + off, expect) == 0);
  }
}

TEST_CASE("truncate shrinks and extends with a hole") {
  LoopbackCluster c(2, 1);
  FileSystem& fs = c.fs();
  auto f = fs.create("/t", 0644, LayoutRequest{64 << 10, 2, -1});
  REQUIRE(f.is_ok());
  std::vector<uint8_t> ones(300000, 1);
  REQUIRE(f->write_at(0, ones.data(), ones.size()).is_ok());
  REQUIRE(f->set_size(100000).is_ok());
  CHECK(*f->size() == 100000);
  REQUIRE(f->set_size(500000).is_ok());
  CHECK(*f->size() == 500000);
  CHECK(fs.stat("/t")->size == 500000);
  std::vector<uint8_t> back(500000, 7);
  REQUIRE(*f->read_at(0, back.data(), back.size()) == 500000);
  for (size_t i = 0; i < back.size(); ++i) REQUIRE(back[i] == (i < 100000 ? 1 : 0));
  REQUIRE(fs.truncate("/t", 10).is_ok());
  CHECK(fs.stat("/t")->size == 10);
}

TEST_CASE("an unlinked open file stays readable until closed; rename over an open file") {
  LoopbackCluster c(2, 2);
  auto a = c.fs(0).create("/victim");
  REQUIRE(a.is_ok());
  const char msg[] = "still here";
  REQUIRE(a->write_at(0, msg, sizeof msg).is_ok());
  auto other = c.fs(1).create("/other");
  REQUIRE(other.is_ok());
  REQUIRE(other->write_at(0, "new", 3).is_ok());
  REQUIRE(c.fs(1).rename("/other", "/victim").is_ok());
  char buf[sizeof msg] = {};
  REQUIRE(*a->read_at(0, buf, sizeof buf) == sizeof msg);
  CHECK(std::string(buf) == msg);
  auto st = c.fs(0).stat("/victim");
  REQUIRE(st.is_ok());
  CHECK(st->size == 3);
  REQUIRE(a->close().is_ok());
  REQUIRE(other->close().is_ok());
}

TEST_CASE("bad inputs give documented errors") {
  LoopbackCluster c(2, 1);
  FileSystem& fs = c.fs();
  CHECK(fs.open("/missing", open_flags::kRead).status().code() == ENOENT);
  CHECK(fs.open("no/slash", open_flags::kRead).status().code() == EINVAL);
  CHECK(fs.create("/bad", 0644, LayoutRequest{1000, 1, -1}).status().code() == EINVAL);
  CHECK(fs.create("/bad", 0644, LayoutRequest{65536, 5, -1}).status().code() == EINVAL);
  auto f = fs.create("/ro");
  REQUIRE(f.is_ok());
  REQUIRE(f->close().is_ok());
  auto ro = fs.open("/ro", open_flags::kRead);
  REQUIRE(ro.is_ok());
  CHECK(ro->write_at(0, "x", 1).status().code() == EBADF);
  auto rw = fs.open("/ro", open_flags::kReadWrite);
  REQUIRE(rw.is_ok());
  CHECK(rw->write_at(kMaxFileSize - 1, "xy", 2).status().code() == EFBIG);
  CHECK(fs.open("/ro", 0).status().code() == EINVAL);
  CHECK(fs.mkdir("/" + std::string(300, 'n')).code() == ENAMETOOLONG);
}

TEST_CASE("default layouts are inherited from directories") {
  LoopbackCluster c(4, 1);
  FileSystem& fs = c.fs();
  REQUIRE(fs.mkdir("/wide").is_ok());
  REQUIRE(fs.set_default_layout("/wide", LayoutRequest{128 << 10, 2, -1}).is_ok());
  REQUIRE(fs.mkdir("/wide/sub").is_ok());
  auto f = fs.create("/wide/sub/f");
  REQUIRE(f.is_ok());
  CHECK(f->layout().stripe_size == (128u << 10));
  CHECK(f->layout().stripe_count() == 2);
  auto l = fs.get_default_layout("/wide/sub");
  REQUIRE(l.is_ok());
  CHECK(l->stripe_count == 2);
  CHECK(fs.set_default_layout("/wide", LayoutRequest{100, 0, -1}).code() == EINVAL);
  // Round-robin first servers spread single-stripe files.
  std::set<uint32_t> firsts;
  for (int i = 0; i < 4; ++i) {
    auto g = fs.create("/rr" + std::to_string(i), 0644, LayoutRequest{0, 1, -1});
    REQUIRE(g.is_ok());
    firsts.insert(g->layout().stripes[0].server);
  }
  CHECK(firsts.size() == 4);
}

}  // TEST_SUITE

TEST_SUITE("inprocess") {

TEST_CASE("readdir of long names spans several pages that each fit a message") {
  LoopbackCluster c(1, 1);
  FileSystem& fs = c.fs();
  REQUIRE(fs.mkdir("/long").is_ok());
  for (int i = 0; i < 300; ++i) {
    std::string name = std::to_string(i);
    name += std::string(255 - name.size(), 'x');
    REQUIRE(fs.mkdir("/long/" + name).is_ok());
  }
  auto ls = fs.readdir("/long");
  REQUIRE(ls.is_ok());
  CHECK(ls->size() == 300);
}

TEST_CASE("a File used after its client shut down fails fast with ENOTCONN") {
  LoopbackCluster c(1, 1);
  auto f = c.fs().create("/late");
  REQUIRE(f.is_ok());
  c.stop();
  CHECK(f->write_at(0, "x", 1).status().code() == ENOTCONN);
  CHECK(f->close().code() == ENOTCONN);
  CHECK(c.fs().stat("/late").status().code() == ENOTCONN);
}

}  // TEST_SUITE

TEST_SUITE("inprocess") {

TEST_CASE("vectored writes and reads of shuffled pieces match a model") {
  LoopbackCluster c(3, 1, 128 << 10);
  auto f = c.fs().create("/vec", 0644, LayoutRequest{64 << 10, 3, -1});
  REQUIRE(f.is_ok());
  std::mt19937_64 rng(99);
  std::vector<uint8_t> model(2 << 20, 0);
  for (int iter = 0; iter < 20; ++iter) {
    std::vector<layout::FilePiece> pieces;
    for (uint64_t pos = rng() % 5000; pos < model.size();) {
      const uint64_t len = 1 + rng() % 150000;
      if (pos + len > model.size()) break;
      if (rng() % 2) pieces.push_back({pos, len});
      pos += len + rng() % 3000;
    }
    std::shuffle(pieces.begin(), pieces.end(), rng);
    std::vector<uint8_t> stream;
    for (const auto& p : pieces)
      for (uint64_t k = 0; k < p.length; ++k) {
        const uint8_t v = static_cast<uint8_t>(rng());
        stream.push_back(v);
        model[p.file_offset + k] = v;
      }
    REQUIRE(c.core().write_pieces(f->layout(), pieces, stream.data()).is_ok());
  }
  // Read back in other random pieces (including past end of file).
  for (int iter = 0; iter < 20; ++iter) {
    std::vector<layout::FilePiece> pieces;
    for (int k = 0; k < 10; ++k) pieces.push_back({rng() % (model.size() + 100000), rng() % 70000});
    uint64_t total = 0;
    for (const auto& p : pieces) total += p.length;
    std::vector<uint8_t> stream(total, 0xCD);
    REQUIRE(c.core().read_pieces(f->layout(), pieces, stream.data()).is_ok());
    uint64_t at = 0;
    for (const auto& p : pieces)
      for (uint64_t k = 0; k < p.length; ++k, ++at) {
        const uint64_t b = p.file_offset + k;
        REQUIRE(stream[at] == (b < model.size() ? model[b] : 0));
      }
  }
}

}  // TEST_SUITE
