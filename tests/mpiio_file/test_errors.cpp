// mpiio_file.errors: bad inputs to collective calls give a clear error, the
// SAME error (code and message) on every rank, and never leave a rank inside
// a collective: after each failure the file is still usable collectively.
#include "mf_common.hpp"

namespace {

using nacre::mpiio::MpiFile;

// The status is an error with `code`, a non-empty message, identical on all ranks.
#define CHECK_AGREED(expr, code)                                                     \
  do {                                                                               \
    const auto& r_ = (expr);                                                         \
    CHECK_ERRNO(r_, code);                                                           \
    CHECK(mpicheck::same_on_all(env.comm, mpicheck::status_of(r_).to_string()));     \
    if (env.rank == 0) std::printf("  %-28s -> %s\n", #expr, mpicheck::status_of(r_).to_string().c_str()); \
  } while (0)

// The file still works collectively after an error.
void still_works(mpicheck::Env& env, MpiFile& f) {
  int v = env.rank + 1, back = 0;
  CHECK_OK(f.set_view(0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL));
  CHECK_OK(f.write_at_all(env.rank * 4, &v, 1, MPI_INT));
  CHECK_OK(f.read_at_all(env.rank * 4, &back, 1, MPI_INT));
  CHECK_EQ(back, v);
}

}  // namespace

int main(int argc, char** argv) {
  return mpicheck::run_embedded(argc, argv, mftest::config(), [](mpicheck::Env& env) {
    // ---- open.
    CHECK_AGREED(MpiFile::open(env.comm, env.fs, "/missing", MPI_MODE_RDWR, MPI_INFO_NULL), ENOENT);
    CHECK_AGREED(MpiFile::open(env.comm, env.fs, "/x", MPI_MODE_RDONLY | MPI_MODE_CREATE, MPI_INFO_NULL),
                 EINVAL);
    CHECK_AGREED(MpiFile::open(env.comm, env.fs, "/x", MPI_MODE_RDWR | MPI_MODE_WRONLY | MPI_MODE_CREATE,
                               MPI_INFO_NULL),
                 EINVAL);
    {  // a bad hint value on one rank only
      MPI_Info bad = mftest::info({{"cb_buffer_size", env.rank == env.size - 1 ? "lots" : "65536"}});
      CHECK_AGREED(MpiFile::open(env.comm, env.fs, "/x", MPI_MODE_RDWR | MPI_MODE_CREATE, bad), EINVAL);
      MPI_Info_free(&bad);
      MPI_Info su = mftest::info({{"striping_unit", "1000"}});
      CHECK_AGREED(MpiFile::open(env.comm, env.fs, "/x", MPI_MODE_RDWR | MPI_MODE_CREATE, su), EINVAL);
      MPI_Info_free(&su);
      MPI_Info mode = mftest::info({{"romio_cb_write", "sometimes"}});
      CHECK_AGREED(MpiFile::open(env.comm, env.fs, "/x", MPI_MODE_RDWR | MPI_MODE_CREATE, mode), EINVAL);
      MPI_Info_free(&mode);
    }
    auto f = MpiFile::open(env.comm, env.fs, "/errors", MPI_MODE_RDWR | MPI_MODE_CREATE | MPI_MODE_EXCL,
                           MPI_INFO_NULL);
    REQUIRE_OK(f);
    CHECK_AGREED(MpiFile::open(env.comm, env.fs, "/errors", MPI_MODE_RDWR | MPI_MODE_CREATE | MPI_MODE_EXCL,
                               MPI_INFO_NULL),
                 EEXIST);
    // ---- views.
    CHECK_AGREED(f->set_view(0, MPI_BYTE, MPI_BYTE, "external32", MPI_INFO_NULL), ENOTSUP);
    CHECK_AGREED(f->set_view(0, MPI_BYTE, MPI_BYTE, "internal", MPI_INFO_NULL), ENOTSUP);
    CHECK_AGREED(f->set_view(-8, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL), EINVAL);
    {  // negative displacement on one rank only
      CHECK_AGREED(f->set_view(env.rank == 1 ? -1 : 0, MPI_BYTE, MPI_BYTE, "native", MPI_INFO_NULL),
                   EINVAL);
    }
    MPI_Datatype overlap;
    {
      int bl[2] = {8, 8}, dp[2] = {0, 4};  // bytes 4..7 twice
      MPI_Type_indexed(2, bl, dp, MPI_BYTE, &overlap);
      MPI_Type_commit(&overlap);
    }
    CHECK_AGREED(f->set_view(0, MPI_BYTE, overlap, "native", MPI_INFO_NULL), EINVAL);
    {
      MPI_Info bad = mftest::info({{"cb_nodes", "-3"}});
      CHECK_AGREED(f->set_view(0, MPI_BYTE, MPI_BYTE, "native", bad), EINVAL);
      CHECK_AGREED(f->set_info(bad), EINVAL);
      MPI_Info_free(&bad);
      MPI_Info holes = mftest::info({{"nacre_cb_max_hole_fraction", "2.5"}});
      CHECK_AGREED(f->set_info(holes), EINVAL);
      MPI_Info_free(&holes);
    }
    still_works(env, *f);
    // ---- collective data calls with a bad argument on one rank.
    {
      int v = 0;
      CHECK_AGREED(f->write_at_all(env.rank == 0 ? -5 : 0, &v, 1, MPI_INT), EINVAL);
      CHECK_AGREED(f->read_at_all(env.rank == env.size - 1 ? -5 : 0, &v, 1, MPI_INT), EINVAL);
      CHECK_AGREED(f->write_at_all(env.rank == 1 ? (int64_t{1} << 61) : 0, &v, 1, MPI_INT), EFBIG);
      CHECK_AGREED(f->write_at_all(0, &v, -1, MPI_INT), EINVAL);
      // Two ranks writing the same bytes in one collective is allowed by the
      // planner (MPI leaves the result undefined); one rank writing a byte
      // twice through a read-only-style view cannot happen (views forbid it).
    }
    still_works(env, *f);
    CHECK_AGREED(f->set_size(-1), EINVAL);
    CHECK_AGREED(f->seek(0, 12345), EINVAL);
    CHECK_OK(f->close());
    // ---- a read-only file: writes are EBADF, overlapping views are fine.
    auto ro = MpiFile::open(env.comm, env.fs, "/errors", MPI_MODE_RDONLY, MPI_INFO_NULL);
    REQUIRE_OK(ro);
    int v = 0;
    CHECK_AGREED(ro->write_at_all(0, &v, 1, MPI_INT), EBADF);
    CHECK_ERRNO(ro->write_at(0, &v, 1, MPI_INT), EBADF);
    CHECK_AGREED(ro->set_size(10), EBADF);
    CHECK_OK(ro->set_view(0, MPI_BYTE, overlap, "native", MPI_INFO_NULL));
    uint8_t buf[16] = {};
    CHECK_OK(ro->read_at_all(0, buf, 16, MPI_BYTE));
    CHECK_OK(ro->close());
    MPI_Type_free(&overlap);
    // ---- close twice.
    CHECK_ERRNO(ro->close(), EBADF);
  });
}
