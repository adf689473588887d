#include "mpiio_file/dense.hpp"

namespace nacre::mpiio {

std::optional<int64_t> dense_origin(const FlatList& list) {
  if (!list.pattern) return std::nullopt;
  const Pattern& p = *list.pattern;
  if (p.leaf.size() != 1 || p.leaf_bytes <= 0 || p.leaf[0].length != p.leaf_bytes)
    return std::nullopt;
  int64_t body = p.leaf_bytes;  // stream bytes of one repetition of the current level
  for (const RepeatLevel& lv : p.levels) {
    if (lv.count > 1 && lv.stride != body) return std::nullopt;
    body *= lv.count;  // flatten() checked these products for overflow
  }
  if (list.count > 1 && list.type_extent != body) return std::nullopt;
  return list.base + p.leaf[0].offset;
}

}  // namespace nacre::mpiio
