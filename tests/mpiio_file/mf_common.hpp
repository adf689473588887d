// Shared helpers of the lib/mpiio_file MPI jobs: an embedded Nacre (2
// servers, small stripes so that files span many stripes and collective
// writes run several rounds), whole-file reads through the plain nacre::File
// API, and a file model built from each rank's flattened view.
#pragma once

#include "mpi_check.hpp"
#include "mpiio/decode_type.hpp"
#include "mpiio/view.hpp"
#include "mpiio_file/mpi_file.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace mftest {

using nacre::mpiio::MpiFile;

inline nacre::Config config() {
  nacre::Config c;
  c.servers = 2;
  c.stripe_size = 64 * 1024;
  c.stripe_count = -1;
  return c;
}

// An MPI_Info with the given key/value pairs (the caller frees it).
inline MPI_Info info(std::initializer_list<std::pair<const char*, const char*>> kv) {
  MPI_Info i;
  MPI_Info_create(&i);
  for (auto& [k, v] : kv) MPI_Info_set(i, k, v);
  return i;
}

// The whole file through nacre::File (every rank reads it).
inline std::vector<uint8_t> read_whole(nacre::FileSystem& fs, const std::string& path) {
  auto f = fs.open(path, nacre::open_flags::kRead);
  if (!f) {
    mpicheck::fail(__FILE__, __LINE__, "open " + path + ": " + f.status().to_string());
    return {};
  }
  auto n = f->size();
  std::vector<uint8_t> out(n ? *n : 0);
  if (!out.empty()) {
    auto r = f->read_at(0, out.data(), out.size());
    if (!r || *r != out.size()) mpicheck::fail(__FILE__, __LINE__, "read back " + path);
  }
  (void)f->close();
  return out;
}

// The file every rank's (view, offset, stream) produces, assembled on all
// ranks: each rank maps its stream through its view with the pure
// nacre::mpiio::map_view (from the flattened filetype) and the pieces and
// data are allgathered.
inline std::vector<uint8_t> model_file(MPI_Comm comm, const nacre::mpiio::FileView& view,
                                       int64_t offset, const std::vector<uint8_t>& stream) {
  std::vector<int64_t> mine;  // offset, length pairs
  if (!stream.empty()) {
    auto pieces = nacre::mpiio::map_view(view, offset, static_cast<int64_t>(stream.size()));
    if (!pieces) {
      mpicheck::fail(__FILE__, __LINE__, "map_view: " + pieces.status().to_string());
    } else {
      for (auto& p : *pieces) {
        mine.push_back(p.offset);
        mine.push_back(p.length);
      }
    }
  }
  int size = 0;
  MPI_Comm_size(comm, &size);
  auto gather = [&](const void* data, int n, MPI_Datatype t, size_t esz) {
    std::vector<int> counts(static_cast<size_t>(size)), displs(static_cast<size_t>(size));
    MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
    int total = 0;
    for (int r = 0; r < size; ++r) {
      displs[static_cast<size_t>(r)] = total;
      total += counts[static_cast<size_t>(r)];
    }
    std::vector<uint8_t> all(static_cast<size_t>(total) * esz);
    MPI_Allgatherv(data, n, t, all.data(), counts.data(), displs.data(), t, comm);
    return std::make_pair(all, counts);
  };
  auto [pbytes, pcounts] = gather(mine.data(), static_cast<int>(mine.size()), MPI_INT64_T, 8);
  auto [sbytes, scounts] =
      gather(stream.data(), static_cast<int>(stream.size()), MPI_BYTE, 1);
  const int64_t* p = reinterpret_cast<const int64_t*>(pbytes.data());
  std::vector<uint8_t> file;
  size_t sat = 0, pat = 0;
  for (int r = 0; r < size; ++r) {
    for (int i = 0; i < pcounts[static_cast<size_t>(r)]; i += 2, pat += 2) {
      const auto off = static_cast<size_t>(p[pat]), len = static_cast<size_t>(p[pat + 1]);
      if (file.size() < off + len) file.resize(off + len, 0);
      std::memcpy(file.data() + off, sbytes.data() + sat, len);
      sat += len;
    }
  }
  return file;
}

// The FileView nacre::mpiio builds from MPI datatypes (for model_file).
inline nacre::mpiio::FileView view_of(int64_t disp, MPI_Datatype etype, MPI_Datatype filetype) {
  auto et = nacre::mpiio::decode_type(etype);
  auto ft = nacre::mpiio::decode_type(filetype);
  if (!et || !ft) return nacre::mpiio::default_view();
  auto v = nacre::mpiio::make_view(disp, *et, *ft, nacre::mpiio::ViewAccess::read_only);
  return v ? *v : nacre::mpiio::default_view();
}

// First differing byte, or -1.
inline int64_t first_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return static_cast<int64_t>(i);
  return a.size() == b.size() ? -1 : static_cast<int64_t>(n);
}

#define CHECK_SAME_BYTES(a, b)                                                          \
  do {                                                                                  \
    ++::mpicheck::state().checks;                                                       \
    const int64_t d_ = ::mftest::first_diff((a), (b));                                  \
    if (d_ >= 0)                                                                        \
      ::mpicheck::fail(__FILE__, __LINE__,                                              \
                       std::string("bytes differ: " #a " vs " #b " at ") +              \
                           std::to_string(d_) + " (sizes " + std::to_string((a).size()) + \
                           ", " + std::to_string((b).size()) + ")");                    \
  } while (0)

}  // namespace mftest
