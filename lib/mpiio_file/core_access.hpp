// The ClientCore behind an open nacre::File (through client::FileAccess).
#pragma once

#include "client/file_access.hpp"

#include <memory>

namespace nacre::mpiio {

// The shared core of an open file; null if the file is not open.
inline std::shared_ptr<client::ClientCore> core_of(const File& file) {
  return client::FileAccess::core(file);
}

}  // namespace nacre::mpiio
