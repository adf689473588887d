// Per-page checksums of the directory store (docs/DURABILITY.md "Checksums"):
// the pure record rules, then the store on disk against a byte model, bit
// flips, simulated kills, corrupt checksum files, list() and verify().
#include "common/crc32c.hpp"
#include "store/object_store.hpp"
#include "store/page_sums.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

using namespace nacre;
using store::kChecksumPage;
using store::SumEntry;

namespace {

constexpr uint64_t P = kChecksumPage;
namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/nacre-sums-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string str() const { return path.string(); }
};

std::string obj_path(const TempDir& d, uint64_t id, const char* ext = ".obj") {
  char n[40];
  std::snprintf(n, sizeof n, "/%016llx%s", static_cast<unsigned long long>(id), ext);
  return d.str() + n;
}

std::unique_ptr<store::ObjectStore> open_store(const TempDir& d, bool checksums = true,
                                               store::CrashPoint crash = store::CrashPoint::none) {
  auto s = store::make_directory_store(d.str(), {.checksums = checksums, .crash_for_testing = crash});
  REQUIRE(s.is_ok());
  return std::move(*s);
}

std::vector<uint8_t> random_bytes(std::mt19937_64& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng() | 1);  // never all zeros
  return v;
}

std::vector<uint8_t> file_bytes(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}
void poke(const std::string& p, uint64_t off, const void* bytes, size_t n) {
  int fd = ::open(p.c_str(), O_WRONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, bytes, n, static_cast<off_t>(off)) == static_cast<ssize_t>(n));
  ::close(fd);
}
void flip(const std::string& p, uint64_t off) {
  auto b = file_bytes(p);
  REQUIRE(off < b.size());
  uint8_t v = b[off] ^ 0x10;
  poke(p, off, &v, 1);
}

// Reads the whole object (size from stat); the status of the read.
Result<std::vector<uint8_t>> read_all(store::ObjectStore& st, uint64_t id) {
  auto info = st.stat(id);
  if (!info) return info.status();
  std::vector<uint8_t> out(info->size);
  uint64_t size = 0;
  auto n = st.read(id, 0, out, &size);
  if (!n) return n.status();
  out.resize(*n);
  return out;
}

void check_clean(store::ObjectStore& st, uint64_t id, const std::vector<uint8_t>& model) {
  auto v = st.verify(id);
  REQUIRE(v.is_ok());
  CHECK(v->bad.empty());
  CHECK(v->pages_checked == store::pages_of(model.size()));
  auto got = read_all(st, id);
  REQUIRE_MESSAGE(got.is_ok(), got.status().message());
  REQUIRE(got->size() == model.size());
  CHECK(std::memcmp(got->data(), model.data(), model.size()) == 0);
}

}  // namespace

TEST_SUITE("checksums") {

TEST_CASE("sums header: round trip; short, foreign, other version and damaged headers are EIO naming the file") {
  auto h = store::encode_sums_header();
  CHECK(store::check_sums_header(h, "x.sum").is_ok());
  auto expect_bad = [](std::span<const uint8_t> b, const char* why) {
    Status s = store::check_sums_header(b, "/d/x.sum");
    CHECK(s.code() == EIO);
    CHECK(s.message().find("/d/x.sum") != std::string::npos);
    CHECK_MESSAGE(s.message().find(why) != std::string::npos, s.message());
  };
  expect_bad(std::span(h.data(), 10), "short");
  auto foreign = h;
  foreign[0] = 'X';
  expect_bad(foreign, "magic");
  for (size_t i = 8; i < h.size(); ++i) {  // any damaged byte past the magic
    auto d = h;
    d[i] ^= 1;
    CHECK(store::check_sums_header(d, "x").code() == EIO);
  }
  auto v2 = h;  // a well-formed header of another version
  v2[8] = 2;
  const uint32_t c = crc32c(v2.data(), 28);
  for (int i = 0; i < 4; ++i) v2[28 + i] = static_cast<uint8_t>(c >> (8 * i));
  expect_bad(v2, "format version 2");
}

TEST_CASE("sums entry: round trip, hole is zeros, any flipped bit is corrupt") {
  uint8_t b[store::kSumsEntrySize];
  store::encode_entry(SumEntry{}, b);
  for (uint8_t x : b) CHECK(x == 0);
  CHECK(store::decode_entry(b) == SumEntry{});
  const SumEntry e{0x12345678, 0x9abcdef0, true, true, false};
  store::encode_entry(e, b);
  CHECK(store::decode_entry(b) == e);
  for (size_t bit = 0; bit < 8 * sizeof b; ++bit) {
    uint8_t d[sizeof b];
    std::memcpy(d, b, sizeof b);
    d[bit / 8] ^= static_cast<uint8_t>(1 << (bit % 8));
    CHECK(store::decode_entry(d).corrupt);
  }
}

TEST_CASE("entry rules against a model of acceptable contents") {
  // Model: the set of page contents (by CRC) a page may hold. A write over a
  // page accepts the old content and the new one until the data lands, and
  // never accepts old content that was not acceptable.
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    SumEntry old;
    const int kind = static_cast<int>(rng() % 5);
    const uint32_t a = static_cast<uint32_t>(rng()), b = rng() % 2 ? a : static_cast<uint32_t>(rng());
    if (kind == 1) old = {a, b, true, false, false};
    if (kind == 2) old = {a, b, true, true, false};
    if (kind == 3) old.corrupt = true;
    if (kind == 4) old = {a, a, true, false, false};
    // Content on disk: acceptable under old, or not.
    uint32_t on_disk = rng() % 3 == 0 ? static_cast<uint32_t>(rng())
                       : kind == 0    ? store::zero_page_crc()
                                      : (rng() % 2 ? a : b);
    const bool old_ok = store::page_ok(old, on_disk);
    const uint32_t nc = static_cast<uint32_t>(rng());
    const bool whole = rng() % 2;
    std::optional<uint32_t> oc;
    if (store::needs_old_crc(old, whole)) oc = on_disk;
    const SumEntry e = store::entry_for_write(old, whole, oc, nc);
    CHECK(e.written);
    CHECK(!e.corrupt);
    if (whole || old_ok) CHECK(store::page_ok(e, nc));  // the new content, once landed
    else CHECK(!store::page_ok(e, nc));                 // partial over bad: poisoned
    if (old_ok) CHECK(store::page_ok(e, on_disk));      // a kill before the data lands
    else if (on_disk != nc) CHECK(!store::page_ok(e, on_disk));  // never bless bad bytes
    const SumEntry s = store::settled(e);
    CHECK(store::page_ok(s, nc) == store::page_ok(e, nc));
    if (!s.poisoned) CHECK(s.previous == s.current);
  }
}

TEST_CASE("page_crc pads with zeros") {
  std::mt19937_64 rng(3);
  auto d = random_bytes(rng, 100);
  std::vector<uint8_t> full(P, 0);
  std::memcpy(full.data() + 7, d.data(), d.size());
  CHECK(store::page_crc(7, d) == crc32c(full));
  CHECK(store::page_crc({}) == store::zero_page_crc());
}

TEST_CASE("directory store with checksums matches a byte model; kills at any step leave every page valid") {
  TempDir dir;
  std::mt19937_64 rng(7);
  std::vector<uint8_t> model;
  const uint64_t id = 42;
  auto st = open_store(dir);
  for (int i = 0; i < 400; ++i) {
    const int op = static_cast<int>(rng() % 12);
    const uint64_t off = rng() % 3 == 0 ? (rng() % 16) * P : rng() % (16 * P);
    const uint64_t len = rng() % 2 ? 1 + rng() % (3 * P) : (1 + rng() % 4) * P;
    if (op < 6) {
      auto d = random_bytes(rng, len);
      auto size = st->write(id, off, d);
      REQUIRE_MESSAGE(size.is_ok(), size.status().message());
      if (model.size() < off + len) model.resize(off + len, 0);
      std::memcpy(model.data() + off, d.data(), len);
      CHECK(*size == model.size());
    } else if (op < 8) {
      const uint64_t size = rng() % (18 * P);
      REQUIRE(st->truncate(id, size).is_ok());
      model.resize(size, 0);
    } else if (op == 8) {
      REQUIRE(st->destroy(id).is_ok());
      model.clear();
    } else {
      // A write or truncate killed after its checksum entries, with the data
      // of some of its pages landed (a torn write), or killed after the data.
      const bool torn = op != 11;
      auto crashing = open_store(dir, true, torn ? store::CrashPoint::after_sums
                                                 : store::CrashPoint::after_data);
      std::vector<uint8_t> after = model;
      if (rng() % 3 == 0) {
        const uint64_t size = rng() % (18 * P);
        const Status s = crashing->truncate(id, size);
        CHECK((s.code() == EIO || size == model.size()));
        after.resize(size, 0);
      } else {
        auto d = random_bytes(rng, len);
        CHECK(crashing->write(id, off, d).status().code() == EIO);
        if (after.size() < off + len) after.resize(off + len, 0);
        std::memcpy(after.data() + off, d.data(), len);
      }
      if (torn) {
        // Some pages of the new content land, the others stay old (the
        // kernel copies a write page by page, growing the file as it goes).
        for (uint64_t p = 0; p < store::pages_of(after.size()); ++p)
          if (rng() % 2) {
            const uint64_t lo = p * P, hi = std::min<uint64_t>(lo + P, after.size());
            poke(obj_path(dir, id), lo, after.data() + lo, hi - lo);
          }
      }
      st = open_store(dir);  // the restarted server
      auto v = st->verify(id);
      REQUIRE_MESSAGE(v.is_ok(), v.status().message());
      CHECK_MESSAGE(v->bad.empty(), "iteration ", i);
      // The object now holds, page by page, old or new content.
      model = file_bytes(obj_path(dir, id));
    }
    check_clean(*st, id, model);
  }
}

TEST_CASE("bit flips: reads fail naming the object, verify() reports the pages; whole-page writes repair, partial ones do not") {
  TempDir dir;
  std::mt19937_64 rng(9);
  auto st = open_store(dir);
  const uint64_t size = 5 * P + 100;
  auto d = random_bytes(rng, size);
  REQUIRE(st->write(42, 0, d).is_ok());
  flip(obj_path(dir, 42), 2 * P + 17);
  std::vector<uint8_t> out(size);
  uint64_t osz = 0;
  auto r = st->read(42, 0, out, &osz);
  CHECK(r.status().code() == EIO);
  CHECK_MESSAGE(r.status().message().find("checksum mismatch in object 42 at bytes [8192, 12288)") !=
                    std::string::npos, r.status().message());
  CHECK(r.status().message().find(obj_path(dir, 42)) != std::string::npos);
  CHECK(st->read(42, 0, std::span(out.data(), 2 * P), &osz).is_ok());  // other pages still read
  CHECK(st->read(42, 3 * P, std::span(out.data(), 100), &osz).is_ok());
  CHECK(st->read(42, 2 * P + 4000, std::span(out.data(), 10), &osz).status().code() == EIO);
  flip(obj_path(dir, 42), 3 * P);
  flip(obj_path(dir, 42), 5 * P + 99);
  auto v = st->verify(42);
  REQUIRE(v.is_ok());
  CHECK(v->pages_checked == 6);
  using R = std::vector<std::pair<uint64_t, uint64_t>>;
  CHECK(v->bad == R{{2 * P, 4 * P}, {5 * P, size}});
  // A partial write over a bad page keeps it bad (never blesses bad bytes).
  REQUIRE(st->write(42, 2 * P + 10, std::span(d.data(), 100)).is_ok());
  CHECK(st->verify(42)->bad == R{{2 * P, 4 * P}, {5 * P, size}});
  // Whole pages repair; the last page is whole up to the object size.
  REQUIRE(st->write(42, 2 * P, std::span(d.data() + 2 * P, 2 * P)).is_ok());
  REQUIRE(st->write(42, 5 * P, std::span(d.data() + 5 * P, 100)).is_ok());
  check_clean(*st, 42, d);
  // A bad page cut by a truncate stays bad in what is left of it.
  flip(obj_path(dir, 42), P + 5);
  REQUIRE(st->truncate(42, P + 50).is_ok());
  CHECK(st->verify(42)->bad == R{{P, P + 50}});
  REQUIRE(st->truncate(42, P).is_ok());
  d.resize(P);
  check_clean(*st, 42, d);
}

TEST_CASE("explicit kill orders: entries without data, data without settled entries, rewrite of an unsettled page") {
  TempDir dir;
  std::mt19937_64 rng(13);
  auto old_data = random_bytes(rng, 4 * P), new_data = random_bytes(rng, 4 * P);
  REQUIRE(open_store(dir)->write(1, 0, old_data).is_ok());
  {
    auto c = open_store(dir, true, store::CrashPoint::after_sums);
    CHECK(c->write(1, 0, new_data).status().code() == EIO);
  }
  check_clean(*open_store(dir), 1, old_data);  // every entry is unsettled {new, old}
  {
    // A second kill while rewriting the unsettled pages: whole-page writes
    // must find out which content is on disk.
    auto third = random_bytes(rng, 4 * P);
    auto c = open_store(dir, true, store::CrashPoint::after_sums);
    CHECK(c->write(1, 0, third).status().code() == EIO);
    check_clean(*open_store(dir), 1, old_data);
  }
  {
    auto c = open_store(dir, true, store::CrashPoint::after_data);
    CHECK(c->write(1, P / 2, std::span(new_data.data(), 2 * P)).status().code() == EIO);
  }
  std::memcpy(old_data.data() + P / 2, new_data.data(), 2 * P);
  check_clean(*open_store(dir), 1, old_data);
  // Killed extension past a hole, then a later write that extends less far.
  {
    auto c = open_store(dir, true, store::CrashPoint::after_sums);
    CHECK(c->write(1, 20 * P, new_data).status().code() == EIO);
  }
  auto st = open_store(dir);
  check_clean(*st, 1, old_data);
  REQUIRE(st->write(1, 6 * P + 3, std::span(new_data.data(), 10)).is_ok());
  old_data.resize(6 * P + 13, 0);
  std::memcpy(old_data.data() + 6 * P + 3, new_data.data(), 10);
  check_clean(*st, 1, old_data);
  REQUIRE(st->truncate(1, 30 * P).is_ok());  // growth: the new pages are holes
  old_data.resize(30 * P, 0);
  check_clean(*st, 1, old_data);
}

TEST_CASE("corrupt, short, foreign or missing checksum files are EIO naming them") {
  TempDir dir;
  std::mt19937_64 rng(17);
  auto d = random_bytes(rng, 3 * P);
  REQUIRE(open_store(dir)->write(7, 0, d).is_ok());
  const std::string sp = obj_path(dir, 7, ".sum");
  const auto good = file_bytes(sp);
  auto expect_eio = [&](const char* why) {
    auto st = open_store(dir);
    std::vector<uint8_t> out(10);
    uint64_t sz = 0;
    auto r = st->read(7, 2 * P, out, &sz);  // the last page: its entry is cut in one case
    CHECK(r.status().code() == EIO);
    CHECK_MESSAGE(r.status().message().find(sp) != std::string::npos, r.status().message());
    CHECK_MESSAGE(r.status().message().find(why) != std::string::npos, r.status().message());
    CHECK(st->verify(7).status().code() == EIO);
    CHECK(st->write(7, 2 * P, std::span(d.data(), 10)).status().code() == EIO);
  };
  auto restore = [&] {
    std::ofstream(sp, std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(good.data()), static_cast<std::streamsize>(good.size()));
  };
  flip(sp, 1);
  expect_eio("magic");
  restore();
  flip(sp, 12);
  expect_eio("header checksum");
  restore();
  fs::resize_file(sp, 10);
  expect_eio("short");
  restore();
  fs::resize_file(sp, store::kSumsHeaderSize + store::kSumsEntrySize);  // entries of 1 of 3 pages
  expect_eio("too short");
  restore();
  std::ofstream(sp, std::ios::trunc) << "certainly not a checksum file, but long enough to have a header";
  expect_eio("magic");
  fs::remove(sp);
  expect_eio("missing checksum file");
  // A damaged entry fails its page only.
  restore();
  flip(sp, store::kSumsHeaderSize + store::kSumsEntrySize + 3);
  auto st = open_store(dir);
  CHECK(st->verify(7)->bad == std::vector<std::pair<uint64_t, uint64_t>>{{P, 2 * P}});
  // An empty object needs no checksum file; writing it creates one.
  fs::remove(sp);
  REQUIRE(st->destroy(7).is_ok());
  REQUIRE(st->truncate(7, 0).is_ok());
  CHECK(st->verify(7)->bad.empty());
  REQUIRE(st->write(7, 0, d).is_ok());
  check_clean(*open_store(dir), 7, d);
  REQUIRE(st->destroy(7).is_ok());
  CHECK(!fs::exists(sp));
  CHECK(!fs::exists(obj_path(dir, 7)));
  CHECK(st->verify(7)->pages_checked == 0);  // missing object: empty report
}

TEST_CASE("list() gives objects and sizes and ignores other files; write_from and sync with checksums") {
  TempDir dir;
  auto st = open_store(dir);
  std::vector<uint8_t> d(5000, 3);
  REQUIRE(st->write(0x2a, 0, d).is_ok());
  REQUIRE(st->truncate(1, 123).is_ok());
  auto n = st->write_from(0xfedcba9876543210ull, 10, 9000, [](std::span<const std::span<uint8_t>> s) {
    for (auto sp : s) std::memset(sp.data(), 5, sp.size());
    return Status::ok();
  });
  REQUIRE(n.is_ok());
  REQUIRE(st->sync(0x2a).is_ok());
  for (const char* f : {"nacre-stamp", "metadata.mdb", "0000000000000003.sum", "00000000000000zz.obj",
                        "000000000000002A.obj", "000000000000002a.obj.tmp", ".0000000000000002.obj"})
    std::ofstream(dir.str() + "/" + f) << "x";
  fs::create_directory(dir.str() + "/0000000000000009.obj.d");
  auto l = st->list();
  REQUIRE(l.is_ok());
  REQUIRE(l->size() == 3);
  CHECK(((*l)[0].id == 1 && (*l)[0].size == 123));
  CHECK(((*l)[1].id == 0x2a && (*l)[1].size == 5000));
  CHECK(((*l)[2].id == 0xfedcba9876543210ull && (*l)[2].size == 9010));
  std::vector<uint8_t> want(9010, 5);
  std::memset(want.data(), 0, 10);
  check_clean(*open_store(dir), 0xfedcba9876543210ull, want);
}

TEST_CASE("checksums off: no .sum files; such objects are EIO to a store with checksums on") {
  TempDir dir;
  auto off = open_store(dir, false);
  std::vector<uint8_t> d(3 * P + 1, 9);
  REQUIRE(off->write(5, 0, d).is_ok());
  REQUIRE(off->truncate(6, 0).is_ok());
  REQUIRE(off->truncate(5, 2 * P).is_ok());
  CHECK(off->verify(5)->pages_checked == 0);
  for (auto& e : fs::directory_iterator(dir.path)) CHECK(e.path().extension() != ".sum");
  d.resize(2 * P);
  auto got = read_all(*off, 5);
  REQUIRE(got.is_ok());
  CHECK(*got == d);
  auto on = open_store(dir);
  CHECK(read_all(*on, 5).status().code() == EIO);
  CHECK(read_all(*on, 6).is_ok());  // empty: nothing to check
}

TEST_CASE("memory store: list() and an empty verify()") {
  auto st = store::make_memory_store();
  std::vector<uint8_t> d(10, 1);
  REQUIRE(st->write(9, 0, d).is_ok());
  REQUIRE(st->truncate(3, 77).is_ok());
  auto l = st->list();
  REQUIRE(l.is_ok());
  REQUIRE(l->size() == 2);
  CHECK(((*l)[0].id == 3 && (*l)[0].size == 77 && (*l)[1].id == 9 && (*l)[1].size == 10));
  auto v = st->verify(9);
  REQUIRE(v.is_ok());
  CHECK(v->pages_checked == 0);
  CHECK(v->bad.empty());
}

TEST_CASE("checked writes: the sender's CRC is checked from the page checksums; a mismatch stores nothing") {
  std::mt19937_64 rng(99);
  for (bool checksums : {true, false}) {
    CAPTURE(checksums);
    TempDir dir;
    auto st = open_store(dir, checksums);
    std::vector<uint8_t> model;
    for (int round = 0; round < 300; ++round) {
      // Offsets and lengths on and off page boundaries, past the end too.
      const uint64_t off = rng() % 3 == 0 ? (rng() % 8) * P : rng() % (6 * P);
      const size_t len = rng() % 3 == 0 ? (1 + rng() % 3) * P : 1 + rng() % (3 * P);
      auto data = random_bytes(rng, len);
      const uint32_t good = crc32c(data);
      const bool damage = rng() % 3 == 0;
      const bool bulk = rng() % 2 == 0;
      const uint32_t sent = damage ? good ^ (1u << (rng() % 32)) : good;
      Result<uint64_t> r = uint64_t{0};
      if (bulk) {
        r = st->write_from_checked(7, off, len, [&](std::span<const std::span<uint8_t>> spans) {
          size_t at = 0;
          for (auto sp : spans) {
            std::memcpy(sp.data(), data.data() + at, sp.size());
            at += sp.size();
          }
          return Status::ok();
        }, sent);
      } else {
        r = st->write_checked(7, off, data, sent);
      }
      if (damage) {
        REQUIRE(!r.is_ok());
        CHECK(r.status().code() == EIO);
        CHECK(r.status().message().find("arrived damaged") != std::string::npos);
      } else {
        REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
        if (model.size() < off + len) model.resize(off + len, 0);
        std::memcpy(model.data() + off, data.data(), len);
        CHECK(*r == model.size());
      }
    }
    // Only the accepted writes are there, and every page verifies.
    std::vector<uint8_t> got(model.size() + 10);
    uint64_t size = 0;
    auto n = st->read(7, 0, got, &size);
    REQUIRE(n.is_ok());
    CHECK(size == model.size());
    got.resize(*n);
    CHECK(got == model);
    auto v = st->verify(7);
    REQUIRE(v.is_ok());
    CHECK(v->bad.empty());
    // Reads with the reply's CRC (from the page checks): it matches the bytes.
    for (int k = 0; k < 200; ++k) {
      const uint64_t off = rng() % 2 ? (rng() % 8) * P : rng() % (model.size() + P);
      std::vector<uint8_t> out(rng() % 2 ? (1 + rng() % 4) * P : 1 + rng() % (4 * P));
      uint64_t osize = 0;
      uint32_t crc = 1;
      auto r = st->read_with_crc(7, off, out, &osize, &crc);
      REQUIRE(r.is_ok());
      CHECK(crc == crc32c(out.data(), static_cast<size_t>(*r)));
      if (*r) CHECK(std::equal(out.begin(), out.begin() + static_cast<long>(*r), model.begin() + static_cast<long>(off)));
    }
    uint64_t osize = 0;
    uint32_t crc = 1;
    std::vector<uint8_t> out(100);
    auto none = st->read_with_crc(12345, 0, out, &osize, &crc);  // a missing object
    REQUIRE(none.is_ok());
    CHECK(*none == 0);
    CHECK(crc == 0);
  }
}

}  // TEST_SUITE
