// nacre::FileSystem: namespace calls as metadata RPCs (see client_core.hpp).
#include "client/client_core.hpp"
#include "client/maintenance.hpp"
#include "common/path.hpp"

#include <nacre/filesystem.hpp>

namespace nacre {

using wire::MsgType;

namespace {
Status not_connected() {
  return Status::error(ENOTCONN, "file system is not connected (call on a server rank, or after shutdown?)");
}

// Destroys the objects of a file whose last name and open handle are gone.
Status apply_release(client::ClientCore& core, const wire::ReleaseReply& r) {
  if (!r.destroy) return Status::ok();
  Layout l = r.layout.to_layout();
  if (l.stripes.empty()) return Status::ok();
  return core.destroy_objects(l);
}
}  // namespace

// Every call checks the connection and validates its paths locally, so a bad
// path gets its precise error (EINVAL, ENAMETOOLONG) without a round trip.
#define NACRE_NEED_CORE() \
  if (!core_) return not_connected()
#define NACRE_CHECK_PATH(p, what)                                   \
  do {                                                              \
    auto checked_ = split_path(p);                                  \
    if (!checked_) return checked_.status().with_context(what);     \
  } while (0)

FileSystem::FileSystem(std::shared_ptr<client::ClientCore> core) : core_(std::move(core)) {}

int FileSystem::server_count() const { return core_ ? core_->server_count() : 0; }

Status FileSystem::mkdir(const std::string& path, uint32_t mode) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(path, "mkdir " + path);
  wire::MkdirRequest m{path, mode, core_->credentials()};
  wire::Empty rep;
  return core_->mds_call(MsgType::kMkdir, m, &rep).with_context("mkdir " + path);
}

Status FileSystem::rmdir(const std::string& path) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(path, "rmdir " + path);
  wire::Empty rep;
  return core_->mds_call(MsgType::kRmdir, wire::PathRequest{path}, &rep).with_context("rmdir " + path);
}

Result<File> FileSystem::create(const std::string& path, uint32_t mode, const LayoutRequest& layout) {
  return open(path, open_flags::kCreate | open_flags::kExclusive | open_flags::kReadWrite, mode,
              layout);
}

Result<File> FileSystem::open(const std::string& path, uint32_t flags, uint32_t mode,
                              const LayoutRequest& layout) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(path, "open " + path);
  wire::OpenRequest m;
  m.path = path;
  m.flags = flags;
  m.mode = mode;
  m.cred = core_->credentials();
  m.layout.v = layout;
  wire::OpenReply rep;
  NACRE_RETURN_IF_ERROR(core_->mds_call(MsgType::kOpen, m, &rep).with_context("open " + path));
  auto state = std::make_unique<client::OpenFile>();
  state->path = *normalize_path(path);
  state->ino = rep.stat.ino;
  state->flags = flags;
  state->layout = rep.layout.to_layout();
  state->handle_id = core_->next_handle_id();
  File f(core_, std::move(state));
  if ((flags & open_flags::kTruncate) && !rep.created) {
    Status s = core_->truncate_objects(f.layout(), 0);
    if (!s) {
      (void)f.close();
      return s.with_context("open " + path + " (truncate)");
    }
  }
  return f;
}

Result<FileStat> FileSystem::stat(const std::string& path) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(path, "stat " + path);
  wire::StatReply rep;
  NACRE_RETURN_IF_ERROR(core_->mds_call(MsgType::kStat, wire::PathRequest{path}, &rep)
                            .with_context("stat " + path));
  FileStat st = rep.stat.to_stat();
  if (st.type == FileType::kRegular) {
    Timespec obj_mtime;
    auto size = core_->glimpse(rep.layout.to_layout(), &obj_mtime);
    if (!size) return size.status().with_context("stat " + path);
    st.size = *size;
    if (obj_mtime > st.mtime) st.mtime = obj_mtime;
  }
  return st;
}

Status FileSystem::unlink(const std::string& path) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(path, "unlink " + path);
  wire::ReleaseReply rep;
  NACRE_RETURN_IF_ERROR(core_->mds_call(MsgType::kUnlink, wire::PathRequest{path}, &rep)
                            .with_context("unlink " + path));
  return apply_release(*core_, rep).with_context("unlink " + path + " (free objects)");
}

Status FileSystem::rename(const std::string& from, const std::string& to) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(from, "rename " + from);
  NACRE_CHECK_PATH(to, "rename to " + to);
  wire::ReleaseReply rep;
  NACRE_RETURN_IF_ERROR(core_->mds_call(MsgType::kRename, wire::RenameRequest{from, to}, &rep)
                            .with_context("rename " + from + " -> " + to));
  return apply_release(*core_, rep).with_context("rename " + from + " -> " + to);
}

Result<std::vector<DirEntry>> FileSystem::readdir(const std::string& path) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(path, "readdir " + path);
  std::vector<DirEntry> out;
  uint64_t cookie = 0;
  for (;;) {
    wire::ReaddirReply rep;
    NACRE_RETURN_IF_ERROR(core_->mds_call(MsgType::kReaddir, wire::ReaddirRequest{path, cookie, 256},
                                          &rep).with_context("readdir " + path));
    for (const auto& e : rep.entries)
      out.push_back(DirEntry{e.name,
                             e.type == static_cast<uint8_t>(FileType::kDirectory)
                                 ? FileType::kDirectory
                                 : FileType::kRegular,
                             e.ino});
    if (rep.done) return out;
    if (rep.next_cookie <= cookie)
      return Status::error(EPROTO, "readdir " + path + ": server did not advance");
    cookie = rep.next_cookie;
  }
}

Status FileSystem::truncate(const std::string& path, uint64_t size) {
  NACRE_NEED_CORE();
  auto f = open(path, open_flags::kWrite);
  if (!f) return f.status().with_context("truncate");
  Status s = f->set_size(size);
  Status c = f->close();
  return (s.is_ok() ? c : s).with_context("truncate " + path);
}

Status FileSystem::set_default_layout(const std::string& dir, const LayoutRequest& layout) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(dir, "set layout of " + dir);
  wire::Empty rep;
  return core_->mds_call(MsgType::kSetDirLayout, wire::SetDirLayoutRequest{dir, {layout}}, &rep)
      .with_context("set layout of " + dir);
}

Result<LayoutRequest> FileSystem::get_default_layout(const std::string& dir) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(dir, "get layout of " + dir);
  wire::DirLayoutReply rep;
  NACRE_RETURN_IF_ERROR(core_->mds_call(MsgType::kGetDirLayout, wire::PathRequest{dir}, &rep)
                            .with_context("get layout of " + dir));
  return rep.layout.v;
}

Result<Layout> FileSystem::get_layout(const std::string& path) {
  NACRE_NEED_CORE();
  NACRE_CHECK_PATH(path, "get layout of " + path);
  wire::StatReply rep;
  NACRE_RETURN_IF_ERROR(core_->mds_call(MsgType::kStat, wire::PathRequest{path}, &rep)
                            .with_context("get layout of " + path));
  if (rep.stat.type == static_cast<uint8_t>(FileType::kDirectory))
    return Status::error(EISDIR, "get layout of " + path +
                                     ": is a directory (use get_default_layout)");
  return rep.layout.to_layout();
}

Result<std::vector<ServerHealth>> FileSystem::health() {
  NACRE_NEED_CORE();
  return client::server_health(*core_);
}

Result<FsckReport> FileSystem::fsck(bool remove_orphans, const ProgressFn& progress) {
  NACRE_NEED_CORE();
  return client::run_fsck(*core_, remove_orphans, progress);
}

Result<ScrubReport> FileSystem::scrub(const ProgressFn& progress) {
  NACRE_NEED_CORE();
  return client::run_scrub(*core_, progress);
}

Result<RebuildReport> FileSystem::rebuild(const ProgressFn& progress) {
  NACRE_NEED_CORE();
  return client::run_rebuild(*core_, progress);
}

}  // namespace nacre
