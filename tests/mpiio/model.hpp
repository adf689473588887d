// Test helpers for lib/mpiio: a naive byte-by-byte model of a type map and a
// random TypeDesc generator. The model follows the MPI definitions directly
// (nested loops, one entry per byte) and shares no code with the flattener.
#pragma once

#include "mpiio/flatten.hpp"
#include "mpiio/type_desc.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace nacre::mpiio::testing {

// Byte offsets of one instance of t (origin 0), in type-map order.
inline void model_bytes(const TypeDesc& t, int64_t at, std::vector<int64_t>& out) {
  auto child = [&](size_t i) -> const TypeDesc& {
    return *t.children[t.children.size() == 1 ? 0 : i];
  };
  switch (t.kind) {
    case Combiner::named:
      for (int64_t b = 0; b < t.size; ++b) out.push_back(at + b);
      break;
    case Combiner::dup:
    case Combiner::resized:
      model_bytes(child(0), at, out);
      break;
    case Combiner::contiguous:
      for (int64_t i = 0; i < t.count; ++i) model_bytes(child(0), at + i * child(0).extent, out);
      break;
    case Combiner::vector:
    case Combiner::hvector:
      for (int64_t i = 0; i < t.count; ++i)
        for (int64_t j = 0; j < t.blocklen; ++j)
          model_bytes(child(0), at + i * t.stride + j * child(0).extent, out);
      break;
    case Combiner::indexed:
    case Combiner::hindexed:
    case Combiner::indexed_block:
    case Combiner::hindexed_block:
    case Combiner::struct_:
      for (size_t i = 0; i < t.blocklens.size(); ++i)
        for (int64_t j = 0; j < t.blocklens[i]; ++j)
          model_bytes(child(i), at + t.displs[i] + j * child(i).extent, out);
      break;
    case Combiner::subarray:
    case Combiner::darray: {
      const size_t n = t.array_sizes.size();
      std::vector<std::vector<int64_t>> sel(n);
      for (size_t d = 0; d < n; ++d)
        for (const auto& r : t.dim_runs[d])
          for (int64_t k = 0; k < r.length; ++k) sel[d].push_back(r.start + k);
      for (const auto& s : sel)
        if (s.empty()) return;
      // Odometer over the selected indices, fastest dimension last (C) or
      // first (Fortran); linear index in the full array.
      std::vector<size_t> pos(n, 0);
      for (;;) {
        int64_t lin = 0;
        if (t.order == ArrayOrder::c) {
          for (size_t d = 0; d < n; ++d) lin = lin * t.array_sizes[d] + sel[d][pos[d]];
        } else {
          for (size_t d = n; d-- > 0;) lin = lin * t.array_sizes[d] + sel[d][pos[d]];
        }
        model_bytes(child(0), at + lin * child(0).extent, out);
        size_t k = 0;
        for (; k < n; ++k) {
          const size_t d = t.order == ArrayOrder::c ? n - 1 - k : k;
          if (++pos[d] < sel[d].size()) break;
          pos[d] = 0;
        }
        if (k == n) break;
      }
      break;
    }
  }
}

inline std::vector<int64_t> model_bytes(const TypeDesc& t, int64_t count, int64_t base) {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < count; ++i) model_bytes(t, base + i * t.extent, out);
  return out;
}

// Byte offsets -> merged pieces.
inline std::vector<Piece> to_pieces(const std::vector<int64_t>& bytes, size_t a = 0,
                                    size_t b = SIZE_MAX) {
  b = std::min(b, bytes.size());
  std::vector<Piece> out;
  for (size_t i = a; i < b; ++i) {
    if (!out.empty() && out.back().end() == bytes[i])
      ++out.back().length;
    else
      out.push_back({bytes[i], 1});
  }
  return out;
}

// Pieces -> byte offsets.
inline std::vector<int64_t> to_bytes(const std::vector<Piece>& pieces) {
  std::vector<int64_t> out;
  for (const auto& p : pieces)
    for (int64_t k = 0; k < p.length; ++k) out.push_back(p.offset + k);
  return out;
}

inline TypeDescPtr ok(Result<TypeDescPtr> r) {
  REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
  return std::move(r).value();
}

// Random nested TypeDescs: small counts, negative displacements, zero-length
// blocks, resized bounds, subarrays and darrays. Sizes stay small enough for
// the byte model.
class RandomTypes {
 public:
  explicit RandomTypes(uint64_t seed) : rng_(seed) {}

  int64_t uni(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }

  TypeDescPtr named() {
    static const int64_t sizes[] = {1, 2, 4, 8};
    return ok(make_named(sizes[uni(0, 3)]));
  }

  TypeDescPtr gen(int depth) {
    if (depth <= 0 || uni(0, 5) == 0) return named();
    TypeDescPtr c = gen(depth - 1);
    switch (uni(0, 12)) {
      case 0: return ok(make_contiguous(uni(0, 4), c));
      case 1: return ok(make_vector(uni(0, 4), uni(0, 3), uni(-4, 5), c));
      case 2: return ok(make_hvector(uni(0, 4), uni(0, 3), uni(-40, 60), c));
      case 3: {
        auto n = uni(0, 4);
        std::vector<int64_t> bl, d;
        for (int64_t i = 0; i < n; ++i) { bl.push_back(uni(0, 3)); d.push_back(uni(-5, 8)); }
        return ok(make_indexed(bl, d, c));
      }
      case 4: {
        auto n = uni(0, 4);
        std::vector<int64_t> bl, d;
        for (int64_t i = 0; i < n; ++i) { bl.push_back(uni(0, 3)); d.push_back(uni(-50, 80)); }
        return ok(make_hindexed(bl, d, c));
      }
      case 5: {
        auto n = uni(0, 4);
        std::vector<int64_t> d;
        // Sometimes regular (arithmetic) displacements, to hit the compact path.
        const int64_t s = uni(-3, 6), start = uni(-4, 4);
        const bool regular = uni(0, 1) == 0;
        for (int64_t i = 0; i < n; ++i) d.push_back(regular ? start + i * s : uni(-5, 8));
        return ok(make_indexed_block(uni(0, 3), d, c));
      }
      case 6: {
        auto n = uni(0, 4);
        std::vector<int64_t> d;
        for (int64_t i = 0; i < n; ++i) d.push_back(uni(-50, 80));
        return ok(make_hindexed_block(uni(0, 3), d, c));
      }
      case 7: {
        auto n = uni(1, 3);
        std::vector<int64_t> bl, d;
        std::vector<TypeDescPtr> cs;
        for (int64_t i = 0; i < n; ++i) {
          bl.push_back(uni(0, 3));
          d.push_back(uni(-40, 60));
          cs.push_back(i == 0 ? c : gen(depth - 1));
        }
        return ok(make_struct(bl, d, cs));
      }
      case 8: {
        auto n = uni(1, 3);
        std::vector<int64_t> sz, sub, st;
        for (int64_t i = 0; i < n; ++i) {
          sz.push_back(uni(1, 4));
          sub.push_back(uni(0, sz.back()));
          st.push_back(uni(0, sz.back() - sub.back()));
        }
        return ok(make_subarray(sz, sub, st, uni(0, 1) ? ArrayOrder::c : ArrayOrder::fortran, c));
      }
      case 9: {
        auto n = uni(1, 3);
        std::vector<int64_t> g, p, dargs;
        std::vector<Distrib> dist;
        int64_t np = 1;
        for (int64_t i = 0; i < n; ++i) {
          g.push_back(uni(1, 6));
          const int64_t kind = uni(0, 2);
          dist.push_back(kind == 0 ? Distrib::block : kind == 1 ? Distrib::cyclic : Distrib::none);
          p.push_back(kind == 2 ? 1 : uni(1, 3));
          dargs.push_back(kind == 1 && uni(0, 1) ? uni(1, 3) : kDefaultDarg);
          np *= p.back();
        }
        return ok(make_darray(static_cast<int>(np), static_cast<int>(uni(0, np - 1)), g, dist,
                              dargs, p, uni(0, 1) ? ArrayOrder::c : ArrayOrder::fortran, c));
      }
      case 10: return ok(make_resized(uni(-16, 16), uni(1, 64), c));
      case 11: return ok(make_dup(c));
      default: return ok(make_contiguous(uni(1, 3), c));
    }
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace nacre::mpiio::testing
