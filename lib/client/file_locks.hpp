// Application locks of nacre::File (fcntl-style record locks and flock
// whole-file locks; docs/LOCKS.md): the APP_LOCK requests to the metadata
// server. The File methods live in file_locks.cpp.
#pragma once

#include "client/client_core.hpp"

namespace nacre {

// At close of `file`: releases its flock lock (if it ever took one) and the
// process's fcntl locks on the file (if it may hold any). One RPC at most;
// none when the process never locked the file.
Status release_app_locks(client::ClientCore& core, const client::OpenFile& file);

}  // namespace nacre
