// TypeDesc: a pure (no MPI) description of an MPI datatype tree.
//
// A TypeDesc mirrors one MPI type constructor (its "combiner") with its
// arguments and children. Builders validate their arguments and compute the
// type's size, lb and extent with the MPI rules (no MPI_LB/MPI_UB markers, no
// struct alignment padding); decode_type() overrides lb/extent with what MPI
// itself reports, so padding and markers are honoured for decoded types.
//
// Units: every displacement and stride stored in a TypeDesc is in BYTES. The
// builders that take MPI element units (vector, indexed, indexed_block) convert
// with the child's extent, as MPI does. Array types (subarray, darray) keep
// their element-index description, expanded per dimension into runs.
//
// Flattening (flatten.hpp) turns a TypeDesc into (offset, length) pieces.
#pragma once

#include <nacre/status.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nacre::mpiio {

enum class Combiner {
  named,           // a basic type: `size` bytes at offset 0 (extent == size)
  dup,             // children[0], unchanged
  contiguous,      // count copies of children[0], extent apart
  vector,          // count blocks of blocklen copies, block starts stride apart
  hvector,         // as vector (strides here are always bytes)
  indexed,         // blocks blocklens[i] copies at displs[i]
  hindexed,        // as indexed
  indexed_block,   // as indexed, all blocklens equal
  hindexed_block,  // as indexed, all blocklens equal
  struct_,         // blocks of blocklens[i] copies of children[i] at displs[i]
  subarray,        // one run per dimension of an array of children[0]
  darray,          // block/cyclic runs per dimension of an array of children[0]
  resized,         // children[0] with lb/extent replaced
};

const char* combiner_name(Combiner c);

enum class ArrayOrder { c, fortran };
enum class Distrib { block, cyclic, none };
// darg meaning "default" (MPI_DISTRIBUTE_DFLT_DARG).
inline constexpr int64_t kDefaultDarg = -1;

// A run of element indices [start, start + length) in one array dimension.
struct IndexRun {
  int64_t start = 0;
  int64_t length = 0;
};

struct TypeDesc;
using TypeDescPtr = std::shared_ptr<const TypeDesc>;

struct TypeDesc {
  Combiner kind = Combiner::named;
  std::string name;  // named types: "MPI_INT" etc. (diagnostics only)

  // Block description, bytes. contiguous/vector/hvector: count, blocklen,
  // stride. indexed family and struct: blocklens[i], displs[i] (size == number
  // of blocks). Blocks of length 0 contribute nothing (not even to bounds).
  int64_t count = 0;
  int64_t blocklen = 0;
  int64_t stride = 0;
  std::vector<int64_t> blocklens;
  std::vector<int64_t> displs;

  // One child, except struct: one per block.
  std::vector<TypeDescPtr> children;

  // subarray/darray: full array sizes (elements of children[0]), the runs of
  // indices this type selects in each dimension (increasing order), and the
  // storage order (C: last dimension fastest; Fortran: first fastest). The
  // raw darray parameters are kept for diagnostics.
  std::vector<int64_t> array_sizes;
  std::vector<std::vector<IndexRun>> dim_runs;
  ArrayOrder order = ArrayOrder::c;

  // Computed by the builders: bytes of data, lower bound and extent (bytes).
  int64_t size = 0;
  int64_t lb = 0;
  int64_t extent = 0;

  int64_t ub() const { return lb + extent; }
};

// ---- Builders. Each returns EINVAL naming the constructor on bad arguments
// (negative counts/lengths, null child, mismatched array lengths), EOVERFLOW
// if a size or bound does not fit in 64 bits.
Result<TypeDescPtr> make_named(int64_t size, std::string name = {});
Result<TypeDescPtr> make_dup(TypeDescPtr child);
Result<TypeDescPtr> make_contiguous(int64_t count, TypeDescPtr child);
// stride in elements (child extents).
Result<TypeDescPtr> make_vector(int64_t count, int64_t blocklen, int64_t stride,
                                TypeDescPtr child);
// stride in bytes.
Result<TypeDescPtr> make_hvector(int64_t count, int64_t blocklen, int64_t stride_bytes,
                                 TypeDescPtr child);
// displs in elements.
Result<TypeDescPtr> make_indexed(std::vector<int64_t> blocklens, std::vector<int64_t> displs,
                                 TypeDescPtr child);
// displs in bytes.
Result<TypeDescPtr> make_hindexed(std::vector<int64_t> blocklens,
                                  std::vector<int64_t> displs_bytes, TypeDescPtr child);
// displs in elements.
Result<TypeDescPtr> make_indexed_block(int64_t blocklen, std::vector<int64_t> displs,
                                       TypeDescPtr child);
// displs in bytes.
Result<TypeDescPtr> make_hindexed_block(int64_t blocklen, std::vector<int64_t> displs_bytes,
                                        TypeDescPtr child);
// displs in bytes; one child per block.
Result<TypeDescPtr> make_struct(std::vector<int64_t> blocklens, std::vector<int64_t> displs_bytes,
                                std::vector<TypeDescPtr> children);
// MPI_Type_create_subarray: lb 0, extent prod(sizes) * extent(child).
Result<TypeDescPtr> make_subarray(std::vector<int64_t> sizes, std::vector<int64_t> subsizes,
                                  std::vector<int64_t> starts, ArrayOrder order,
                                  TypeDescPtr child);
// MPI_Type_create_darray: the process grid is row-major (MPI standard) for
// both orders; lb 0, extent prod(gsizes) * extent(child). darg kDefaultDarg
// means ceil(gsize/psize) for block and 1 for cyclic.
Result<TypeDescPtr> make_darray(int nprocs, int rank, std::vector<int64_t> gsizes,
                                std::vector<Distrib> distribs, std::vector<int64_t> dargs,
                                std::vector<int64_t> psizes, ArrayOrder order,
                                TypeDescPtr child);
Result<TypeDescPtr> make_resized(int64_t lb, int64_t extent, TypeDescPtr child);

// Copy of `t` with lb/extent set (used by the decoder to adopt MPI's values).
TypeDescPtr with_bounds(const TypeDescPtr& t, int64_t lb, int64_t extent);

// One-line description for messages and test logs, e.g.
// "vector(count=3,blocklen=2,stride=16,named(4))".
std::string describe(const TypeDesc& t);

}  // namespace nacre::mpiio
