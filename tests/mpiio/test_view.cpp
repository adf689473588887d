// File views: validation errors and mapping against the byte model.
#include "model.hpp"

#include "mpiio/view.hpp"

#include <cstdio>

using namespace nacre::mpiio;
using namespace nacre::mpiio::testing;

namespace {

bool has(const nacre::Status& s, const char* text) {
  return s.message().find(text) != std::string::npos;
}

bool strictly_increasing(const std::vector<int64_t>& v) {
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] <= v[i - 1]) return false;
  return true;
}

}  // namespace

TEST_SUITE("mpiio_view") {

TEST_CASE("illegal views give clear errors") {
  auto b = ok(make_named(1)), i4 = ok(make_named(4));
  auto ft = ok(make_vector(2, 1, 2, i4));

  auto r = make_view(-1, b, ft, ViewAccess::read_write);
  CHECK(r.status().code() == EINVAL);
  CHECK(has(r.status(), "negative displacement"));

  r = make_view(0, b, ok(make_hindexed({1}, {-4}, i4)), ViewAccess::read_only);
  CHECK(r.status().code() == EINVAL);
  CHECK(has(r.status(), "negative displacement in filetype"));

  r = make_view(0, i4, ok(make_named(6)), ViewAccess::read_write);
  CHECK(r.status().code() == EINVAL);
  CHECK(has(r.status(), "whole etypes"));

  r = make_view(0, b, ok(make_vector(0, 1, 1, i4)), ViewAccess::read_write);
  CHECK(r.status().code() == EINVAL);
  CHECK(has(r.status(), "size 0"));

  r = make_view(0, b, ok(make_resized(0, 0, i4)), ViewAccess::read_only);
  CHECK(r.status().code() == EINVAL);
  CHECK(has(r.status(), "extent"));

  // Overlapping regions: fine for reading, rejected for writing.
  auto overlap = ok(make_hindexed({1, 1}, {0, 2}, i4));
  CHECK(make_view(0, b, overlap, ViewAccess::read_only).is_ok());
  r = make_view(0, b, overlap, ViewAccess::read_write);
  CHECK(r.status().code() == EINVAL);
  CHECK(has(r.status(), "overlapping"));

  // Out of order.
  r = make_view(0, b, ok(make_indexed({1, 1}, {1, 0}, i4)), ViewAccess::read_write);
  CHECK(r.status().code() == EINVAL);

  // Extent smaller than the data: instances overlap. Accepted (as ROMIO and
  // OMPIO do, and as HDF5's resized chunk types need); a write reaching two
  // instances is refused, one within an instance is fine.
  auto short_extent = make_view(0, b, ok(make_resized(0, 6, ft)), ViewAccess::read_write);
  REQUIRE_MESSAGE(short_extent.is_ok(), short_extent.status().to_string());
  CHECK(short_extent->tiles_overlap);
  const int64_t per = ft->size;
  CHECK(check_write_range(*short_extent, 0, per).is_ok());
  CHECK(check_write_range(*short_extent, per, per).is_ok());
  CHECK(check_write_range(*short_extent, 1, per - 1).is_ok());
  nacre::Status across = check_write_range(*short_extent, 1, per);
  CHECK(across.code() == EINVAL);
  CHECK(has(across, "instances 0 to 1"));
  CHECK(has(across, "overlap"));
  // Overlap inside one instance is still refused at set_view.
  r = make_view(0, b, ok(make_resized(0, 6, overlap)), ViewAccess::read_write);
  CHECK(r.status().code() == EINVAL);
  // Views whose instances do not overlap never refuse a write range.
  auto fine = make_view(0, b, ft, ViewAccess::read_write);
  REQUIRE(fine.is_ok());
  CHECK_FALSE(fine->tiles_overlap);
  CHECK(check_write_range(*fine, 3, 10 * per).is_ok());

  // Overlapping etype for writes.
  auto bad_etype = ok(make_hindexed({1, 1}, {0, 0}, i4));
  CHECK(make_view(0, bad_etype, ok(make_contiguous(4, i4)), ViewAccess::read_write)
            .status().code() == EINVAL);
}

TEST_CASE("default view is the identity") {
  FileView v = default_view();
  auto m = map_view(v, 12345, 100);
  REQUIRE(m.is_ok());
  CHECK(*m == std::vector<Piece>{{12345, 100}});
  CHECK(*view_byte_offset(v, 77) == 77);
  CHECK(map_view(v, -1, 1).status().code() == EINVAL);
  CHECK(map_view(v, int64_t{1} << 62, int64_t{1} << 62).status().code() == EOVERFLOW);
}

TEST_CASE("strided view maps like the model") {
  auto i4 = ok(make_named(4));
  // Each rank of 4 owns 4-int columns of a 16-int row: rank 2's view.
  auto ft = ok(make_resized(0, 64, ok(make_hindexed({4}, {32}, i4))));
  auto v = make_view(100, i4, ft, ViewAccess::read_write);
  REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
  auto m = map_view(*v, 2, 40);  // ints 2..11 of the stream
  REQUIRE(m.is_ok());
  CHECK(*m == std::vector<Piece>{{140, 8}, {196, 16}, {260, 16}});
  CHECK(*view_byte_offset(*v, 5) == 100 + 64 + 32 + 4);
}

TEST_CASE("check_monotonic_nonoverlapping agrees with the model on random types") {
  const uint64_t seed = 4242;
  std::printf("mpiio_view monotonic seed %llu\n", static_cast<unsigned long long>(seed));
  RandomTypes gen(seed);
  int yes = 0, no = 0;
  for (int i = 0; i < 3000; ++i) {
    auto t = gen.gen(3);
    if (t->size == 0 || t->size > 20000) continue;
    const int64_t count = gen.uni(1, 3);
    auto f = flatten(*t, count, 0);
    REQUIRE(f.is_ok());
    const bool want = strictly_increasing(model_bytes(*t, count, 0));
    INFO("type: " << describe(*t) << " count " << count);
    CHECK(check_monotonic_nonoverlapping(*f, "filetype").is_ok() == want);
    (want ? yes : no)++;
  }
  CHECK(yes > 20);
  CHECK(no > 20);
}

TEST_CASE("random views map like the model") {
  const uint64_t seed = 777;
  std::printf("mpiio_view mapping seed %llu\n", static_cast<unsigned long long>(seed));
  RandomTypes gen(seed);
  auto b = ok(make_named(1));
  int checked = 0, overlapping = 0;
  for (int i = 0; i < 3000 && checked < 300; ++i) {
    auto ft = gen.gen(3);
    if (ft->size == 0 || ft->size > 5000 || ft->extent <= 0) continue;
    const bool write = gen.uni(0, 1) == 0;
    const int64_t disp = gen.uni(0, 1000);
    // The largest of 4, 2, 1 bytes that divides the filetype size.
    const int64_t es = ft->size % 4 == 0 ? 4 : ft->size % 2 == 0 ? 2 : 1;
    auto etype = es == 1 ? b : ok(make_named(es));
    auto v = make_view(disp, etype, ft, write ? ViewAccess::read_write : ViewAccess::read_only);
    auto one = model_bytes(*ft, 1, 0);
    const bool neg = *std::min_element(one.begin(), one.end()) < 0;
    INFO("filetype: " << describe(*ft) << " disp " << disp);
    if (neg) {
      CHECK(v.status().code() == EINVAL);
      continue;
    }
    const auto tiled = model_bytes(*ft, 8, disp);
    // Writable views: one instance must be strictly increasing; instances
    // may overlap each other, and then a write reaching two is refused.
    if (write && !strictly_increasing(model_bytes(*ft, 1, disp))) {
      CHECK(v.status().code() == EINVAL);
      continue;
    }
    REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
    const bool overlap = write && !strictly_increasing(tiled);
    CHECK(v->tiles_overlap == overlap);
    overlapping += overlap ? 1 : 0;
    for (int w = 0; w < 10; ++w) {
      const int64_t etypes = static_cast<int64_t>(tiled.size()) / es;
      const int64_t off = gen.uni(0, etypes - 1);  // in etypes
      const int64_t n = gen.uni(0, static_cast<int64_t>(tiled.size()) - off * es);
      auto m = map_view(*v, off, n);
      REQUIRE(m.is_ok());
      const auto a = static_cast<size_t>(off * es);
      CHECK(*m == to_pieces(tiled, a, a + static_cast<size_t>(n)));
      CHECK(*view_byte_offset(*v, off) == tiled[a]);
      const int64_t per = ft->size;
      const bool spans_two = n > 0 && static_cast<int64_t>(a) / per != (static_cast<int64_t>(a) + n - 1) / per;
      CHECK(check_write_range(*v, off, n).is_ok() == !(overlap && spans_two));
    }
    ++checked;
  }
  CHECK(checked > 100);
  CHECK(overlapping >= 1);
}

TEST_CASE("writable views whose instances overlap: accepted, single-instance writes map like the model") {
  const uint64_t seed = 919;
  std::printf("mpiio_view overlap seed %llu\n", static_cast<unsigned long long>(seed));
  RandomTypes gen(seed);
  auto b = ok(make_named(1));
  int checked = 0, refused = 0;
  for (int i = 0; i < 5000 && checked < 200; ++i) {
    auto t = gen.gen(3);
    if (t->size < 2 || t->size > 5000) continue;
    const auto inst = model_bytes(*t, 1, 0);
    if (*std::min_element(inst.begin(), inst.end()) < 0 || !strictly_increasing(inst)) continue;
    const int64_t span = inst.back() + 1 - inst.front();
    if (span < 2) continue;
    // The same data, instances closer together than the data spans (as
    // HDF5's resized chunk types are).
    auto ft = ok(make_resized(0, gen.uni(1, span - 1), t));
    const int64_t disp = gen.uni(0, 1000);
    auto v = make_view(disp, b, ft, ViewAccess::read_write);
    INFO("filetype: " << describe(*ft) << " disp " << disp);
    REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
    CHECK(v->tiles_overlap);
    const auto tiled = model_bytes(*ft, 4, disp);
    const int64_t per = ft->size;
    for (int w = 0; w < 10; ++w) {
      const int64_t off = gen.uni(0, static_cast<int64_t>(tiled.size()) - 1);
      const int64_t n = gen.uni(1, static_cast<int64_t>(tiled.size()) - off);
      nacre::Status s = check_write_range(*v, off, n);
      const bool spans_two = off / per != (off + n - 1) / per;
      CHECK(s.is_ok() == !spans_two);
      if (!s.is_ok()) {
        ++refused;
        CHECK(s.code() == EINVAL);
        CHECK(has(s, "overlap"));
        continue;
      }
      auto m = map_view(*v, off, n);
      REQUIRE(m.is_ok());
      CHECK(*m == to_pieces(tiled, static_cast<size_t>(off), static_cast<size_t>(off + n)));
    }
    ++checked;
  }
  CHECK(checked > 100);
  CHECK(refused > 100);
}

}  // TEST_SUITE
