#include "collective/hints.hpp"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace nacre::collective {

namespace {

Status bad(std::string_view key, std::string_view value, const char* why) {
  return Status::error(EINVAL, "hint " + std::string(key) + "=\"" + std::string(value) +
                                   "\": " + why);
}

Result<uint64_t> parse_positive(std::string_view key, std::string_view value) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || p != value.data() + value.size() || value.empty())
    return bad(key, value, "not a non-negative integer");
  if (v == 0) return bad(key, value, "must be positive");
  return v;
}

}  // namespace

Result<CbMode> parse_cb_mode(std::string_view value) {
  if (value == "enable") return CbMode::kEnable;
  if (value == "disable") return CbMode::kDisable;
  if (value == "automatic") return CbMode::kAutomatic;
  return Status::error(EINVAL, "collective buffering mode \"" + std::string(value) +
                                   "\": expected enable, disable or automatic");
}

Result<HolePolicy> parse_hole_policy(std::string_view value) {
  if (value == "auto") return HolePolicy::kAuto;
  if (value == "fill") return HolePolicy::kFill;
  if (value == "skip") return HolePolicy::kSkip;
  return Status::error(EINVAL, "hole policy \"" + std::string(value) +
                                   "\": expected auto, fill or skip");
}

Status apply_hint(CollectiveHints& hints, std::string_view key, std::string_view value) {
  if (key == "cb_nodes") {
    auto v = parse_positive(key, value);
    if (!v) return v.status();
    if (*v > UINT32_MAX) return bad(key, value, "too large");
    hints.cb_nodes = static_cast<uint32_t>(*v);
  } else if (key == "cb_buffer_size") {
    auto v = parse_positive(key, value);
    if (!v) return v.status();
    hints.cb_buffer_size = *v;
  } else if (key == "nacre_cb_min_independent_run") {
    auto v = parse_positive(key, value);
    if (!v) return v.status();
    hints.min_independent_run = *v;
  } else if (key == "romio_cb_write" || key == "romio_cb_read") {
    auto m = parse_cb_mode(value);
    if (!m) return m.status().with_context("hint " + std::string(key));
    (key == "romio_cb_write" ? hints.cb_write : hints.cb_read) = *m;
  } else if (key == "collective_buffering") {
    if (value == "true") {
      hints.cb_write = hints.cb_read = CbMode::kEnable;
    } else if (value == "false") {
      hints.cb_write = hints.cb_read = CbMode::kDisable;
    } else {
      return bad(key, value, "expected true or false");
    }
  } else if (key == "nacre_cb_holes") {
    auto p = parse_hole_policy(value);
    if (!p) return p.status().with_context("hint " + std::string(key));
    hints.hole_policy = *p;
  } else if (key == "nacre_cb_max_hole_fraction") {
    std::string s(value);
    char* end = nullptr;
    const double f = s.empty() ? -1 : std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !(f >= 0.0 && f <= 1.0))
      return bad(key, value, "expected a number in [0, 1]");
    hints.max_hole_fraction = f;
  } else if (key == "nacre_write_behind") {
    if (value == "enable") hints.write_behind = true;
    else if (value == "disable") hints.write_behind = false;
    else return bad(key, value, "expected enable or disable");
  } else if (key == "nacre_write_behind_size") {
    auto v = parse_positive(key, value);
    if (!v) return v.status();
    hints.write_behind_size = *v;
  }
  return Status::ok();
}

}  // namespace nacre::collective
