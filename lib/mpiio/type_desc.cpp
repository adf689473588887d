#include "mpiio/type_desc.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

namespace nacre::mpiio {

namespace {

Status invalid(const char* ctor, const std::string& what) {
  return Status::error(EINVAL, std::string("datatype ") + ctor + ": " + what);
}
Status overflow(const char* ctor) {
  return Status::error(EOVERFLOW, std::string("datatype ") + ctor +
                                      ": size or bounds overflow 64 bits");
}

bool mul(int64_t a, int64_t b, int64_t* r) { return !__builtin_mul_overflow(a, b, r); }
bool add(int64_t a, int64_t b, int64_t* r) { return !__builtin_add_overflow(a, b, r); }

// Accumulates size and [lb, ub) over blocks of copies of a child.
struct Bounds {
  bool any = false;
  int64_t size = 0, lb = 0, ub = 0;
  bool ok = true;

  // `n` copies of `c`, `c.extent` apart, the first at byte `disp`.
  void add_block(int64_t n, int64_t disp, const TypeDesc& c) {
    if (n <= 0) return;
    int64_t sz = 0, span = 0, lo = 0, hi = 0;
    if (!mul(n, c.size, &sz) || !mul(n - 1, c.extent, &span) ||
        !add(disp, c.lb, &lo) || !add(disp, c.ub(), &hi) ||
        !add(lo, std::min<int64_t>(0, span), &lo) || !add(hi, std::max<int64_t>(0, span), &hi) ||
        !add(size, sz, &size)) {
      ok = false;
      return;
    }
    if (!any) {
      lb = lo;
      ub = hi;
      any = true;
    } else {
      lb = std::min(lb, lo);
      ub = std::max(ub, hi);
    }
  }
  Status finish(TypeDesc& t, const char* ctor) const {
    if (!ok) return overflow(ctor);
    t.size = size;
    t.lb = any ? lb : 0;
    int64_t ext = 0;
    if (any && __builtin_sub_overflow(ub, lb, &ext)) return overflow(ctor);
    t.extent = ext;
    return Status::ok();
  }
};

Status check_child(const char* ctor, const TypeDescPtr& c) {
  if (!c) return invalid(ctor, "null child type");
  return Status::ok();
}

Status check_nonneg(const char* ctor, const char* what, int64_t v) {
  if (v < 0) return invalid(ctor, std::string("negative ") + what + " " + std::to_string(v));
  return Status::ok();
}

// Elements -> bytes for displacements given in child extents.
Status scale(const char* ctor, std::vector<int64_t>& v, int64_t ext) {
  for (auto& d : v)
    if (!mul(d, ext, &d)) return overflow(ctor);
  return Status::ok();
}

Result<TypeDescPtr> make_blocks(Combiner kind, const char* ctor, std::vector<int64_t> blocklens,
                                std::vector<int64_t> displs, std::vector<TypeDescPtr> children) {
  if (blocklens.size() != displs.size())
    return invalid(ctor, "blocklens and displacements differ in length");
  auto t = std::make_shared<TypeDesc>();
  t->kind = kind;
  t->count = static_cast<int64_t>(blocklens.size());
  Bounds b;
  for (size_t i = 0; i < blocklens.size(); ++i) {
    NACRE_RETURN_IF_ERROR(check_nonneg(ctor, "block length", blocklens[i]));
    const TypeDesc& c = *children[children.size() == 1 ? 0 : i];
    b.add_block(blocklens[i], displs[i], c);
  }
  NACRE_RETURN_IF_ERROR(b.finish(*t, ctor));
  t->blocklens = std::move(blocklens);
  t->displs = std::move(displs);
  t->children = std::move(children);
  return TypeDescPtr(t);
}

// Shared by subarray and darray: metadata of an array type whose selected
// indices per dimension are `runs`.
Result<TypeDescPtr> make_array(Combiner kind, const char* ctor, std::vector<int64_t> sizes,
                               std::vector<std::vector<IndexRun>> runs, ArrayOrder order,
                               TypeDescPtr child) {
  auto t = std::make_shared<TypeDesc>();
  t->kind = kind;
  int64_t elems = 1, selected = 1;
  for (size_t d = 0; d < sizes.size(); ++d) {
    int64_t n = 0;
    for (const auto& r : runs[d]) n += r.length;
    if (!mul(elems, sizes[d], &elems) || !mul(selected, n, &selected)) return overflow(ctor);
  }
  if (!mul(selected, child->size, &t->size) || !mul(elems, child->extent, &t->extent))
    return overflow(ctor);
  t->lb = 0;
  t->array_sizes = std::move(sizes);
  t->dim_runs = std::move(runs);
  t->order = order;
  t->children = {std::move(child)};
  return TypeDescPtr(t);
}

}  // namespace

const char* combiner_name(Combiner c) {
  switch (c) {
    case Combiner::named: return "named";
    case Combiner::dup: return "dup";
    case Combiner::contiguous: return "contiguous";
    case Combiner::vector: return "vector";
    case Combiner::hvector: return "hvector";
    case Combiner::indexed: return "indexed";
    case Combiner::hindexed: return "hindexed";
    case Combiner::indexed_block: return "indexed_block";
    case Combiner::hindexed_block: return "hindexed_block";
    case Combiner::struct_: return "struct";
    case Combiner::subarray: return "subarray";
    case Combiner::darray: return "darray";
    case Combiner::resized: return "resized";
  }
  return "?";
}

Result<TypeDescPtr> make_named(int64_t size, std::string name) {
  NACRE_RETURN_IF_ERROR(check_nonneg("named", "size", size));
  auto t = std::make_shared<TypeDesc>();
  t->kind = Combiner::named;
  t->name = std::move(name);
  t->size = size;
  t->extent = size;
  return TypeDescPtr(t);
}

Result<TypeDescPtr> make_dup(TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("dup", child));
  auto t = std::make_shared<TypeDesc>();
  t->kind = Combiner::dup;
  t->size = child->size;
  t->lb = child->lb;
  t->extent = child->extent;
  t->children = {std::move(child)};
  return TypeDescPtr(t);
}

Result<TypeDescPtr> make_contiguous(int64_t count, TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("contiguous", child));
  NACRE_RETURN_IF_ERROR(check_nonneg("contiguous", "count", count));
  auto t = std::make_shared<TypeDesc>();
  t->kind = Combiner::contiguous;
  t->count = count;
  t->blocklen = count;
  Bounds b;
  b.add_block(count, 0, *child);
  NACRE_RETURN_IF_ERROR(b.finish(*t, "contiguous"));
  t->children = {std::move(child)};
  return TypeDescPtr(t);
}

static Result<TypeDescPtr> make_vec(Combiner kind, const char* ctor, int64_t count,
                                    int64_t blocklen, int64_t stride_bytes, TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_nonneg(ctor, "count", count));
  NACRE_RETURN_IF_ERROR(check_nonneg(ctor, "block length", blocklen));
  auto t = std::make_shared<TypeDesc>();
  t->kind = kind;
  t->count = count;
  t->blocklen = blocklen;
  t->stride = stride_bytes;
  Bounds b;
  if (count > 0 && blocklen > 0) {
    // First and last blocks bound the type (blocks are stride apart).
    int64_t last = 0;
    if (!mul(count - 1, stride_bytes, &last)) return overflow(ctor);
    b.add_block(blocklen, 0, *child);
    b.add_block(blocklen, last, *child);
    // add_block counted the size twice (or once if count == 1): fix it.
    int64_t sz = 0;
    if (!mul(blocklen, child->size, &sz) || !mul(sz, count, &sz)) return overflow(ctor);
    b.size = sz;
  }
  NACRE_RETURN_IF_ERROR(b.finish(*t, ctor));
  t->children = {std::move(child)};
  return TypeDescPtr(t);
}

Result<TypeDescPtr> make_vector(int64_t count, int64_t blocklen, int64_t stride,
                                TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("vector", child));
  int64_t sb = 0;
  if (!mul(stride, child->extent, &sb)) return overflow("vector");
  return make_vec(Combiner::vector, "vector", count, blocklen, sb, std::move(child));
}

Result<TypeDescPtr> make_hvector(int64_t count, int64_t blocklen, int64_t stride_bytes,
                                 TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("hvector", child));
  return make_vec(Combiner::hvector, "hvector", count, blocklen, stride_bytes, std::move(child));
}

Result<TypeDescPtr> make_indexed(std::vector<int64_t> blocklens, std::vector<int64_t> displs,
                                 TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("indexed", child));
  NACRE_RETURN_IF_ERROR(scale("indexed", displs, child->extent));
  return make_blocks(Combiner::indexed, "indexed", std::move(blocklens), std::move(displs),
                     {std::move(child)});
}

Result<TypeDescPtr> make_hindexed(std::vector<int64_t> blocklens,
                                  std::vector<int64_t> displs_bytes, TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("hindexed", child));
  return make_blocks(Combiner::hindexed, "hindexed", std::move(blocklens),
                     std::move(displs_bytes), {std::move(child)});
}

Result<TypeDescPtr> make_indexed_block(int64_t blocklen, std::vector<int64_t> displs,
                                       TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("indexed_block", child));
  NACRE_RETURN_IF_ERROR(check_nonneg("indexed_block", "block length", blocklen));
  NACRE_RETURN_IF_ERROR(scale("indexed_block", displs, child->extent));
  std::vector<int64_t> bl(displs.size(), blocklen);
  auto r = make_blocks(Combiner::indexed_block, "indexed_block", std::move(bl),
                       std::move(displs), {std::move(child)});
  if (r.is_ok()) std::const_pointer_cast<TypeDesc>(r.value())->blocklen = blocklen;
  return r;
}

Result<TypeDescPtr> make_hindexed_block(int64_t blocklen, std::vector<int64_t> displs_bytes,
                                        TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("hindexed_block", child));
  NACRE_RETURN_IF_ERROR(check_nonneg("hindexed_block", "block length", blocklen));
  std::vector<int64_t> bl(displs_bytes.size(), blocklen);
  auto r = make_blocks(Combiner::hindexed_block, "hindexed_block", std::move(bl),
                       std::move(displs_bytes), {std::move(child)});
  if (r.is_ok()) std::const_pointer_cast<TypeDesc>(r.value())->blocklen = blocklen;
  return r;
}

Result<TypeDescPtr> make_struct(std::vector<int64_t> blocklens, std::vector<int64_t> displs_bytes,
                                std::vector<TypeDescPtr> children) {
  if (children.size() != blocklens.size())
    return invalid("struct", "number of types differs from number of blocks");
  for (const auto& c : children) NACRE_RETURN_IF_ERROR(check_child("struct", c));
  if (children.empty()) {
    // make_blocks indexes children[0] only when there are blocks.
    return make_blocks(Combiner::struct_, "struct", {}, {}, {});
  }
  return make_blocks(Combiner::struct_, "struct", std::move(blocklens), std::move(displs_bytes),
                     std::move(children));
}

Result<TypeDescPtr> make_subarray(std::vector<int64_t> sizes, std::vector<int64_t> subsizes,
                                  std::vector<int64_t> starts, ArrayOrder order,
                                  TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("subarray", child));
  if (sizes.empty()) return invalid("subarray", "ndims must be positive");
  if (subsizes.size() != sizes.size() || starts.size() != sizes.size())
    return invalid("subarray", "sizes, subsizes and starts differ in length");
  std::vector<std::vector<IndexRun>> runs(sizes.size());
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] <= 0 || subsizes[d] < 0 || starts[d] < 0 || subsizes[d] > sizes[d] ||
        starts[d] > sizes[d] - subsizes[d])
      return invalid("subarray", "dimension " + std::to_string(d) + ": size " +
                                     std::to_string(sizes[d]) + ", subsize " +
                                     std::to_string(subsizes[d]) + ", start " +
                                     std::to_string(starts[d]) + " is not a valid subarray");
    if (subsizes[d] > 0) runs[d].push_back({starts[d], subsizes[d]});
  }
  return make_array(Combiner::subarray, "subarray", std::move(sizes), std::move(runs), order,
                    std::move(child));
}

Result<TypeDescPtr> make_darray(int nprocs, int rank, std::vector<int64_t> gsizes,
                                std::vector<Distrib> distribs, std::vector<int64_t> dargs,
                                std::vector<int64_t> psizes, ArrayOrder order,
                                TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("darray", child));
  const size_t n = gsizes.size();
  if (n == 0) return invalid("darray", "ndims must be positive");
  if (distribs.size() != n || dargs.size() != n || psizes.size() != n)
    return invalid("darray", "gsizes, distribs, dargs and psizes differ in length");
  if (nprocs <= 0 || rank < 0 || rank >= nprocs)
    return invalid("darray", "rank " + std::to_string(rank) + " not in [0, " +
                                 std::to_string(nprocs) + ")");
  int64_t grid = 1;
  for (size_t d = 0; d < n; ++d) {
    if (psizes[d] <= 0 || gsizes[d] <= 0)
      return invalid("darray", "dimension " + std::to_string(d) +
                                   ": gsize and psize must be positive");
    if (!mul(grid, psizes[d], &grid)) return overflow("darray");
  }
  if (grid != nprocs)
    return invalid("darray", "product of psizes (" + std::to_string(grid) +
                                 ") differs from the number of processes (" +
                                 std::to_string(nprocs) + ")");
  // Process grid coordinates: row-major for both orders.
  std::vector<int64_t> coord(n);
  int64_t r = rank;
  for (size_t i = n; i-- > 0;) {
    coord[i] = r % psizes[i];
    r /= psizes[i];
  }
  std::vector<std::vector<IndexRun>> runs(n);
  for (size_t d = 0; d < n; ++d) {
    const std::string dim = "dimension " + std::to_string(d) + ": ";
    const int64_t g = gsizes[d], p = psizes[d];
    switch (distribs[d]) {
      case Distrib::none:
        if (p != 1) return invalid("darray", dim + "DISTRIBUTE_NONE needs psize 1");
        runs[d].push_back({0, g});
        break;
      case Distrib::block: {
        int64_t b = dargs[d];
        if (b == kDefaultDarg) {
          b = (g + p - 1) / p;
        } else if (b <= 0) {
          return invalid("darray", dim + "block size must be positive");
        } else if (b * p < g) {
          return invalid("darray", dim + "block size " + std::to_string(b) + " times " +
                                       std::to_string(p) + " processes is less than gsize " +
                                       std::to_string(g));
        }
        const int64_t lo = std::min(g, coord[d] * b), hi = std::min(g, lo + b);
        if (hi > lo) runs[d].push_back({lo, hi - lo});
        break;
      }
      case Distrib::cyclic: {
        int64_t b = dargs[d] == kDefaultDarg ? 1 : dargs[d];
        if (b <= 0) return invalid("darray", dim + "cyclic block size must be positive");
        for (int64_t s = coord[d] * b; s < g; s += p * b)
          runs[d].push_back({s, std::min(b, g - s)});
        break;
      }
    }
  }
  return make_array(Combiner::darray, "darray", std::move(gsizes), std::move(runs), order,
                    std::move(child));
}

Result<TypeDescPtr> make_resized(int64_t lb, int64_t extent, TypeDescPtr child) {
  NACRE_RETURN_IF_ERROR(check_child("resized", child));
  auto t = std::make_shared<TypeDesc>();
  t->kind = Combiner::resized;
  t->size = child->size;
  t->lb = lb;
  t->extent = extent;
  t->children = {std::move(child)};
  return TypeDescPtr(t);
}

TypeDescPtr with_bounds(const TypeDescPtr& t, int64_t lb, int64_t extent) {
  if (t->lb == lb && t->extent == extent) return t;
  auto c = std::make_shared<TypeDesc>(*t);
  c->lb = lb;
  c->extent = extent;
  return c;
}

namespace {
void describe_to(std::ostringstream& o, const TypeDesc& t) {
  auto list = [&](const std::vector<int64_t>& v) {
    o << '[';
    for (size_t i = 0; i < v.size(); ++i) o << (i ? "," : "") << v[i];
    o << ']';
  };
  o << combiner_name(t.kind) << '(';
  switch (t.kind) {
    case Combiner::named:
      o << (t.name.empty() ? "bytes" : t.name) << ':' << t.size;
      break;
    case Combiner::contiguous:
      o << "count=" << t.count << ',';
      break;
    case Combiner::vector:
    case Combiner::hvector:
      o << "count=" << t.count << ",blocklen=" << t.blocklen << ",stride=" << t.stride << ',';
      break;
    case Combiner::indexed:
    case Combiner::hindexed:
    case Combiner::indexed_block:
    case Combiner::hindexed_block:
    case Combiner::struct_:
      o << "blocklens=";
      list(t.blocklens);
      o << ",displs=";
      list(t.displs);
      o << ',';
      break;
    case Combiner::subarray:
    case Combiner::darray:
      o << "sizes=";
      list(t.array_sizes);
      o << ",runs=[";
      for (size_t d = 0; d < t.dim_runs.size(); ++d) {
        o << (d ? ";" : "");
        for (size_t i = 0; i < t.dim_runs[d].size(); ++i)
          o << (i ? "," : "") << t.dim_runs[d][i].start << '+' << t.dim_runs[d][i].length;
      }
      o << "]," << (t.order == ArrayOrder::c ? "C" : "F") << ',';
      break;
    case Combiner::resized:
      o << "lb=" << t.lb << ",extent=" << t.extent << ',';
      break;
    case Combiner::dup:
      break;
  }
  for (size_t i = 0; i < t.children.size(); ++i) {
    if (i) o << ',';
    describe_to(o, *t.children[i]);
  }
  o << ')';
}
}  // namespace

std::string describe(const TypeDesc& t) {
  std::ostringstream o;
  describe_to(o, t);
  return o.str();
}

}  // namespace nacre::mpiio
