// mpiio_file.write_behind: collective writes with the hint
// nacre_write_behind=enable (lib/mpiio_file/write_behind.hpp) produce the
// same file as write-through collective and independent writes, and keep
// MPI's consistency rules:
//   - ior-hard records (one write_at_all per record) through small budgets
//     (flushes every few calls, aggregated) == write-through == model;
//   - a noncontiguous view and memory type, several calls per flush;
//   - the rank's own independent reads, get_size and independent writes see
//     its staged data and keep its write order (an independent write after a
//     staged one to the same bytes wins; a staged one after an earlier staged
//     one to the same bytes wins);
//   - collective reads, sync and close flush every rank;
//   - a call larger than the budget is written through, in order;
//   - an argument error on one rank stays on that rank and the schedule
//     stays aligned (the next flush completes on every rank).
// Also the constant-time contiguity test of the data path (dense.hpp)
// against FlatList::is_contiguous() and materialize() on many types.
#include "mf_common.hpp"
#include "mpiio/flatten.hpp"
#include "mpiio_file/dense.hpp"

#include <algorithm>
#include <numeric>

namespace {

using nacre::mpiio::MpiFile;

uint8_t pat(int tag, int rank, int64_t i) {
  return static_cast<uint8_t>((tag * 37 + rank * 11 + i * 5) % 251 + 1);
}

MPI_Info wb_info(const char* budget) {
  return mftest::info({{"nacre_write_behind", "enable"},
                       {"nacre_write_behind_size", budget},
                       {"cb_buffer_size", "131072"}});
}

// Records of `rec` bytes interleaved across ranks, one write_at_all each,
// into a write-behind file and a write-through file; both equal the model.
void records(mpicheck::Env& env, int64_t rec, int64_t segs, const char* budget) {
  MPI_Info wi = wb_info(budget);
  auto wb = MpiFile::open(env.comm, env.fs, "/wb-records", MPI_MODE_CREATE | MPI_MODE_RDWR, wi);
  MPI_Info_free(&wi);
  auto wt = MpiFile::open(env.comm, env.fs, "/wt-records", MPI_MODE_CREATE | MPI_MODE_RDWR,
                          MPI_INFO_NULL);
  REQUIRE_OK(wb);
  REQUIRE_OK(wt);
  std::vector<uint8_t> data(static_cast<size_t>(segs * rec));
  for (int64_t i = 0; i < segs * rec; ++i) data[static_cast<size_t>(i)] = pat(1, env.rank, i);
  uint64_t staged = 0;
  for (int64_t s = 0; s < segs; ++s) {
    const MPI_Offset off = (s * env.size + env.rank) * rec;
    auto a = wb->write_at_all(off, data.data() + s * rec, rec, MPI_BYTE);
    CHECK_OK(a);
    if (a) CHECK_EQ(*a, rec);
    if (wb->last_collective().staged) ++staged;
    CHECK_OK(wt->write_at_all(off, data.data() + s * rec, rec, MPI_BYTE));
  }
  CHECK(staged > 0);  // some calls were only staged
  // A collective read flushes every rank's staged records first.
  std::vector<uint8_t> back(data.size(), 0);
  for (int64_t s = 0; s < segs; ++s) {
    const int other = (env.rank + 1) % env.size;
    CHECK_OK(wb->read_at_all((s * env.size + other) * rec, back.data() + s * rec, rec, MPI_BYTE));
  }
  for (int64_t i = 0; i < segs * rec; ++i)
    if (back[static_cast<size_t>(i)] != pat(1, (env.rank + 1) % env.size, i)) {
      CHECK_EQ(i, int64_t{-1});
      break;
    }
  CHECK_OK(wb->close());
  CHECK_OK(wt->close());
  const auto got = mftest::read_whole(env.fs, "/wb-records");
  const auto ref = mftest::read_whole(env.fs, "/wt-records");
  std::vector<uint8_t> model(static_cast<size_t>(segs * rec * env.size));
  for (int r = 0; r < env.size; ++r)
    for (int64_t s = 0; s < segs; ++s)
      for (int64_t i = 0; i < rec; ++i)
        model[static_cast<size_t>((s * env.size + r) * rec + i)] = pat(1, r, s * rec + i);
  CHECK_SAME_BYTES(got, model);
  CHECK_SAME_BYTES(ref, model);
  env.barrier();
  if (env.rank == 0) {
    CHECK_OK(env.fs.unlink("/wb-records"));
    CHECK_OK(env.fs.unlink("/wt-records"));
  }
  env.barrier();
}

// A strided view (vector filetype) and a noncontiguous memory type, several
// calls, on a write-behind file and through independent writes: same bytes.
void views(mpicheck::Env& env) {
  const int blk = 100, calls = 7;
  MPI_Datatype ft = MPI_DATATYPE_NULL, mt = MPI_DATATYPE_NULL;
  MPI_Type_vector(3, blk, blk * env.size, MPI_BYTE, &ft);  // 3 blocks per filetype
  MPI_Datatype ftr = MPI_DATATYPE_NULL;
  MPI_Type_create_resized(ft, 0, 3 * blk * env.size, &ftr);
  MPI_Type_commit(&ftr);
  MPI_Type_vector(3 * blk / 50, 50, 60, MPI_BYTE, &mt);  // 50 of every 60 bytes
  MPI_Type_commit(&mt);
  std::vector<uint8_t> mem(static_cast<size_t>(calls * 3 * blk / 50 * 60));
  for (size_t i = 0; i < mem.size(); ++i) mem[i] = pat(2, env.rank, static_cast<int64_t>(i));
  MPI_Aint mt_extent = 0, lb = 0;
  MPI_Type_get_extent(mt, &lb, &mt_extent);
  for (int variant = 0; variant < 2; ++variant) {
    const std::string path = variant ? "/wb-view-indep" : "/wb-view";
    MPI_Info wi = wb_info("700");
    auto f = MpiFile::open(env.comm, env.fs, path, MPI_MODE_CREATE | MPI_MODE_RDWR, wi);
    MPI_Info_free(&wi);
    REQUIRE_OK(f);
    CHECK_OK(f->set_view(env.rank * blk, MPI_BYTE, ftr, "native", MPI_INFO_NULL));
    for (int c = 0; c < calls; ++c) {
      const uint8_t* p = mem.data() + c * mt_extent;
      if (variant) CHECK_OK(f->write_at(c * 3 * blk, p, 1, mt));
      else CHECK_OK(f->write_at_all(c * 3 * blk, p, 1, mt));
    }
    CHECK_OK(f->close());
  }
  CHECK_SAME_BYTES(mftest::read_whole(env.fs, "/wb-view"),
                   mftest::read_whole(env.fs, "/wb-view-indep"));
  env.barrier();
  if (env.rank == 0) {
    CHECK_OK(env.fs.unlink("/wb-view"));
    CHECK_OK(env.fs.unlink("/wb-view-indep"));
  }
  env.barrier();
  MPI_Type_free(&ftr);
  MPI_Type_free(&ft);
  MPI_Type_free(&mt);
}

// Own-rank consistency, overlaps, write-through of large calls, errors.
void consistency(mpicheck::Env& env) {
  const int64_t R = 1000;  // each rank owns [rank*R, rank*R + R)
  MPI_Info wi = wb_info("1000000");
  auto f = MpiFile::open(env.comm, env.fs, "/wb-rules", MPI_MODE_CREATE | MPI_MODE_RDWR, wi);
  MPI_Info_free(&wi);
  REQUIRE_OK(f);
  std::vector<uint8_t> a(R), b(R), c(3000), back(R);
  for (int64_t i = 0; i < R; ++i) {
    a[static_cast<size_t>(i)] = pat(3, env.rank, i);
    b[static_cast<size_t>(i)] = pat(4, env.rank, i);
  }
  const MPI_Offset mine = env.rank * R;
  // The first call flushes (the schedule starts at one call per flush);
  // then 1e6 / 1000 calls per flush: everything below is staged.
  CHECK_OK(f->write_at_all(mine, a.data(), R, MPI_BYTE));
  CHECK_OK(f->write_at_all(mine, b.data(), 10, MPI_BYTE));  // overlaps: b's 10 bytes win
  CHECK(f->last_collective().staged);
  auto n = f->read_at(mine, back.data(), R, MPI_BYTE);       // own read sees it
  CHECK_OK(n);
  std::vector<uint8_t> want = a;
  std::copy(b.begin(), b.begin() + 10, want.begin());
  CHECK_SAME_BYTES(back, want);
  // An independent write after a staged one to the same bytes wins.
  CHECK_OK(f->write_at_all(mine + 20, b.data() + 20, 10, MPI_BYTE));
  CHECK_OK(f->write_at(mine + 25, a.data() + 25, 5, MPI_BYTE));
  std::copy(b.begin() + 20, b.begin() + 25, want.begin() + 20);
  // get_size sees the rank's own staged write past the end.
  const MPI_Offset far = env.size * R + env.rank * 3000;
  CHECK_OK(f->write_at_all(far, c.data(), 100, MPI_BYTE));
  auto sz = f->get_size();
  CHECK_OK(sz);
  if (sz) CHECK(*sz >= far + 100);
  // An argument error on rank 0 only: rank 0 gets EINVAL, the others go on;
  // the schedule stays aligned (the flush in sync below completes).
  auto bad = f->write_at_all(mine, a.data(), env.rank == 0 ? -1 : 0, MPI_BYTE);
  if (env.rank == 0) CHECK_ERRNO(bad, EINVAL);
  else CHECK_OK(bad);
  // A call larger than the budget (hint set below) is written through after
  // the staged data.
  MPI_Info small = mftest::info({{"nacre_write_behind_size", "2000"}});
  CHECK_OK(f->set_info(small));  // collective: flushes first
  MPI_Info_free(&small);
  for (size_t i = 0; i < c.size(); ++i) c[i] = pat(5, env.rank, static_cast<int64_t>(i));
  CHECK_OK(f->write_at_all(far, c.data(), 10, MPI_BYTE));     // staged
  CHECK_OK(f->write_at_all(far, c.data() + 1000, 3000 - 1000, MPI_BYTE));  // 2000: staged after a local flush
  CHECK_OK(f->write_at_all(far + 500, c.data(), 2500, MPI_BYTE));  // > budget: written through
  std::vector<uint8_t> far_want(3000);
  std::copy(c.begin() + 1000, c.begin() + 1500, far_want.begin());
  std::copy(c.begin(), c.begin() + 2500, far_want.begin() + 500);
  CHECK_OK(f->sync());  // collective: every rank's staged data is out
  env.barrier();
  // Another rank's region, read independently after sync.
  const int other = (env.rank + 1) % env.size;
  std::vector<uint8_t> theirs(R);
  CHECK_OK(f->read_at(other * R, theirs.data(), R, MPI_BYTE));
  std::vector<uint8_t> theirs_want(R);
  for (int64_t i = 0; i < R; ++i)
    theirs_want[static_cast<size_t>(i)] = i < 10 || (i >= 20 && i < 25)
                                              ? pat(4, other, i)
                                              : pat(3, other, i);
  CHECK_SAME_BYTES(theirs, theirs_want);
  std::vector<uint8_t> far_back(3000);
  CHECK_OK(f->read_at(far, far_back.data(), 3000, MPI_BYTE));
  CHECK_SAME_BYTES(far_back, far_want);
  std::vector<uint8_t> mine_back(R);
  CHECK_OK(f->read_at(mine, mine_back.data(), R, MPI_BYTE));
  CHECK_SAME_BYTES(mine_back, want);
  // Staged data still pending at close is written by close.
  CHECK_OK(f->write_at_all(mine, b.data(), R, MPI_BYTE));
  CHECK_OK(f->write_at_all(mine + 1, a.data(), 1, MPI_BYTE));
  CHECK_OK(f->close());
  auto whole = mftest::read_whole(env.fs, "/wb-rules");
  REQUIRE(whole.size() >= static_cast<size_t>(env.size * R));
  std::vector<uint8_t> region(whole.begin() + mine, whole.begin() + mine + R);
  std::vector<uint8_t> region_want = b;
  region_want[1] = a[0];
  CHECK_SAME_BYTES(region, region_want);
  env.barrier();
  if (env.rank == 0) CHECK_OK(env.fs.unlink("/wb-rules"));
  env.barrier();
}

// dense_origin() never claims a non-contiguous list, and finds the usual
// contiguous ones (count x named type, contiguous / dense vector / resized
// to its size), with the right origin.
void dense(mpicheck::Env& env) {
  struct Case {
    MPI_Datatype type;
    int64_t count;
    bool must_find;
  };
  std::vector<MPI_Datatype> owned;
  auto keep = [&](MPI_Datatype t) {
    MPI_Type_commit(&t);
    owned.push_back(t);
    return t;
  };
  MPI_Datatype t = MPI_DATATYPE_NULL;
  std::vector<Case> cases{{MPI_BYTE, 47008, true}, {MPI_DOUBLE, 1000, true}, {MPI_INT, 1, true}};
  MPI_Type_contiguous(100, MPI_INT, &t);
  cases.push_back({keep(t), 7, true});
  MPI_Type_vector(5, 3, 3, MPI_DOUBLE, &t);  // dense vector
  cases.push_back({keep(t), 4, true});
  MPI_Type_vector(5, 3, 4, MPI_DOUBLE, &t);  // gaps
  cases.push_back({keep(t), 2, false});
  MPI_Type_vector(5, 3, 4, MPI_DOUBLE, &t);
  cases.push_back({keep(t), 1, false});
  MPI_Datatype c8 = MPI_DATATYPE_NULL;
  MPI_Type_contiguous(8, MPI_BYTE, &c8);
  MPI_Type_create_resized(c8, 0, 16, &t);  // instances with gaps
  cases.push_back({keep(t), 3, false});
  cases.push_back({owned.back(), 1, true});  // one instance is contiguous
  MPI_Type_create_resized(c8, -8, 8, &t);  // negative lb, dense tiling
  cases.push_back({keep(t), 5, false});
  MPI_Type_free(&c8);
  int bl[2] = {4, 4};
  int disp_rev[2] = {4, 0};  // contiguous span, reversed order
  MPI_Type_indexed(2, bl, disp_rev, MPI_BYTE, &t);
  cases.push_back({keep(t), 1, false});
  int disp_fwd[2] = {0, 4};
  MPI_Type_indexed(2, bl, disp_fwd, MPI_BYTE, &t);
  cases.push_back({keep(t), 3, true});
  for (size_t i = 0; i < cases.size(); ++i) {
    auto d = nacre::mpiio::decode_type(cases[i].type);
    REQUIRE_OK(d);
    auto fl = nacre::mpiio::flatten(**d, cases[i].count, 1000);
    REQUIRE_OK(fl);
    const auto o = nacre::mpiio::dense_origin(*fl);
    const bool contiguous = fl->is_contiguous();
    if (o) {
      CHECK(contiguous);
      auto m = fl->materialize();
      REQUIRE_OK(m);
      CHECK_EQ(m->size(), size_t{1});
      if (m->size() == 1) {
        CHECK_EQ((*m)[0].offset, *o);
        CHECK_EQ((*m)[0].length, fl->size());
      }
    }
    if (cases[i].must_find) CHECK(o.has_value());
    if (!contiguous) CHECK(!o.has_value());
    if (env.rank == 0 && cases[i].must_find != o.has_value())
      std::printf("  dense case %zu: found %d, contiguous %d\n", i, o.has_value() ? 1 : 0,
                  contiguous ? 1 : 0);
  }
  for (MPI_Datatype& x : owned) MPI_Type_free(&x);
}

}  // namespace

int main(int argc, char** argv) {
  return mpicheck::run_embedded(argc, argv, mftest::config(), [](mpicheck::Env& env) {
    dense(env);
    records(env, 47008, 12, "100000");  // 2 records per flush, aggregated flushes
    records(env, 999, 40, "5000");      // 5 records per flush, odd sizes
    views(env);
    consistency(env);
  });
}
