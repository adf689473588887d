// Metadata mirrors (docs/DURABILITY.md): the batch codec against every
// truncation and bad field; a mirror fed the LMDB store's batches holds the
// same database (and reopens as the same namespace); out-of-step changes are
// refused; snapshots replace everything; probing changes nothing on disk.
#include "mds/metadata_batch.hpp"
#include "mds/metadata_db.hpp"
#include "mds/metadata_store.hpp"
#include "metadata_dump.hpp"
#include "support/temp_dir.hpp"
#include "wire/messages.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace nacre;
using namespace nacre::mds;
namespace fs = std::filesystem;

namespace {

const std::string kUuid = "0123abcd-0000-4000-8000-00000000feed";
const LayoutRequest kRoot{1 << 20, -1, -1};

struct TempDir : testing::TempDir {
  TempDir() : testing::TempDir("nacre_mirror") {}
};

DurableMetadataOptions options(const std::string& path, bool create) {
  DurableMetadataOptions o;
  o.path = path;
  o.servers = 3;
  o.replicas = 2;
  o.root_default = kRoot;
  o.fs_uuid = kUuid;
  o.create = create;
  return o;
}

std::vector<uint8_t> bytes(std::mt19937& rng, size_t max) {
  std::vector<uint8_t> b(rng() % (max + 1));
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

KvBatch random_batch(std::mt19937& rng) {
  KvBatch b;
  b.seq = rng();
  b.snapshot = rng() % 2;
  const size_t n = rng() % 6;
  for (size_t i = 0; i < n; ++i) {
    KvOp op;
    op.table = static_cast<MetaTable>(1 + rng() % 3);
    op.erase = rng() % 3 == 0;
    op.key = bytes(rng, 40);
    if (op.key.empty()) op.key.push_back(1);
    if (!op.erase) op.value = bytes(rng, 300);
    b.ops.push_back(std::move(op));
  }
  return b;
}

}  // namespace

TEST_SUITE("durability.metadata_mirror") {

TEST_CASE("batch codec: round trips, and every truncation or bad field is EBADMSG") {
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    const KvBatch b = random_batch(rng);
    const auto enc = encode_batch(b);
    auto dec = decode_batch(enc, "test batch");
    REQUIRE_MESSAGE(dec.is_ok(), dec.status().to_string());
    CHECK(*dec == b);
    for (size_t n = 0; n < enc.size(); ++n) {
      auto cut = decode_batch(std::span<const uint8_t>(enc.data(), n), "test batch");
      REQUIRE_FALSE(cut.is_ok());
      CHECK(cut.status().code() == EBADMSG);
      CHECK(cut.status().message().find("test batch") != std::string::npos);
    }
    auto longer = enc;
    longer.push_back(0);
    CHECK(decode_batch(longer, "b").status().message().find("trailing") != std::string::npos);
  }
  KvBatch one;
  one.seq = 5;
  one.ops.push_back(KvOp{MetaTable::kDirents, false, {1, 2, 3}, {4, 5}});
  const auto good = encode_batch(one);
  auto broken = [&](size_t at, uint8_t v) {
    auto e = good;
    e[at] = v;
    return decode_batch(e, "b");
  };
  CHECK(broken(0, 2).status().message().find("version") != std::string::npos);
  CHECK(broken(1, 4).status().message().find("flags") != std::string::npos);
  CHECK(broken(18, 0).status().message().find("unknown table") != std::string::npos);
  CHECK(broken(18, 4).status().message().find("unknown table") != std::string::npos);
  CHECK(broken(19, 2).status().message().find("erase flag") != std::string::npos);
  CHECK(broken(19, 1).status().message().find("carries a value") != std::string::npos);
  // A count no input could hold, a key length past its limit, an empty key.
  auto e = good;
  e[17] = 0x7f;
  CHECK(decode_batch(e, "b").status().message().find("cannot fit") != std::string::npos);
  e = good;
  e[21] = 0x10;  // key length 0x1003
  CHECK(decode_batch(e, "b").status().code() == EBADMSG);
  KvBatch empty_key = one;
  empty_key.ops[0].key.clear();
  CHECK(decode_batch(encode_batch(empty_key), "b").status().message().find("empty key") != std::string::npos);
}

TEST_CASE("a mirror fed every committed batch holds the same database") {
  TempDir t;
  const std::string primary = t.path + "/p.mdb", mirror = t.path + "/m.mdb";
  {
    auto mdb = MetadataDb::open(mirror, true);
    REQUIRE(mdb.is_ok());
    std::unique_ptr<MetadataDb> m = std::move(*mdb);
    auto md = open_lmdb_metadata(options(primary, true));
    REQUIRE(md.is_ok());
    // The format batch was committed before the sink was attached: the
    // start-up sync sends it as a snapshot.
    auto first = (*md)->snapshot();
    REQUIRE(first.is_ok());
    REQUIRE(m->apply(*first).is_ok());
    size_t sent = 0;
    (*md)->set_mirror_sink([&](const KvBatch& b) {
      ++sent;
      // Through the wire encoding, as META_MIRROR carries it.
      auto dec = decode_batch(encode_batch(b), "META_MIRROR");
      REQUIRE(dec.is_ok());
      Status s = m->apply(*dec);
      REQUIRE_MESSAGE(s.is_ok(), s.to_string());
    });
    std::mt19937 rng(5);
    const std::vector<std::string> paths = {"/a", "/b", "/a/c", "/a/d", "/b/e", "/g", "/h"};
    const Credentials root{0, 0};
    std::vector<uint64_t> open_inos;
    for (int step = 0; step < 600; ++step) {
      const std::string p = paths[rng() % paths.size()], q = paths[rng() % paths.size()];
      switch (rng() % 7) {
        case 0: (void)(*md)->mkdir(p, 0755, root); break;
        case 1: (void)(*md)->rmdir(p, root); break;
        case 2: {
          auto o = (*md)->open(p, open_flags::kReadWrite | open_flags::kCreate, 0644, root, LayoutRequest{});
          if (o) open_inos.push_back(o->stat.ino);
          break;
        }
        case 3: (void)(*md)->unlink(p, root); break;
        case 4: (void)(*md)->rename(p, q, root); break;
        case 5: (void)(*md)->setattr(p, wire::kSetattrMode, 0600, root); break;
        case 6:
          if (!open_inos.empty()) {
            (void)(*md)->close(open_inos.back());
            open_inos.pop_back();
          }
          break;
      }
    }
    CHECK(sent > 100);
    CHECK(m->seq() == (*md)->snapshot()->seq);
    CHECK(*(*md)->snapshot() == *m->snapshot());
  }
  // The mirror, opened as the metadata server's store, is the same namespace.
  auto a = open_lmdb_metadata(options(primary, false));
  auto b = open_lmdb_metadata(options(mirror, false));
  REQUIRE_MESSAGE(a.is_ok(), a.status().to_string());
  REQUIRE_MESSAGE(b.is_ok(), b.status().to_string());
  CHECK(testing::dump_namespace(**a, true) == testing::dump_namespace(**b, true));
  CHECK(testing::dump_namespace(**a, true).size() > 20);
}

TEST_CASE("changes out of step are refused; a snapshot replaces everything") {
  TempDir t;
  auto db = MetadataDb::open(t.path + "/m.mdb", true);
  REQUIRE(db.is_ok());
  MetadataDb& m = **db;
  CHECK(m.seq() == 0);
  KvBatch c{1, false, {KvOp{MetaTable::kInodes, false, {0, 1}, {9}}}};
  REQUIRE(m.apply(c).is_ok());
  CHECK(m.seq() == 1);
  for (uint64_t seq : {1ull, 3ull, 0ull}) {
    KvBatch skip{seq, false, {KvOp{MetaTable::kInodes, false, {0, 2}, {8}}}};
    Status s = m.apply(skip);
    CHECK(s.code() == ESTALE);
    CHECK(s.message().find("out of step") != std::string::npos);
  }
  CHECK(m.snapshot()->ops.size() == 1);  // nothing of the refused changes
  KvBatch erase{2, false, {KvOp{MetaTable::kInodes, true, {0, 1}, {}}, KvOp{MetaTable::kDirents, false, {7}, {7}}}};
  REQUIRE(m.apply(erase).is_ok());
  auto snap = m.snapshot();
  REQUIRE(snap.is_ok());
  CHECK(snap->seq == 2);
  REQUIRE(snap->ops.size() == 1);
  CHECK(snap->ops[0].table == MetaTable::kDirents);
  KvBatch replace{40, true, {KvOp{MetaTable::kMeta, false, {'f', 's'}, {1}}}};
  REQUIRE(m.apply(replace).is_ok());
  CHECK(m.seq() == 40);
  CHECK(*m.snapshot() == replace);
  // The sequence number survives reopening.
  db->reset();
  auto again = MetadataDb::open(t.path + "/m.mdb", false);
  REQUIRE(again.is_ok());
  CHECK((*again)->seq() == 40);
  CHECK(MetadataDb::open(t.path + "/none.mdb", false).status().code() == ENOENT);
}

TEST_CASE("probing a copy changes nothing on disk and reports what it holds") {
  TempDir t;
  const std::string path = t.path + "/metadata.mdb";
  CHECK_FALSE(probe_metadata_db(path).present);
  CHECK(probe_metadata_db(path).problem.empty());
  {
    auto md = open_lmdb_metadata(options(path, true));
    REQUIRE(md.is_ok());
    REQUIRE((*md)->mkdir("/x", 0755, Credentials{}).is_ok());
  }
  fs::remove(path + "-lock");
  struct stat before;
  REQUIRE(::stat(path.c_str(), &before) == 0);
  auto p = probe_metadata_db(path);
  CHECK(p.present);
  CHECK(p.seq == 2);  // format, mkdir
  CHECK(p.uuid == kUuid);
  CHECK_FALSE(fs::exists(path + "-lock"));
  struct stat after;
  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  CHECK(after.st_size == before.st_size);
  // Garbage: a problem, not a crash.
  const std::string junk = t.path + "/junk.mdb";
  std::ofstream(junk) << std::string(8192, 'x');
  auto j = probe_metadata_db(junk);
  CHECK_FALSE(j.present);
  CHECK_MESSAGE(j.problem.find(junk) != std::string::npos, j.problem);
  // A database without a file-system record.
  REQUIRE(MetadataDb::open(t.path + "/empty.mdb", true).is_ok());
  auto e = probe_metadata_db(t.path + "/empty.mdb");
  CHECK_FALSE(e.present);
  CHECK_MESSAGE(e.problem.find("no file-system record") != std::string::npos, e.problem);
}

// Found in review: with the local commit and the mirrors' running at the
// same time, a local commit that failed after the mirror took the change
// left the mirror with a change the client was told had failed (and, once
// server 0 committed another change, at the same change number with other
// records). The local commit now comes first: a failed one sends nothing.
TEST_CASE("a failed local commit sends nothing to the mirrors; the copies stay equal") {
  TempDir t;
  const std::string primary = t.path + "/p.mdb", mirror = t.path + "/m.mdb";
  auto mdb = MetadataDb::open(mirror, true);
  REQUIRE(mdb.is_ok());
  std::unique_ptr<MetadataDb> m = std::move(*mdb);
  auto o = options(primary, true);
  o.map_bytes = 96 << 10;  // a small map: the local commit runs out of room
  auto md = open_lmdb_metadata(o);
  REQUIRE_MESSAGE(md.is_ok(), md.status().to_string());
  REQUIRE(m->apply(*(*md)->snapshot()).is_ok());
  std::vector<Status> mirror_said;
  (*md)->set_mirror_sink([&](const KvBatch& b) { mirror_said.push_back(m->apply(b)); });
  const Credentials root{0, 0};
  const std::string pad(200, 'x');
  Status failed;
  int made = 0;
  for (int i = 0; i < 2000 && failed; ++i) {
    failed = (*md)->mkdir("/" + std::to_string(i) + pad, 0755, root);
    if (failed) ++made;
  }
  REQUIRE_MESSAGE(!failed, "the local commit never failed");
  CHECK(failed.code() == ENOSPC);
  CHECK(mirror_said.size() == static_cast<size_t>(made));  // nothing for the failed one
  Status later;
  for (int i = made - 1; i >= 0; --i) {
    later = (*md)->rmdir("/" + std::to_string(i) + pad, root);
    if (later) break;
  }
  REQUIRE_MESSAGE(later.is_ok(), later.to_string());
  for (const Status& s : mirror_said) CHECK_MESSAGE(s.is_ok(), s.to_string());
  CHECK(*(*md)->snapshot() == *m->snapshot());
}

}  // TEST_SUITE
