// Collective-buffering hints (the MPI_Info keys that steer two-phase I/O) and
// their parsing. Pure.
#pragma once

#include <nacre/status.hpp>

#include <cstdint>
#include <string_view>

namespace nacre::collective {

// romio_cb_write / romio_cb_read.
enum class CbMode { kEnable, kDisable, kAutomatic };

// How an aggregator treats the holes of a round window (bytes no rank
// accesses between the first and last accessed byte of the window).
//   kFill: one request for the whole window; a write first reads the holes
//          (read-modify-write), a read discards them (data sieving).
//   kSkip: one request per covered run.
//   kAuto: kFill when hole bytes <= max_hole_fraction * window bytes, else kSkip.
enum class HolePolicy { kAuto, kFill, kSkip };

struct CollectiveHints {
  uint32_t cb_nodes = 0;                       // aggregators; 0 = one per server (see aggregators.hpp)
  uint64_t cb_buffer_size = 16ull << 20;       // bytes per aggregator per round, > 0
  CbMode cb_write = CbMode::kAutomatic;        // romio_cb_write
  CbMode cb_read = CbMode::kAutomatic;         // romio_cb_read
  uint64_t min_independent_run = 1ull << 20;   // automatic mode: independent needs runs this large
  HolePolicy hole_policy = HolePolicy::kAuto;  // nacre_cb_holes
  double max_hole_fraction = 0.25;             // nacre_cb_max_hole_fraction, in [0, 1]
  // nacre_write_behind ("enable" / "disable"): collective writes are staged
  // per rank and written by one two-phase flush every few calls (see
  // lib/mpiio_file/write_behind.hpp for the consistency this gives).
  bool write_behind = false;
  uint64_t write_behind_size = 16ull << 20;    // nacre_write_behind_size: staged bytes per rank, > 0
};

// "enable" | "disable" | "automatic" (case-sensitive, as ROMIO).
Result<CbMode> parse_cb_mode(std::string_view value);
// "auto" | "fill" | "skip".
Result<HolePolicy> parse_hole_policy(std::string_view value);

// Applies one MPI_Info key/value. Known keys: cb_nodes, cb_buffer_size,
// romio_cb_write, romio_cb_read, collective_buffering ("true"/"false": sets
// both modes to enable/disable), nacre_cb_min_independent_run,
// nacre_cb_holes, nacre_cb_max_hole_fraction, nacre_write_behind,
// nacre_write_behind_size. Unknown keys are ignored (OK);
// a bad value of a known key is EINVAL naming key and value, and leaves
// `hints` unchanged.
Status apply_hint(CollectiveHints& hints, std::string_view key, std::string_view value);

}  // namespace nacre::collective
