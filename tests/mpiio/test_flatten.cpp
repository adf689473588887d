// Pure flattener and FlatCursor against the byte-by-byte model.
#include "model.hpp"

#include "mpiio/flat_cursor.hpp"

#include <cstdio>

using namespace nacre::mpiio;
using namespace nacre::mpiio::testing;

namespace {

FlatList flat(const TypeDescPtr& t, int64_t count = 1, int64_t base = 0) {
  auto r = flatten(*t, count, base);
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}

std::vector<Piece> pieces(const FlatList& f) {
  auto r = f.materialize();
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}

// Full comparison of flatten(t, count, base) with the model.
void check_against_model(const TypeDescPtr& t, int64_t count, int64_t base) {
  INFO("type: " << describe(*t) << " count " << count << " base " << base);
  const auto bytes = model_bytes(*t, count, base);
  const FlatList f = flat(t, count, base);
  CHECK(f.size() == static_cast<int64_t>(bytes.size()));
  const auto got = pieces(f);
  CHECK(got == to_pieces(bytes));
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].length > 0);
    if (i) CHECK(got[i - 1].end() != got[i].offset);
  }
  if (!bytes.empty()) {
    CHECK(f.data_lo() == *std::min_element(bytes.begin(), bytes.end()));
    CHECK(f.data_hi() == *std::max_element(bytes.begin(), bytes.end()) + 1);
  }
}

}  // namespace

TEST_SUITE("mpiio_flatten") {

TEST_CASE("named and contiguous types are one piece") {
  auto i4 = ok(make_named(4, "int"));
  auto c = ok(make_contiguous(1000, i4));
  CHECK(c->size == 4000);
  CHECK(c->extent == 4000);
  auto f = flat(c, 3, 100);
  CHECK(pieces(f) == std::vector<Piece>{{100, 12000}});
  CHECK(f.stored_pieces() == 1);
  CHECK(f.is_contiguous());
}

TEST_CASE("vector bounds, pieces and count repetition by extent") {
  auto i4 = ok(make_named(4));
  auto v = ok(make_vector(3, 2, 4, i4));  // blocks of 8 bytes every 16
  CHECK(v->size == 24);
  CHECK(v->lb == 0);
  CHECK(v->extent == 40);
  CHECK(pieces(flat(v)) == std::vector<Piece>{{0, 8}, {16, 8}, {32, 8}});
  // Second instance starts at the extent (40): 32+8 == 40 touches, merges.
  CHECK(pieces(flat(v, 2)) ==
        std::vector<Piece>{{0, 8}, {16, 8}, {32, 16}, {56, 8}, {72, 8}});
  check_against_model(v, 3, -7);
}

TEST_CASE("negative displacements, resized lb/extent and zero-length blocks") {
  auto i4 = ok(make_named(4));
  auto h = ok(make_hindexed({1, 0, 2}, {-8, 100, 4}, i4));
  CHECK(h->lb == -8);
  CHECK(h->ub() == 12);
  CHECK(pieces(flat(h)) == std::vector<Piece>{{-8, 4}, {4, 8}});
  auto r = ok(make_resized(-16, 64, h));
  CHECK(r->lb == -16);
  CHECK(r->extent == 64);
  CHECK(pieces(flat(r, 2, 0)) == std::vector<Piece>{{-8, 4}, {4, 8}, {56, 4}, {68, 8}});
  check_against_model(r, 4, 3);
  // Out-of-order displacements keep type-map order.
  auto o = ok(make_indexed({1, 1, 1}, {2, 0, 1}, i4));
  CHECK(pieces(flat(o)) == std::vector<Piece>{{8, 4}, {0, 8}});
  // A type with no data.
  auto z = ok(make_vector(5, 0, 3, i4));
  CHECK(flat(z, 10).size() == 0);
  CHECK(pieces(flat(z, 10)).empty());
}

TEST_CASE("struct, subarray (C and Fortran) and darray against the model") {
  auto i1 = ok(make_named(1)), i4 = ok(make_named(4)), d8 = ok(make_named(8));
  check_against_model(ok(make_struct({1, 2, 1}, {0, 8, -20}, {i4, d8, i1})), 2, 5);
  auto sc = ok(make_subarray({4, 5, 6}, {2, 3, 2}, {1, 1, 3}, ArrayOrder::c, i4));
  CHECK(sc->extent == 4 * 5 * 6 * 4);
  check_against_model(sc, 2, 0);
  check_against_model(ok(make_subarray({4, 5, 6}, {2, 3, 2}, {1, 1, 3}, ArrayOrder::fortran, i4)),
                      2, 0);
  for (int rank = 0; rank < 6; ++rank) {
    check_against_model(ok(make_darray(6, rank, {7, 10}, {Distrib::block, Distrib::cyclic},
                                       {kDefaultDarg, 2}, {2, 3}, ArrayOrder::c, i4)),
                        1, 0);
    check_against_model(ok(make_darray(6, rank, {7, 10}, {Distrib::cyclic, Distrib::block},
                                       {kDefaultDarg, 5}, {3, 2}, ArrayOrder::fortran, d8)),
                        2, 0);
  }
}

TEST_CASE("builders reject bad arguments with EINVAL naming the constructor") {
  auto i4 = ok(make_named(4));
  auto r = make_vector(-1, 1, 1, i4);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == EINVAL);
  CHECK(r.status().message().find("vector") != std::string::npos);
  CHECK(make_subarray({4}, {5}, {0}, ArrayOrder::c, i4).status().code() == EINVAL);
  CHECK(make_darray(4, 0, {8}, {Distrib::block}, {kDefaultDarg}, {3}, ArrayOrder::c, i4)
            .status().code() == EINVAL);
  CHECK(make_darray(2, 0, {8}, {Distrib::block}, {3}, {2}, ArrayOrder::c, i4).status().code() ==
        EINVAL);
  CHECK(make_hindexed({1, 2}, {0}, i4).status().code() == EINVAL);
  CHECK(make_contiguous(1, nullptr).status().code() == EINVAL);
  CHECK(flatten(*i4, -1, 0).status().code() == EINVAL);
}

TEST_CASE("large regular types stay compact") {
  auto d8 = ok(make_named(8));
  // 1e6 blocks of 1000 doubles, 2000 apart: one stored piece.
  auto v = ok(make_vector(1000000, 1000, 2000, d8));
  auto f = flat(v, 1000, 0);  // 8e12 bytes of data
  CHECK(f.size() == int64_t{8} * 1000 * 1000000 * 1000);
  CHECK(f.stored_pieces() == 1);
  // Contiguous of vector of contiguous: still compact.
  auto cv = ok(make_contiguous(1 << 20, ok(make_vector(1 << 10, 3, 7, ok(make_contiguous(5, d8))))));
  CHECK(flat(cv, 1 << 10).stored_pieces() == 1);
  // A 3-d subarray of a 2^30-element cube.
  auto s = ok(make_subarray({1024, 1024, 1024}, {512, 512, 512}, {3, 5, 7}, ArrayOrder::c, d8));
  CHECK(flat(s, 4).stored_pieces() == 1);
  // Regular indexed_block (arithmetic displacements) is compact too.
  std::vector<int64_t> displs;
  for (int64_t i = 0; i < 100000; ++i) displs.push_back(10 + 3 * i);
  CHECK(flat(ok(make_indexed_block(2, displs, d8)), 100).stored_pieces() == 1);

  // Windows deep inside match the closed form of the vector.
  FlatCursor cur(f);
  const int64_t block = 8000, stride = 16000, ext = (int64_t{999999} * 2000 + 1000) * 8;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    const int64_t a = std::uniform_int_distribution<int64_t>(0, f.size() - 1)(rng);
    const int64_t b = std::min(f.size(), a + std::uniform_int_distribution<int64_t>(0, 40000)(rng));
    std::vector<Piece> got;
    REQUIRE(cur.map(a, b, got).is_ok());
    std::vector<Piece> want;
    for (int64_t pos = a; pos < b;) {
      const int64_t inst = pos / (int64_t{8000} * 1000000), r = pos % (int64_t{8000} * 1000000);
      const int64_t blk = r / block, in = r % block;
      const int64_t len = std::min(block - in, b - pos);
      const Piece p{inst * ext + blk * stride + in, len};
      if (!want.empty() && want.back().end() == p.offset)
        want.back().length += len;
      else
        want.push_back(p);
      pos += len;
    }
    CHECK(got == want);
  }
}

TEST_CASE("irregular types beyond the piece budget fail with EFBIG") {
  auto i1 = ok(make_named(1));
  // An irregular struct of two huge sparse vectors cannot stay compact.
  // (The first block alone exceeds the budget, so nothing is allocated.)
  auto v1 = ok(make_hvector(kMaxLeafPieces + 1, 1, 2, i1));
  auto v2 = ok(make_hvector(1000, 1, 3, i1));
  auto s = ok(make_struct({1, 1}, {0, int64_t{1} << 40}, {v1, v2}));
  auto r = flatten(*s, 1, 0);
  REQUIRE_FALSE(r.is_ok());
  CHECK(r.status().code() == EFBIG);
}

TEST_CASE("random nested types match the model") {
  const uint64_t seed = 20240611;
  std::printf("mpiio_flatten random seed %llu\n", static_cast<unsigned long long>(seed));
  RandomTypes gen(seed);
  for (int i = 0; i < 1500; ++i) {
    auto t = gen.gen(4);
    if (t->size > 200000) continue;
    check_against_model(t, gen.uni(0, 3), gen.uni(-100, 100));
  }
}

TEST_CASE("FlatCursor windows match slices of the materialized stream") {
  const uint64_t seed = 99;
  std::printf("mpiio_flatten cursor seed %llu\n", static_cast<unsigned long long>(seed));
  RandomTypes gen(seed);
  int checked = 0;
  for (int i = 0; i < 600; ++i) {
    auto t = gen.gen(4);
    if (t->size == 0 || t->size > 50000) continue;
    const int64_t count = gen.uni(1, 3), base = gen.uni(-50, 50);
    INFO("type: " << describe(*t) << " count " << count);
    const auto bytes = model_bytes(*t, count, base);
    FlatList f = flat(t, count, base);
    FlatCursor cur(f);
    REQUIRE(cur.size() == static_cast<int64_t>(bytes.size()));
    for (int w = 0; w < 20; ++w) {
      int64_t a = gen.uni(0, cur.size()), b = gen.uni(0, cur.size());
      if (a > b) std::swap(a, b);
      std::vector<Piece> got;
      REQUIRE(cur.map(a, b, got).is_ok());
      CHECK(cur.position() == b);
      CHECK(got == to_pieces(bytes, static_cast<size_t>(a), static_cast<size_t>(b)));
    }
    // Sequential next() with small chunks visits every byte in order.
    REQUIRE(cur.seek(0).is_ok());
    std::vector<int64_t> walked;
    Piece p;
    while (cur.next(gen.uni(1, 7), &p))
      for (int64_t k = 0; k < p.length; ++k) walked.push_back(p.offset + k);
    CHECK(walked == bytes);
    ++checked;
  }
  CHECK(checked > 100);
  // Out-of-range requests.
  FlatList f = flat(ok(make_named(4)), 2, 0);
  FlatCursor cur(f);
  std::vector<Piece> v;
  CHECK(cur.map(0, 9, v).code() == EINVAL);
  CHECK(cur.map(5, 4, v).code() == EINVAL);
  CHECK(cur.seek(-1).code() == EINVAL);
}

}  // TEST_SUITE
