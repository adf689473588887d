// nacre-bench-restart (issue 6): restart time of a persistent deployment
// against its number of files. Run by bench_restart.sh, two jobs per N over
// the same storage directories (NACRE_DEPLOYMENT=persistent,
// NACRE_STORE=directory, NACRE_STORE_DIR):
//
//   nacre-bench-restart create --files N   format, create N empty files in
//                                          directories of --per-dir files
//   nacre-bench-restart mount --files N    time Runtime::start (the mount),
//                                          then readdir of every directory
//                                          and a stat of every file
//
// Every client rank takes its share of directories (create) and files (stat).
// Prints one line the script reads:
//   NACRE_RESTART {"phase":"create","files":N,...,"create_s":..}
//   NACRE_RESTART {"phase":"mount","files":N,...,"start_s":..,"mount_s":..,"readdir_s":..,"stat_s":..}
// start_s: barrier before Runtime::start to its return on the last client;
// mount_s: the same to the return of a first stat (the first metadata reply).
// Exit status 0 if every operation succeeded (and, in mount, every file was
// found with the expected type and size).
#include "job_common.hpp"

#include <cstdio>
#include <string>

using namespace nacre;
using namespace nacre::jobs;

namespace {

std::string dir_of(int d) { return "/restart/d" + std::to_string(d); }
std::string file_of(int i, int per_dir) { return dir_of(i / per_dir) + "/f" + std::to_string(i % per_dir); }

int finish(Result<Runtime>& rt, int rc) {
  if (rt && rt->is_client()) {
    MPI_Comm comm = rt->client_comm();
    MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, comm);
    if (!rt->shutdown()) rc = 1;
  }
  MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int world_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  CLI::App app{"nacre-bench-restart: restart time against file count (persistent deployment)"};
  std::string phase;
  int files = 1000, per_dir = 1000;
  app.add_option("phase", phase, "create | mount")->required()->check(CLI::IsMember({"create", "mount"}));
  app.add_option("--files", files, "number of files")->check(CLI::PositiveNumber);
  app.add_option("--per-dir", per_dir, "files per directory")->check(CLI::PositiveNumber);
  int exit_code = 0;
  if (!parse_cli(app, argc, argv, &exit_code)) {
    MPI_Finalize();
    return exit_code;
  }
  const int dirs = (files + per_dir - 1) / per_dir;

  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = now_seconds();
  auto rt = Runtime::start(MPI_COMM_WORLD);
  const double t_started = now_seconds();
  if (!rt) {
    if (world_rank == 0) std::fprintf(stderr, "Runtime::start: %s\n", rt.status().to_string().c_str());
    MPI_Finalize();
    return 1;
  }
  int rc = 0;
  if (rt->is_client()) {
    FileSystem& fs = rt->fs();
    MPI_Comm comm = rt->client_comm();
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    // The mount: from the barrier before start to the last client's return
    // from start (start_s) and from a first metadata call (mount_s: a client
    // may return from start before the servers have loaded everything).
    double start_s = t_started - t0;
    Status first = phase == "mount" ? fs.stat("/restart").status() : Status();
    if (!first) std::fprintf(stderr, "stat /restart: %s\n", first.to_string().c_str());
    double mount_s = now_seconds() - t0;
    MPI_Allreduce(MPI_IN_PLACE, &start_s, 1, MPI_DOUBLE, MPI_MAX, comm);
    MPI_Allreduce(MPI_IN_PLACE, &mount_s, 1, MPI_DOUBLE, MPI_MAX, comm);
    bool ok = all_ok(comm, first.is_ok());
    if (phase == "create") {
      if (rank == 0) {
        Status s = fs.mkdir("/restart");
        if (!s) std::fprintf(stderr, "mkdir /restart: %s\n", s.to_string().c_str());
        ok = s.is_ok();
      }
      ok = all_ok(comm, ok);
      const double create_s = ok ? timed(comm, [&]() -> Status {
        for (int d = rank; d < dirs; d += size) {
          NACRE_RETURN_IF_ERROR(fs.mkdir(dir_of(d)));
          for (int i = d * per_dir; i < std::min(files, (d + 1) * per_dir); ++i) {
            auto f = fs.create(file_of(i, per_dir));
            if (!f) return f.status();
            NACRE_RETURN_IF_ERROR(f->close());
          }
        }
        return Status();
      }) : -1;
      ok = create_s >= 0;
      if (rank == 0 && ok)
        std::printf("NACRE_RESTART {\"phase\":\"create\",\"files\":%d,\"clients\":%d,\"format_s\":%.6f,"
                    "\"create_s\":%.6f}\n",
                    files, size, mount_s, create_s);
    } else {
      long found = 0;
      const double readdir_s = timed(comm, [&]() -> Status {
        for (int d = rank; d < dirs; d += size) {
          auto l = fs.readdir(dir_of(d));
          if (!l) return l.status();
          found += static_cast<long>(l->size());
        }
        return Status();
      });
      const double stat_s = timed(comm, [&]() -> Status {
        for (int i = rank; i < files; i += size) {
          auto st = fs.stat(file_of(i, per_dir));
          if (!st) return st.status();
          if (st->type != FileType::kRegular || st->size != 0)
            return Status::error(EIO, file_of(i, per_dir) + ": unexpected type or size");
        }
        return Status();
      });
      MPI_Allreduce(MPI_IN_PLACE, &found, 1, MPI_LONG, MPI_SUM, comm);
      ok = ok && readdir_s >= 0 && stat_s >= 0 && found == files;
      if (rank == 0 && found != files) std::fprintf(stderr, "readdir found %ld files, expected %d\n", found, files);
      if (rank == 0 && ok)
        std::printf("NACRE_RESTART {\"phase\":\"mount\",\"files\":%d,\"clients\":%d,\"start_s\":%.6f,"
                    "\"mount_s\":%.6f,\"readdir_s\":%.6f,\"stat_s\":%.6f}\n",
                    files, size, start_s, mount_s, readdir_s, stat_s);
    }
    rc = ok ? 0 : 1;
  }
  rc = finish(rt, rc);
  MPI_Finalize();
  return rc;
}
