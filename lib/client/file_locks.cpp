// nacre::File application locks: fcntl-style record locks (owned by the
// client process) and flock-style whole-file locks (owned by the handle),
// served by the metadata server (lib/mds/app_lock_service.*).
#include "client/file_locks.hpp"

#include <nacre/file.hpp>

#include <unistd.h>

#include <string>

namespace nacre {

namespace {

Status not_open() { return Status::error(EBADF, "file is not open"); }

const char* type_name(LockType t) {
  switch (t) {
    case LockType::kUnlock: return "unlock";
    case LockType::kShared: return "shared lock";
    case LockType::kExclusive: return "exclusive lock";
  }
  return "lock";
}

Status check_type(LockType t) {
  if (t != LockType::kUnlock && t != LockType::kShared && t != LockType::kExclusive)
    return Status::error(EINVAL, "lock type " + std::to_string(static_cast<int>(t)) +
                                     " is not unlock, shared or exclusive");
  return Status::ok();
}

// [start, start+len) as the wire's [start, end); len 0: to end of file.
Status to_range(uint64_t start, uint64_t len, wire::AppLockRequest* m) {
  if (len > UINT64_MAX - start - 1)
    return Status::error(EINVAL, "lock range at " + std::to_string(start) + " of " +
                                     std::to_string(len) + " bytes overflows");
  m->start = start;
  m->end = len == 0 ? UINT64_MAX : start + len;
  return Status::ok();
}

std::string range_text(uint64_t start, uint64_t len) {
  return "[" + std::to_string(start) + ", " + (len ? std::to_string(start + len) : "EOF") + ")";
}

wire::AppLockRequest request(const client::OpenFile& f, uint8_t op, uint8_t space, LockType t,
                             bool wait) {
  wire::AppLockRequest m;
  m.ino = f.ino;
  m.op = op;
  m.space = space;
  m.type = static_cast<uint8_t>(t);
  m.wait = wait;
  m.handle = f.handle_id;
  m.pid = static_cast<uint32_t>(::getpid());
  return m;
}

}  // namespace

Status release_app_locks(client::ClientCore& core, const client::OpenFile& f) {
  uint8_t space = 0;
  if (core.forget_fcntl_locks(f.ino)) space |= wire::kAppLockSpaceFcntl;
  if (f.flocked) space |= wire::kAppLockSpaceFlock;
  if (space == 0) return Status::ok();
  wire::AppLockReply rep;
  return core.mds_call(wire::MsgType::kAppLock,
                       request(f, wire::kAppLockRelease, space, LockType::kUnlock, false), &rep)
      .with_context("releasing the locks");
}

Status File::lock(LockType type, uint64_t start, uint64_t len, bool wait) {
  if (!state_) return not_open();
  const std::string what = std::string(type_name(type)) + " " + range_text(start, len) + " of " +
                           state_->path;
  NACRE_RETURN_IF_ERROR(check_type(type).with_context(what));
  if (type == LockType::kShared && !(state_->flags & open_flags::kRead))
    return Status::error(EBADF, what + ": a shared lock needs a file open for reading");
  if (type == LockType::kExclusive && !(state_->flags & open_flags::kWrite))
    return Status::error(EBADF, what + ": an exclusive lock needs a file open for writing");
  auto m = request(*state_, wire::kAppLockSet, wire::kAppLockSpaceFcntl, type, wait);
  NACRE_RETURN_IF_ERROR(to_range(start, len, &m).with_context(what));
  if (type != LockType::kUnlock) core_->note_fcntl_locks(state_->ino);
  wire::AppLockReply rep;
  return core_->mds_call(wire::MsgType::kAppLock, m, &rep).with_context(what);
}

Status File::unlock(uint64_t start, uint64_t len) {
  return lock(LockType::kUnlock, start, len, false);
}

Result<LockInfo> File::test_lock(LockType type, uint64_t start, uint64_t len) {
  if (!state_) return not_open();
  const std::string what = std::string("test of a ") + type_name(type) + " " +
                           range_text(start, len) + " of " + state_->path;
  if (type != LockType::kShared && type != LockType::kExclusive)
    return Status::error(EINVAL, what + ": the type must be shared or exclusive");
  auto m = request(*state_, wire::kAppLockTest, wire::kAppLockSpaceFcntl, type, false);
  NACRE_RETURN_IF_ERROR(to_range(start, len, &m).with_context(what));
  wire::AppLockReply rep;
  NACRE_RETURN_IF_ERROR(core_->mds_call(wire::MsgType::kAppLock, m, &rep).with_context(what));
  LockInfo info;
  if (rep.type == 0) return info;
  if (rep.type > 2 || rep.end <= rep.start)
    return Status::error(EPROTO, what + ": the metadata server answered a malformed lock");
  info.type = static_cast<LockType>(rep.type);
  info.start = rep.start;
  info.len = rep.end == UINT64_MAX ? 0 : rep.end - rep.start;
  info.pid = rep.pid;
  info.job = rep.owner_link;
  info.rank = rep.owner_rank;
  return info;
}

Status File::flock(LockType type, bool wait) {
  if (!state_) return not_open();
  const std::string what = std::string("flock ") + type_name(type) + " of " + state_->path;
  NACRE_RETURN_IF_ERROR(check_type(type).with_context(what));
  auto m = request(*state_, wire::kAppLockSet, wire::kAppLockSpaceFlock, type, wait);
  m.end = UINT64_MAX;
  if (type != LockType::kUnlock) state_->flocked = true;
  wire::AppLockReply rep;
  return core_->mds_call(wire::MsgType::kAppLock, m, &rep).with_context(what);
}

}  // namespace nacre
