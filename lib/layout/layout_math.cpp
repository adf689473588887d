#include "layout/layout_math.hpp"

#include <algorithm>

namespace nacre::layout {

ObjectExtent locate(const StripeGeometry& g, uint64_t offset) {
  const uint64_t unit = offset / g.stripe_size;
  ObjectExtent e;
  e.stripe_index = static_cast<uint32_t>(unit % g.stripe_count);
  e.object_offset = (unit / g.stripe_count) * g.stripe_size + offset % g.stripe_size;
  e.file_offset = offset;
  return e;
}

std::vector<ObjectExtent> map_extent(const StripeGeometry& g, uint64_t offset, uint64_t length) {
  std::vector<ObjectExtent> out;
  if (length == 0) return out;
  out.reserve(length / g.stripe_size + 2);
  uint64_t pos = offset;
  const uint64_t end = offset + length;
  while (pos < end) {
    ObjectExtent e = locate(g, pos);
    const uint64_t unit_end = (pos / g.stripe_size + 1) * g.stripe_size;
    e.length = std::min(end, unit_end) - pos;
    out.push_back(e);
    pos += e.length;
  }
  return out;
}

uint64_t object_size_for_file_size(const StripeGeometry& g, uint32_t stripe_index,
                                   uint64_t file_size) {
  if (file_size == 0) return 0;
  const uint64_t full_units = file_size / g.stripe_size;  // complete stripe units
  const uint64_t tail = file_size % g.stripe_size;        // bytes of the partial unit
  // Units u < full_units with u % count == stripe_index are complete.
  uint64_t units_here = full_units / g.stripe_count +
                        (stripe_index < full_units % g.stripe_count ? 1 : 0);
  uint64_t size = units_here * g.stripe_size;
  if (tail != 0 && full_units % g.stripe_count == stripe_index) size += tail;
  return size;
}

uint64_t file_end_of_object(const StripeGeometry& g, uint32_t stripe_index, uint64_t object_size) {
  if (object_size == 0) return 0;
  const uint64_t last = object_size - 1;
  const uint64_t obj_unit = last / g.stripe_size;
  const uint64_t file_unit = obj_unit * g.stripe_count + stripe_index;
  return file_unit * g.stripe_size + last % g.stripe_size + 1;
}

uint64_t file_size_from_object_sizes(const StripeGeometry& g, std::span<const uint64_t> sizes) {
  uint64_t size = 0;
  for (uint32_t i = 0; i < sizes.size(); ++i)
    size = std::max(size, file_end_of_object(g, i, sizes[i]));
  return size;
}

std::vector<ObjectRequest> plan_transfer(const StripeGeometry& g, uint64_t offset,
                                         uint64_t length, uint64_t max_rpc_bytes) {
  std::vector<std::vector<ObjectRequest>> per_stripe(
      std::min<uint64_t>(g.stripe_count, length / g.stripe_size + 2));
  // per_stripe is indexed by (stripe_index - first stripe) mod count; at most
  // min(count, units touched) stripes are involved.
  const uint32_t first = length ? locate(g, offset).stripe_index : 0;
  for (const ObjectExtent& e : map_extent(g, offset, length)) {
    const uint32_t slot = (e.stripe_index + g.stripe_count - first) % g.stripe_count;
    auto& list = per_stripe[slot];
    uint64_t obj_off = e.object_offset;
    uint64_t buf_off = e.file_offset - offset;
    uint64_t left = e.length;
    while (left > 0) {
      if (list.empty() || list.back().object_offset + list.back().length != obj_off ||
          list.back().length == max_rpc_bytes) {
        ObjectRequest r;
        r.stripe_index = e.stripe_index;
        r.object_offset = obj_off;
        list.push_back(std::move(r));
      }
      ObjectRequest& r = list.back();
      const uint64_t take = std::min(left, max_rpc_bytes - r.length);
      if (!r.segments.empty() &&
          r.segments.back().buffer_offset + r.segments.back().length == buf_off) {
        r.segments.back().length += take;
      } else {
        r.segments.push_back({buf_off, take});
      }
      r.length += take;
      obj_off += take;
      buf_off += take;
      left -= take;
    }
  }
  std::vector<ObjectRequest> out;
  for (auto& list : per_stripe)
    for (auto& r : list) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), [](const ObjectRequest& a, const ObjectRequest& b) {
    return a.stripe_index != b.stripe_index ? a.stripe_index < b.stripe_index
                                            : a.object_offset < b.object_offset;
  });
  return out;
}

}  // namespace nacre::layout
