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
  const FilePiece one{offset, length};
  return plan_pieces(g, std::span<const FilePiece>(&one, 1), max_rpc_bytes);
}

std::vector<ObjectRequest> plan_pieces(const StripeGeometry& g, std::span<const FilePiece> pieces,
                                       uint64_t max_rpc_bytes) {
  // Every stripe-unit piece with its stream position, then sorted by
  // (stripe, object offset) so object-contiguous runs are adjacent.
  struct Unit {
    uint32_t stripe;
    uint64_t object_offset;
    uint64_t stream_offset;
    uint64_t length;
  };
  std::vector<Unit> units;
  uint64_t stream = 0;
  bool sorted = true;
  for (const FilePiece& p : pieces) {
    for (const ObjectExtent& e : map_extent(g, p.file_offset, p.length)) {
      Unit u{e.stripe_index, e.object_offset, stream + (e.file_offset - p.file_offset), e.length};
      if (!units.empty() && (u.stripe < units.back().stripe ||
                             (u.stripe == units.back().stripe &&
                              u.object_offset < units.back().object_offset)))
        sorted = false;
      units.push_back(u);
    }
    stream += p.length;
  }
  if (!sorted)
    std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) {
      return a.stripe != b.stripe ? a.stripe < b.stripe : a.object_offset < b.object_offset;
    });
  std::vector<ObjectRequest> out;
  for (const Unit& u : units) {
    uint64_t obj_off = u.object_offset, buf_off = u.stream_offset, left = u.length;
    while (left > 0) {
      if (out.empty() || out.back().stripe_index != u.stripe ||
          out.back().object_offset + out.back().length != obj_off ||
          out.back().length == max_rpc_bytes) {
        ObjectRequest r;
        r.stripe_index = u.stripe;
        r.object_offset = obj_off;
        out.push_back(std::move(r));
      }
      ObjectRequest& r = out.back();
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
  return out;
}

}  // namespace nacre::layout
