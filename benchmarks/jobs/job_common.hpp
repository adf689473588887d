// Shared helpers of the mpirun jobs (nacre-demo, nacre-bench): command line,
// timing, medians, the result table, and one "shared file" interface with a
// Nacre, an MPI-IO and a POSIX implementation so every pattern runs the same
// code against each system.
//
// Collective calls say so; "clients" means every rank of the client
// communicator the caller passes.
#pragma once

#include <nacre/nacre.hpp>

#include <CLI/CLI.hpp>
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nacre::jobs {

inline constexpr uint64_t kMiB = 1 << 20;

double now_seconds();
double median(std::vector<double> v);

// Parses argv on every rank. Returns true to go on; otherwise *exit_code is
// what main should return after MPI_Finalize (0 for --help, 2 for a usage
// error). Only world rank 0 prints.
bool parse_cli(CLI::App& app, int argc, char** argv, int* exit_code);

// Config::load(), with runtime.servers = default_servers unless NACRE_SERVERS
// or NACRE_CONFIG is set. Errors are printed by world rank 0.
Result<Config> job_config(int default_servers);

// A name unique to this job (world rank 0's pid, broadcast). Collective over
// MPI_COMM_WORLD.
std::string job_tag();

// Runs fn on every rank of comm between two barriers; returns the slowest
// rank's elapsed seconds, or a negative value if fn failed on any rank (each
// failing rank prints its error). Collective over comm.
double timed(MPI_Comm comm, const std::function<Status()>& fn);

// True on every rank if ok is true on every rank. Collective over comm.
bool all_ok(MPI_Comm comm, bool ok);

// One file shared by all client ranks.
class SharedFile {
 public:
  virtual ~SharedFile() = default;
  // "nacre", "mpiio:/tmp", "posix:/dev/shm", ...
  virtual const std::string& name() const = 0;
  // Collective over comm: creates (empty) and opens the file on every rank.
  virtual Status open(MPI_Comm comm) = 0;
  virtual Status write_at(uint64_t offset, const void* buf, size_t len) = 0;
  virtual Status read_at(uint64_t offset, void* buf, size_t len) = 0;
  // Collective over comm: closes on every rank, then removes the file.
  virtual Status close_and_remove(MPI_Comm comm) = 0;
};

// path: absolute Nacre path; layout: applied when rank 0 creates the file.
std::unique_ptr<SharedFile> nacre_file(FileSystem& fs, std::string path, LayoutRequest layout,
                                       std::string label = "nacre");
// path: a local file name (e.g. /tmp/x); opened with MPI_File_open on comm.
std::unique_ptr<SharedFile> mpiio_file(std::string label, std::string path);
// path: a local file name; pwrite/pread.
std::unique_ptr<SharedFile> posix_file(std::string label, std::string path);

// One measured quantity of one system, over the repetitions.
struct Series {
  std::string metric;   // "write_bw", "read_rtt_4k", ...
  std::string system;   // "nacre", "posix:/dev/shm", ...
  std::string unit;     // "MiB/s", "us", "ops/s"
  std::vector<double> samples;
  double med() const { return median(samples); }
};

// Prints, for each metric, its systems' medians and each median divided by
// the metric's reference system ("nacre" unless ref_system says otherwise),
// then one machine-readable line per series:
//   NACRE_RESULT {"job":...,"metric":...,"system":...,"unit":...,"median":...,
//                 "ratio_vs_ref":...,"ref":...,"samples":[...]}
void print_table(const std::string& job, const std::vector<Series>& all,
                 const std::string& ref_system = "nacre");

// Finds or adds the series (metric, system).
Series& series(std::vector<Series>& all, const std::string& metric, const std::string& system,
               const std::string& unit);

}  // namespace nacre::jobs
