#include "mpiio_file/write_behind.hpp"

#include "mpiio_file/agree.hpp"
#include "mpiio_file/buffer_pool.hpp"

#include <algorithm>
#include <cstring>

namespace nacre::mpiio {
namespace {

std::vector<layout::FilePiece> file_pieces(std::span<const collective::Extent> e) {
  std::vector<layout::FilePiece> out;
  out.reserve(e.size());
  for (const auto& x : e)
    if (x.length) out.push_back({x.offset, x.length});
  return out;
}

}  // namespace

WriteBehind::~WriteBehind() { BufferPool::give(std::move(data_)); }

Status WriteBehind::stage(client::ClientCore& core, const Layout& layout, uint64_t budget,
                          std::span<const collective::Extent> pieces, const uint8_t* stream) {
  ++calls_;
  const auto fit = batch_.classify(pieces);
  if (fit == collective::WriteBatch::Fit::kOverlapsItself)
    return Status::error(EINVAL, "collective write: the rank writes some file bytes twice");
  uint64_t n = 0;
  for (const auto& p : pieces) n += p.length;
  max_call_ = std::max(max_call_, n);
  if (n == 0) return Status::ok();
  Status s;
  if (fit == collective::WriteBatch::Fit::kOverlapsPending || batch_.bytes() + n > budget)
    s = flush_local(core, layout);
  if (n > budget) {
    // Too large to stage: straight to the servers (after the batch, in order).
    if (s) s = core.write_pieces(layout, file_pieces(pieces), stream);
    if (!s && kept_) kept_ = s;
    return Status::ok();  // reported, agreed, at the next flush
  }
  if (!s && kept_) kept_ = s;
  if (data_.size() < batch_.bytes() + n) {
    // Grow (rarely: the buffer is sized to the budget at the first stage).
    std::vector<uint8_t> bigger =
        BufferPool::take(static_cast<size_t>(std::max(budget, batch_.bytes() + n)));
    std::memcpy(bigger.data(), data_.data(), static_cast<size_t>(batch_.bytes()));
    BufferPool::give(std::move(data_));
    data_ = std::move(bigger);
  }
  std::memcpy(data_.data() + batch_.bytes(), stream, static_cast<size_t>(n));
  batch_.append(pieces);
  return Status::ok();
}

Status WriteBehind::flush_local(client::ClientCore& core, const Layout& layout) {
  if (batch_.empty()) return Status::ok();
  Status s = core.write_pieces(layout, file_pieces(batch_.pieces()), data_.data());
  batch_.clear();
  return s;
}

Status WriteBehind::flush(const TwoPhaseContext& ctx, uint64_t budget, TwoPhaseStats* stats) {
  uint64_t largest = 0;
  MPI_Allreduce(&max_call_, &largest, 1, MPI_UINT64_T, MPI_MAX, ctx.comm);
  Status s = two_phase_write(ctx, batch_.pieces(), data_.data(), stats);
  if (s) s = agree(ctx.comm, kept_);  // an earlier local flush of some rank failed
  batch_.clear();
  calls_ = 0;
  max_call_ = 0;
  kept_ = Status::ok();
  calls_per_flush_ = collective::calls_per_flush(budget, largest, calls_per_flush_);
  return s;
}

}  // namespace nacre::mpiio
