#include "mpiio/flatten.hpp"

#include "mpiio/flat_cursor.hpp"

#include <algorithm>
#include <limits>
#include <map>

namespace nacre::mpiio {

namespace {

bool mul(int64_t a, int64_t b, int64_t* r) { return !__builtin_mul_overflow(a, b, r); }
bool add(int64_t a, int64_t b, int64_t* r) { return !__builtin_add_overflow(a, b, r); }

Status overflow(const TypeDesc& t) {
  return Status::error(EOVERFLOW, std::string("flatten ") + combiner_name(t.kind) +
                                      ": offsets or sizes overflow 64 bits");
}

// Recomputes the derived fields of a pattern from leaf and levels.
Status finalize(Pattern& p) {
  p.leaf_prefix.assign(p.leaf.size() + 1, 0);
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < p.leaf.size(); ++i) {
    p.leaf_prefix[i + 1] = p.leaf_prefix[i] + p.leaf[i].length;
    lo = std::min(lo, p.leaf[i].offset);
    hi = std::max(hi, p.leaf[i].end());
  }
  p.leaf_bytes = p.leaf_prefix.back();
  p.size = p.leaf_bytes;
  for (const auto& l : p.levels) {
    int64_t span = 0;
    if (!mul(p.size, l.count, &p.size) || !mul(l.count - 1, l.stride, &span) ||
        !add(lo, std::min<int64_t>(0, span), &lo) || !add(hi, std::max<int64_t>(0, span), &hi))
      return Status::error(EOVERFLOW, "flatten: offsets or sizes overflow 64 bits");
  }
  p.data_lo = p.leaf.empty() ? 0 : lo;
  p.data_hi = p.leaf.empty() ? 0 : hi;
  return Status::ok();
}

// Appends `pc` to `out`, merging with the last piece when they touch.
void append_merged(std::vector<Piece>& out, Piece pc) {
  if (pc.length == 0) return;
  if (!out.empty() && out.back().end() == pc.offset)
    out.back().length += pc.length;
  else
    out.push_back(pc);
}

// Shifts every piece of one instance by d bytes.
Status shift(Pattern& p, int64_t d, const TypeDesc& t) {
  if (d == 0) return Status::ok();
  for (auto& pc : p.leaf)
    if (!add(pc.offset, d, &pc.offset)) return overflow(t);
  return finalize(p);
}

// p := n copies of p, `stride` bytes apart.
Status repeat(Pattern& p, int64_t n, int64_t stride, const TypeDesc& t) {
  if (n == 0 || p.size == 0) {
    p = Pattern{};
    return finalize(p);
  }
  if (n == 1) return Status::ok();
  if (p.levels.empty() && p.leaf.size() == 1 && p.leaf[0].length == stride) {
    if (!mul(p.leaf[0].length, n, &p.leaf[0].length)) return overflow(t);
  } else if (!p.levels.empty() && [&] {
               // The new level continues the outermost one: fold them.
               int64_t s = 0;
               return mul(p.levels.back().count, p.levels.back().stride, &s) && s == stride;
             }()) {
    if (!mul(p.levels.back().count, n, &p.levels.back().count)) return overflow(t);
  } else {
    p.levels.push_back({n, stride});
  }
  return finalize(p);
}

// Appends every piece of `p` shifted by d to `out` (merged), type-map order.
Status expand(const Pattern& p, int64_t d, std::vector<Piece>& out, const TypeDesc& t) {
  if (p.size == 0) return Status::ok();
  int64_t pieces = static_cast<int64_t>(p.leaf.size());
  for (const auto& l : p.levels)
    if (!mul(pieces, l.count, &pieces) || pieces > kMaxLeafPieces) pieces = kMaxLeafPieces + 1;
  if (pieces + static_cast<int64_t>(out.size()) > kMaxLeafPieces)
    return Status::error(EFBIG, std::string("flatten ") + combiner_name(t.kind) +
                                    ": irregular type expands to more than " +
                                    std::to_string(kMaxLeafPieces) + " pieces");
  // Offsets stay within [data_lo, data_hi) + d, checked once here.
  int64_t tmp = 0;
  if (!add(p.data_lo, d, &tmp) || !add(p.data_hi, d, &tmp)) return overflow(t);
  const size_t nl = p.levels.size();
  std::vector<int64_t> idx(nl, 0);
  int64_t origin = d;
  for (;;) {
    for (const auto& pc : p.leaf) append_merged(out, {pc.offset + origin, pc.length});
    size_t l = 0;
    for (; l < nl; ++l) {
      if (idx[l] + 1 < p.levels[l].count) {
        ++idx[l];
        origin += p.levels[l].stride;
        break;
      }
      origin -= idx[l] * p.levels[l].stride;
      idx[l] = 0;
    }
    if (l == nl) break;
  }
  return Status::ok();
}

// A block: n copies of `pat`, `step` bytes apart, the first at byte `displ`.
struct Block {
  const Pattern* pat;
  int64_t n;
  int64_t step;
  int64_t displ;
};

// Pattern of a sequence of blocks in type-map order. Stays compact for one
// block, or equal blocks at equally spaced displacements; expands otherwise.
Result<Pattern> combine(std::vector<Block> blocks, const TypeDesc& t) {
  std::erase_if(blocks, [](const Block& b) { return b.n == 0 || b.pat->size == 0; });
  Pattern out;
  if (blocks.empty()) {
    NACRE_RETURN_IF_ERROR(finalize(out));
    return out;
  }
  bool regular = true;
  const int64_t spacing = blocks.size() > 1 ? blocks[1].displ - blocks[0].displ : 0;
  for (size_t i = 1; i < blocks.size() && regular; ++i) {
    int64_t d = 0;
    regular = blocks[i].pat == blocks[0].pat && blocks[i].n == blocks[0].n &&
              blocks[i].step == blocks[0].step &&
              !__builtin_sub_overflow(blocks[i].displ, blocks[i - 1].displ, &d) && d == spacing;
  }
  if (regular) {
    out = *blocks[0].pat;
    NACRE_RETURN_IF_ERROR(repeat(out, blocks[0].n, blocks[0].step, t));
    NACRE_RETURN_IF_ERROR(repeat(out, static_cast<int64_t>(blocks.size()), spacing, t));
    NACRE_RETURN_IF_ERROR(shift(out, blocks[0].displ, t));
    return out;
  }
  for (const auto& b : blocks) {
    Pattern rep = *b.pat;
    NACRE_RETURN_IF_ERROR(repeat(rep, b.n, b.step, t));
    NACRE_RETURN_IF_ERROR(expand(rep, b.displ, out.leaf, t));
  }
  NACRE_RETURN_IF_ERROR(finalize(out));
  return out;
}

class Flattener {
 public:
  Result<const Pattern*> pattern_of(const TypeDesc& t) {
    auto it = memo_.find(&t);
    if (it != memo_.end()) return &it->second;
    auto r = build(t);
    if (!r.is_ok()) return r.status();
    return &memo_.emplace(&t, std::move(r).value()).first->second;
  }

 private:
  Result<Pattern> build(const TypeDesc& t) {
    switch (t.kind) {
      case Combiner::named: {
        Pattern p;
        if (t.size > 0) p.leaf.push_back({0, t.size});
        NACRE_RETURN_IF_ERROR(finalize(p));
        return p;
      }
      case Combiner::dup:
      case Combiner::resized: {
        auto c = pattern_of(*t.children[0]);
        if (!c.is_ok()) return c.status();
        return **c;
      }
      case Combiner::contiguous: {
        auto c = pattern_of(*t.children[0]);
        if (!c.is_ok()) return c.status();
        return combine({{*c, t.count, t.children[0]->extent, 0}}, t);
      }
      case Combiner::vector:
      case Combiner::hvector: {
        auto c = pattern_of(*t.children[0]);
        if (!c.is_ok()) return c.status();
        if (t.count == 0) return combine({}, t);
        Pattern p = **c;
        NACRE_RETURN_IF_ERROR(repeat(p, t.blocklen, t.children[0]->extent, t));
        NACRE_RETURN_IF_ERROR(repeat(p, t.count, t.stride, t));
        return p;
      }
      case Combiner::indexed:
      case Combiner::hindexed:
      case Combiner::indexed_block:
      case Combiner::hindexed_block:
      case Combiner::struct_: {
        std::vector<Block> blocks;
        blocks.reserve(t.blocklens.size());
        for (size_t i = 0; i < t.blocklens.size(); ++i) {
          const TypeDesc& c = *t.children[t.children.size() == 1 ? 0 : i];
          auto cp = pattern_of(c);
          if (!cp.is_ok()) return cp.status();
          blocks.push_back({*cp, t.blocklens[i], c.extent, t.displs[i]});
        }
        return combine(std::move(blocks), t);
      }
      case Combiner::subarray:
      case Combiner::darray:
        return build_array(t);
    }
    return Status::error(EINVAL, "flatten: unknown type kind");
  }

  // Dimensions from fastest to slowest: each selects runs of the pattern of
  // the faster dimensions, one element stride apart.
  Result<Pattern> build_array(const TypeDesc& t) {
    auto c = pattern_of(*t.children[0]);
    if (!c.is_ok()) return c.status();
    const size_t n = t.array_sizes.size();
    std::vector<int64_t> stride(n);
    int64_t s = t.children[0]->extent;
    for (size_t k = 0; k < n; ++k) {
      const size_t d = t.order == ArrayOrder::c ? n - 1 - k : k;
      stride[d] = s;
      if (!mul(s, t.array_sizes[d], &s)) return overflow(t);
    }
    Pattern p = **c;
    for (size_t k = 0; k < n; ++k) {
      const size_t d = t.order == ArrayOrder::c ? n - 1 - k : k;
      std::vector<Block> blocks;
      for (const auto& r : t.dim_runs[d]) {
        int64_t displ = 0;
        if (!mul(r.start, stride[d], &displ)) return overflow(t);
        blocks.push_back({&p, r.length, stride[d], displ});
      }
      auto next = combine(std::move(blocks), t);
      if (!next.is_ok()) return next.status();
      p = std::move(next).value();
    }
    return p;
  }

  std::map<const TypeDesc*, Pattern> memo_;
};

}  // namespace

int64_t FlatList::data_lo() const {
  if (count == 0) return base;
  const int64_t span = (count - 1) * type_extent;
  return base + pattern->data_lo + std::min<int64_t>(0, span);
}

int64_t FlatList::data_hi() const {
  if (count == 0) return base;
  const int64_t span = (count - 1) * type_extent;
  return base + pattern->data_hi + std::max<int64_t>(0, span);
}

bool FlatList::is_contiguous() const {
  if (size() == 0) return true;
  return data_hi() - data_lo() == size() && [&] {
    // Equal span and size still allows out-of-order pieces: check the order.
    FlatCursor cur(*this);
    std::vector<Piece> v;
    return cur.map(0, size(), v, 2).is_ok() && v.size() == 1;
  }();
}

Result<std::vector<Piece>> FlatList::materialize(int64_t max_pieces) const {
  FlatCursor cur(*this);
  std::vector<Piece> out;
  NACRE_RETURN_IF_ERROR(cur.map(0, size(), out, max_pieces));
  return out;
}

Result<FlatList> flatten(const TypeDesc& type, int64_t count, int64_t base_offset) {
  if (count < 0)
    return Status::error(EINVAL, "flatten: negative count " + std::to_string(count));
  Flattener f;
  auto p = f.pattern_of(type);
  if (!p.is_ok()) return p.status();
  FlatList out;
  out.pattern = std::make_shared<const Pattern>(**p);
  out.count = count;
  out.base = base_offset;
  out.type_size = type.size;
  out.type_lb = type.lb;
  out.type_extent = type.extent;
  int64_t tmp = 0, span = 0;
  if (out.pattern->size != type.size)
    return Status::error(EIO, "flatten: internal error: flattened " +
                                  std::to_string(out.pattern->size) + " bytes of a " +
                                  std::to_string(type.size) + "-byte type " + describe(type));
  if (!mul(count, type.size, &tmp) || (count > 0 && !mul(count - 1, type.extent, &span)) ||
      !add(base_offset, out.pattern->data_lo, &tmp) || !add(tmp, std::min<int64_t>(0, span), &tmp) ||
      !add(base_offset, out.pattern->data_hi, &tmp) || !add(tmp, std::max<int64_t>(0, span), &tmp))
    return overflow(type);
  return out;
}

}  // namespace nacre::mpiio
