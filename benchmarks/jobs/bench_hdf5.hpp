// nacre-bench-hdf5 (issue 5, "Benchmarks"): the pieces shared by the job's
// main (bench_hdf5.cpp) and its two patterns (bench_hdf5_patterns.cpp).
//
// A System is where the HDF5 file lives and which driver HDF5 uses for it
// (H5FD_NACRE on the embedded Nacre file system, or HDF5's MPI-IO driver on
// a local file). A Pattern is one parallel HDF5 workload: it owns its
// buffers, writes a file (create ... close) and reads it back (open ...
// close), and checks what it read. Collective calls say so; "clients" are
// the ranks of the communicator the caller passes.
#pragma once

#include "job_common.hpp"

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nacre::jobs::h5 {

// Status of an HDF5 call that returned a negative value (HDF5 has printed
// its error stack already).
Status h5_error(const std::string& what);

// Closes an HDF5 identifier when it goes out of scope.
class Id {
 public:
  Id(hid_t id, herr_t (*closer)(hid_t)) : id_(id), close_(closer) {}
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }
  // Closes now; the result of the close (H5Fclose of a written file
  // flushes, so its failure matters).
  Status close(const char* what) {
    const herr_t rc = id_ >= 0 ? close_(id_) : 0;
    id_ = -1;
    return rc < 0 ? h5_error(what) : Status::ok();
  }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

class System {
 public:
  virtual ~System() = default;
  // Row label in the table: "nacre", "mpio-ompio:/tmp", ...
  virtual const std::string& name() const = 0;
  // The file name this system uses for base (e.g. "ckpt.h5").
  virtual std::string path(const std::string& base) const = 0;
  // A new file access property list for comm (the caller closes it).
  // Local; HDF5 calls on files opened through it are collective over comm.
  virtual Result<hid_t> fapl(MPI_Comm comm) const = 0;
  // COLLECTIVE over comm: rank 0 removes the file (if it exists).
  virtual Status remove(MPI_Comm comm, const std::string& path) const = 0;
};

class Pattern {
 public:
  virtual ~Pattern() = default;
  virtual const std::string& name() const = 0;  // "checkpoint", "ior_hdf5"
  virtual uint64_t total_bytes() const = 0;     // dataset bytes, all clients
  virtual std::string describe() const = 0;     // one line for the header
  // Local: fills the write buffer with data unique to salt and clears the
  // read buffer (untimed; also makes both resident).
  virtual void prepare(uint64_t salt) = 0;
  // COLLECTIVE over the fapl's communicator: create the file (truncating),
  // write every rank's part with collective transfers, close.
  virtual Status write(hid_t fapl, const std::string& path) = 0;
  // COLLECTIVE: open read-only, read every rank's part collectively, close.
  virtual Status read(hid_t fapl, const std::string& path) = 0;
  // Local: bytes of this rank's read buffer that differ from what it wrote.
  virtual uint64_t mismatches() const = 0;
};

// clients: size of the client communicator; me: rank in it.
// Checkpoint: a 3-D dataset of doubles; the clients form a process grid
// (MPI_Dims_create) and each writes its block of `bytes_per_client`
// (a multiple of 512 KiB: blocks are n x 256 x 256 doubles).
std::unique_ptr<Pattern> make_checkpoint(int clients, int me, uint64_t bytes_per_client);
// IOR-HDF5-like: one 1-D dataset of uint64; in each of `segments` segments
// client c owns the `block` bytes at (segment * clients + c) * block and
// writes/reads them in `transfer`-byte H5Dwrite/H5Dread calls, each a
// collective transfer (every client makes the same number of calls).
std::unique_ptr<Pattern> make_ior(int clients, int me, uint64_t transfer, uint64_t block,
                                  uint64_t segments);

}  // namespace nacre::jobs::h5
