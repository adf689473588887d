// mpiio_file.views: random vector / subarray / indexed filetypes (etype
// MPI_BYTE or MPI_INT) that partition the file among the client ranks, with
// random offsets and counts per rank (some zero). The same views written
// collectively (two-phase forced, small cb_buffer_size so several rounds run;
// hole policy auto/fill/skip) and independently give byte-identical files,
// equal to the model built from the flattened views; read_at_all and read_at
// return what was written.
#include "mf_common.hpp"

#include <algorithm>
#include <random>

namespace {
using nacre::mpiio::MpiFile;

struct Case {
  MPI_Datatype etype = MPI_BYTE;
  MPI_Datatype filetype = MPI_DATATYPE_NULL;
  int64_t disp = 0;
  int64_t offset = 0;  // etypes
  int64_t count = 0;   // etypes
  std::string desc;
};

Case make_case(std::mt19937_64& g, int rank, int nranks) {
  Case c;
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(g);
  };
  const bool ints = pick(0, 1) == 1;
  c.etype = ints ? MPI_INT : MPI_BYTE;
  const int64_t esz = ints ? 4 : 1;
  const int64_t D = pick(0, 300) * esz;
  const int kind = static_cast<int>(pick(0, 2));
  MPI_Datatype raw = MPI_DATATYPE_NULL;
  int64_t extent = 0;
  if (kind == 0) {
    const int64_t bl = pick(1, 700), nb = pick(1, 6);
    MPI_Type_vector(static_cast<int>(nb), static_cast<int>(bl), static_cast<int>(nranks * bl),
                    c.etype, &raw);
    extent = nb * nranks * bl * esz;
    c.disp = D + rank * bl * esz;
    c.desc = "vector bl=" + std::to_string(bl) + " nb=" + std::to_string(nb);
  } else if (kind == 1) {
    const int rows = static_cast<int>(pick(1, 4)), cw = static_cast<int>(pick(1, 900));
    int sizes[2] = {rows, nranks * cw}, sub[2] = {rows, cw}, starts[2] = {0, rank * cw};
    MPI_Type_create_subarray(2, sizes, sub, starts, MPI_ORDER_C, c.etype, &raw);
    extent = int64_t{rows} * nranks * cw * esz;
    c.disp = D;
    c.desc = "subarray rows=" + std::to_string(rows) + " cw=" + std::to_string(cw);
  } else {
    const int64_t u = pick(1, 300), T = pick(nranks, 24);
    std::vector<int> owner(static_cast<size_t>(T));
    for (auto& o : owner) o = static_cast<int>(pick(0, nranks - 1));
    std::vector<int> perm(static_cast<size_t>(T));
    for (int i = 0; i < T; ++i) perm[static_cast<size_t>(i)] = i;
    std::shuffle(perm.begin(), perm.end(), g);
    for (int r = 0; r < nranks; ++r) owner[static_cast<size_t>(perm[static_cast<size_t>(r)])] = r;
    std::vector<int> bl, dp;
    for (int i = 0; i < T; ++i) {
      if (owner[static_cast<size_t>(i)] != rank) continue;
      if (!dp.empty() && dp.back() + bl.back() == i * u) bl.back() += static_cast<int>(u);
      else {
        dp.push_back(static_cast<int>(i * u));
        bl.push_back(static_cast<int>(u));
      }
    }
    MPI_Type_indexed(static_cast<int>(bl.size()), bl.data(), dp.data(), c.etype, &raw);
    extent = T * u * esz;
    c.disp = D;
    c.desc = "indexed u=" + std::to_string(u) + " T=" + std::to_string(T);
  }
  MPI_Type_create_resized(raw, 0, extent, &c.filetype);
  MPI_Type_free(&raw);
  MPI_Type_commit(&c.filetype);
  c.desc += std::string(ints ? " int" : " byte") + " disp=" + std::to_string(c.disp);
  c.offset = pick(0, 40);
  c.count = pick(0, 5) == 0 ? 0 : pick(1, 30000);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  return mpicheck::run_embedded(argc, argv, mftest::config(), [](mpicheck::Env& env) {
    uint64_t seed = std::random_device{}();
    seed = std::stoull(mpicheck::arg_value(env.args, "--seed", std::to_string(seed)));
    MPI_Bcast(&seed, 1, MPI_UINT64_T, 0, env.comm);
    if (env.rank == 0) std::printf("mpiio_file.views: --seed %llu\n", (unsigned long long)seed);
    const int iters = std::atoi(mpicheck::arg_value(env.args, "--iters", "30").c_str());
    const char* holes[] = {"auto", "fill", "skip"};
    int64_t total_rounds = 0;
    for (int it = 0; it < iters; ++it) {
      // Same generator state for the shared choices; rank-specific afterwards.
      std::mt19937_64 g(seed + static_cast<uint64_t>(it));
      Case c = make_case(g, env.rank, env.size);
      std::mt19937_64 own(seed * 31 + static_cast<uint64_t>(it) * 1000 + static_cast<uint64_t>(env.rank));
      c.offset = std::uniform_int_distribution<int64_t>(0, 40)(own);
      c.count = std::uniform_int_distribution<int>(0, 5)(own) == 0
                    ? 0
                    : std::uniform_int_distribution<int64_t>(1, 30000)(own);
      int esz = 0;
      MPI_Type_size(c.etype, &esz);
      std::vector<uint8_t> data(static_cast<size_t>(c.count * esz));
      for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<uint8_t>((i * 7 + static_cast<size_t>(env.rank) * 61 + static_cast<size_t>(it) * 13) % 251 + 1);
      const std::string base = "/views-" + std::to_string(it);
      MPI_Info hint = mftest::info({{"romio_cb_write", "enable"}, {"romio_cb_read", "enable"},
                                    {"cb_buffer_size", "65536"}, {"nacre_cb_holes", holes[it % 3]}});
      std::vector<uint8_t> back(data.size());
      // Collective.
      {
        auto f = MpiFile::open(env.comm, env.fs, base + "-coll", MPI_MODE_CREATE | MPI_MODE_RDWR, hint);
        REQUIRE_OK(f);
        CHECK_OK(f->set_view(c.disp, c.etype, c.filetype, "native", MPI_INFO_NULL));
        auto n = f->write_at_all(c.offset, data.data(), c.count, c.etype);
        CHECK_OK(n);
        if (n) CHECK_EQ(*n, static_cast<int64_t>(data.size()));
        CHECK(f->last_collective().aggregated);  // romio_cb_write=enable
        int64_t rounds = static_cast<int64_t>(f->last_collective().rounds), max_rounds = 0;
        MPI_Allreduce(&rounds, &max_rounds, 1, MPI_INT64_T, MPI_MAX, env.comm);
        total_rounds += max_rounds;
        auto m = f->read_at_all(c.offset, back.data(), c.count, c.etype);
        CHECK_OK(m);
        CHECK_SAME_BYTES(back, data);
        CHECK_OK(f->close());
      }
      // Independent.
      {
        auto f = MpiFile::open(env.comm, env.fs, base + "-ind", MPI_MODE_CREATE | MPI_MODE_RDWR, hint);
        REQUIRE_OK(f);
        CHECK_OK(f->set_view(c.disp, c.etype, c.filetype, "native", MPI_INFO_NULL));
        CHECK_OK(f->write_at(c.offset, data.data(), c.count, c.etype));
        env.barrier();
        std::fill(back.begin(), back.end(), 0);
        CHECK_OK(f->read_at(c.offset, back.data(), c.count, c.etype));
        CHECK_SAME_BYTES(back, data);
        CHECK_OK(f->close());
      }
      MPI_Info_free(&hint);
      const auto model = mftest::model_file(env.comm, mftest::view_of(c.disp, c.etype, c.filetype),
                                            c.offset, data);
      const auto coll = mftest::read_whole(env.fs, base + "-coll");
      const auto ind = mftest::read_whole(env.fs, base + "-ind");
      CHECK_SAME_BYTES(coll, ind);
      CHECK_SAME_BYTES(coll, model);
      if (env.rank == 0)
        std::printf("  iter %d: %s, holes %s, file %zu bytes, rounds so far %lld\n", it,
                    c.desc.c_str(), holes[it % 3], model.size(), (long long)total_rounds);
      MPI_Type_free(&c.filetype);
      env.barrier();
      if (env.rank == 0) {
        CHECK_OK(env.fs.unlink(base + "-coll"));
        CHECK_OK(env.fs.unlink(base + "-ind"));
      }
    }
  });
}
