// Replica placement (mds::NamespaceModel::make_layout), exhaustively over
// small clusters: every copy of a stripe on a distinct server, no two
// objects of the file system share a (server, object id), mirror ids carry
// the copy number, and LIST_FILES' model lists every file once in order.
#include "mds/metadata_store.hpp"
#include "mds/namespace_model.hpp"

#include <doctest/doctest.h>

#include <set>
#include <utility>

using namespace nacre;
using namespace nacre::mds;

TEST_SUITE("durability.placement") {

TEST_CASE("copies of a stripe are on distinct servers; (server, id) is unique") {
  for (uint32_t servers = 1; servers <= 7; ++servers)
    for (uint32_t replicas = 1; replicas <= servers; ++replicas) {
      CAPTURE(servers);
      CAPTURE(replicas);
      auto md = make_memory_metadata(servers, LayoutRequest{1 << 20, -1, -1}, replicas);
      std::set<std::pair<uint32_t, uint64_t>> used;
      int n = 0;
      for (int32_t count = 1; count <= static_cast<int32_t>(servers); ++count)
        for (int32_t first = -1; first < static_cast<int32_t>(servers); ++first) {
          const std::string path = "/f" + std::to_string(n++);
          auto r = md->open(path, open_flags::kCreate | open_flags::kReadWrite, 0644, Credentials{},
                            LayoutRequest{1 << 20, count, first});
          REQUIRE(r.is_ok());
          const Layout& l = r->layout;
          REQUIRE(l.stripe_count() == static_cast<uint32_t>(count));
          REQUIRE(l.copies() == replicas);
          for (const auto& m : l.mirrors) REQUIRE(m.size() == l.stripes.size());
          for (uint32_t i = 0; i < l.stripe_count(); ++i) {
            std::set<uint32_t> homes;
            for (uint32_t c = 0; c < l.copies(); ++c) {
              const StripeTarget& t = l.copy(c, i);
              CHECK(t.server < servers);
              CHECK(homes.insert(t.server).second);  // distinct servers
              CHECK(used.insert({t.server, t.object_id}).second);  // unique objects
              CHECK(t.object_id == mirror_object_id(r->stat.ino, c));
              CHECK(ino_of_object(t.object_id) == r->stat.ino);
            }
          }
          REQUIRE(md->close(r->stat.ino).is_ok());
        }
    }
}

TEST_CASE("list_files pages through every file in inode order, with its layout") {
  auto md = make_memory_metadata(3, LayoutRequest{1 << 20, -1, -1}, 2);
  REQUIRE(md->mkdir("/d", 0755, Credentials{}).is_ok());
  std::vector<uint64_t> inos;
  for (int i = 0; i < 25; ++i) {
    auto r = md->open("/d/f" + std::to_string(i), open_flags::kCreate | open_flags::kWrite, 0644,
                      Credentials{}, LayoutRequest{});
    REQUIRE(r.is_ok());
    inos.push_back(r->stat.ino);
    REQUIRE(md->close(r->stat.ino).is_ok());
  }
  // An unlinked file that is still open stays listed (its objects are live).
  auto open = md->open("/d/f3", open_flags::kRead, 0, Credentials{}, LayoutRequest{});
  REQUIRE(open.is_ok());
  REQUIRE(md->unlink("/d/f3", Credentials{}).is_ok());
  REQUIRE(md->unlink("/d/f4", Credentials{}).is_ok());  // gone
  std::vector<uint64_t> seen;
  uint64_t cookie = 0;
  for (int pages = 0; pages < 100; ++pages) {
    auto p = md->list_files(cookie, 7);
    REQUIRE(p.is_ok());
    CHECK(p->entries.size() <= 7);
    for (const auto& e : p->entries) {
      seen.push_back(e.ino);
      CHECK(e.layout.copies() == 2);
      if (e.ino == inos[3]) CHECK(e.nlink == 0);
    }
    if (p->done) break;
    CHECK(p->next_cookie > cookie);
    cookie = p->next_cookie;
  }
  std::vector<uint64_t> want = inos;
  want.erase(want.begin() + 4);
  CHECK(seen == want);
}

}  // TEST_SUITE
