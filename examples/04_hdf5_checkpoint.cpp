// 04 — an HDF5 checkpoint in Nacre through the driver H5FD_NACRE.
//
// Every client rank writes its slab of a 3-D dataset with one collective
// H5Dwrite; then a different number of ranks (one fewer, at least one)
// opens the file again, each reads a slab of its own decomposition with a
// collective H5Dread, and checks every value.
//
//   NACRE_SERVERS=2 mpirun -n 5 ./04_hdf5_checkpoint     (2 servers, 3 clients)
//
// Build: link nacre::nacre and nacre::h5fd (libnacre_h5fd, built when Nacre
// finds parallel HDF5 1.10). The embedded FileSystem of Runtime::start is
// handed to HDF5 with nacre::h5fd::set_fapl; a program that talks to a
// standalone server job uses H5Pset_fapl_nacre instead (docs/HDF5.md).
#include <nacre/h5fd_nacre.h>
#include <nacre/nacre.hpp>

#include <hdf5.h>
#include <mpi.h>

#include <cstdio>
#include <vector>

namespace {

constexpr hsize_t kNy = 64, kNz = 128;  // each x-plane is 64 KiB of doubles
constexpr hsize_t kPlanesPerWriter = 16;

double value(hsize_t x, hsize_t y, hsize_t z) {
  return static_cast<double>(x) * 1e6 + static_cast<double>(y) * 1e3 + static_cast<double>(z);
}

// The planes [lo, hi) of nx that rank `rank` of `size` owns.
void slab(hsize_t nx, int rank, int size, hsize_t* lo, hsize_t* hi) {
  *lo = nx * static_cast<hsize_t>(rank) / static_cast<hsize_t>(size);
  *hi = nx * static_cast<hsize_t>(rank + 1) / static_cast<hsize_t>(size);
}

#define CHECK_H5(call)                                                       \
  do {                                                                       \
    if ((call) < 0) {                                                        \
      std::fprintf(stderr, "%s:%d: %s failed\n", __FILE__, __LINE__, #call); \
      MPI_Abort(MPI_COMM_WORLD, 1);                                          \
    }                                                                        \
  } while (0)

// File-access list for the driver: comm's ranks, 1 MiB stripes on every server.
hid_t nacre_fapl(MPI_Comm comm, nacre::FileSystem& fs) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  CHECK_H5(nacre::h5fd::set_fapl(fapl, comm, MPI_INFO_NULL, fs));
  CHECK_H5(H5Pset_fapl_nacre_striping(fapl, 1 << 20, -1));
  CHECK_H5(H5Pset_all_coll_metadata_ops(fapl, 1));
  CHECK_H5(H5Pset_coll_metadata_write(fapl, 1));
  return fapl;
}

hid_t collective_xfer() {
  hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  CHECK_H5(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  return dxpl;
}

// Collective over comm: writes the checkpoint, nx planes split over the ranks.
void write_checkpoint(MPI_Comm comm, nacre::FileSystem& fs, const char* path, hsize_t nx) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  hid_t fapl = nacre_fapl(comm, fs);
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  CHECK_H5(file);
  const hsize_t dims[3] = {nx, kNy, kNz};
  hid_t space = H5Screate_simple(3, dims, nullptr);
  hid_t ds = H5Dcreate2(file, "/temperature", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT);
  CHECK_H5(ds);
  hsize_t lo = 0, hi = 0;
  slab(nx, rank, size, &lo, &hi);
  std::vector<double> buf((hi - lo) * kNy * kNz);
  for (hsize_t x = lo; x < hi; ++x)
    for (hsize_t y = 0; y < kNy; ++y)
      for (hsize_t z = 0; z < kNz; ++z) buf[((x - lo) * kNy + y) * kNz + z] = value(x, y, z);
  const hsize_t start[3] = {lo, 0, 0}, count[3] = {hi - lo, kNy, kNz};
  CHECK_H5(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr));
  hid_t mem = H5Screate_simple(3, count, nullptr);
  hid_t dxpl = collective_xfer();
  CHECK_H5(H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, buf.data()));
  // The step number as an attribute (metadata, written collectively).
  hid_t scalar = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate2(ds, "step", H5T_STD_I32LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
  const int step = 1;
  CHECK_H5(H5Awrite(attr, H5T_NATIVE_INT, &step));
  H5Aclose(attr);
  H5Sclose(scalar);
  H5Pclose(dxpl);
  H5Sclose(mem);
  H5Sclose(space);
  H5Dclose(ds);
  CHECK_H5(H5Fclose(file));  // collective; the data is in Nacre when it returns
  H5Pclose(fapl);
}

// Collective over comm: reads the checkpoint back in comm's own
// decomposition; returns the number of wrong values this rank saw.
long read_checkpoint(MPI_Comm comm, nacre::FileSystem& fs, const char* path) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  hid_t fapl = nacre_fapl(comm, fs);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  CHECK_H5(file);
  hid_t ds = H5Dopen2(file, "/temperature", H5P_DEFAULT);
  CHECK_H5(ds);
  hid_t space = H5Dget_space(ds);
  hsize_t dims[3] = {0, 0, 0};
  H5Sget_simple_extent_dims(space, dims, nullptr);
  hsize_t lo = 0, hi = 0;
  slab(dims[0], rank, size, &lo, &hi);
  const hsize_t start[3] = {lo, 0, 0}, count[3] = {hi - lo, kNy, kNz};
  CHECK_H5(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, count, nullptr));
  hid_t mem = H5Screate_simple(3, count, nullptr);
  std::vector<double> buf((hi - lo) * kNy * kNz, -1.0);
  hid_t dxpl = collective_xfer();
  CHECK_H5(H5Dread(ds, H5T_NATIVE_DOUBLE, mem, space, dxpl, buf.data()));
  long wrong = 0;
  for (hsize_t x = lo; x < hi; ++x)
    for (hsize_t y = 0; y < kNy; ++y)
      for (hsize_t z = 0; z < kNz; ++z)
        wrong += buf[((x - lo) * kNy + y) * kNz + z] != value(x, y, z);
  int step = 0;
  hid_t attr = H5Aopen(ds, "step", H5P_DEFAULT);
  CHECK_H5(H5Aread(attr, H5T_NATIVE_INT, &step));
  wrong += step != 1;
  H5Aclose(attr);
  H5Pclose(dxpl);
  H5Sclose(mem);
  H5Sclose(space);
  H5Dclose(ds);
  CHECK_H5(H5Fclose(file));
  H5Pclose(fapl);
  return wrong;
}

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  auto rt = nacre::Runtime::start(MPI_COMM_WORLD);  // collective; NACRE_SERVERS=2 etc.
  if (!rt) {
    std::fprintf(stderr, "%s\n", rt.status().to_string().c_str());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int failed = 0;
  if (rt->is_client()) {
    MPI_Comm clients = rt->client_comm();
    int rank = 0, writers = 1;
    MPI_Comm_rank(clients, &rank);
    MPI_Comm_size(clients, &writers);
    nacre::FileSystem& fs = rt->fs();
    if (rank == 0) (void)fs.mkdir("/ckpt");
    MPI_Barrier(clients);
    const char* path = "/ckpt/step-0001.h5";
    const hsize_t nx = kPlanesPerWriter * static_cast<hsize_t>(writers);
    write_checkpoint(clients, fs, path, nx);

    // Restart on a different number of ranks.
    const int readers = writers > 1 ? writers - 1 : 1;
    MPI_Comm restart = MPI_COMM_NULL;
    MPI_Comm_split(clients, rank < readers ? 0 : MPI_UNDEFINED, rank, &restart);
    long wrong = 0;
    if (restart != MPI_COMM_NULL) {
      wrong = read_checkpoint(restart, fs, path);
      MPI_Comm_free(&restart);
    }
    long total = 0;
    MPI_Allreduce(&wrong, &total, 1, MPI_LONG, MPI_SUM, clients);
    failed = total != 0;
    if (rank == 0)
      std::printf("04_hdf5_checkpoint: %llu MiB written by %d ranks, read back by %d: %s\n",
                  static_cast<unsigned long long>(nx * kNy * kNz * sizeof(double) >> 20), writers,
                  readers, failed ? "WRONG VALUES" : "OK");
    H5close();  // before the runtime and MPI go away
    nacre::Status s = rt->shutdown();
    if (!s) {
      std::fprintf(stderr, "shutdown: %s\n", s.to_string().c_str());
      failed = 1;
    }
  }
  MPI_Finalize();
  return failed;
}
