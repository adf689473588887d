#include "mpiio_file/mpi_file.hpp"

#include "common/log.hpp"
#include "mpiio/decode_type.hpp"
#include "mpiio/flat_cursor.hpp"
#include "mpiio/view.hpp"
#include "mpiio_file/agree.hpp"
#include "mpiio_file/buffer_pool.hpp"
#include "mpiio_file/core_access.hpp"
#include "mpiio_file/dense.hpp"
#include "mpiio_file/two_phase.hpp"
#include "mpiio_file/write_behind.hpp"

#include <nacre/types.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <type_traits>

namespace nacre::mpiio {

struct MpiFile::State {
  MPI_Comm comm = MPI_COMM_NULL;  // dup of the caller's communicator
  int rank = 0;
  int size = 0;
  FileSystem* fs = nullptr;
  File file;
  std::shared_ptr<client::ClientCore> core;
  std::string path;
  int amode = 0;
  FileHints hints;
  FileView view = default_view();
  MPI_Datatype etype = MPI_BYTE;     // as given (derived ones dup'ed)
  MPI_Datatype filetype = MPI_BYTE;
  int64_t fp = 0;                    // individual file pointer, etypes
  bool atomic = false;
  std::vector<uint8_t> staging;      // packed user stream (noncontiguous memory)
  std::vector<uint8_t> agg_buffer;   // aggregator round buffer
  WriteBehind wb;                    // staged collective writes (hint nacre_write_behind)
  std::vector<collective::Extent> extents;  // scratch: this call's file pieces
  std::vector<layout::FilePiece> pieces;    // scratch
  TwoPhaseStats stats;                      // of the last collective
  // A lower bound of the file size (end of this rank's writes, sizes it set
  // or glimpsed): reads that end below it need no glimpse for their count.
  uint64_t known_size = 0;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    BufferPool::give(std::move(staging));
    BufferPool::give(std::move(agg_buffer));
  }

  TwoPhaseContext two_phase() {
    return TwoPhaseContext{comm, core.get(), &file.layout(), hints.cb, &agg_buffer, locking()};
  }
  // The extent locking of this rank's data calls: POSIX locks (with the
  // client's caches), or none while the handle holds a group lock (hint
  // nacre_group_lock). Without a progress thread the locks are call-scoped
  // and cache nothing, so they would only add RPCs where MPI's nonatomic
  // mode needs no locks at all: then only atomic mode takes them.
  client::IoLocking locking() const {
    const client::OpenFile* of = client::FileAccess::state(file);
    client::IoLocking l = of ? client::io_locking_of(*of) : client::IoLocking{};
    if (!atomic && core && core->call_scoped_locks()) {
      l.enabled = false;
      l.write_back = false;
    }
    return l;
  }
  // COLLECTIVE: writes every rank's staged collective writes (no-op on every
  // rank when no collective write was staged since the last flush).
  Status flush_all() {
    if (!wb.dirty()) return Status::ok();
    auto ctx = two_phase();
    return wb.flush(ctx, hints.cb.write_behind_size, &stats)
        .with_context("write-behind flush of " + path);
  }
  // Local: writes this rank's staged data, so that its own next access sees it.
  Status flush_mine() {
    if (!wb.has_data()) return Status::ok();
    return wb.flush_local(*core, file.layout()).with_context("write-behind flush of " + path);
  }
};

namespace {

bool is_named(MPI_Datatype t) {
  int ni = 0, na = 0, nd = 0, comb = 0;
  MPI_Type_get_envelope(t, &ni, &na, &nd, &comb);
  return comb == MPI_COMBINER_NAMED;
}

MPI_Datatype keep_type(MPI_Datatype t) {
  if (is_named(t)) return t;
  MPI_Datatype d = MPI_DATATYPE_NULL;
  MPI_Type_dup(t, &d);
  return d;
}

void drop_type(MPI_Datatype* t) {
  if (*t != MPI_DATATYPE_NULL && !is_named(*t)) MPI_Type_free(t);
  *t = MPI_BYTE;
}

uint32_t access_flags(int amode) {
  if (amode & MPI_MODE_RDONLY) return open_flags::kRead;
  if (amode & MPI_MODE_WRONLY) return open_flags::kWrite;
  return open_flags::kReadWrite;
}

Status check_amode(int amode, const std::string& path) {
  const int acc = ((amode & MPI_MODE_RDONLY) ? 1 : 0) + ((amode & MPI_MODE_WRONLY) ? 1 : 0) +
                  ((amode & MPI_MODE_RDWR) ? 1 : 0);
  if (acc != 1)
    return Status::error(EINVAL, "open " + path +
                                     ": amode needs exactly one of MPI_MODE_RDONLY, "
                                     "MPI_MODE_WRONLY, MPI_MODE_RDWR");
  if ((amode & MPI_MODE_RDONLY) && (amode & (MPI_MODE_CREATE | MPI_MODE_EXCL)))
    return Status::error(EINVAL, "open " + path +
                                     ": MPI_MODE_RDONLY cannot be combined with "
                                     "MPI_MODE_CREATE or MPI_MODE_EXCL");
  return Status::ok();
}

// Broadcasts rank 0's hints (plain values) so every rank plans alike.
void bcast_hints(MPI_Comm comm, FileHints* h) {
  static_assert(std::is_trivially_copyable_v<FileHints>);
  MPI_Bcast(h, sizeof *h, MPI_BYTE, 0, comm);
}

}  // namespace

MpiFile::MpiFile() = default;
MpiFile::MpiFile(std::unique_ptr<State> st) : st_(std::move(st)) {}
MpiFile::MpiFile(MpiFile&&) noexcept = default;
MpiFile& MpiFile::operator=(MpiFile&& o) noexcept {
  if (this != &o) {
    MpiFile gone(std::move(*this));
    st_ = std::move(o.st_);
  }
  return *this;
}

MpiFile::~MpiFile() {
  if (!st_) return;
  // Not collective: only this rank's handle goes. The communicator stays
  // (MPI_Comm_free is collective); call close() to release everything.
  // This rank's staged writes are written (on their own) first.
  Status w = st_->flush_mine();
  if (!w) log::error("MPI-IO file " + st_->path + " destroyed without close: " + w.to_string());
  Status s = st_->file.close();
  if (!s) log::error("MPI-IO file " + st_->path + " destroyed without close: " + s.to_string());
  int fin = 0;
  MPI_Finalized(&fin);
  if (!fin) {
    drop_type(&st_->etype);
    drop_type(&st_->filetype);
  }
}

Result<MpiFile> MpiFile::open(MPI_Comm comm, FileSystem& fs, const std::string& path, int amode,
                              MPI_Info info) {
  if (comm == MPI_COMM_NULL) return Status::error(EINVAL, "open " + path + ": MPI_COMM_NULL");
  auto st = std::make_unique<State>();
  Status local = check_amode(amode, path);
  if (local) local = apply_info(info, &st->hints).with_context("open " + path);
  NACRE_RETURN_IF_ERROR(agree(comm, local));
  MPI_Comm_dup(comm, &st->comm);
  MPI_Comm_rank(st->comm, &st->rank);
  MPI_Comm_size(st->comm, &st->size);
  bcast_hints(st->comm, &st->hints);
  st->fs = &fs;
  st->path = path;
  st->amode = amode;
  const uint32_t acc = access_flags(amode);
  auto fail = [&](const Status& s) -> Status {
    (void)st->file.close();
    MPI_Comm_free(&st->comm);
    return s;
  };
  // Rank 0 creates (and opens), then the others open.
  local = Status::ok();
  if (st->rank == 0) {
    uint32_t flags = acc;
    if (amode & MPI_MODE_CREATE) flags |= open_flags::kCreate;
    if (amode & MPI_MODE_EXCL) flags |= open_flags::kCreate | open_flags::kExclusive;
    auto f = fs.open(path, flags, 0644, st->hints.striping);
    if (f) st->file = std::move(*f);
    else local = f.status();
  }
  Status s = agree(st->comm, local);
  if (!s) return fail(s);
  if (st->rank != 0) {
    auto f = fs.open(path, acc);
    if (f) st->file = std::move(*f);
    else local = f.status();
  }
  s = agree(st->comm, local);
  if (!s) return fail(s);
  st->core = core_of(st->file);
  if (st->hints.group_lock != 0) {  // every rank joins the group (blocking)
    s = agree(st->comm, st->file.group_lock(st->hints.group_lock)
                            .with_context("hint nacre_group_lock"));
    if (!s) return fail(s);
  }
  if (amode & MPI_MODE_APPEND) {
    auto n = st->file.size();
    local = n ? Status::ok() : n.status();
    if (n) st->fp = static_cast<int64_t>(*n);
    s = agree(st->comm, local);
    if (!s) return fail(s);
  }
  return MpiFile(std::move(st));
}

Status MpiFile::close() {
  if (!st_) return Status::error(EBADF, "close: MPI-IO file is not open");
  Status flushed = st_->flush_all();  // collective; closes even when it fails
  std::unique_ptr<State> st = std::move(st_);
  Status local = st->file.close();
  Status s = agree(st->comm, local);
  if (s && !flushed) s = flushed;
  if (s && (st->amode & MPI_MODE_DELETE_ON_CLOSE)) {
    local = st->rank == 0 ? st->fs->unlink(st->path) : Status::ok();
    s = agree(st->comm, local);
  }
  drop_type(&st->etype);
  drop_type(&st->filetype);
  MPI_Comm_free(&st->comm);
  return s;
}

Status MpiFile::set_view(MPI_Offset disp, MPI_Datatype etype, MPI_Datatype filetype,
                         const std::string& datarep, MPI_Info info) {
  if (!st_) return Status::error(EBADF, "set_view: MPI-IO file is not open");
  State& st = *st_;
  NACRE_RETURN_IF_ERROR(st.flush_all());
  const std::string what = "set_view of " + st.path;
  Status local;
  Result<FileView> view = Status::error(EINVAL, "no view");
  if (datarep != "native") {
    local = Status::error(ENOTSUP, what + ": data representation \"" + datarep +
                                       "\" is not supported (only \"native\")");
  } else {
    auto et = decode_type(etype);
    auto ft = decode_type(filetype);
    if (!et) local = et.status().with_context(what + " (etype)");
    else if (!ft) local = ft.status().with_context(what + " (filetype)");
    else {
      const ViewAccess acc =
          (st.amode & MPI_MODE_RDONLY) ? ViewAccess::read_only : ViewAccess::read_write;
      view = make_view(disp, *et, *ft, acc);
      if (!view) local = view.status().with_context(what);
    }
  }
  FileHints h = st.hints;
  if (local) local = apply_info(info, &h).with_context(what);
  NACRE_RETURN_IF_ERROR(agree(st.comm, local));
  bcast_hints(st.comm, &h);
  h.group_lock = st.hints.group_lock;  // only the value at open counts
  st.hints = h;
  st.view = std::move(*view);
  drop_type(&st.etype);
  drop_type(&st.filetype);
  st.etype = keep_type(etype);
  st.filetype = keep_type(filetype);
  st.fp = 0;
  return Status::ok();
}

void MpiFile::get_view(MPI_Offset* disp, MPI_Datatype* etype, MPI_Datatype* filetype,
                       std::string* datarep) const {
  if (!st_) return;
  if (disp) *disp = st_->view.disp;
  if (etype) *etype = keep_type(st_->etype);
  if (filetype) *filetype = keep_type(st_->filetype);
  if (datarep) *datarep = "native";
}

Result<int64_t> MpiFile::transfer(bool write, bool collective, MPI_Offset offset, void* buf,
                                  int64_t count, MPI_Datatype type) {
  if (!st_) return Status::error(EBADF, "MPI-IO file is not open");
  State& st = *st_;
  const std::string what = std::string(write ? "write to " : "read from ") + st.path;
  // Staged collective writes (write_behind.hpp): this call must see them.
  const bool stage = write && collective && st.hints.cb.write_behind && !st.atomic;
  if (collective && !stage) NACRE_RETURN_IF_ERROR(st.flush_all());
  if (!collective) NACRE_RETURN_IF_ERROR(st.flush_mine());
  // Phase 1 (local): memory layout, file pieces, staging.
  Status local;
  int64_t nbytes = 0;
  const uint8_t* contiguous = nullptr;
  std::optional<FlatList> mem;
  st.extents.clear();
  if (write && (st.amode & MPI_MODE_RDONLY))
    local = Status::error(EBADF, what + ": file opened MPI_MODE_RDONLY");
  else if (!write && (st.amode & MPI_MODE_WRONLY))
    local = Status::error(EBADF, what + ": file opened MPI_MODE_WRONLY");
  else if (count < 0)
    local = Status::error(EINVAL, what + ": negative count " + std::to_string(count));
  if (local) {
    auto md = decode_type(type);
    if (!md) local = md.status().with_context(what + " (memory datatype)");
    else {
      auto fl = flatten(**md, count, 0);
      if (!fl) local = fl.status().with_context(what + " (memory datatype)");
      else mem.emplace(std::move(*fl));
    }
  }
  if (local) {
    nbytes = mem->size();
    if (nbytes % st.view.etype_size != 0)
      local = Status::error(EINVAL, what + ": " + std::to_string(nbytes) +
                                        " bytes is not a whole number of etypes (" +
                                        std::to_string(st.view.etype_size) + " bytes)");
    else if (nbytes > 0 && !buf)
      local = Status::error(EINVAL, what + ": null buffer");
  }
  // A dense view (the default one, contiguous filetypes) maps to one piece
  // without walking the view (see dense.hpp).
  const std::optional<int64_t> view_origin = dense_origin(st.view.tiles);
  int64_t first = 0, last = 0;
  if (local && nbytes > 0 && view_origin && offset >= 0 &&
      !__builtin_mul_overflow(offset, st.view.etype_size, &first) &&
      !__builtin_add_overflow(first, nbytes, &last) && last <= st.view.tiles.size() &&
      !__builtin_add_overflow(*view_origin, last, &last)) {
    st.extents.push_back({static_cast<uint64_t>(*view_origin + first), static_cast<uint64_t>(nbytes)});
    if (static_cast<uint64_t>(last) > kMaxFileSize)
      local = Status::error(EFBIG, what + ": beyond the largest file size");
  } else if (local && nbytes > 0) {
    if (write) local = check_write_range(st.view, offset, nbytes).with_context(what);
    auto pieces = map_view(st.view, offset, nbytes);
    if (!local) {
      // refused above
    } else if (!pieces) {
      local = pieces.status().with_context(what);
    } else {
      for (const Piece& p : *pieces)
        st.extents.push_back({static_cast<uint64_t>(p.offset), static_cast<uint64_t>(p.length)});
      if (!pieces->empty() && static_cast<uint64_t>(pieces->back().end()) > kMaxFileSize)
        local = Status::error(EFBIG, what + ": beyond the largest file size");
    }
  }
  uint8_t* stream = nullptr;
  if (local && nbytes > 0) {
    auto* base = static_cast<uint8_t*>(buf);
    if (const auto o = dense_origin(*mem)) {
      contiguous = base + *o;
      stream = const_cast<uint8_t*>(contiguous);
    } else if (mem->is_contiguous()) {
      contiguous = base + mem->data_lo();
      stream = const_cast<uint8_t*>(contiguous);
    } else {
      ensure_size(&st.staging, static_cast<size_t>(nbytes));
      stream = st.staging.data();
      if (write) {
        FlatCursor cur(*mem);
        Piece p;
        size_t at = 0;
        while (cur.next(std::numeric_limits<int64_t>::max(), &p)) {
          std::memcpy(stream + at, base + p.offset, static_cast<size_t>(p.length));
          at += static_cast<size_t>(p.length);
        }
      }
    }
  }
  // Phase 2: the I/O.
  Status s;
  if (stage) {
    // Local errors stay with this rank (see write_behind.hpp); the call
    // counts either way, so every rank reaches the flush at the same call.
    if (local) local = st.wb.stage(*st.core, st.file.layout(), st.hints.cb.write_behind_size,
                                   st.extents, stream);
    else st.wb.count_call();
    st.stats = {};
    st.stats.staged = true;
    Status f = st.wb.due() ? st.flush_all() : Status::ok();
    if (!local) return local.with_context(what);
    if (!f) return f.with_context(what);
  } else if (collective && !st.atomic) {
    // Local errors ride on the decision's allgather (no agree() here).
    auto ctx = st.two_phase();
    s = write ? two_phase_write(ctx, st.extents, stream, &st.stats, local)
              : two_phase_read(ctx, st.extents, stream, &st.stats, local);
    if (!s) return s.with_context(what);
  } else {
    // Independent calls, and collective calls in atomic mode: each rank's
    // whole access is one vectored call under its PR/PW extent locks on
    // every object it touches, so concurrent conflicting accesses see it
    // all or nothing (docs/LOCKS.md). Two-phase aggregation would split a
    // rank's access over aggregators and lose that.
    if (collective) NACRE_RETURN_IF_ERROR(agree(st.comm, local));
    else NACRE_RETURN_IF_ERROR(local);
    if (nbytes > 0) {
      st.pieces.clear();
      for (const auto& e : st.extents) st.pieces.push_back({e.offset, e.length});
      s = write ? st.core->write_pieces(st.file.layout(), st.pieces, stream, st.locking())
                : st.core->read_pieces(st.file.layout(), st.pieces, stream, st.locking());
    }
    if (collective) s = agree(st.comm, s);
    if (!s) return s.with_context(what);
  }
  uint64_t max_end = 0;
  for (const auto& e : st.extents) max_end = std::max(max_end, e.end());
  if (write) {
    st.known_size = std::max(st.known_size, max_end);
  } else if (nbytes > 0 || collective) {
    // Short count at end of file: stream bytes at or past it are zero-filled
    // and not counted (views are monotonic for the bytes past the end).
    local = Status::ok();
    if (nbytes > 0 && max_end > st.known_size) {
      auto size = st.file.size();
      if (size) st.known_size = std::max(st.known_size, *size);
      else local = size.status().with_context(what);
    }
    if (collective) NACRE_RETURN_IF_ERROR(agree(st.comm, local));
    else NACRE_RETURN_IF_ERROR(local);
  }
  int64_t counted = nbytes;
  if (!write && max_end > st.known_size) {
    counted = 0;
    for (const auto& e : st.extents)
      if (e.offset < st.known_size)
        counted += static_cast<int64_t>(std::min(e.length, st.known_size - e.offset));
  }
  // Phase 3: unpack a staged read.
  if (!write && nbytes > 0 && !contiguous) {
    auto* base = static_cast<uint8_t*>(buf);
    FlatCursor cur(*mem);
    Piece p;
    size_t at = 0;
    while (cur.next(std::numeric_limits<int64_t>::max(), &p)) {
      std::memcpy(base + p.offset, stream + at, static_cast<size_t>(p.length));
      at += static_cast<size_t>(p.length);
    }
  }
  return counted;
}

Result<int64_t> MpiFile::read_at(MPI_Offset offset, void* buf, int64_t count, MPI_Datatype type) {
  return transfer(false, false, offset, buf, count, type);
}
Result<int64_t> MpiFile::write_at(MPI_Offset offset, const void* buf, int64_t count,
                                  MPI_Datatype type) {
  return transfer(true, false, offset, const_cast<void*>(buf), count, type);
}
Result<int64_t> MpiFile::read_at_all(MPI_Offset offset, void* buf, int64_t count,
                                     MPI_Datatype type) {
  return transfer(false, true, offset, buf, count, type);
}
Result<int64_t> MpiFile::write_at_all(MPI_Offset offset, const void* buf, int64_t count,
                                      MPI_Datatype type) {
  return transfer(true, true, offset, const_cast<void*>(buf), count, type);
}

namespace {
Result<int64_t> advance(Result<int64_t> r, int64_t etype_size, int64_t* fp) {
  if (r) *fp += *r / etype_size;
  return r;
}
}  // namespace

Result<int64_t> MpiFile::read(void* buf, int64_t count, MPI_Datatype type) {
  if (!st_) return Status::error(EBADF, "read: MPI-IO file is not open");
  return advance(read_at(st_->fp, buf, count, type), st_->view.etype_size, &st_->fp);
}
Result<int64_t> MpiFile::write(const void* buf, int64_t count, MPI_Datatype type) {
  if (!st_) return Status::error(EBADF, "write: MPI-IO file is not open");
  return advance(write_at(st_->fp, buf, count, type), st_->view.etype_size, &st_->fp);
}
Result<int64_t> MpiFile::read_all(void* buf, int64_t count, MPI_Datatype type) {
  if (!st_) return Status::error(EBADF, "read_all: MPI-IO file is not open");
  return advance(read_at_all(st_->fp, buf, count, type), st_->view.etype_size, &st_->fp);
}
Result<int64_t> MpiFile::write_all(const void* buf, int64_t count, MPI_Datatype type) {
  if (!st_) return Status::error(EBADF, "write_all: MPI-IO file is not open");
  return advance(write_at_all(st_->fp, buf, count, type), st_->view.etype_size, &st_->fp);
}

Status MpiFile::seek(MPI_Offset offset, int whence) {
  if (!st_) return Status::error(EBADF, "seek: MPI-IO file is not open");
  State& st = *st_;
  int64_t base = 0;
  if (whence == MPI_SEEK_CUR) {
    base = st.fp;
  } else if (whence == MPI_SEEK_END) {
    // The view position of end of file: the first position whose byte lies
    // at or beyond it (binary search; views are monotonic for writes).
    auto size = get_size();
    if (!size) return size.status();
    int64_t lo = 0, hi = 1;
    auto at_or_past = [&](int64_t p) {
      auto b = view_byte_offset(st.view, p);
      return !b || *b >= *size;
    };
    while (!at_or_past(hi) && hi < (int64_t{1} << 60)) hi *= 2;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (at_or_past(mid)) hi = mid;
      else lo = mid + 1;
    }
    base = lo;
  } else if (whence != MPI_SEEK_SET) {
    return Status::error(EINVAL, "seek in " + st.path + ": bad whence " + std::to_string(whence));
  }
  if (offset < 0 && base + offset < 0)
    return Status::error(EINVAL, "seek in " + st.path + ": negative position " +
                                     std::to_string(base + offset));
  st.fp = base + offset;
  return Status::ok();
}

MPI_Offset MpiFile::get_position() const { return st_ ? st_->fp : 0; }

Result<MPI_Offset> MpiFile::get_byte_offset(MPI_Offset offset) const {
  if (!st_) return Status::error(EBADF, "get_byte_offset: MPI-IO file is not open");
  auto b = view_byte_offset(st_->view, offset);
  if (!b) return b.status();
  return static_cast<MPI_Offset>(*b);
}

Result<MPI_Offset> MpiFile::get_size() {
  if (!st_) return Status::error(EBADF, "get_size: MPI-IO file is not open");
  NACRE_RETURN_IF_ERROR(st_->flush_mine());
  auto n = st_->file.size();
  if (!n) return n.status();
  return static_cast<MPI_Offset>(*n);
}

Status MpiFile::set_size(MPI_Offset size) {
  if (!st_) return Status::error(EBADF, "set_size: MPI-IO file is not open");
  State& st = *st_;
  NACRE_RETURN_IF_ERROR(st.flush_all());
  Status local;
  if (size < 0) local = Status::error(EINVAL, "set_size of " + st.path + ": negative size");
  else if (st.amode & MPI_MODE_RDONLY)
    local = Status::error(EBADF, "set_size of " + st.path + ": file opened MPI_MODE_RDONLY");
  NACRE_RETURN_IF_ERROR(agree(st.comm, local));
  if (st.rank == 0) local = st.file.set_size(static_cast<uint64_t>(size));
  NACRE_RETURN_IF_ERROR(agree(st.comm, local));
  st.known_size = static_cast<uint64_t>(size);
  return Status::ok();
}

Status MpiFile::preallocate(MPI_Offset size) {
  if (!st_) return Status::error(EBADF, "preallocate: MPI-IO file is not open");
  State& st = *st_;
  NACRE_RETURN_IF_ERROR(st.flush_all());
  Status local;
  if (size < 0) local = Status::error(EINVAL, "preallocate " + st.path + ": negative size");
  else if (st.amode & MPI_MODE_RDONLY)
    local = Status::error(EBADF, "preallocate " + st.path + ": file opened MPI_MODE_RDONLY");
  NACRE_RETURN_IF_ERROR(agree(st.comm, local));
  if (st.rank == 0) {
    auto n = st.file.size();
    if (!n) local = n.status();
    else if (*n < static_cast<uint64_t>(size)) local = st.file.set_size(static_cast<uint64_t>(size));
  }
  NACRE_RETURN_IF_ERROR(agree(st.comm, local));
  st.known_size = std::max(st.known_size, static_cast<uint64_t>(size));
  return Status::ok();
}

Status MpiFile::sync() {
  if (!st_) return Status::error(EBADF, "sync: MPI-IO file is not open");
  // Staged writes go out first, then every rank writes back what its client
  // cache holds; once every rank is here, one sync of every object covers
  // all of them.
  NACRE_RETURN_IF_ERROR(st_->flush_all());
  Status local = st_->core->flush(st_->file.layout());
  MPI_Barrier(st_->comm);
  if (local && st_->rank == 0) local = st_->file.sync();
  return agree(st_->comm, local);
}

Status MpiFile::set_atomicity(bool atomic) {
  if (!st_) return Status::error(EBADF, "set_atomicity: MPI-IO file is not open");
  NACRE_RETURN_IF_ERROR(st_->flush_all());
  int mine = atomic ? 1 : 0, lo = 0, hi = 0;
  MPI_Allreduce(&mine, &lo, 1, MPI_INT, MPI_MIN, st_->comm);
  MPI_Allreduce(&mine, &hi, 1, MPI_INT, MPI_MAX, st_->comm);
  if (lo != hi)
    return Status::error(EINVAL, "set_atomicity of " + st_->path + ": ranks passed different flags");
  if (atomic && st_->hints.group_lock != 0)
    return Status::error(EINVAL, "set_atomicity of " + st_->path +
                                     ": atomic mode needs extent locks, and the file is open "
                                     "under group lock " + std::to_string(st_->hints.group_lock) +
                                     " (hint nacre_group_lock), which takes none");
  st_->atomic = atomic;
  return Status::ok();
}

bool MpiFile::get_atomicity() const { return st_ && st_->atomic; }

Status MpiFile::set_info(MPI_Info info) {
  if (!st_) return Status::error(EBADF, "set_info: MPI-IO file is not open");
  NACRE_RETURN_IF_ERROR(st_->flush_all());
  FileHints h = st_->hints;
  NACRE_RETURN_IF_ERROR(
      agree(st_->comm, apply_info(info, &h).with_context("set_info of " + st_->path)));
  bcast_hints(st_->comm, &h);
  h.striping = st_->hints.striping;
  h.group_lock = st_->hints.group_lock;  // only the value at open counts
  st_->hints = h;
  return Status::ok();
}

MPI_Info MpiFile::get_info() const {
  if (!st_) return MPI_INFO_NULL;
  return hints_to_info(st_->hints, st_->file.layout());
}

MPI_Comm MpiFile::comm() const { return st_ ? st_->comm : MPI_COMM_NULL; }
int MpiFile::amode() const { return st_ ? st_->amode : 0; }
const std::string& MpiFile::path() const {
  static const std::string none;
  return st_ ? st_->path : none;
}
const Layout& MpiFile::layout() const {
  static const Layout none;
  return st_ ? st_->file.layout() : none;
}
const TwoPhaseStats& MpiFile::last_collective() const {
  static const TwoPhaseStats none;
  return st_ ? st_->stats : none;
}
const FileHints& MpiFile::hints() const {
  static const FileHints none;
  return st_ ? st_->hints : none;
}

}  // namespace nacre::mpiio
