// The ClientCore behind an open nacre::File.
//
// nacre::File keeps its ClientCore private and lib/client offers no internal
// accessor yet, so this one file reaches it through the explicit-instantiation
// access rule (the only place in the tree that does). Replace it with a real
// accessor in lib/client (e.g. `client::core_of(const File&)`) when one exists.
#pragma once

#include "client/client_core.hpp"

#include <nacre/file.hpp>

#include <memory>

namespace nacre::mpiio {

// The shared core of an open file; null if the file is not open.
std::shared_ptr<client::ClientCore> core_of(const File& file);

}  // namespace nacre::mpiio
