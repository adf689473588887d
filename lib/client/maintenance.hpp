// Health, fsck, scrub and rebuild over a ClientCore (docs/DURABILITY.md,
// "Scrub, rebuild, fsck"). Blocking; one rank at a time.
#pragma once

#include "client/client_core.hpp"

#include <nacre/maintenance.hpp>

namespace nacre::client {

Result<std::vector<ServerHealth>> server_health(ClientCore& core);
Result<FsckReport> run_fsck(ClientCore& core, bool remove_orphans, const ProgressFn& progress);
Result<ScrubReport> run_scrub(ClientCore& core, const ProgressFn& progress);
Result<RebuildReport> run_rebuild(ClientCore& core, const ProgressFn& progress);

}  // namespace nacre::client
