// Storage directories: stamp codec (strict), atomic stamp writes, the
// exclusive lock, and the mount decision over all servers' probes.
#include "store/mount_plan.hpp"
#include "store/storage_dir.hpp"

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using namespace nacre;
using namespace nacre::store;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/nacre_stamp_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

StorageStamp sample(uint32_t index = 0, uint32_t count = 2) {
  StorageStamp s;
  s.uuid = "0123abcd-0000-4000-8000-00000000beef";
  s.server_index = index;
  s.server_count = count;
  s.replicas = 1;
  s.deployment = "persistent";
  return s;
}

}  // namespace

TEST_SUITE("durability.stamp") {

TEST_CASE("stamp round trip") {
  StorageStamp s = sample(1, 3);
  auto d = decode_stamp(encode_stamp(s), "x");
  REQUIRE(d.is_ok());
  CHECK(*d == s);
  const std::string u = new_fs_uuid();
  CHECK(u.size() == 36);
  CHECK(u != new_fs_uuid());
  s.uuid = u;
  CHECK(decode_stamp(encode_stamp(s), "x").is_ok());
}

TEST_CASE("malformed stamps are EIO naming the file and the problem") {
  const std::string good = encode_stamp(sample());
  auto bad = [](const std::string& text, const std::string& what) {
    auto d = decode_stamp(text, "/d/nacre-stamp");
    CHECK(d.status().code() == EIO);
    CHECK(d.status().message().find("/d/nacre-stamp") != std::string::npos);
    CHECK_MESSAGE(d.status().message().find(what) != std::string::npos, d.status().message());
  };
  bad("", "empty");
  bad("hello\n", "does not start");
  bad(good.substr(0, good.size() - 1), "torn");
  bad(good.substr(0, good.size() / 2), "");
  std::string t = good;
  t.replace(t.find("server_index = 0"), 16, "server_index = 7");
  bad(t, "server_index");
  t = good;
  t.replace(t.find("replicas = 1"), 12, "replicas = x");
  bad(t, "replicas");
  t = good;
  t.replace(t.find("deployment = persistent"), 23, "deployment = forever");
  bad(t, "deployment");
  t = good;
  t.replace(t.find("uuid = "), 11, "uuid = zzzz");
  bad(t, "uuid");
  bad(good + "colour = blue\n", "unknown keys");
  bad(good + "uuid = 1\n", "twice");
  t = good;
  t.erase(t.find("server_count"), t.find("\n", t.find("server_count")) - t.find("server_count") + 1);
  bad(t, "server_count");
  bad(std::string(5000, 'a'), "large");
  // A newer format decodes only as far as its number.
  auto newer = decode_stamp("nacre-storage-stamp\nformat = 9\nwhatever = 1\n", "x");
  REQUIRE(newer.is_ok());
  CHECK(newer->format == 9);
}

TEST_CASE("write_stamp is atomic and open reads it back") {
  TempDir t;
  const std::string dir = t.path + "/server-0";
  {
    auto d = StorageDir::open(dir);
    REQUIRE(d.is_ok());
    CHECK_FALSE(d->probe().exists);
    CHECK_FALSE(d->locked());
    CHECK_FALSE(fs::exists(dir));  // probing creates nothing
    REQUIRE(d->write_stamp(sample()).is_ok());
    CHECK(d->locked());
    CHECK(fs::exists(dir + "/nacre-stamp"));
    CHECK_FALSE(fs::exists(dir + "/nacre-stamp.tmp"));
  }
  auto again = StorageDir::open(dir);
  REQUIRE(again.is_ok());
  REQUIRE(again->probe().stamp.has_value());
  CHECK(*again->probe().stamp == sample());
  CHECK_FALSE(again->probe().foreign);
}

TEST_CASE("a second server on the same directory fails with EBUSY, in this process or another") {
  TempDir t;
  auto first = StorageDir::open(t.path);
  REQUIRE(first.is_ok());
  REQUIRE(first->locked());
  auto second = StorageDir::open(t.path);
  CHECK(second.status().code() == EBUSY);
  CHECK(second.status().message().find(t.path) != std::string::npos);
  CHECK(second.status().message().find("in use by another Nacre server") != std::string::npos);
  pid_t pid = ::fork();
  if (pid == 0) {  // another process: the flock is held by the parent's open file
    auto other = StorageDir::open(t.path);
    ::_exit(other.status().code() == EBUSY ? 0 : 1);
  }
  int st = 0;
  REQUIRE(::waitpid(pid, &st, 0) == pid);
  CHECK(WIFEXITED(st));
  CHECK(WEXITSTATUS(st) == 0);
  first = StorageDir();  // unlock
  CHECK(StorageDir::open(t.path).is_ok());
}

TEST_CASE("foreign directories and scratch clearing") {
  TempDir t;
  std::ofstream(t.path + "/thesis.tex") << "precious";
  {
    auto d = StorageDir::open(t.path);
    REQUIRE(d.is_ok());
    CHECK(d->probe().foreign);
  }
  fs::remove(t.path + "/thesis.tex");
  auto d = StorageDir::open(t.path);
  REQUIRE(d.is_ok());
  CHECK_FALSE(d->probe().foreign);
  StorageStamp s = sample();
  s.deployment = "scratch";
  REQUIRE(d->write_stamp(s).is_ok());
  std::ofstream(t.path + "/0000000000000002.obj") << "old";
  std::ofstream(t.path + "/notes.txt") << "keep";
  REQUIRE(d->clear_for_scratch().is_ok());
  CHECK_FALSE(fs::exists(t.path + "/0000000000000002.obj"));
  CHECK(fs::exists(t.path + "/notes.txt"));
  CHECK(fs::exists(t.path + "/nacre-stamp"));
}

}  // TEST_SUITE

TEST_SUITE("durability.mount_plan") {

namespace {

std::vector<DirProbe> stamped(uint32_t n, const std::string& uuid = "0123abcd-0000-4000-8000-00000000beef") {
  std::vector<DirProbe> v(n);
  for (uint32_t k = 0; k < n; ++k) {
    v[k].exists = true;
    v[k].stamp = sample(k, n);
    v[k].stamp->uuid = uuid;
  }
  return v;
}
std::vector<std::string> dirs(uint32_t n) {
  std::vector<std::string> d;
  for (uint32_t k = 0; k < n; ++k) d.push_back("/s/server-" + std::to_string(k));
  return d;
}
const std::string kFresh = "ffffffff-0000-4000-8000-000000000001";

void refused(const Result<MountPlan>& r, const std::string& dir, const std::string& what) {
  CHECK(!r.is_ok());
  CHECK_MESSAGE(r.status().message().find(dir) != std::string::npos, r.status().message());
  CHECK_MESSAGE(r.status().message().find(what) != std::string::npos, r.status().message());
  CHECK_MESSAGE(r.status().message().find("refusing") != std::string::npos, r.status().message());
}

}  // namespace

TEST_CASE("fresh persistent file system is formatted; a stamped one is mounted") {
  MountExpectation w{"persistent", 3, 1};
  auto fresh = plan_mount(w, std::vector<DirProbe>(3), dirs(3), kFresh);
  REQUIRE(fresh.is_ok());
  CHECK(fresh->format);
  CHECK_FALSE(fresh->clear_scratch);
  CHECK(fresh->uuid == kFresh);
  auto mount = plan_mount(w, stamped(3), dirs(3), kFresh);
  REQUIRE(mount.is_ok());
  CHECK_FALSE(mount->format);
  CHECK(mount->uuid == sample().uuid);
}

TEST_CASE("mismatches are refused naming the directory") {
  MountExpectation w{"persistent", 3, 1};
  auto p = stamped(3);
  p[1].stamp->uuid = "99999999-0000-4000-8000-000000000000";
  refused(plan_mount(w, p, dirs(3), kFresh), "/s/server-1", "foreign");
  p = stamped(3);
  std::swap(p[0].stamp->server_index, p[2].stamp->server_index);
  refused(plan_mount(w, p, dirs(3), kFresh), "/s/server-0", "belongs to server 2");
  auto three = stamped(3);
  refused(plan_mount(MountExpectation{"persistent", 2, 1}, std::vector<DirProbe>{three[0], three[1]},
                     dirs(2), kFresh),
          "/s/server-0", "formatted for 3 servers");
  refused(plan_mount(MountExpectation{"persistent", 3, 2}, stamped(3), dirs(3), kFresh), "/s/server-0",
          "replica");
  p = stamped(3);
  p[2] = DirProbe{};
  refused(plan_mount(w, p, dirs(3), kFresh), "/s/server-2", "does not exist");
  p[2].exists = true;
  refused(plan_mount(w, p, dirs(3), kFresh), "/s/server-2", "is empty");
  p = stamped(3);
  p[1].stamp->deployment = "scratch";
  refused(plan_mount(w, p, dirs(3), kFresh), "/s/server-1", "scratch");
  p = stamped(3);
  p[1].foreign = true;
  p[1].stamp.reset();
  refused(plan_mount(w, p, dirs(3), kFresh), "/s/server-1", "not a Nacre storage directory");
  p = stamped(3);
  p[0].stamp->format = kStampFormat + 1;
  auto newer = plan_mount(w, p, dirs(3), kFresh);
  CHECK(newer.status().code() == ENOTSUP);
  refused(newer, "/s/server-0", "newer Nacre");
}

TEST_CASE("with replicas, up to replicas - 1 lost directories are rebuilt (server 0's too); more are refused") {
  MountExpectation w{"persistent", 4, 2};
  auto with_replicas = [](uint32_t n, uint32_t r) {
    auto p = stamped(n);
    for (auto& d : p) d.stamp->replicas = r;
    return p;
  };
  auto p = with_replicas(4, 2);
  p[2] = DirProbe{};  // deleted
  auto plan = plan_mount(w, p, dirs(4), kFresh);
  REQUIRE_MESSAGE(plan.is_ok(), plan.status().to_string());
  CHECK_FALSE(plan->format);
  CHECK(plan->uuid == sample().uuid);
  CHECK(plan->rebuild == std::vector<uint32_t>{2});
  p[2].exists = true;  // replaced by an empty directory: the same
  plan = plan_mount(w, p, dirs(4), kFresh);
  REQUIRE(plan.is_ok());
  CHECK(plan->rebuild == std::vector<uint32_t>{2});
  p[1] = DirProbe{};  // two lost with two replicas: some objects have no copy left
  refused(plan_mount(w, p, dirs(4), kFresh), "/s/server-1", "at most 1");
  p = with_replicas(4, 2);
  p[0] = DirProbe{};  // the metadata comes back from its mirror (plan_metadata)
  plan = plan_mount(w, p, dirs(4), kFresh);
  REQUIRE_MESSAGE(plan.is_ok(), plan.status().to_string());
  CHECK(plan->rebuild == std::vector<uint32_t>{0});
  auto three = with_replicas(4, 3);
  three[1] = DirProbe{};
  three[3] = DirProbe{};
  plan = plan_mount(MountExpectation{"persistent", 4, 3}, three, dirs(4), kFresh);
  REQUIRE(plan.is_ok());
  CHECK(plan->rebuild == std::vector<uint32_t>{1, 3});
  // Without replicas nothing can be rebuilt.
  auto one = stamped(4);
  one[3] = DirProbe{};
  refused(plan_mount(MountExpectation{"persistent", 4, 1}, one, dirs(4), kFresh), "/s/server-3",
          "one copy");
}

TEST_CASE("a directory holding only the rebuild mark counts as empty") {
  TempDir t;
  std::ofstream(t.path + "/nacre-rebuilding");
  auto d = StorageDir::open(t.path);
  REQUIRE(d.is_ok());
  CHECK_FALSE(d->probe().foreign);
  CHECK_FALSE(d->probe().stamp.has_value());
}

TEST_CASE("scratch starts empty but never erases a persistent file system") {
  MountExpectation w{"scratch", 2, 1};
  auto p = stamped(2);
  for (auto& x : p) x.stamp->deployment = "scratch";
  auto r = plan_mount(w, p, dirs(2), kFresh);
  REQUIRE(r.is_ok());
  CHECK(r->format);
  CHECK(r->clear_scratch);
  CHECK(r->uuid == kFresh);
  refused(plan_mount(w, stamped(2), dirs(2), kFresh), "/s/server-0", "scratch deployment would erase");
  // Server count changes between scratch jobs are fine: nothing is kept.
  CHECK(plan_mount(MountExpectation{"scratch", 1, 1}, std::vector<DirProbe>{p[0]}, dirs(1), kFresh).is_ok());
}


TEST_CASE("metadata plan: the newest usable copy is the source, server 0's on a tie") {
  const std::string uuid = sample().uuid;
  MountPlan mount;
  mount.uuid = uuid;
  auto copy = [&](uint64_t seq) { return MetadataCopyProbe{true, seq, uuid, "", false, ""}; };
  auto behind = [&](uint64_t seq) {
    return MetadataCopyProbe{true, seq, uuid, "", true, "at change 9: change 10 not applied: ENOSPC"};
  };
  const MetadataCopyProbe missing{};
  const MetadataCopyProbe unreadable{false, 0, "", "/s/server-0/metadata.mdb: MDB_INVALID", false, ""};

  // Server 0 present and at least as new as every mirror: its own.
  for (auto mirrors : {std::vector<MetadataCopyProbe>{}, {copy(7)}, {copy(8)}, {missing}, {behind(20)},
                       {copy(8), copy(3)}}) {
    std::vector<MetadataCopyProbe> c{copy(8)};
    c.insert(c.end(), mirrors.begin(), mirrors.end());
    auto p = plan_metadata(mount, c, dirs(4));
    REQUIRE_MESSAGE(p.is_ok(), p.status().to_string());
    CHECK(p->source == 0);
  }
  // A mirror ahead of server 0 (whose copy lost changes: an old backup):
  // server 0 is restored from it.
  auto ahead = plan_metadata(mount, {copy(8), copy(12), copy(9)}, dirs(4));
  REQUIRE(ahead.is_ok());
  CHECK(ahead->source == 1);
  // Server 0 missing, unreadable, or its directory rebuilt: the newest usable mirror.
  for (const auto& zero : {missing, unreadable, copy(8)}) {
    MountPlan m = mount;
    if (zero.present) m.rebuild = {0};
    auto p = plan_metadata(m, {zero, copy(5), copy(6)}, dirs(4));
    REQUIRE_MESSAGE(p.is_ok(), p.status().to_string());
    CHECK(p->source == 2);
    p = plan_metadata(m, {zero, copy(6), copy(5)}, dirs(4));
    REQUIRE(p.is_ok());
    CHECK(p->source == 1);
    p = plan_metadata(m, {zero, missing, copy(2)}, dirs(4));
    REQUIRE(p.is_ok());
    CHECK(p->source == 2);
    // A mirror marked behind is never a source, however new it looks.
    p = plan_metadata(m, {zero, behind(9), copy(4)}, dirs(4));
    REQUIRE(p.is_ok());
    CHECK(p->source == 2);
  }
  // Only a marked mirror left: refused, saying why and how to override.
  auto marked = plan_metadata(mount, {missing, behind(9)}, dirs(4));
  REQUIRE_FALSE(marked.is_ok());
  CHECK(marked.status().code() == EIO);
  CHECK_MESSAGE(marked.status().message().find("/s/server-1/metadata.mdb.behind") != std::string::npos,
                marked.status().message());
  CHECK(marked.status().message().find("ENOSPC") != std::string::npos);
  CHECK(marked.status().message().find("delete the mark") != std::string::npos);
  // A mirror whose directory is being rebuilt is not a source.
  MountPlan m = mount;
  m.rebuild = {1};
  auto p = plan_metadata(m, {missing, copy(9), copy(4)}, dirs(4));
  REQUIRE(p.is_ok());
  CHECK(p->source == 2);
  // No usable copy: refused, naming every copy.
  auto none = plan_metadata(mount, {unreadable, missing}, dirs(4));
  REQUIRE_FALSE(none.is_ok());
  CHECK(none.status().code() == EIO);
  CHECK_MESSAGE(none.status().message().find("MDB_INVALID") != std::string::npos, none.status().message());
  CHECK_MESSAGE(none.status().message().find("/s/server-1/metadata.mdb: missing") != std::string::npos,
                none.status().message());
  CHECK(none.status().message().find("refusing") != std::string::npos);
  // One copy only (replicas 1) and it is gone: refused.
  CHECK_FALSE(plan_metadata(mount, {missing}, dirs(1)).is_ok());
  // A copy of another file system: refused, never overwritten.
  auto foreign = copy(3);
  foreign.uuid = "99999999-0000-4000-8000-000000000000";
  for (size_t at : {0u, 1u}) {
    std::vector<MetadataCopyProbe> c{copy(3), copy(3)};
    c[at] = foreign;
    auto f = plan_metadata(mount, c, dirs(2));
    REQUIRE_FALSE(f.is_ok());
    CHECK(f.status().code() == EINVAL);
    CHECK_MESSAGE(f.status().message().find("foreign") != std::string::npos, f.status().message());
  }
  // Formatting: nothing to restore.
  MountPlan fresh = mount;
  fresh.format = true;
  auto f = plan_metadata(fresh, {missing, missing}, dirs(2));
  REQUIRE(f.is_ok());
  CHECK(f->source == 0);
}

}  // TEST_SUITE
