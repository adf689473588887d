#include "mpiio/flat_cursor.hpp"

#include <algorithm>

namespace nacre::mpiio {

FlatCursor::FlatCursor(const FlatList& list) : pat_(list.pattern), base_(list.base) {
  if (!pat_) pat_ = std::make_shared<const Pattern>();
  levels_ = pat_->levels;
  int64_t folded = 0;
  if (list.count > 1 && pat_->levels.empty() && pat_->leaf.size() == 1 &&
      pat_->leaf[0].length == list.type_extent &&
      !__builtin_mul_overflow(pat_->leaf[0].length, list.count, &folded)) {
    // count abutting instances of one contiguous piece (MPI_BYTE x N: the
    // default view's tiles, HDF5's memory types) are one piece, so map()
    // and next() cost O(1) instead of O(count).
    auto one = std::make_shared<Pattern>(*pat_);
    one->leaf[0].length = folded;
    one->leaf_prefix = {0, folded};
    one->leaf_bytes = folded;
    one->size = folded;
    one->data_hi = one->leaf[0].offset + folded;
    pat_ = std::move(one);
  } else if (list.count != 1) {
    levels_.push_back({list.count, list.type_extent});
  }
  size_ = pat_->size;
  level_bytes_.resize(levels_.size());
  int64_t s = pat_->leaf_bytes;
  for (size_t l = 0; l < levels_.size(); ++l) {
    level_bytes_[l] = s;
    s *= levels_[l].count;  // flatten() checked count * size for overflow
  }
  size_ = s;
  if (pat_->leaf.empty()) size_ = 0;
  idx_.assign(levels_.size(), 0);
  origin_ = base_;
}

Status FlatCursor::seek(int64_t pos) {
  if (pos < 0 || pos > size_)
    return Status::error(EINVAL, "flat cursor: position " + std::to_string(pos) +
                                     " outside the stream [0, " + std::to_string(size_) + "]");
  pos_ = pos;
  if (pos == size_) return Status::ok();  // at end; next() returns false
  int64_t rem = pos;
  origin_ = base_;
  for (size_t l = levels_.size(); l-- > 0;) {
    idx_[l] = rem / level_bytes_[l];
    rem %= level_bytes_[l];
    origin_ += idx_[l] * levels_[l].stride;
  }
  const auto& pre = pat_->leaf_prefix;
  leaf_ = static_cast<size_t>(std::upper_bound(pre.begin(), pre.end(), rem) - pre.begin()) - 1;
  intra_ = rem - pre[leaf_];
  return Status::ok();
}

bool FlatCursor::next(int64_t max_bytes, Piece* out) {
  if (pos_ >= size_ || max_bytes <= 0) return false;
  const Piece& lp = pat_->leaf[leaf_];
  const int64_t len = std::min(lp.length - intra_, max_bytes);
  *out = {origin_ + lp.offset + intra_, len};
  pos_ += len;
  intra_ += len;
  if (intra_ == lp.length) {
    intra_ = 0;
    if (++leaf_ == pat_->leaf.size()) {
      leaf_ = 0;
      for (size_t l = 0; l < levels_.size(); ++l) {
        if (idx_[l] + 1 < levels_[l].count) {
          ++idx_[l];
          origin_ += levels_[l].stride;
          break;
        }
        origin_ -= idx_[l] * levels_[l].stride;
        idx_[l] = 0;
      }
    }
  }
  return true;
}

Status FlatCursor::map(int64_t a, int64_t b, std::vector<Piece>& out, int64_t max_pieces) {
  if (a > b || b > size_)
    return Status::error(EINVAL, "flat cursor: range [" + std::to_string(a) + ", " +
                                     std::to_string(b) + ") outside the stream [0, " +
                                     std::to_string(size_) + ")");
  NACRE_RETURN_IF_ERROR(seek(a));
  const size_t first = out.size();
  Piece pc;
  while (pos_ < b && next(b - pos_, &pc)) {
    if (out.size() > first && out.back().end() == pc.offset) {
      out.back().length += pc.length;
      continue;
    }
    if (static_cast<int64_t>(out.size() - first) >= max_pieces)
      return Status::error(EFBIG, "flat cursor: more than " + std::to_string(max_pieces) +
                                      " pieces in range [" + std::to_string(a) + ", " +
                                      std::to_string(b) + ")");
    out.push_back(pc);
  }
  return Status::ok();
}

}  // namespace nacre::mpiio
