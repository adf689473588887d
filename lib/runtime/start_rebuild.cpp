#include "runtime/start_rebuild.hpp"

#include "common/log.hpp"
#include "runtime/collective_status.hpp"

#include <chrono>
#include <cstdio>

namespace nacre::runtime {

Status rebuild_at_start(FileSystem& fs, MPI_Comm client_comm) {
  int rank = 0;
  MPI_Comm_rank(client_comm, &rank);
  Status s;
  if (rank == 0) {
    auto health = fs.health();
    if (!health) {
      s = health.status();
    } else {
      if (degraded(*health)) {
        const auto t0 = std::chrono::steady_clock::now();
        std::printf("nacre: the file system is degraded (a re-created server directory, or copies "
                    "that missed writes); rebuilding those copies\n");
        std::fflush(stdout);
        auto r = fs.rebuild([](const std::string& line) {
          std::printf("nacre: %s\n", line.c_str());
          std::fflush(stdout);
        });
        if (!r) {
          s = r.status().with_context("rebuild at start");
        } else {
          const double secs =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          std::printf("nacre: %s in %.2f s\n", r->summary().c_str(), secs);
          for (const auto& f : r->failed)
            log::error("rebuild: " + f + " (the file system stays degraded)");
          std::fflush(stdout);
        }
      }
    }
  }
  return agree(client_comm, s);
}

}  // namespace nacre::runtime
