// mpiio_file.patterns: access patterns of real codes through MpiFile.
//   - ior-hard: 47008-byte records interleaved across ranks in one shared
//     file, as IOR issues them (one write_at_all per record: independent in
//     automatic mode) and through a
//     strided view (one write_at_all for all segments); read_at_all verifies;
//   - ior-easy: one large contiguous block per rank (goes independent);
//   - noncontiguous memory datatypes, collective and independent;
//   - read-modify-write of holes keeps the bytes already in the file;
//   - individual file pointers, seek, get_byte_offset, file-level calls.
#include "mf_common.hpp"

#include <algorithm>
#include <numeric>

namespace {

using nacre::mpiio::MpiFile;

uint8_t ior_byte(int64_t seg, int rank, int64_t i) {
  return static_cast<uint8_t>((seg * 131 + rank * 17 + i * 7) % 253 + 1);
}

constexpr int64_t kRec = 47008;

int64_t g_segments = 24;
std::string g_cb_buffer = "262144";

void ior_hard(mpicheck::Env& env, bool one_call) {
  const int64_t S = g_segments;
  const std::string path = one_call ? "/ior-hard-view" : "/ior-hard";
  MPI_Info hint = mftest::info({{"cb_buffer_size", g_cb_buffer.c_str()}});
  auto f = MpiFile::open(env.comm, env.fs, path, MPI_MODE_CREATE | MPI_MODE_RDWR, hint);
  MPI_Info_free(&hint);
  REQUIRE_OK(f);
  std::vector<uint8_t> data(static_cast<size_t>(S * kRec));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t i = 0; i < kRec; ++i) data[static_cast<size_t>(s * kRec + i)] = ior_byte(s, env.rank, i);
  MPI_Datatype ft = MPI_DATATYPE_NULL, rec = MPI_DATATYPE_NULL;
  if (one_call) {
    MPI_Type_contiguous(static_cast<int>(kRec), MPI_BYTE, &rec);
    MPI_Type_create_resized(rec, 0, kRec * env.size, &ft);
    MPI_Type_commit(&ft);
    CHECK_OK(f->set_view(env.rank * kRec, MPI_BYTE, ft, "native", MPI_INFO_NULL));
    env.barrier();
    const double t0 = MPI_Wtime();
    auto n = f->write_at_all(0, data.data(), S * kRec, MPI_BYTE);
    CHECK_OK(n);
    env.barrier();
    const double t1 = MPI_Wtime();
    if (env.rank == 0)
      std::printf("  ior-hard view: %lld segments x %d ranks: write %.1f MiB/s, %llu rounds, %u aggregators\n",
                  (long long)S, env.size, double(S * kRec * env.size) / (1 << 20) / (t1 - t0),
                  (unsigned long long)f->last_collective().rounds, f->last_collective().aggregators);
    CHECK(f->last_collective().aggregated);
  } else {
    for (int64_t s = 0; s < S; ++s) {
      auto n = f->write_at_all((s * env.size + env.rank) * kRec, data.data() + s * kRec, kRec,
                               MPI_BYTE);
      CHECK_OK(n);
      // One 47008-byte run per rank and call: independent in automatic mode
      // (collective::decide, one large enough run per rank).
      CHECK(!f->last_collective().aggregated);
    }
  }
  std::vector<uint8_t> back(data.size());
  if (one_call) {
    CHECK_OK(f->read_at_all(0, back.data(), S * kRec, MPI_BYTE));
  } else {
    for (int64_t s = 0; s < S; ++s)
      CHECK_OK(f->read_at_all((s * env.size + env.rank) * kRec, back.data() + s * kRec, kRec,
                              MPI_BYTE));
  }
  CHECK_SAME_BYTES(back, data);
  auto size = f->get_size();
  CHECK_OK(size);
  if (size) CHECK_EQ(*size, S * env.size * kRec);
  CHECK_OK(f->close());
  const auto whole = mftest::read_whole(env.fs, path);
  std::vector<uint8_t> model(static_cast<size_t>(S * env.size * kRec));
  for (int64_t s = 0; s < S; ++s)
    for (int r = 0; r < env.size; ++r)
      for (int64_t i = 0; i < kRec; ++i)
        model[static_cast<size_t>((s * env.size + r) * kRec + i)] = ior_byte(s, r, i);
  CHECK_SAME_BYTES(whole, model);
  if (ft != MPI_DATATYPE_NULL) {
    MPI_Type_free(&ft);
    MPI_Type_free(&rec);
  }
}

void ior_easy(mpicheck::Env& env) {
  const int64_t B = 2 << 20;
  auto f = MpiFile::open(env.comm, env.fs, "/ior-easy", MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL);
  REQUIRE_OK(f);
  std::vector<uint8_t> data(static_cast<size_t>(B));
  for (int64_t i = 0; i < B; ++i) data[static_cast<size_t>(i)] = ior_byte(9, env.rank, i);
  CHECK_OK(f->write_at_all(env.rank * B, data.data(), B, MPI_BYTE));
  CHECK(!f->last_collective().aggregated);  // disjoint, large: independent
  std::vector<uint8_t> back(data.size());
  CHECK_OK(f->read_at_all(env.rank * B, back.data(), B, MPI_BYTE));
  CHECK_SAME_BYTES(back, data);
  // Short counts at end of file (independent and collective); the tail is zeros.
  const int64_t eof = B * env.size;
  std::fill(back.begin(), back.end(), 0xAB);
  auto n = f->read_at(eof - 1000 * (env.rank + 1), back.data(), 4096, MPI_BYTE);
  CHECK_OK(n);
  if (n) CHECK_EQ(*n, 1000 * (env.rank + 1));
  CHECK_EQ(back[static_cast<size_t>(1000 * (env.rank + 1))], uint8_t{0});
  n = f->read_at_all(eof + env.rank, back.data(), 100, MPI_BYTE);
  CHECK_OK(n);
  if (n) CHECK_EQ(*n, int64_t{0});
  n = f->read_at_all(eof - 10 * env.rank, back.data(), 100, MPI_BYTE);
  CHECK_OK(n);
  if (n) CHECK_EQ(*n, int64_t{10} * env.rank);
  CHECK_OK(f->close());
}

// Memory: a vector of ints with gaps; file: the default view.
void noncontig_memory(mpicheck::Env& env, bool collective) {
  const int K = 3000, b = 3;
  MPI_Datatype mt;
  MPI_Type_vector(K, b, 2 * b + 1, MPI_INT, &mt);
  MPI_Type_commit(&mt);
  std::vector<int> mem(static_cast<size_t>(K * (2 * b + 1)), -7);
  std::vector<int> packed;
  for (int k = 0; k < K; ++k)
    for (int j = 0; j < b; ++j) {
      const int v = env.rank * 1000003 + k * b + j;
      mem[static_cast<size_t>(k * (2 * b + 1) + j)] = v;
      packed.push_back(v);
    }
  const std::string path = collective ? "/noncontig-mem-coll" : "/noncontig-mem-ind";
  MPI_Info hint = mftest::info({{"romio_cb_write", "enable"}, {"romio_cb_read", "enable"}});
  auto f = MpiFile::open(env.comm, env.fs, path, MPI_MODE_CREATE | MPI_MODE_RDWR, hint);
  MPI_Info_free(&hint);
  REQUIRE_OK(f);
  const int64_t bytes = int64_t{K} * b * 4;
  const int64_t off = env.rank * bytes;
  auto n = collective ? f->write_at_all(off, mem.data(), 1, mt) : f->write_at(off, mem.data(), 1, mt);
  CHECK_OK(n);
  if (n) CHECK_EQ(*n, bytes);
  env.barrier();
  // Back contiguous: the packed stream.
  std::vector<int> flat(packed.size(), 0);
  CHECK_OK(collective ? f->read_at_all(off, flat.data(), static_cast<int64_t>(flat.size()), MPI_INT)
                      : f->read_at(off, flat.data(), static_cast<int64_t>(flat.size()), MPI_INT));
  CHECK(flat == packed);
  // Back through the same memory type: the gaps are untouched.
  std::vector<int> again(mem.size(), -7);
  CHECK_OK(collective ? f->read_at_all(off, again.data(), 1, mt) : f->read_at(off, again.data(), 1, mt));
  CHECK(again == mem);
  CHECK_OK(f->close());
  MPI_Type_free(&mt);
}

// A strided collective write with hole filling over existing data.
void rmw_keeps_holes(mpicheck::Env& env) {
  const int64_t L = 1 << 20;
  auto f = MpiFile::open(env.comm, env.fs, "/rmw", MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL);
  REQUIRE_OK(f);
  if (env.rank == 0) {
    std::vector<uint8_t> old(static_cast<size_t>(L), 0xEE);
    CHECK_OK(f->write_at(0, old.data(), L, MPI_BYTE));
  }
  env.barrier();
  MPI_Info hint = mftest::info({{"romio_cb_write", "enable"}, {"nacre_cb_holes", "fill"},
                                {"cb_buffer_size", "131072"}});
  CHECK_OK(f->set_info(hint));
  MPI_Info_free(&hint);
  // Rank r writes 100 bytes of every 1000-byte cell at 100 * r + 1: holes everywhere.
  MPI_Datatype v, ft;
  MPI_Type_vector(1, 100, 1, MPI_BYTE, &v);
  MPI_Type_create_resized(v, 0, 1000, &ft);
  MPI_Type_commit(&ft);
  CHECK_OK(f->set_view(100 * env.rank + 1, MPI_BYTE, ft, "native", MPI_INFO_NULL));
  const int64_t cells = L / 1000 - 1;
  std::vector<uint8_t> data(static_cast<size_t>(cells * 100), static_cast<uint8_t>(env.rank + 1));
  CHECK_OK(f->write_at_all(0, data.data(), static_cast<int64_t>(data.size()), MPI_BYTE));
  CHECK(f->last_collective().aggregated);
  CHECK_OK(f->close());
  const auto whole = mftest::read_whole(env.fs, "/rmw");
  std::vector<uint8_t> model(static_cast<size_t>(L), 0xEE);
  for (int r = 0; r < env.size; ++r)
    for (int64_t c = 0; c < cells; ++c)
      for (int64_t i = 0; i < 100; ++i)
        model[static_cast<size_t>(c * 1000 + 100 * r + 1 + i)] = static_cast<uint8_t>(r + 1);
  CHECK_SAME_BYTES(whole, model);
  MPI_Type_free(&ft);
  MPI_Type_free(&v);
}

void pointers_and_file_calls(mpicheck::Env& env) {
  auto f = MpiFile::open(env.comm, env.fs, "/pointers", MPI_MODE_CREATE | MPI_MODE_RDWR,
                         MPI_INFO_NULL);
  REQUIRE_OK(f);
  // View: rank r owns ints r, r + P, r + 2P, ...
  MPI_Datatype ft;
  MPI_Datatype one;
  MPI_Type_contiguous(1, MPI_INT, &one);
  MPI_Type_create_resized(one, 0, 4 * env.size, &ft);
  MPI_Type_commit(&ft);
  CHECK_OK(f->set_view(4 * env.rank, MPI_INT, ft, "native", MPI_INFO_NULL));
  std::vector<int> a(50), b(70);
  std::iota(a.begin(), a.end(), env.rank * 1000);
  std::iota(b.begin(), b.end(), env.rank * 1000 + 50);
  CHECK_OK(f->write(a.data(), 50, MPI_INT));
  CHECK_EQ(f->get_position(), 50);
  CHECK_OK(f->write_all(b.data(), 70, MPI_INT));
  CHECK_EQ(f->get_position(), 120);
  auto bo = f->get_byte_offset(10);
  CHECK_OK(bo);
  if (bo) CHECK_EQ(*bo, 4 * env.rank + 10 * 4 * env.size);
  CHECK_OK(f->seek(-20, MPI_SEEK_CUR));
  CHECK_EQ(f->get_position(), 100);
  env.barrier();
  CHECK_OK(f->seek(0, MPI_SEEK_END));
  CHECK_EQ(f->get_position(), 120);
  CHECK_OK(f->seek(0, MPI_SEEK_SET));
  std::vector<int> back(120);
  CHECK_OK(f->read_all(back.data(), 120, MPI_INT));
  for (int i = 0; i < 120; ++i) CHECK_EQ(back[static_cast<size_t>(i)], env.rank * 1000 + i);
  CHECK_ERRNO(f->seek(-1, MPI_SEEK_SET), EINVAL);
  MPI_Offset disp = -1;
  MPI_Datatype et = MPI_DATATYPE_NULL, got = MPI_DATATYPE_NULL;
  std::string rep;
  f->get_view(&disp, &et, &got, &rep);
  CHECK_EQ(disp, 4 * env.rank);
  CHECK(et == MPI_INT);
  CHECK_EQ(rep, std::string("native"));
  if (got != MPI_DATATYPE_NULL && got != MPI_BYTE) MPI_Type_free(&got);
  // File-level calls.
  CHECK_OK(f->sync());
  CHECK_OK(f->set_atomicity(true));
  CHECK(f->get_atomicity());
  CHECK_OK(f->preallocate(1 << 20));
  auto sz = f->get_size();
  CHECK_OK(sz);
  if (sz) CHECK_EQ(*sz, MPI_Offset{1} << 20);
  CHECK_OK(f->preallocate(100));  // never shrinks
  sz = f->get_size();
  if (sz) CHECK_EQ(*sz, MPI_Offset{1} << 20);
  CHECK_OK(f->set_size(4000));
  sz = f->get_size();
  if (sz) CHECK_EQ(*sz, MPI_Offset{4000});
  MPI_Info hint = mftest::info({{"cb_nodes", "1"}, {"cb_buffer_size", "1048576"}, {"unknown_key", "x"}});
  CHECK_OK(f->set_info(hint));
  MPI_Info_free(&hint);
  MPI_Info got_info = f->get_info();
  char val[64] = {};
  int flag = 0;
  MPI_Info_get(got_info, "cb_buffer_size", 63, val, &flag);
  CHECK(flag && std::string(val) == "1048576");
  MPI_Info_get(got_info, "striping_factor", 63, val, &flag);
  CHECK(flag && std::string(val) == "2");
  MPI_Info_free(&got_info);
  CHECK_OK(f->close());
  MPI_Type_free(&ft);
  MPI_Type_free(&one);
  // striping hints at create; DELETE_ON_CLOSE.
  MPI_Info sh = mftest::info({{"striping_factor", "1"}, {"striping_unit", "131072"}});
  auto g = MpiFile::open(env.comm, env.fs, "/striped-hint",
                         MPI_MODE_CREATE | MPI_MODE_EXCL | MPI_MODE_WRONLY | MPI_MODE_DELETE_ON_CLOSE, sh);
  MPI_Info_free(&sh);
  REQUIRE_OK(g);
  CHECK_EQ(g->layout().stripe_count(), 1u);
  CHECK_EQ(g->layout().stripe_size, uint64_t{131072});
  CHECK_OK(g->close());
  env.barrier();
  CHECK_ERRNO(env.fs.stat("/striped-hint"), ENOENT);
}

}  // namespace

int main(int argc, char** argv) {
  return mpicheck::run_embedded(argc, argv, mftest::config(), [](mpicheck::Env& env) {
    g_segments = std::stoll(mpicheck::arg_value(env.args, "--segments", "24"));
    g_cb_buffer = mpicheck::arg_value(env.args, "--cb-buffer-size", g_cb_buffer);
    ior_hard(env, false);
    ior_hard(env, true);
    ior_easy(env);
    noncontig_memory(env, true);
    noncontig_memory(env, false);
    rmw_keeps_holes(env);
    pointers_and_file_calls(env);
  });
}
