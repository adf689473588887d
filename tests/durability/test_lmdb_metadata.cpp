// The LMDB metadata store against the in-memory one: the same random
// operation sequences give the same results, and reopening the LMDB store
// gives back exactly the namespace it had (times included). Corrupt records,
// foreign databases and a full map are errors with messages, never crashes.
#include "mds/metadata_records.hpp"
#include "mds/metadata_store.hpp"
#include "metadata_dump.hpp"

#include <doctest/doctest.h>
#include <lmdb.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace nacre;
using namespace nacre::mds;
namespace fs = std::filesystem;

namespace {

const std::string kUuid = "0123abcd-0000-4000-8000-00000000beef";
const LayoutRequest kRoot{1 << 20, -1, -1};

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/nacre_lmdb_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

DurableMetadataOptions options(const std::string& dir, bool create, uint32_t servers = 3) {
  DurableMetadataOptions o;
  o.path = dir + "/metadata.mdb";
  o.servers = servers;
  o.root_default = kRoot;
  o.fs_uuid = kUuid;
  o.create = create;
  return o;
}

std::unique_ptr<MetadataStore> open_or_die(const DurableMetadataOptions& o) {
  auto r = open_lmdb_metadata(o);
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(*r);
}

std::string describe(const Status& s) { return s ? "ok" : errno_name(s.code()); }
template <class T>
std::string describe(const Result<T>& r) { return describe(r.status()); }
std::string describe(const Result<Release>& r) {
  if (!r) return describe(r.status());
  return std::string("destroy=") + (r->destroy ? "1" : "0") + " stripes=" +
         std::to_string(r->layout.stripes.size());
}
std::string describe(const Result<OpenResult>& r) {
  if (!r) return describe(r.status());
  return "ino=" + std::to_string(r->stat.ino) + " created=" + std::to_string(r->created) +
         " mode=" + std::to_string(r->stat.mode) + " nlink=" + std::to_string(r->stat.nlink) +
         " stripes=" + std::to_string(r->layout.stripes.size()) + " first=" +
         std::to_string(r->layout.stripes.empty() ? 0 : r->layout.stripes[0].server);
}

// Puts raw bytes under key in table `table` of the database at path.
void poke(const std::string& path, const char* table, std::vector<uint8_t> key,
          std::vector<uint8_t> value) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 4);
  REQUIRE(mdb_env_open(env, path.c_str(), MDB_NOSUBDIR, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi;
  REQUIRE(mdb_dbi_open(txn, table, 0, &dbi) == 0);
  MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
  REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

}  // namespace

TEST_SUITE("durability.metadata") {

TEST_CASE("inode records keep mirrors; version 1 records (no mirrors) still read") {
  Inode f;
  f.type = FileType::kRegular;
  f.mode = 0600;
  f.nlink = 1;
  f.layout.stripe_size = 1 << 20;
  f.layout.stripes = {{0, 5}, {1, 5}};
  f.layout.mirrors = {{{1, 5 | (1ull << 56)}, {2, 5 | (1ull << 56)}}};
  auto enc = encode_inode(f);
  auto dec = decode_inode(enc, 5);
  REQUIRE(dec.is_ok());
  CHECK(dec->layout == f.layout);
  for (size_t n = 0; n < enc.size(); ++n)
    CHECK(!decode_inode(std::span<const uint8_t>(enc.data(), n), 5).is_ok());
  // A version 1 record: the same bytes without the mirror count.
  Inode one = f;
  one.layout.mirrors.clear();
  auto v1 = encode_inode(one);
  const size_t mirror_count_at = 1 + 1 + 16 + 48 + 8 + 4 + 2 * 12;
  REQUIRE(v1[mirror_count_at] == 0);
  v1.erase(v1.begin() + static_cast<long>(mirror_count_at));
  v1[0] = 1;
  auto old = decode_inode(v1, 5);
  REQUIRE_MESSAGE(old.is_ok(), old.status().to_string());
  CHECK(old->layout == one.layout);
  // A mirror count the record cannot hold.
  auto huge = enc;
  huge[mirror_count_at] = 200;
  CHECK(decode_inode(huge, 5).status().code() == EIO);
}

TEST_CASE("records round trip and reject every truncation") {
  Inode f;
  f.type = FileType::kRegular;
  f.mode = 0640;
  f.uid = 7;
  f.nlink = 1;
  f.mtime = {12, 34};
  f.layout.stripe_size = 1 << 20;
  f.layout.stripes = {{0, 9}, {1, 9}, {2, 9}};
  auto enc = encode_inode(f);
  auto dec = decode_inode(enc, 9);
  REQUIRE(dec.is_ok());
  CHECK(encode_inode(*dec) == enc);
  for (size_t n = 0; n < enc.size(); ++n) {
    auto bad = decode_inode(std::span<const uint8_t>(enc.data(), n), 9);
    CHECK(bad.status().code() == EIO);
    CHECK(bad.status().message().find("inode 9") != std::string::npos);
  }
  auto longer = enc;
  longer.push_back(0);
  CHECK(decode_inode(longer, 9).status().message().find("trailing") != std::string::npos);
  auto v3 = enc;
  v3[0] = 3;
  CHECK(decode_inode(v3, 9).status().message().find("version") != std::string::npos);
  auto huge = enc;  // stripe count field claims more stripes than the record holds
  huge[1 + 1 + 16 + 48 + 8] = 0xff;
  CHECK(decode_inode(huge, 9).status().code() == EIO);
  MetaRecord m{42, 5, 3, kUuid};
  auto me = encode_meta(m);
  REQUIRE(decode_meta(me).is_ok());
  CHECK(*decode_meta(me) == m);
  for (size_t n = 0; n < me.size(); ++n)
    CHECK(decode_meta(std::span<const uint8_t>(me.data(), n)).status().code() == EIO);
  auto de = encode_dirent(77);
  CHECK(*decode_dirent(de, "e") == 77);
  CHECK(decode_dirent(std::span<const uint8_t>(de.data(), 5), "e").status().code() == EIO);
  CHECK(decode_dirent_key(dirent_key(3, "x.h5"))->second == "x.h5");
  CHECK(decode_dirent_key(dirent_key(3, "a/b")).status().code() == EIO);
  CHECK(decode_dirent_key(inode_key(3)).status().code() == EIO);
}

TEST_CASE("random operations: LMDB matches memory, and reopening changes nothing") {
  TempDir t;
  for (unsigned seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    const std::string dir = t.path + "/s" + std::to_string(seed);
    fs::create_directories(dir);
    auto mem = make_memory_metadata(3, kRoot);
    auto db = open_or_die(options(dir, true));
    std::mt19937 rng(seed);
    const std::vector<std::string> paths = {"/a", "/b", "/a/c", "/a/d", "/b/e", "/a/c/f", "/g"};
    auto pick = [&] { return paths[rng() % paths.size()]; };
    std::vector<uint64_t> open_inos;
    const Credentials root{0, 0}, user{1000, 100};
    for (int step = 0; step < 1500; ++step) {
      CAPTURE(step);
      const Credentials& cred = rng() % 4 ? root : user;
      const std::string p = pick(), q = pick();
      const int op = static_cast<int>(rng() % 10);
      if (op == 0) {
        const uint32_t mode = rng() % 2 ? 0755 : 0700;
        CHECK(describe(mem->mkdir(p, mode, cred)) == describe(db->mkdir(p, mode, cred)));
      } else if (op == 1) {
        CHECK(describe(mem->rmdir(p, cred)) == describe(db->rmdir(p, cred)));
      } else if (op == 2 || op == 3) {
        uint32_t flags = open_flags::kReadWrite | open_flags::kCreate;
        if (rng() % 4 == 0) flags |= open_flags::kExclusive;
        if (rng() % 4 == 0) flags |= open_flags::kTruncate;
        LayoutRequest lr{rng() % 3 ? 0 : 1u << 17, static_cast<int32_t>(rng() % 3), -1};
        auto x = mem->open(p, flags, 0644, cred, lr);
        auto y = db->open(p, flags, 0644, cred, lr);
        CHECK(describe(x) == describe(y));
        if (x && y) {
          CHECK(x->layout == y->layout);
          open_inos.push_back(x->stat.ino);
        }
      } else if (op == 4 && !open_inos.empty()) {
        const size_t i = rng() % open_inos.size();
        CHECK(describe(mem->close(open_inos[i])) == describe(db->close(open_inos[i])));
        open_inos.erase(open_inos.begin() + static_cast<long>(i));
      } else if (op == 5) {
        CHECK(describe(mem->unlink(p, cred)) == describe(db->unlink(p, cred)));
      } else if (op == 6) {
        CHECK(describe(mem->rename(p, q, cred)) == describe(db->rename(p, q, cred)));
      } else if (op == 7) {
        const uint32_t mask = rng() % 2 ? wire::kSetattrMode : wire::kSetattrMtimeNow;
        CHECK(describe(mem->setattr(p, mask, 0600, cred)) == describe(db->setattr(p, mask, 0600, cred)));
      } else if (op == 8) {
        LayoutRequest lr{rng() % 2 ? 1u << 16 : 0, static_cast<int32_t>(rng() % 4), -1};
        CHECK(describe(mem->set_dir_layout(p, lr)) == describe(db->set_dir_layout(p, lr)));
      } else {
        CHECK(describe(mem->stat(p)) == describe(db->stat(p)));
      }
      if (step % 250 == 249) {
        // The job ends: every handle is closed (the objects' fate is the
        // same in both), then the LMDB store is reopened from disk.
        for (uint64_t ino : open_inos)
          CHECK(describe(mem->close(ino)) == describe(db->close(ino)));
        open_inos.clear();
        CHECK(testing::dump_namespace(*mem, false) == testing::dump_namespace(*db, false));
        const std::string before = testing::dump_namespace(*db, true);
        db.reset();
        db = open_or_die(options(dir, false));
        CHECK(testing::dump_namespace(*db, true) == before);
      }
    }
    const std::string final_dump = testing::dump_namespace(*db, false);
    CHECK(final_dump == testing::dump_namespace(*mem, false));
    CHECK(std::count(final_dump.begin(), final_dump.end(), '\n') >= 3);  // the sequence built something
    // New inode numbers continue after a reopen (object ids are never reused).
    db.reset();
    db = open_or_die(options(dir, false));
    auto m2 = mem->open("/fresh", open_flags::kReadWrite | open_flags::kCreate, 0644, root, {});
    auto d2 = db->open("/fresh", open_flags::kReadWrite | open_flags::kCreate, 0644, root, {});
    REQUIRE(m2.is_ok());
    REQUIRE(d2.is_ok());
    CHECK(m2->stat.ino == d2->stat.ino);
  }
}

TEST_CASE("a file unlinked while open is dropped at the next open of the database") {
  TempDir t;
  auto db = open_or_die(options(t.path, true));
  auto f = db->open("/tmpfile", open_flags::kReadWrite | open_flags::kCreate, 0644, {}, {});
  REQUIRE(f.is_ok());
  auto keep = db->open("/keep", open_flags::kReadWrite | open_flags::kCreate, 0644, {}, {});
  REQUIRE(keep.is_ok());
  auto rel = db->unlink("/tmpfile", {});
  REQUIRE(rel.is_ok());
  CHECK_FALSE(rel->destroy);  // still open
  db.reset();                 // the job dies with the file open
  db = open_or_die(options(t.path, false));
  CHECK(db->stat("/tmpfile").status().code() == ENOENT);
  CHECK(db->stat("/keep").is_ok());
  CHECK(db->close(f->stat.ino).status().code() == EBADF);
  CHECK(db->close(keep->stat.ino).status().code() == EBADF);  // open counts do not survive
}

TEST_CASE("corrupt records, foreign and missing databases are refused with messages") {
  TempDir t;
  {
    auto db = open_or_die(options(t.path, true));
    REQUIRE(db->mkdir("/d", 0755, {}).is_ok());
    REQUIRE(db->open("/d/f", open_flags::kReadWrite | open_flags::kCreate, 0644, {}, {}).is_ok());
  }
  auto other = options(t.path, false);
  other.fs_uuid = "99999999-0000-4000-8000-000000000000";
  auto foreign = open_lmdb_metadata(other);
  CHECK(foreign.status().code() == EINVAL);
  CHECK(foreign.status().message().find("foreign") != std::string::npos);
  auto fewer = open_lmdb_metadata(options(t.path, false, 2));
  CHECK(fewer.status().code() == EINVAL);
  CHECK(fewer.status().message().find("3 servers") != std::string::npos);
  auto missing = open_lmdb_metadata(options(t.path + "/nowhere", false));
  CHECK(missing.status().code() == ENOENT);
  CHECK(missing.status().message().find("missing") != std::string::npos);
  CHECK_FALSE(fs::exists(t.path + "/nowhere"));

  const std::string path = t.path + "/metadata.mdb";
  poke(path, "inodes", inode_key(2), {1, 2, 3});
  auto bad = open_lmdb_metadata(options(t.path, false));
  CHECK(bad.status().code() == EIO);
  CHECK_MESSAGE(bad.status().message().find("inode 2 is corrupt") != std::string::npos,
                bad.status().message());
  CHECK(bad.status().message().find(path) != std::string::npos);
  poke(path, "inodes", inode_key(2), {9});
  CHECK(open_lmdb_metadata(options(t.path, false)).status().message().find("version 9") != std::string::npos);
  Inode d;
  d.type = FileType::kDirectory;
  d.mode = 0755;
  d.nlink = 2;
  poke(path, "inodes", inode_key(2), encode_inode(d));
  REQUIRE(open_lmdb_metadata(options(t.path, false)).is_ok());
  poke(path, "dirents", dirent_key(2, "ghost"), encode_dirent(12345));
  auto dangling = open_lmdb_metadata(options(t.path, false));
  CHECK(dangling.status().code() == EIO);
  CHECK(dangling.status().message().find("ghost") != std::string::npos);
}

TEST_CASE("a full database fails the operation with ENOSPC and keeps the namespace intact") {
  TempDir t;
  auto o = options(t.path, true);
  o.map_bytes = 256 << 10;
  auto db = open_or_die(o);
  int created = 0;
  Status err;
  for (; created < 100000; ++created) {
    std::string name = "/file-with-a-long-name-to-fill-pages-" + std::to_string(created);
    auto f = db->open(name, open_flags::kReadWrite | open_flags::kCreate, 0644, {}, {});
    if (!f) {
      err = f.status();
      break;
    }
    REQUIRE(db->close(f->stat.ino).is_ok());
  }
  REQUIRE(created > 10);
  CHECK(err.code() == ENOSPC);
  CHECK(err.message().find("metadata store") != std::string::npos);
  const std::string failed = "/file-with-a-long-name-to-fill-pages-" + std::to_string(created);
  CHECK(db->stat(failed).status().code() == ENOENT);  // rolled back in memory too
  CHECK(db->stat("/file-with-a-long-name-to-fill-pages-0").is_ok());
  const std::string before = testing::dump_namespace(*db, true);
  db.reset();
  o.create = false;
  db = open_or_die(o);
  CHECK(testing::dump_namespace(*db, true) == before);
  CHECK(db->unlink("/file-with-a-long-name-to-fill-pages-0", {}).is_ok());  // still writable
}

}  // TEST_SUITE
