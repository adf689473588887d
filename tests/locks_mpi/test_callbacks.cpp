// mpi.locks.callbacks: blocking callbacks are answered by the client's lock
// progress thread while the application computes, and an unresponsive
// holder is evicted while the others proceed.
//
// Needs 2 servers + 3 clients and NACRE_LOCK_CALLBACK_TIMEOUT_MS=2000.
//  Part 1: client 0 writes (caches a PW lock), then computes for 3 s without
//    calling Nacre or MPI. Client 1 reads the same bytes: the read must end
//    well before the timeout (the progress thread cancelled the lock), see
//    the data, and client 0 must not be evicted.
//  Part 2: client 0 writes another file and its progress thread is paused
//    (test hook). Client 1's read waits for the eviction (~2 s), then sees
//    the data written before it; client 2 keeps working meanwhile. Client 0's
//    next write fails with ESTALE naming the eviction; everyone shuts down.
#include "client/file_access.hpp"
#include "locks_job.hpp"

#include <chrono>
#include <cmath>
#include <cstring>

#include <unistd.h>

namespace {

std::shared_ptr<nacre::client::ClientCore> core_of(const nacre::File& f) {
  return nacre::client::FileAccess::core(f);
}

// Busy computation for `secs` seconds; no library calls.
double compute(double secs) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(secs);
  double x = 1.0;
  while (std::chrono::steady_clock::now() < end)
    for (int i = 0; i < 10000; ++i) x = std::sqrt(x + i);
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  return run_locks_job(argc, argv, 2, [&](mpicheck::Env& env) {
    REQUIRE(env.size >= 3);
    const size_t len = 256 << 10;
    std::vector<uint8_t> data(len), got(len);
    for (size_t i = 0; i < len; ++i) data[i] = static_cast<uint8_t>(i * 7 + 1);

    // ---- part 1: a busy holder still answers --------------------------
    if (env.rank == 0) REQUIRE_OK(env.fs.create("/busy"));
    env.barrier();
    auto f = env.fs.open("/busy", nacre::open_flags::kReadWrite);
    REQUIRE_OK(f);
    REQUIRE(core_of(*f)->locking_enabled());
    if (env.rank == 0) {
      CHECK_OK(f->write_at(0, data.data(), len));
      CHECK(core_of(*f)->lock_cache().cached_count() >= 2);
    }
    env.barrier();
    if (env.rank == 0) {
      volatile double sink = compute(3.0);
      (void)sink;
      CHECK(core_of(*f)->lock_cache().callbacks_received() >= 1);
    } else if (env.rank == 1) {
      const double t = MPI_Wtime();
      auto n = f->read_at(0, got.data(), len);
      const double waited = MPI_Wtime() - t;
      CHECK_OK(n);
      CHECK(got == data);
      std::printf("part 1: read under a busy holder's lock took %.3f s\n", waited);
      std::fflush(stdout);
      CHECK(waited < 1.5);
    }
    env.barrier();
    if (env.rank == 0) CHECK_OK(f->write_at(0, data.data(), 4096));  // not evicted
    CHECK_OK(f->close());
    env.barrier();

    // ---- part 2: an unresponsive holder is evicted --------------------
    if (env.rank == 0) REQUIRE_OK(env.fs.create("/evict"));
    env.barrier();
    auto g = env.fs.open("/evict", nacre::open_flags::kReadWrite);
    REQUIRE_OK(g);
    if (env.rank == 0) {
      CHECK_OK(g->write_at(0, data.data(), len));
      CHECK_OK(g->sync());  // on the servers: survives the eviction
      CHECK_OK(g->write_at(len, data.data(), 4096));  // cached only: lost with the eviction
      CHECK(core_of(*g)->write_cache().dirty_bytes() == 4096);
      core_of(*g)->lock_progress()->set_paused(true);
    }
    env.barrier();
    if (env.rank == 1) {
      const double t = MPI_Wtime();
      auto n = g->read_at(0, got.data(), len);
      const double waited = MPI_Wtime() - t;
      CHECK_OK(n);
      CHECK(got == data);
      std::printf("part 2: read behind an unresponsive holder took %.3f s (timeout 2 s)\n",
                  waited);
      std::fflush(stdout);
      CHECK(waited > 1.5);
    } else if (env.rank >= 2) {
      // Work on another file goes on while the holder is being evicted.
      auto h = env.fs.open("/other-" + std::to_string(env.rank),
                           nacre::open_flags::kCreate | nacre::open_flags::kReadWrite);
      CHECK_OK(h);
      if (h) {
        for (int i = 0; i < 20; ++i) CHECK_OK(h->write_at(i * 4096, data.data(), 4096));
        CHECK_OK(h->close());
        CHECK_OK(env.fs.unlink("/other-" + std::to_string(env.rank)));
      }
    }
    env.barrier();
    if (env.rank == 0) {
      auto* progress = core_of(*g)->lock_progress();
      const uint64_t cancels = progress->cancels_sent();
      progress->set_paused(false);
      // The held-back callbacks are handled now: write-back and cancel both
      // meet ESTALE. Wait for that (bounded), then I/O fails at once.
      for (int i = 0; i < 5000 && progress->cancels_sent() == cancels; ++i) usleep(1000);
      CHECK(progress->cancels_sent() > cancels);
      auto w = g->write_at(0, data.data(), 4096);
      CHECK(!w.is_ok());
      CHECK(w.status().code() == ESTALE);
      CHECK(w.status().message().find("evicted by server") != std::string::npos);
      std::printf("part 2: the evicted holder's write: %s\n", w.status().to_string().c_str());
      // The cached write it made before going silent is reported lost.
      nacre::Status lost = g->sync();
      CHECK(!lost.is_ok());
      CHECK(lost.code() == ESTALE);
      CHECK(lost.message().find("lost") != std::string::npos);
      std::printf("part 2: its sync: %s\n", lost.to_string().c_str());
      std::fflush(stdout);
    } else {
      // The others still read and write the file.
      CHECK_OK(g->write_at(static_cast<uint64_t>(env.rank) * 4096, data.data(), 4096));
      auto n = g->read_at(0, got.data(), 4096);
      CHECK_OK(n);
    }
    (void)g->close();
    env.barrier();
    if (env.rank == 1) CHECK_OK(env.fs.unlink("/evict"));
    if (env.rank == 1) CHECK_OK(env.fs.unlink("/busy"));
  });
}
