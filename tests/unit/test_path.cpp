// split_path / normalize_path: the contract of common/path.hpp at its edges
// (root, repeated and trailing slashes, "." and "..", length limits, NUL).
#include "common/path.hpp"

#include <doctest/doctest.h>

using namespace nacre;
using Parts = std::vector<std::string>;

namespace {

// "/" + n components of `len` bytes each ("/aaa/bbb/...").
std::string path_of(size_t n, size_t len) {
  std::string p;
  for (size_t i = 0; i < n; ++i) p += "/" + std::string(len, static_cast<char>('a' + i % 26));
  return p;
}

}  // namespace

TEST_SUITE("path") {

TEST_CASE("root and its spellings split to no components") {
  for (const std::string p : {"/", "//", "///////"}) {
    auto s = split_path(p);
    REQUIRE(s.is_ok());
    CHECK(s->empty());
    auto n = normalize_path(p);
    REQUIRE(n.is_ok());
    CHECK(*n == "/");
  }
}

TEST_CASE("absolute paths split into components; repeated and trailing slashes collapse") {
  struct Case { std::string in; Parts parts; std::string norm; };
  const Case cases[] = {
      {"/a", {"a"}, "/a"},
      {"/a/b/c", {"a", "b", "c"}, "/a/b/c"},
      {"/a//b", {"a", "b"}, "/a/b"},
      {"//a///b//", {"a", "b"}, "/a/b"},
      {"/a/", {"a"}, "/a"},
      {"/a/b/", {"a", "b"}, "/a/b"},
      // Names that merely contain dots are ordinary names.
      {"/.hidden/...", {".hidden", "..."}, "/.hidden/..."},
      {"/a./..b/c..", {"a.", "..b", "c.."}, "/a./..b/c.."},
      {"/sp ace/tab\there/\xC3\xA9", {"sp ace", "tab\there", "\xC3\xA9"}, "/sp ace/tab\there/\xC3\xA9"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    auto s = split_path(c.in);
    REQUIRE(s.is_ok());
    CHECK(*s == c.parts);
    auto n = normalize_path(c.in);
    REQUIRE(n.is_ok());
    CHECK(*n == c.norm);
    // Normalizing is idempotent.
    CHECK(*normalize_path(*n) == *n);
  }
}

TEST_CASE("relative and empty paths are EINVAL") {
  for (const std::string p : {"a", "a/b", "./a", "../a", ".", "..", " /a"}) {
    CAPTURE(p);
    auto s = split_path(p);
    REQUIRE(!s.is_ok());
    CHECK(s.status().code() == EINVAL);
    CHECK(s.status().message().find("'" + p + "'") != std::string::npos);
    CHECK(normalize_path(p).status().code() == EINVAL);
  }
  auto e = split_path("");
  REQUIRE(!e.is_ok());
  CHECK(e.status().code() == EINVAL);
  CHECK(e.status().message().find("empty") != std::string::npos);
}

TEST_CASE("'.' and '..' components are EINVAL and named") {
  for (const std::string p : {"/.", "/..", "/a/.", "/a/..", "/a/./b", "/a/../b", "/./", "/a//../"}) {
    CAPTURE(p);
    auto s = split_path(p);
    REQUIRE(!s.is_ok());
    CHECK(s.status().code() == EINVAL);
    CHECK(s.status().message().find(p) != std::string::npos);
    auto n = normalize_path(p);
    REQUIRE(!n.is_ok());
    CHECK(n.status().code() == EINVAL);
  }
}

TEST_CASE("a 255-byte component is accepted, 256 bytes is ENAMETOOLONG") {
  auto ok = split_path("/d/" + std::string(255, 'x') + "/e");
  REQUIRE(ok.is_ok());
  REQUIRE(ok->size() == 3);
  CHECK((*ok)[1].size() == 255);
  for (const std::string& p : {"/" + std::string(256, 'x'), "/d/" + std::string(256, 'x') + "/e",
                              "/d/" + std::string(256, 'x') + "/"}) {
    auto s = split_path(p);
    REQUIRE(!s.is_ok());
    CHECK(s.status().code() == ENAMETOOLONG);
    CHECK(s.status().message().find("255") != std::string::npos);
    CHECK(normalize_path(p).status().code() == ENAMETOOLONG);
  }
}

TEST_CASE("a 4096-byte path is accepted, 4097 bytes is ENAMETOOLONG") {
  const std::string max = path_of(16, 255);  // 16 * (1 + 255) = 4096
  REQUIRE(max.size() == kMaxPathLength);
  auto s = split_path(max);
  REQUIRE(s.is_ok());
  CHECK(s->size() == 16);
  CHECK(*normalize_path(max) == max);
  // Extra slashes count towards the limit even though they normalize away.
  const std::string slashy = std::string(kMaxPathLength - 1, '/') + "a";
  REQUIRE(slashy.size() == kMaxPathLength);
  CHECK(*normalize_path(slashy) == "/a");
  for (const std::string& p : {max + "/", max + "b", "/" + slashy}) {
    REQUIRE(p.size() == kMaxPathLength + 1);
    auto t = split_path(p);
    REQUIRE(!t.is_ok());
    CHECK(t.status().code() == ENAMETOOLONG);
    CHECK(t.status().message().find("4096") != std::string::npos);
  }
}

TEST_CASE("NUL bytes anywhere are EINVAL") {
  for (const std::string& p : {std::string("/a\0b", 4), std::string("/\0", 2),
                              std::string("/a/\0/b", 6), std::string("/a\0", 3)}) {
    auto s = split_path(p);
    REQUIRE(!s.is_ok());
    CHECK(s.status().code() == EINVAL);
    CHECK(s.status().message().find("NUL") != std::string::npos);
    CHECK(normalize_path(p).status().code() == EINVAL);
  }
}

}  // TEST_SUITE
