// nacre::File: data calls on an open handle, forwarded to the client core.
#include "client/client_core.hpp"
#include "client/file_locks.hpp"
#include "common/log.hpp"

#include <nacre/file.hpp>

namespace nacre {

File::File(std::shared_ptr<client::ClientCore> core, std::unique_ptr<client::OpenFile> state)
    : core_(std::move(core)), state_(std::move(state)) {}
File::File() = default;
File::File(File&&) noexcept = default;
File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (state_) (void)close();
    core_ = std::move(other.core_);
    state_ = std::move(other.state_);
  }
  return *this;
}
File::~File() {
  if (state_) {
    Status s = close();
    if (!s) log::error("closing " + s.to_string());
  }
}

namespace {
const std::string kNoPath;
const Layout kNoLayout;
Status not_open() { return Status::error(EBADF, "file is not open"); }
}  // namespace

const std::string& File::path() const { return state_ ? state_->path : kNoPath; }
const Layout& File::layout() const { return state_ ? state_->layout : kNoLayout; }

Result<size_t> File::write_at(uint64_t offset, const void* buf, size_t len) {
  if (!state_) return not_open();
  if (!(state_->flags & open_flags::kWrite))
    return Status::error(EBADF, "write to " + state_->path + ": not open for writing");
  if (len && !buf) return Status::error(EINVAL, "write to " + state_->path + ": null buffer");
  Status s = core_->write(state_->layout, offset, buf, len, client::io_locking_of(*state_));
  if (!s) return s.with_context("write to " + state_->path);  // the text only on failure
  return len;
}

Result<uint64_t> File::append(const void* buf, size_t len) {
  if (!state_) return not_open();
  if (!(state_->flags & open_flags::kWrite))
    return Status::error(EBADF, "append to " + state_->path + ": not open for writing");
  if (len && !buf) return Status::error(EINVAL, "append to " + state_->path + ": null buffer");
  auto at = core_->append(state_->layout, buf, len, client::io_locking_of(*state_));
  if (!at) return at.status().with_context("append to " + state_->path);
  return at;
}

Result<size_t> File::read_at(uint64_t offset, void* buf, size_t len) {
  if (!state_) return not_open();
  if (!(state_->flags & open_flags::kRead))
    return Status::error(EBADF, "read from " + state_->path + ": not open for reading");
  if (len && !buf) return Status::error(EINVAL, "read from " + state_->path + ": null buffer");
  auto n = core_->read(state_->layout, offset, buf, len, client::io_locking_of(*state_));
  if (!n) return n.status().with_context("read from " + state_->path);
  return n;
}

Status File::sync() {
  if (!state_) return not_open();
  return core_->sync_objects(state_->layout).with_context("sync " + state_->path);
}

Result<uint64_t> File::size() {
  if (!state_) return not_open();
  Timespec mtime;
  auto s = core_->glimpse(state_->layout, &mtime, client::io_locking_of(*state_));
  if (!s) return s.status().with_context("size of " + state_->path);
  return s;
}

Status File::set_size(uint64_t size) {
  if (!state_) return not_open();
  if (!(state_->flags & open_flags::kWrite))
    return Status::error(EBADF, "set_size of " + state_->path + ": not open for writing");
  return core_->truncate_objects(state_->layout, size, client::io_locking_of(*state_))
      .with_context("set_size of " + state_->path);
}

Status File::group_lock(uint64_t gid) {
  if (!state_) return not_open();
  const std::string what = "group lock " + std::to_string(gid) + " on " + state_->path;
  if (gid == 0) return Status::error(EINVAL, what + ": the group id must not be 0");
  if (state_->group_gid != 0)
    return Status::error(EINVAL, what + ": this handle already holds group lock " +
                                     std::to_string(state_->group_gid));
  NACRE_RETURN_IF_ERROR(
      core_->group_lock(state_->layout, gid, &state_->group_locks).with_context(what));
  state_->group_gid = gid;
  return Status::ok();
}

Status File::group_unlock() {
  if (!state_) return not_open();
  if (state_->group_gid == 0)
    return Status::error(EINVAL, "group unlock of " + state_->path +
                                     ": this handle holds no group lock");
  core_->group_unlock(&state_->group_locks);
  state_->group_gid = 0;
  return Status::ok();
}

uint64_t File::group_lock_id() const { return state_ ? state_->group_gid : 0; }

Status File::close() {
  if (!state_) return Status::ok();
  std::unique_ptr<client::OpenFile> st = std::move(state_);
  // Application locks go first (file_locks.cpp), then cached writes; a
  // failure is reported, the handle still closes.
  if (st->group_gid != 0) core_->group_unlock(&st->group_locks);
  Status released = release_app_locks(*core_, *st);
  Status flushed = core_->flush(st->layout).with_context("close " + st->path);
  wire::ReleaseReply rep;
  NACRE_RETURN_IF_ERROR(core_->mds_call(wire::MsgType::kClose, wire::CloseRequest{st->ino}, &rep)
                            .with_context("close " + st->path));
  if (rep.destroy) {
    Layout l = rep.layout.to_layout();
    if (!l.stripes.empty())
      NACRE_RETURN_IF_ERROR(core_->destroy_objects(l).with_context("close " + st->path));
  }
  if (!flushed) return flushed;
  return released.with_context("close " + st->path);
}

}  // namespace nacre
