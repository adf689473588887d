// A store wrapper that injects errors, so tests can drive the failure paths
// of a real store (issue 6: "ENOSPC and EIO in the directory store reach the
// client as clear errors, with no corruption and the server still serving").
//
// The plan comes from a spec string (NACRE_STORE_FAULTS, read at server
// start; see docs/DURABILITY.md): comma-separated rules
//   write-enospc-after=<bytes>  once this server has stored <bytes> bytes of
//                               writes in all, every further write fails
//                               with ENOSPC and stores nothing (a full disk);
//                               destroying objects does not free space.
//   read-eio-object=<id>        every read of object <id> fails with EIO.
//   sync-eio                    every sync fails with EIO.
//   server=<index>              only that server injects the faults (for
//                               replica tests: one copy fails, others not).
// A failing write or read leaves the inner store untouched. Used by one
// service thread, like every store.
#pragma once

#include "store/object_store.hpp"

#include <optional>
#include <string>

namespace nacre::store {

inline constexpr const char* kEnvStoreFaults = "NACRE_STORE_FAULTS";

struct FaultPlan {
  std::optional<uint64_t> enospc_after;     // write bytes accepted before ENOSPC
  std::optional<uint64_t> eio_read_object;  // object whose reads fail
  bool eio_sync = false;
  std::optional<uint32_t> only_server;      // none: every server
  bool applies_to(uint32_t server) const { return !only_server || *only_server == server; }
  bool empty() const { return !enospc_after && !eio_read_object && !eio_sync; }
};

// Parses a spec; EINVAL naming the bad rule (and NACRE_STORE_FAULTS).
Result<FaultPlan> parse_fault_plan(const std::string& spec);

std::unique_ptr<ObjectStore> make_fault_injecting_store(std::unique_ptr<ObjectStore> inner,
                                                        const FaultPlan& plan);

}  // namespace nacre::store
