// Hint parsing.
#include "collective/hints.hpp"
#include "collective_model.hpp"

using namespace nacre::collective;

TEST_SUITE("hints") {

TEST_CASE("defaults") {
  CollectiveHints h;
  CHECK(h.cb_nodes == 0);
  CHECK(h.cb_buffer_size == 16u << 20);
  CHECK(h.cb_write == CbMode::kAutomatic);
  CHECK(h.cb_read == CbMode::kAutomatic);
  CHECK_FALSE(h.write_behind);
  CHECK(h.write_behind_size == 16u << 20);
}

TEST_CASE("known keys apply, unknown keys are ignored, bad values rejected") {
  CollectiveHints h;
  CHECK(apply_hint(h, "cb_nodes", "4").is_ok());
  CHECK(h.cb_nodes == 4);
  CHECK(apply_hint(h, "cb_buffer_size", "1048576").is_ok());
  CHECK(h.cb_buffer_size == 1048576);
  CHECK(apply_hint(h, "romio_cb_write", "enable").is_ok());
  CHECK(h.cb_write == CbMode::kEnable);
  CHECK(apply_hint(h, "romio_cb_read", "disable").is_ok());
  CHECK(h.cb_read == CbMode::kDisable);
  CHECK(apply_hint(h, "collective_buffering", "true").is_ok());
  CHECK(h.cb_read == CbMode::kEnable);
  CHECK(apply_hint(h, "nacre_cb_holes", "skip").is_ok());
  CHECK(h.hole_policy == HolePolicy::kSkip);
  CHECK(apply_hint(h, "nacre_cb_max_hole_fraction", "0.5").is_ok());
  CHECK(h.max_hole_fraction == 0.5);
  CHECK(apply_hint(h, "nacre_cb_min_independent_run", "65536").is_ok());
  CHECK(h.min_independent_run == 65536);
  CHECK(apply_hint(h, "nacre_write_behind", "enable").is_ok());
  CHECK(h.write_behind);
  CHECK(apply_hint(h, "nacre_write_behind_size", "4194304").is_ok());
  CHECK(h.write_behind_size == 4194304);
  CHECK(apply_hint(h, "striping_factor", "8").is_ok());  // not ours: ignored
  CHECK(apply_hint(h, "no_such_hint", "x").is_ok());

  const CollectiveHints before = h;
  for (auto [k, v] : std::vector<std::pair<const char*, const char*>>{
           {"cb_nodes", "0"}, {"cb_nodes", "-1"}, {"cb_nodes", "4x"}, {"cb_nodes", ""},
           {"cb_nodes", "99999999999"}, {"cb_buffer_size", "0"}, {"romio_cb_write", "on"},
           {"romio_cb_read", "Enable"}, {"collective_buffering", "yes"},
           {"nacre_cb_holes", "maybe"}, {"nacre_cb_max_hole_fraction", "1.5"},
           {"nacre_cb_max_hole_fraction", "abc"}, {"nacre_write_behind", "true"},
           {"nacre_write_behind_size", "0"}, {"nacre_write_behind_size", "1M"}}) {
    auto s = apply_hint(h, k, v);
    CHECK_FALSE(s.is_ok());
    CHECK(s.code() == EINVAL);
    CHECK(s.message().find(k) != std::string::npos);
  }
  CHECK(h.cb_nodes == before.cb_nodes);
  CHECK(h.cb_buffer_size == before.cb_buffer_size);
  CHECK(h.max_hole_fraction == before.max_hole_fraction);
  CHECK(h.write_behind == before.write_behind);
  CHECK(h.write_behind_size == before.write_behind_size);
}

}  // TEST_SUITE
