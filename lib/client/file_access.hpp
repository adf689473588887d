// Internal access to the parts of a nacre::File that layers built on the
// client core (the MPI-IO layer) need. Not part of the public API.
#pragma once

#include "client/client_core.hpp"

#include <nacre/file.hpp>

#include <memory>

namespace nacre::client {

struct FileAccess {
  // The client core of an open file; null if the file is not open.
  static std::shared_ptr<ClientCore> core(const File& f) {
    return f.is_open() ? f.core_ : nullptr;
  }
  // The open-file state (path, inode, flags, layout); null if not open.
  static const OpenFile* state(const File& f) { return f.state_.get(); }
};

}  // namespace nacre::client
