#include "mpiio_file/info_hints.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

namespace nacre::mpiio {
namespace {

Result<int64_t> parse_int(const std::string& key, const std::string& value, int64_t lo,
                          int64_t hi) {
  int64_t v = 0;
  const char* b = value.data();
  const char* e = b + value.size();
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || v < lo || v > hi)
    return Status::error(EINVAL, "hint " + key + "=\"" + value + "\": expected an integer in [" +
                                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

const char* mode_name(collective::CbMode m) {
  switch (m) {
    case collective::CbMode::kEnable: return "enable";
    case collective::CbMode::kDisable: return "disable";
    default: return "automatic";
  }
}

}  // namespace

Status apply_info(MPI_Info info, FileHints* hints) {
  if (info == MPI_INFO_NULL) return Status::ok();
  FileHints h = *hints;
  int nkeys = 0;
  MPI_Info_get_nkeys(info, &nkeys);
  for (int i = 0; i < nkeys; ++i) {
    char key[MPI_MAX_INFO_KEY + 1] = {};
    MPI_Info_get_nthkey(info, i, key);
    int len = 0, flag = 0;
    MPI_Info_get_valuelen(info, key, &len, &flag);
    if (!flag) continue;
    std::vector<char> buf(static_cast<size_t>(len) + 1, '\0');
    MPI_Info_get(info, key, len, buf.data(), &flag);
    const std::string k = key, v = buf.data();
    if (k == "striping_factor") {
      auto n = parse_int(k, v, 1, 1 << 20);
      if (!n) return n.status();
      h.striping.stripe_count = static_cast<int32_t>(*n);
    } else if (k == "striping_unit") {
      auto n = parse_int(k, v, 1, static_cast<int64_t>(kMaxStripeSize));
      if (!n) return n.status();
      if (*n % static_cast<int64_t>(kStripeSizeUnit) != 0)
        return Status::error(EINVAL, "hint striping_unit=\"" + v + "\": must be a multiple of " +
                                         std::to_string(kStripeSizeUnit));
      h.striping.stripe_size = static_cast<uint64_t>(*n);
    } else if (k == "nacre_group_lock") {
      if (v == "disable") {
        h.group_lock = 0;
      } else {
        auto n = parse_int(k, v, 0, INT64_MAX);
        if (!n) return n.status().with_context("(a group id, or \"disable\")");
        h.group_lock = static_cast<uint64_t>(*n);
      }
    } else {
      NACRE_RETURN_IF_ERROR(collective::apply_hint(h.cb, k, v));
    }
  }
  *hints = h;
  return Status::ok();
}

MPI_Info hints_to_info(const FileHints& hints, const Layout& layout) {
  MPI_Info info = MPI_INFO_NULL;
  MPI_Info_create(&info);
  auto set = [&](const char* k, const std::string& v) { MPI_Info_set(info, k, v.c_str()); };
  set("cb_nodes", std::to_string(hints.cb.cb_nodes));
  set("cb_buffer_size", std::to_string(hints.cb.cb_buffer_size));
  set("romio_cb_write", mode_name(hints.cb.cb_write));
  set("romio_cb_read", mode_name(hints.cb.cb_read));
  set("nacre_cb_min_independent_run", std::to_string(hints.cb.min_independent_run));
  set("nacre_write_behind", hints.cb.write_behind ? "enable" : "disable");
  set("nacre_write_behind_size", std::to_string(hints.cb.write_behind_size));
  set("striping_factor", std::to_string(layout.stripe_count()));
  set("striping_unit", std::to_string(layout.stripe_size));
  set("nacre_group_lock", hints.group_lock ? std::to_string(hints.group_lock) : "disable");
  return info;
}

}  // namespace nacre::mpiio
