// Byte extents of a lock resource (pure, header-only; exhaustively tested).
//
// An Extent is half-open: [start, end) covers bytes start .. end-1.
// end == kEof (UINT64_MAX) means "to end of file": every byte >= start
// (byte UINT64_MAX itself is not addressable, so the half-open arithmetic
// needs no special case). An extent is valid when start < end; the empty
// extents (start >= end) are only ever returned by intersect().
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

namespace nacre::locks {

inline constexpr uint64_t kEof = UINT64_MAX;

struct Extent {
  uint64_t start = 0;
  uint64_t end = kEof;

  static constexpr Extent whole() { return Extent{0, kEof}; }

  constexpr bool valid() const { return start < end; }
  constexpr bool to_eof() const { return end == kEof; }
  // Bytes covered; kEof - start for an extent to EOF.
  constexpr uint64_t length() const { return valid() ? end - start : 0; }
  constexpr bool contains_byte(uint64_t b) const { return start <= b && b < end; }
  bool operator==(const Extent&) const = default;
};

// Both valid and sharing at least one byte.
constexpr bool overlaps(const Extent& a, const Extent& b) {
  return a.valid() && b.valid() && a.start < b.end && b.start < a.end;
}

// Every byte of inner (valid) is in outer.
constexpr bool contains(const Extent& outer, const Extent& inner) {
  return inner.valid() && outer.start <= inner.start && inner.end <= outer.end;
}

// The bytes in both, or nothing when they do not overlap.
constexpr std::optional<Extent> intersect(const Extent& a, const Extent& b) {
  if (!overlaps(a, b)) return std::nullopt;
  return Extent{std::max(a.start, b.start), std::min(a.end, b.end)};
}

// Overlapping or adjacent: their union is one extent.
constexpr bool mergeable(const Extent& a, const Extent& b) {
  return a.valid() && b.valid() && a.start <= b.end && b.start <= a.end;
}

// Smallest extent covering both (the union when mergeable(a, b)).
constexpr Extent hull(const Extent& a, const Extent& b) {
  return Extent{std::min(a.start, b.start), std::max(a.end, b.end)};
}

// The union of two mergeable extents, or nothing.
constexpr std::optional<Extent> merge(const Extent& a, const Extent& b) {
  if (!mergeable(a, b)) return std::nullopt;
  return hull(a, b);
}

// Page arithmetic; page > 0. Rounding up saturates at kEof (kEof counts as a
// page boundary, so an extent to EOF stays to EOF).
constexpr uint64_t round_down(uint64_t x, uint64_t page) { return x - x % page; }
constexpr uint64_t round_up(uint64_t x, uint64_t page) {
  const uint64_t r = x % page;
  if (r == 0 || x == kEof) return x;
  return x > kEof - (page - r) ? kEof : x + (page - r);
}
constexpr bool page_aligned(uint64_t x, uint64_t page) { return x == kEof || x % page == 0; }

// Smallest page-aligned extent containing e (e valid).
constexpr Extent round_out(const Extent& e, uint64_t page) {
  return Extent{round_down(e.start, page), round_up(e.end, page)};
}

// Largest page-aligned extent inside e; nothing when e holds no whole page.
constexpr std::optional<Extent> align_in(const Extent& e, uint64_t page) {
  const Extent r{round_up(e.start, page), e.end == kEof ? kEof : round_down(e.end, page)};
  if (!r.valid()) return std::nullopt;
  return r;
}

}  // namespace nacre::locks
