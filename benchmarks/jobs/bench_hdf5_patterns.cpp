// The two workloads of nacre-bench-hdf5 (see bench_hdf5.hpp): a 3-D
// checkpoint written and read in one collective H5Dwrite/H5Dread per rank,
// and an IOR-HDF5-like shared 1-D dataset moved in collective transfers of
// a fixed size. Both use contiguous datasets without fill values, so the
// timed phases move the data and HDF5's own metadata, nothing else.
#include "bench_hdf5.hpp"

#include <cstring>
#include <iostream>

namespace nacre::jobs::h5 {

Status h5_error(const std::string& what) { return Status::error(EIO, "HDF5: " + what + " failed"); }

namespace {

Result<hid_t> collective_dxpl() {
  hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  if (dxpl < 0) return h5_error("H5Pcreate(DATASET_XFER)");
  if (H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) < 0) {
    H5Pclose(dxpl);
    return h5_error("H5Pset_dxpl_mpio(COLLECTIVE)");
  }
  return dxpl;
}

// A contiguous dataset of `type`, no fill values written (the benchmark
// writes every element).
Result<hid_t> create_dataset(hid_t file, const char* name, hid_t type, hid_t space) {
  Id dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!dcpl.ok() || H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER) < 0)
    return h5_error("dataset creation properties");
  hid_t d = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl.get(), H5P_DEFAULT);
  if (d < 0) return h5_error(std::string("H5Dcreate2 ") + name);
  return d;
}

template <typename T>
uint64_t count_mismatches(const std::vector<T>& a, const std::vector<T>& b) {
  if (std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0) return 0;
  uint64_t bad = 0;
  for (size_t i = 0; i < a.size(); ++i) bad += std::memcmp(&a[i], &b[i], sizeof(T)) != 0;
  return bad;
}

// ---------------------------------------------------------------------------

class Checkpoint final : public Pattern {
 public:
  Checkpoint(int clients, int me, uint64_t bytes_per_client) {
    int grid[3] = {0, 0, 0};
    MPI_Dims_create(clients, 3, grid);
    const int coord[3] = {me / (grid[1] * grid[2]), (me / grid[2]) % grid[1], me % grid[2]};
    block_[0] = bytes_per_client / (kInner * kInner * sizeof(double));
    block_[1] = block_[2] = kInner;
    for (int d = 0; d < 3; ++d) {
      global_[d] = block_[d] * static_cast<hsize_t>(grid[d]);
      start_[d] = block_[d] * static_cast<hsize_t>(coord[d]);
      grid_[d] = grid[d];
    }
    out_.resize(block_[0] * block_[1] * block_[2]);
    in_.resize(out_.size());
  }
  const std::string& name() const override { return name_; }
  uint64_t total_bytes() const override {
    return global_[0] * global_[1] * global_[2] * sizeof(double);
  }
  std::string describe() const override {
    auto dims = [](const hsize_t* v) {
      return std::to_string(v[0]) + "x" + std::to_string(v[1]) + "x" + std::to_string(v[2]);
    };
    return "checkpoint: dataset " + dims(global_) + " doubles (" +
           std::to_string(total_bytes() / kMiB) + " MiB), process grid " +
           std::to_string(grid_[0]) + "x" + std::to_string(grid_[1]) + "x" +
           std::to_string(grid_[2]) + ", block " + dims(block_) +
           " per client, one collective H5Dwrite / H5Dread each";
  }
  void prepare(uint64_t salt) override {
    // Element (i, j, k) of the dataset holds its linear index + salt * 2^32
    // (exact in a double for any salt below 2^20).
    size_t n = 0;
    const double base = static_cast<double>(salt) * 4294967296.0;
    for (hsize_t i = 0; i < block_[0]; ++i)
      for (hsize_t j = 0; j < block_[1]; ++j) {
        const hsize_t row = ((start_[0] + i) * global_[1] + start_[1] + j) * global_[2] + start_[2];
        for (hsize_t k = 0; k < block_[2]; ++k) out_[n++] = base + static_cast<double>(row + k);
      }
    std::memset(in_.data(), 0xff, in_.size() * sizeof(double));
  }
  Status write(hid_t fapl, const std::string& path) override {
    Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose);
    if (!file.ok()) return h5_error("H5Fcreate " + path);
    Id fspace(H5Screate_simple(3, global_, nullptr), H5Sclose);
    Id mspace(H5Screate_simple(3, block_, nullptr), H5Sclose);
    auto dxpl = collective_dxpl();
    if (!fspace.ok() || !mspace.ok() || !dxpl) return h5_error("dataspaces / transfer properties");
    Id xfer(*dxpl, H5Pclose);
    auto d = create_dataset(file.get(), kDataset, H5T_NATIVE_DOUBLE, fspace.get());
    if (!d) return d.status();
    Id dset(*d, H5Dclose);
    if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start_, nullptr, block_, nullptr) < 0)
      return h5_error("H5Sselect_hyperslab");
    if (H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), xfer.get(),
                 out_.data()) < 0)
      return h5_error("H5Dwrite (collective) " + path);
    NACRE_RETURN_IF_ERROR(dset.close("H5Dclose"));
    return file.close(("H5Fclose " + path).c_str());
  }
  Status read(hid_t fapl, const std::string& path) override {
    Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose);
    if (!file.ok()) return h5_error("H5Fopen " + path);
    Id dset(H5Dopen2(file.get(), kDataset, H5P_DEFAULT), H5Dclose);
    if (!dset.ok()) return h5_error("H5Dopen2");
    Id fspace(H5Dget_space(dset.get()), H5Sclose);
    Id mspace(H5Screate_simple(3, block_, nullptr), H5Sclose);
    auto dxpl = collective_dxpl();
    if (!fspace.ok() || !mspace.ok() || !dxpl) return h5_error("dataspaces / transfer properties");
    Id xfer(*dxpl, H5Pclose);
    hsize_t dims[3] = {};
    if (H5Sget_simple_extent_dims(fspace.get(), dims, nullptr) != 3 ||
        std::memcmp(dims, global_, sizeof dims) != 0)
      return Status::error(EIO, "checkpoint: " + path + " has a dataset of the wrong shape");
    if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start_, nullptr, block_, nullptr) < 0)
      return h5_error("H5Sselect_hyperslab");
    if (H5Dread(dset.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), xfer.get(),
                in_.data()) < 0)
      return h5_error("H5Dread (collective) " + path);
    NACRE_RETURN_IF_ERROR(dset.close("H5Dclose"));
    return file.close(("H5Fclose " + path).c_str());
  }
  uint64_t mismatches() const override { return count_mismatches(in_, out_); }

 private:
  static constexpr hsize_t kInner = 256;
  static constexpr const char* kDataset = "ckpt";
  std::string name_ = "checkpoint";
  hsize_t global_[3] = {}, block_[3] = {}, start_[3] = {};
  int grid_[3] = {};
  std::vector<double> out_, in_;
};

// ---------------------------------------------------------------------------

class Ior final : public Pattern {
 public:
  Ior(int clients, int me, uint64_t transfer, uint64_t block, uint64_t segments)
      : clients_(static_cast<uint64_t>(clients)), me_(static_cast<uint64_t>(me)),
        transfer_(transfer), block_(block), segments_(segments),
        out_(block * segments / sizeof(uint64_t)), in_(out_.size()) {}
  const std::string& name() const override { return name_; }
  uint64_t total_bytes() const override { return clients_ * block_ * segments_; }
  std::string describe() const override {
    return "ior_hdf5: 1-D uint64 dataset of " + std::to_string(total_bytes() / kMiB) + " MiB, " +
           std::to_string(segments_) + " segments x " + std::to_string(block_ / 1024) +
           " KiB block per client, " + std::to_string(transfer_ / 1024) +
           " KiB per collective H5Dwrite / H5Dread (" + std::to_string(calls()) +
           " calls per client)";
  }
  void prepare(uint64_t salt) override {
    size_t n = 0;
    for (uint64_t s = 0; s < segments_; ++s) {
      const uint64_t first = file_offset(s, 0) / sizeof(uint64_t);
      for (uint64_t e = 0; e < block_ / sizeof(uint64_t); ++e)
        out_[n++] = (first + e) * 0x9E3779B97F4A7C15ull + (salt << 56);
    }
    std::memset(in_.data(), 0xff, in_.size() * sizeof(uint64_t));
  }
  Status write(hid_t fapl, const std::string& path) override {
    Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl), H5Fclose);
    if (!file.ok()) return h5_error("H5Fcreate " + path);
    const hsize_t n = total_bytes() / sizeof(uint64_t);
    Id fspace(H5Screate_simple(1, &n, nullptr), H5Sclose);
    if (!fspace.ok()) return h5_error("H5Screate_simple");
    auto d = create_dataset(file.get(), kDataset, H5T_NATIVE_UINT64, fspace.get());
    if (!d) return d.status();
    Id dset(*d, H5Dclose);
    NACRE_RETURN_IF_ERROR(transfers(dset.get(), fspace.get(), true));
    NACRE_RETURN_IF_ERROR(dset.close("H5Dclose"));
    return file.close(("H5Fclose " + path).c_str());
  }
  Status read(hid_t fapl, const std::string& path) override {
    Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl), H5Fclose);
    if (!file.ok()) return h5_error("H5Fopen " + path);
    Id dset(H5Dopen2(file.get(), kDataset, H5P_DEFAULT), H5Dclose);
    if (!dset.ok()) return h5_error("H5Dopen2");
    Id fspace(H5Dget_space(dset.get()), H5Sclose);
    if (!fspace.ok()) return h5_error("H5Dget_space");
    if (H5Sget_simple_extent_npoints(fspace.get()) !=
        static_cast<hssize_t>(total_bytes() / sizeof(uint64_t)))
      return Status::error(EIO, "ior_hdf5: " + path + " has a dataset of the wrong size");
    NACRE_RETURN_IF_ERROR(transfers(dset.get(), fspace.get(), false));
    NACRE_RETURN_IF_ERROR(dset.close("H5Dclose"));
    return file.close(("H5Fclose " + path).c_str());
  }
  uint64_t mismatches() const override { return count_mismatches(in_, out_); }

 private:
  static constexpr const char* kDataset = "ior";
  uint64_t calls() const { return segments_ * (block_ / transfer_); }
  uint64_t file_offset(uint64_t segment, uint64_t in_block) const {
    return (segment * clients_ + me_) * block_ + in_block;
  }
  // COLLECTIVE: every client makes the same calls() H5Dwrite/H5Dread calls.
  Status transfers(hid_t dset, hid_t fspace, bool write) {
    const hsize_t count = transfer_ / sizeof(uint64_t);
    Id mspace(H5Screate_simple(1, &count, nullptr), H5Sclose);
    auto dxpl = collective_dxpl();
    if (!mspace.ok() || !dxpl) return h5_error("memory space / transfer properties");
    Id xfer(*dxpl, H5Pclose);
    for (uint64_t s = 0; s < segments_; ++s)
      for (uint64_t t = 0; t < block_ / transfer_; ++t) {
        const hsize_t start = file_offset(s, t * transfer_) / sizeof(uint64_t);
        if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, nullptr, &count, nullptr) < 0)
          return h5_error("H5Sselect_hyperslab");
        const size_t at = (s * block_ + t * transfer_) / sizeof(uint64_t);
        const herr_t rc =
            write ? H5Dwrite(dset, H5T_NATIVE_UINT64, mspace.get(), fspace, xfer.get(), &out_[at])
                  : H5Dread(dset, H5T_NATIVE_UINT64, mspace.get(), fspace, xfer.get(), &in_[at]);
        if (rc < 0) return h5_error(write ? "H5Dwrite (collective)" : "H5Dread (collective)");
      }
    return Status::ok();
  }

  std::string name_ = "ior_hdf5";
  uint64_t clients_, me_, transfer_, block_, segments_;
  std::vector<uint64_t> out_, in_;
};

}  // namespace

std::unique_ptr<Pattern> make_checkpoint(int clients, int me, uint64_t bytes_per_client) {
  return std::make_unique<Checkpoint>(clients, me, bytes_per_client);
}

std::unique_ptr<Pattern> make_ior(int clients, int me, uint64_t transfer, uint64_t block,
                                  uint64_t segments) {
  return std::make_unique<Ior>(clients, me, transfer, block, segments);
}

}  // namespace nacre::jobs::h5
