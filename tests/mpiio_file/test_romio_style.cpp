// mpiio_file.romio_style: programs in the style of ROMIO's test suite,
// written here against MpiFile.
//   noncontig_coll: a strided int vector (rank r owns ints r, r + P, ...) as
//     memory type and/or filetype; write_all then read_all, three cases
//     (noncontiguous in both, in file only, in memory only).
//   coll_test: a 3-D int array distributed in blocks with
//     MPI_Type_create_darray (and, second pass, the same blocks as a
//     subarray); write_all of the local block, read_all, verify every element
//     holds its global index; the whole file is checked too.
#include "mf_common.hpp"

#include <algorithm>

namespace {

using nacre::mpiio::MpiFile;

constexpr int kSize = 6000;  // ints per "row" of noncontig_coll

// Rank's ints of one kSize-int row: vector(kSize/P, 1, P) shifted by rank, extent kSize ints.
MPI_Datatype strided_type(int rank, int nprocs) {
  MPI_Datatype vec, shifted, out;
  MPI_Type_vector(kSize / nprocs, 1, nprocs, MPI_INT, &vec);
  int bl = 1;
  MPI_Aint d = static_cast<MPI_Aint>(rank) * 4;
  MPI_Type_create_struct(1, &bl, &d, &vec, &shifted);
  MPI_Type_create_resized(shifted, 0, static_cast<MPI_Aint>(kSize) * 4, &out);
  MPI_Type_commit(&out);
  MPI_Type_free(&vec);
  MPI_Type_free(&shifted);
  return out;
}

void noncontig_coll(mpicheck::Env& env) {
  const int P = env.size, me = env.rank;
  MPI_Datatype t = strided_type(me, P);
  const int per = kSize / P;  // ints of one row that belong to this rank
  for (int which = 0; which < 3; ++which) {
    const bool mem_nc = which != 1, file_nc = which != 2;
    const std::string path = "/noncontig_coll-" + std::to_string(which);
    MPI_Info hint = mftest::info({{"cb_buffer_size", "65536"}});
    auto f = MpiFile::open(env.comm, env.fs, path, MPI_MODE_CREATE | MPI_MODE_RDWR, hint);
    MPI_Info_free(&hint);
    REQUIRE_OK(f);
    std::vector<int> buf(kSize);
    for (int i = 0; i < kSize; ++i) buf[static_cast<size_t>(i)] = me * 100000 + i;
    if (file_nc) CHECK_OK(f->set_view(0, MPI_INT, t, "native", MPI_INFO_NULL));
    else CHECK_OK(f->set_view(int64_t{me} * per * 4, MPI_INT, MPI_INT, "native", MPI_INFO_NULL));
    auto w = mem_nc ? f->write_all(buf.data(), 1, t) : f->write_all(buf.data(), per, MPI_INT);
    CHECK_OK(w);
    if (w) CHECK_EQ(*w, int64_t{per} * 4);
    std::vector<int> back(kSize, -1);
    CHECK_OK(f->seek(0, MPI_SEEK_SET));
    auto r = mem_nc ? f->read_all(back.data(), 1, t) : f->read_all(back.data(), per, MPI_INT);
    CHECK_OK(r);
    int bad = 0;
    for (int i = 0; i < kSize; ++i) {
      const bool mine = mem_nc ? (i % P == me && i / P < per) : i < per;
      const int expect = mine ? me * 100000 + i : -1;
      if (back[static_cast<size_t>(i)] != expect && bad++ < 3)
        mpicheck::fail(__FILE__, __LINE__,
                       "noncontig_coll case " + std::to_string(which) + ": int " +
                           std::to_string(i) + " is " + std::to_string(back[static_cast<size_t>(i)]) +
                           ", expected " + std::to_string(expect));
    }
    ++mpicheck::state().checks;
    CHECK_OK(f->close());
  }
  MPI_Type_free(&t);
}

void coll_test(mpicheck::Env& env, bool use_darray) {
  const int P = env.size, me = env.rank;
  int g[3] = {48, 40, 36};  // global ints per dimension
  int dims[3] = {0, 0, 0};
  MPI_Dims_create(P, 3, dims);
  int coords[3] = {me / (dims[1] * dims[2]), (me / dims[2]) % dims[1], me % dims[2]};
  int lsize[3], start[3];
  for (int d = 0; d < 3; ++d) {
    const int blk = (g[d] + dims[d] - 1) / dims[d];
    start[d] = std::min(g[d], coords[d] * blk);
    lsize[d] = std::max(0, std::min(g[d], start[d] + blk) - start[d]);
  }
  MPI_Datatype ft;
  if (use_darray) {
    int distrib[3] = {MPI_DISTRIBUTE_BLOCK, MPI_DISTRIBUTE_BLOCK, MPI_DISTRIBUTE_BLOCK};
    int dargs[3] = {MPI_DISTRIBUTE_DFLT_DARG, MPI_DISTRIBUTE_DFLT_DARG, MPI_DISTRIBUTE_DFLT_DARG};
    MPI_Type_create_darray(P, me, 3, g, distrib, dargs, dims, MPI_ORDER_C, MPI_INT, &ft);
  } else {
    MPI_Type_create_subarray(3, g, lsize, start, MPI_ORDER_C, MPI_INT, &ft);
  }
  MPI_Type_commit(&ft);
  const int64_t n = int64_t{lsize[0]} * lsize[1] * lsize[2];
  std::vector<int> local(static_cast<size_t>(n));
  size_t at = 0;
  for (int i = 0; i < lsize[0]; ++i)
    for (int j = 0; j < lsize[1]; ++j)
      for (int k = 0; k < lsize[2]; ++k)
        local[at++] = ((start[0] + i) * g[1] + (start[1] + j)) * g[2] + (start[2] + k);
  const std::string path = use_darray ? "/coll_test-darray" : "/coll_test-subarray";
  MPI_Info hint = mftest::info({{"cb_buffer_size", "131072"}, {"romio_cb_write", "enable"}});
  auto f = MpiFile::open(env.comm, env.fs, path, MPI_MODE_CREATE | MPI_MODE_RDWR, hint);
  MPI_Info_free(&hint);
  REQUIRE_OK(f);
  CHECK_OK(f->set_view(0, MPI_INT, ft, "native", MPI_INFO_NULL));
  auto w = f->write_all(local.data(), n, MPI_INT);
  CHECK_OK(w);
  if (w) CHECK_EQ(*w, n * 4);
  std::vector<int> back(local.size(), -1);
  CHECK_OK(f->seek(0, MPI_SEEK_SET));
  CHECK_OK(f->read_all(back.data(), n, MPI_INT));
  CHECK(back == local);
  auto size = f->get_size();
  CHECK_OK(size);
  if (size) CHECK_EQ(*size, MPI_Offset{g[0]} * g[1] * g[2] * 4);
  CHECK_OK(f->close());
  const auto whole = mftest::read_whole(env.fs, path);
  CHECK_EQ(whole.size(), size_t{4} * g[0] * g[1] * g[2]);
  int bad = 0;
  for (size_t i = 0; i + 4 <= whole.size(); i += 4) {
    int v;
    std::memcpy(&v, whole.data() + i, 4);
    if (v != static_cast<int>(i / 4) && bad++ < 3)
      mpicheck::fail(__FILE__, __LINE__, "coll_test: element " + std::to_string(i / 4) + " is " +
                                             std::to_string(v));
  }
  ++mpicheck::state().checks;
  MPI_Type_free(&ft);
}

}  // namespace

int main(int argc, char** argv) {
  return mpicheck::run_embedded(argc, argv, mftest::config(), [](mpicheck::Env& env) {
    noncontig_coll(env);
    coll_test(env, true);
    coll_test(env, false);
  });
}
