// Shared by the durability test job's modes (durable_job.cpp, crash_job.cpp).
#pragma once

#include <nacre/nacre.hpp>

#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace durable {

extern int g_failures;  // checks that failed on this rank
extern int g_rank;      // MPI_COMM_WORLD rank

#define EXPECT(cond, what)                                                               \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      ++durable::g_failures;                                                             \
      std::fprintf(stderr, "[rank %d] %s:%d: FAILED: %s\n", durable::g_rank, __FILE__,   \
                   __LINE__, std::string(what).c_str());                                 \
    }                                                                                    \
  } while (0)

// The byte at offset off of a file named path in generation gen.
inline uint8_t pattern(const std::string& path, uint64_t off, uint64_t gen) {
  uint64_t h = std::hash<std::string>{}(path) ^ (gen * 0x9e3779b97f4a7c15ull);
  uint64_t x = (off / 8 + 1) * 0xbf58476d1ce4e5b9ull ^ h;
  x ^= x >> 31;
  return static_cast<uint8_t>(x >> ((off % 8) * 8));
}

inline std::vector<uint8_t> content(const std::string& path, uint64_t size, uint64_t gen) {
  std::vector<uint8_t> v(size);
  for (uint64_t i = 0; i < size; ++i) v[i] = pattern(path, i, gen);
  return v;
}

// Writes a file of size bytes of content(path, size, gen), synced.
nacre::Status write_file(nacre::FileSystem& fs, const std::string& path, uint64_t size, uint64_t gen,
                         const nacre::LayoutRequest& layout, uint32_t mode);
// "" when path holds exactly size bytes of content(content_of or path, gen);
// else what differs.
std::string check_file(nacre::FileSystem& fs, const std::string& path, uint64_t size, uint64_t gen,
                       const std::string& content_of = {});

// The crash modes (crash_job.cpp).
int run_crash_writer(nacre::FileSystem& fs, MPI_Comm comm, const std::string& log, uint64_t seed,
                     uint64_t cycle);
int run_crash_verify(nacre::FileSystem& fs, MPI_Comm comm, const std::string& log);

}  // namespace durable
