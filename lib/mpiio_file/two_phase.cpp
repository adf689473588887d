#include "mpiio_file/two_phase.hpp"

#include "collective/access.hpp"
#include "collective/aggregators.hpp"
#include "collective/decision.hpp"
#include "collective/plan.hpp"
#include "mpiio_file/agree.hpp"
#include "mpiio_file/buffer_pool.hpp"

#include <algorithm>
#include <climits>
#include <numeric>
#include <optional>

namespace nacre::mpiio {
namespace {

using collective::Extent;
using collective::Transfer;

constexpr int kTag = 4242;
constexpr uint64_t kMaxBlock = uint64_t{1} << 30;

std::vector<layout::FilePiece> to_file_pieces(std::span<const Extent> e) {
  std::vector<layout::FilePiece> out;
  out.reserve(e.size());
  for (const Extent& x : e)
    if (x.length) out.push_back({x.offset, x.length});
  return out;
}

// An hindexed MPI_BYTE type over (displacement, length) blocks, relative to
// the buffer passed to the send/receive.
class BlockType {
 public:
  void add(uint64_t disp, uint64_t len) {
    while (len) {
      const uint64_t n = std::min(len, kMaxBlock);
      if (!lens_.empty() && static_cast<uint64_t>(displs_.back()) + lens_.back() == disp &&
          lens_.back() + n <= kMaxBlock) {
        lens_.back() += static_cast<int>(n);
      } else {
        displs_.push_back(static_cast<MPI_Aint>(disp));
        lens_.push_back(static_cast<int>(n));
      }
      disp += n;
      len -= n;
    }
  }
  bool empty() const { return lens_.empty(); }
  // Commits; the caller frees the type.
  MPI_Datatype commit() const {
    MPI_Datatype t = MPI_DATATYPE_NULL;
    MPI_Type_create_hindexed(static_cast<int>(lens_.size()), lens_.data(), displs_.data(),
                             MPI_BYTE, &t);
    MPI_Type_commit(&t);
    return t;
  }

 private:
  std::vector<int> lens_;
  std::vector<MPI_Aint> displs_;
};

// Buffer position of file bytes inside the aggregator's buffer, which holds
// the extents `ext` (file order) back to back.
class BufferMap {
 public:
  void reset(std::span<const Extent> ext) {
    ext_.assign(ext.begin(), ext.end());
    pos_.resize(ext_.size());
    uint64_t p = 0;
    for (size_t i = 0; i < ext_.size(); ++i) {
      pos_[i] = p;
      p += ext_[i].length;
    }
    bytes_ = p;
  }
  uint64_t bytes() const { return bytes_; }
  // file_offset must lie inside an extent (transfers lie in covered runs).
  uint64_t pos(uint64_t file_offset) const {
    auto it = std::upper_bound(ext_.begin(), ext_.end(), file_offset,
                               [](uint64_t o, const Extent& e) { return o < e.offset; });
    const size_t i = static_cast<size_t>(it - ext_.begin()) - 1;
    return pos_[i] + (file_offset - ext_[i].offset);
  }
  std::span<const Extent> extents() const { return ext_; }

 private:
  std::vector<Extent> ext_;
  std::vector<uint64_t> pos_;
  uint64_t bytes_ = 0;
};

// What every rank contributes to the decision: its summary and whether it
// failed before the I/O (then every rank agrees on the error instead).
struct Contribution {
  collective::AccessSummary summary;
  uint64_t failed = 0;
};

Status run(const TwoPhaseContext& ctx, bool is_write, std::span<const Extent> pieces,
           uint8_t* stream, TwoPhaseStats* stats, const Status& before) {
  MPI_Comm comm = ctx.comm;
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const collective::CollectiveHints& h = ctx.hints;
  TwoPhaseStats scratch;
  if (!stats) stats = &scratch;
  *stats = {};
  double t0 = MPI_Wtime();
  auto lap = [&t0](double* into) {
    const double t = MPI_Wtime();
    *into += t - t0;
    t0 = t;
  };

  // ---- phase 1: summaries and the decision (one allgather, which also
  // carries every rank's earlier failure, if any).
  Contribution mine{};
  Status local = before;
  if (local) {
    auto sum = collective::summarize(pieces);
    if (sum) mine.summary = *sum;
    else local = sum.status();
  }
  mine.failed = local ? 0 : 1;
  std::vector<Contribution> gathered(static_cast<size_t>(size));
  MPI_Allgather(&mine, sizeof mine, MPI_BYTE, gathered.data(), sizeof mine, MPI_BYTE, comm);
  std::vector<collective::AccessSummary> all(static_cast<size_t>(size));
  bool any_failed = false;
  for (int r = 0; r < size; ++r) {
    all[static_cast<size_t>(r)] = gathered[static_cast<size_t>(r)].summary;
    any_failed = any_failed || gathered[static_cast<size_t>(r)].failed != 0;
  }
  if (any_failed) return agree(comm, local);
  const auto decision =
      collective::decide(is_write ? h.cb_write : h.cb_read, all, h.min_independent_run);
  lap(&stats->t_decide);
  if (decision.path == collective::IoPath::kIndependent) {
    if (mine.summary.bytes) {
      const auto fp = to_file_pieces(pieces);
      local = is_write ? ctx.core->write_pieces(*ctx.layout, fp, stream, ctx.locking)
                       : ctx.core->read_pieces(*ctx.layout, fp, stream, ctx.locking);
    }
    Status s = agree(comm, local);
    lap(&stats->t_io);
    return s;
  }

  // ---- phase 2: aggregators, access lists to them, plans.
  collective::StripeLayout sl;
  sl.stripe_size = ctx.layout->stripe_size;
  sl.stripe_count = ctx.layout->stripe_count();
  for (const StripeTarget& t : ctx.layout->stripes) sl.server_of_stripe.push_back(t.server);
  std::vector<int> candidates(static_cast<size_t>(size));
  std::iota(candidates.begin(), candidates.end(), 0);
  auto map = collective::choose_aggregators(sl, h.cb_nodes, candidates);
  NACRE_RETURN_IF_ERROR(agree(comm, map.status()));
  const uint32_t A = map->count();
  std::vector<char> is_agg(static_cast<size_t>(size), 0);
  int my_agg = -1;
  for (uint32_t a = 0; a < A; ++a) {
    is_agg[static_cast<size_t>(map->rank_of(a))] = 1;
    if (map->rank_of(a) == rank) my_agg = static_cast<int>(a);
  }
  stats->aggregated = true;
  stats->aggregators = A;

  uint64_t my_count = pieces.size();
  std::vector<uint64_t> counts(static_cast<size_t>(size));
  MPI_Allgather(&my_count, 1, MPI_UINT64_T, counts.data(), 1, MPI_UINT64_T, comm);
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  local = Status::ok();
  if (total * 2 > static_cast<uint64_t>(INT_MAX))
    local = Status::error(EFBIG, "collective I/O: " + std::to_string(total) +
                                     " access pieces over all ranks exceed the exchange limit");
  NACRE_RETURN_IF_ERROR(agree(comm, local));
  std::vector<int> scount(static_cast<size_t>(size)), sdispl(static_cast<size_t>(size), 0),
      rcount(static_cast<size_t>(size)), rdispl(static_cast<size_t>(size));
  int off = 0;
  for (int r = 0; r < size; ++r) {
    scount[static_cast<size_t>(r)] = is_agg[static_cast<size_t>(r)] ? static_cast<int>(my_count * 2) : 0;
    rcount[static_cast<size_t>(r)] = my_agg >= 0 ? static_cast<int>(counts[static_cast<size_t>(r)] * 2) : 0;
    rdispl[static_cast<size_t>(r)] = off;
    off += rcount[static_cast<size_t>(r)];
  }
  static_assert(sizeof(Extent) == 2 * sizeof(uint64_t));
  std::vector<Extent> lists(my_agg >= 0 ? total : 0);
  MPI_Alltoallv(pieces.data(), scount.data(), sdispl.data(), MPI_UINT64_T, lists.data(),
                rcount.data(), rdispl.data(), MPI_UINT64_T, comm);

  const collective::PlanOptions opts = collective::PlanOptions::from(h);
  std::optional<collective::CollectivePlan> own, full;
  local = Status::ok();
  {
    auto ra = collective::RankAccess::build(pieces);
    if (!ra) local = ra.status();
    else {
      auto p = collective::CollectivePlan::build({std::move(*ra)}, *map, opts);
      if (!p) local = p.status();
      else own.emplace(std::move(*p));
    }
  }
  if (local && my_agg >= 0) {
    std::vector<collective::RankAccess> ranks;
    ranks.reserve(static_cast<size_t>(size));
    size_t at = 0;
    for (int r = 0; r < size && local; ++r) {
      const size_t n = counts[static_cast<size_t>(r)];
      auto ra = collective::RankAccess::build(std::span<const Extent>(lists).subspan(at, n));
      at += n;
      if (!ra) local = ra.status().with_context("access list of rank " + std::to_string(r));
      else ranks.push_back(std::move(*ra));
    }
    if (local) {
      auto p = collective::CollectivePlan::build(std::move(ranks), *map, opts);
      if (!p) local = p.status();
      else full.emplace(std::move(*p));
    }
  }
  if (local && is_write && own && own->ranks()[0].overlapping())
    local = Status::error(EINVAL, "collective write: the rank writes some file bytes twice");
  NACRE_RETURN_IF_ERROR(agree(comm, local));
  lists = {};

  lap(&stats->t_plan);

  // ---- phase 3: the rounds.
  // Every rank posts at once its sends (write) or receives (read) for every
  // round of every aggregator, in round order. Between two ranks MPI matches
  // messages in posting order, and each aggregator posts its side round by
  // round in the same order, so no round list needs exchanging. An
  // aggregator keeps two round buffers: it posts round i+1 (after the
  // read-modify-write read or, for reads, the read of its window) before it
  // waits for round i, so the data of one round moves while the requests of
  // the other are in flight. An I/O error stops only the aggregator's own
  // requests; every message is still exchanged (no rank is left waiting).
  std::vector<MPI_Request> mine_reqs;
  std::vector<MPI_Datatype> mine_types;
  {
    collective::Round r;
    for (uint32_t a = 0; a < A; ++a) {
      const int ar = map->rank_of(a);
      auto cur = own->rounds(a);
      while (cur.next(r)) {
        BlockType bt;
        for (const Transfer& x : r.transfers_of(0)) bt.add(x.stream_offset, x.length);
        if (bt.empty()) continue;
        MPI_Datatype dt = bt.commit();
        mine_types.push_back(dt);
        mine_reqs.emplace_back();
        if (is_write) MPI_Isend(stream, 1, dt, ar, kTag, comm, &mine_reqs.back());
        else MPI_Irecv(stream, 1, dt, ar, kTag, comm, &mine_reqs.back());
      }
    }
  }

  Status io;  // first I/O error of this rank
  if (my_agg >= 0) {
    const uint64_t W = full->window();
    ensure_size(ctx.agg_buffer, static_cast<size_t>(2 * W));
    uint8_t* const bufs[2] = {ctx.agg_buffer->data(), ctx.agg_buffer->data() + W};
    struct Slot {
      collective::Round round;
      BufferMap bmap;
      std::vector<layout::FilePiece> fp;
      std::vector<MPI_Request> reqs;
      std::vector<MPI_Datatype> types;
    };
    Slot slots[2];
    // Prepares a round in buf: the read of its window (reads; writes that
    // fill holes), then the receives (write) or sends (read) of every rank.
    auto post = [&](Slot& slot, uint8_t* buf) {
      const collective::Round& rd = slot.round;
      slot.bmap.reset(rd.fill_holes ? std::span<const Extent>(rd.window)
                                  : std::span<const Extent>(rd.covered));
      slot.fp = to_file_pieces(slot.bmap.extents());
      if (io && (!is_write || rd.fill_holes)) {
        lap(&stats->t_exchange);
        io = ctx.core->read_pieces(*ctx.layout, slot.fp, buf, ctx.locking);
        lap(&stats->t_io);
      }
      for (int r = 0; r < size; ++r) {
        auto tr = rd.transfers_of(static_cast<size_t>(r));
        if (tr.empty()) continue;
        BlockType bt;
        for (const Transfer& x : tr) bt.add(slot.bmap.pos(x.file_offset), x.length);
        MPI_Datatype dt = bt.commit();
        slot.types.push_back(dt);
        slot.reqs.emplace_back();
        if (is_write) MPI_Irecv(buf, 1, dt, r, kTag, comm, &slot.reqs.back());
        else MPI_Isend(buf, 1, dt, r, kTag, comm, &slot.reqs.back());
      }
    };
    auto finish = [&](Slot& slot) {
      MPI_Waitall(static_cast<int>(slot.reqs.size()), slot.reqs.data(), MPI_STATUSES_IGNORE);
      for (MPI_Datatype& dt : slot.types) MPI_Type_free(&dt);
      slot.reqs.clear();
      slot.types.clear();
    };
    auto cur = full->rounds(static_cast<uint32_t>(my_agg));
    bool have = cur.next(slots[0].round);
    if (have) post(slots[0], bufs[0]);
    for (uint64_t i = 0; have; ++i) {
      Slot& now = slots[i % 2];
      Slot& next = slots[(i + 1) % 2];
      if (!is_write) finish(next);  // round i-1's sends: its buffer is reused next
      const bool have_next = cur.next(next.round);
      if (have_next) post(next, bufs[(i + 1) % 2]);
      if (is_write) {
        finish(now);
        lap(&stats->t_exchange);
        if (io) io = ctx.core->write_pieces(*ctx.layout, now.fp, bufs[i % 2], ctx.locking);
        lap(&stats->t_io);
      }
      ++stats->rounds;
      have = have_next;
    }
    finish(slots[0]);
    finish(slots[1]);
  }
  MPI_Waitall(static_cast<int>(mine_reqs.size()), mine_reqs.data(), MPI_STATUSES_IGNORE);
  for (MPI_Datatype& dt : mine_types) MPI_Type_free(&dt);
  lap(&stats->t_exchange);
  Status s = agree(comm, io.with_context(is_write ? "collective write" : "collective read"));
  lap(&stats->t_io);
  return s;
}

}  // namespace

Status two_phase_write(const TwoPhaseContext& ctx, std::span<const Extent> pieces,
                       const uint8_t* stream, TwoPhaseStats* stats, const Status& before) {
  return run(ctx, true, pieces, const_cast<uint8_t*>(stream), stats, before);
}

Status two_phase_read(const TwoPhaseContext& ctx, std::span<const Extent> pieces, uint8_t* stream,
                      TwoPhaseStats* stats, const Status& before) {
  return run(ctx, false, pieces, stream, stats, before);
}

}  // namespace nacre::mpiio
