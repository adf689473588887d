#include "mpiio/decode_type.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace nacre::mpiio {

namespace {

Status mpi_failed(const char* call, int rc) {
  char msg[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return Status::error(EINVAL, std::string("decode datatype: ") + call + " failed: " + msg);
}

#define DECODE_MPI(call)                                  \
  do {                                                    \
    int rc_ = (call);                                     \
    if (rc_ != MPI_SUCCESS) return mpi_failed(#call, rc_); \
  } while (0)

std::string type_name(MPI_Datatype t) {
  char name[MPI_MAX_OBJECT_NAME] = {};
  int len = 0;
  if (MPI_Type_get_name(t, name, &len) != MPI_SUCCESS || len == 0) return "unnamed type";
  return std::string(name, static_cast<size_t>(len));
}

// The C layout of a pair type {A a; B b;} as a struct of two named types.
template <class A, class B>
Result<TypeDescPtr> pair_struct(const char* name) {
  struct P {
    A a;
    B b;
  };
  auto a = make_named(sizeof(A));
  auto b = make_named(sizeof(B));
  if (!a.is_ok()) return a.status();
  if (!b.is_ok()) return b.status();
  auto s = make_struct({1, 1}, {0, static_cast<int64_t>(offsetof(P, b))}, {*a, *b});
  if (s.is_ok()) std::const_pointer_cast<TypeDesc>(s.value())->name = name;
  return s;
}

Result<TypeDescPtr> decode_named(MPI_Datatype t, int64_t size, int64_t lb, int64_t extent) {
  if (lb == 0 && extent == size) return make_named(size, type_name(t));
  if (t == MPI_FLOAT_INT) return pair_struct<float, int>("MPI_FLOAT_INT");
  if (t == MPI_DOUBLE_INT) return pair_struct<double, int>("MPI_DOUBLE_INT");
  if (t == MPI_LONG_INT) return pair_struct<long, int>("MPI_LONG_INT");
  if (t == MPI_SHORT_INT) return pair_struct<short, int>("MPI_SHORT_INT");
  if (t == MPI_2INT) return pair_struct<int, int>("MPI_2INT");
  if (t == MPI_LONG_DOUBLE_INT) {
    // long double has 10 data bytes and 6 padding bytes on x86-64; its exact
    // data layout is not portable, so describe only when dense.
    return Status::error(EINVAL, "decode datatype: named type MPI_LONG_DOUBLE_INT has holes "
                                 "that cannot be described portably");
  }
  return Status::error(EINVAL, "decode datatype: named type " + type_name(t) + " (size " +
                                   std::to_string(size) + ", lb " + std::to_string(lb) +
                                   ", extent " + std::to_string(extent) +
                                   ") has holes and is not a known pair type");
}

std::vector<int64_t> to64(const int* v, int n) { return std::vector<int64_t>(v, v + n); }
std::vector<int64_t> to64(const MPI_Aint* v, int n) { return std::vector<int64_t>(v, v + n); }

ArrayOrder order_of(int o) { return o == MPI_ORDER_FORTRAN ? ArrayOrder::fortran : ArrayOrder::c; }

Result<TypeDescPtr> decode_rec(MPI_Datatype t, int depth);

// Decodes the child types, then frees those that are derived.
struct Children {
  std::vector<MPI_Datatype> handles;
  std::vector<TypeDescPtr> descs;
  ~Children() {
    for (auto& h : handles) {
      if (h == MPI_DATATYPE_NULL) continue;
      int ni = 0, na = 0, nd = 0, comb = 0;
      // Named and F90 parameterized types are predefined: never freed.
      if (MPI_Type_get_envelope(h, &ni, &na, &nd, &comb) == MPI_SUCCESS &&
          comb != MPI_COMBINER_NAMED && comb != MPI_COMBINER_F90_REAL &&
          comb != MPI_COMBINER_F90_COMPLEX && comb != MPI_COMBINER_F90_INTEGER)
        MPI_Type_free(&h);
    }
  }
  Status decode(int depth) {
    for (MPI_Datatype h : handles) {
      auto d = decode_rec(h, depth + 1);
      if (!d.is_ok()) return d.status();
      descs.push_back(std::move(d).value());
    }
    return Status::ok();
  }
};

Result<TypeDescPtr> decode_derived(MPI_Datatype t, int combiner, int ni, int na, int nd,
                                   int depth) {
  std::vector<int> ints(static_cast<size_t>(ni) + 1);
  std::vector<MPI_Aint> addrs(static_cast<size_t>(na) + 1);
  Children ch;
  ch.handles.assign(static_cast<size_t>(nd), MPI_DATATYPE_NULL);
  DECODE_MPI(MPI_Type_get_contents(t, ni, na, nd, ints.data(), addrs.data(),
                                   ch.handles.data()));
  NACRE_RETURN_IF_ERROR(ch.decode(depth));
  const int* I = ints.data();
  const MPI_Aint* A = addrs.data();
  const TypeDescPtr c0 = ch.descs.empty() ? nullptr : ch.descs[0];
  switch (combiner) {
    case MPI_COMBINER_DUP:
      return make_dup(c0);
    case MPI_COMBINER_CONTIGUOUS:
      return make_contiguous(I[0], c0);
    case MPI_COMBINER_VECTOR:
      return make_vector(I[0], I[1], I[2], c0);
    case MPI_COMBINER_HVECTOR:
      return make_hvector(I[0], I[1], A[0], c0);
    case MPI_COMBINER_INDEXED:
      return make_indexed(to64(I + 1, I[0]), to64(I + 1 + I[0], I[0]), c0);
    case MPI_COMBINER_HINDEXED:
      return make_hindexed(to64(I + 1, I[0]), to64(A, I[0]), c0);
    case MPI_COMBINER_INDEXED_BLOCK:
      return make_indexed_block(I[1], to64(I + 2, I[0]), c0);
    case MPI_COMBINER_HINDEXED_BLOCK:
      return make_hindexed_block(I[1], to64(A, I[0]), c0);
    case MPI_COMBINER_STRUCT:
      return make_struct(to64(I + 1, I[0]), to64(A, I[0]), ch.descs);
    case MPI_COMBINER_SUBARRAY: {
      const int n = I[0];
      return make_subarray(to64(I + 1, n), to64(I + 1 + n, n), to64(I + 1 + 2 * n, n),
                           order_of(I[1 + 3 * n]), c0);
    }
    case MPI_COMBINER_DARRAY: {
      const int size = I[0], rank = I[1], n = I[2];
      const int* gs = I + 3;
      const int* dist = gs + n;
      const int* darg = dist + n;
      const int* ps = darg + n;
      std::vector<Distrib> distribs;
      std::vector<int64_t> dargs;
      for (int d = 0; d < n; ++d) {
        distribs.push_back(dist[d] == MPI_DISTRIBUTE_BLOCK    ? Distrib::block
                           : dist[d] == MPI_DISTRIBUTE_CYCLIC ? Distrib::cyclic
                                                              : Distrib::none);
        dargs.push_back(darg[d] == MPI_DISTRIBUTE_DFLT_DARG ? kDefaultDarg : darg[d]);
      }
      return make_darray(size, rank, to64(gs, n), std::move(distribs), std::move(dargs),
                         to64(ps, n), order_of(ps[n]), c0);
    }
    case MPI_COMBINER_RESIZED:
      return make_resized(A[0], A[1], c0);
    case MPI_COMBINER_F90_REAL:
    case MPI_COMBINER_F90_COMPLEX:
    case MPI_COMBINER_F90_INTEGER:
      return Status::error(ENOTSUP, std::string("decode datatype: ") +
                                        mpi_combiner_name(combiner) +
                                        " (Fortran 90 parameterized type) is not supported");
    default:
      return Status::error(EINVAL, std::string("decode datatype: unsupported combiner ") +
                                       mpi_combiner_name(combiner) + " (" +
                                       std::to_string(combiner) + ")");
  }
}

Result<TypeDescPtr> decode_rec(MPI_Datatype t, int depth) {
  if (t == MPI_DATATYPE_NULL)
    return Status::error(EINVAL, "decode datatype: MPI_DATATYPE_NULL");
  if (depth > 256)
    return Status::error(EINVAL, "decode datatype: type nesting deeper than 256 levels");
  int ni = 0, na = 0, nd = 0, combiner = 0;
  DECODE_MPI(MPI_Type_get_envelope(t, &ni, &na, &nd, &combiner));
  int size = 0;
  MPI_Aint lb = 0, extent = 0;
  DECODE_MPI(MPI_Type_size(t, &size));
  DECODE_MPI(MPI_Type_get_extent(t, &lb, &extent));
  Result<TypeDescPtr> r = combiner == MPI_COMBINER_NAMED
                              ? decode_named(t, size, lb, extent)
                              : decode_derived(t, combiner, ni, na, nd, depth);
  if (!r.is_ok()) return r;
  if (r.value()->size != size)
    return Status::error(EIO, std::string("decode datatype: internal error: ") +
                                  mpi_combiner_name(combiner) + " decoded to " +
                                  std::to_string(r.value()->size) + " bytes, MPI says " +
                                  std::to_string(size));
  return with_bounds(r.value(), lb, extent);
}

}  // namespace

const char* mpi_combiner_name(int c) {
  switch (c) {
    case MPI_COMBINER_NAMED: return "MPI_COMBINER_NAMED";
    case MPI_COMBINER_DUP: return "MPI_COMBINER_DUP";
    case MPI_COMBINER_CONTIGUOUS: return "MPI_COMBINER_CONTIGUOUS";
    case MPI_COMBINER_VECTOR: return "MPI_COMBINER_VECTOR";
    case MPI_COMBINER_HVECTOR: return "MPI_COMBINER_HVECTOR";
    case MPI_COMBINER_INDEXED: return "MPI_COMBINER_INDEXED";
    case MPI_COMBINER_HINDEXED: return "MPI_COMBINER_HINDEXED";
    case MPI_COMBINER_INDEXED_BLOCK: return "MPI_COMBINER_INDEXED_BLOCK";
    case MPI_COMBINER_HINDEXED_BLOCK: return "MPI_COMBINER_HINDEXED_BLOCK";
    case MPI_COMBINER_STRUCT: return "MPI_COMBINER_STRUCT";
    case MPI_COMBINER_SUBARRAY: return "MPI_COMBINER_SUBARRAY";
    case MPI_COMBINER_DARRAY: return "MPI_COMBINER_DARRAY";
    case MPI_COMBINER_F90_REAL: return "MPI_COMBINER_F90_REAL";
    case MPI_COMBINER_F90_COMPLEX: return "MPI_COMBINER_F90_COMPLEX";
    case MPI_COMBINER_F90_INTEGER: return "MPI_COMBINER_F90_INTEGER";
    case MPI_COMBINER_RESIZED: return "MPI_COMBINER_RESIZED";
    default: return "unknown combiner";
  }
}

Result<TypeDescPtr> decode_type(MPI_Datatype type) { return decode_rec(type, 0); }

}  // namespace nacre::mpiio
