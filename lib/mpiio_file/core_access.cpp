#include "mpiio_file/core_access.hpp"

namespace nacre::mpiio {
namespace {

struct FileCoreTag {
  using type = std::shared_ptr<client::ClientCore> File::*;
  friend type member_of(FileCoreTag);
};

template <class Tag, typename Tag::type Member>
struct Grant {
  friend typename Tag::type member_of(Tag) { return Member; }
};

// Explicit instantiation may name private members (C++ [temp.spec]/6).
template struct Grant<FileCoreTag, &File::core_>;

}  // namespace

std::shared_ptr<client::ClientCore> core_of(const File& file) {
  if (!file.is_open()) return nullptr;
  return file.*member_of(FileCoreTag{});
}

}  // namespace nacre::mpiio
