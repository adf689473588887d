// The namespace logic (inodes, directory entries, layouts, permissions,
// open counts) over an in-memory table. make_memory_metadata uses it as is;
// the LMDB store (lmdb_metadata.cpp) subclasses it and writes what every
// operation changed in one transaction (persist()). Used by the metadata
// server's single service thread (not thread-safe).
#pragma once

#include "common/path.hpp"
#include "layout/layout_math.hpp"
#include "mds/metadata_store.hpp"
#include "store/object_store.hpp"
#include "wire/messages.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <vector>

namespace nacre::mds {

inline constexpr uint64_t kRootIno = 1;
using layout::kMaxIno;
using layout::mirror_object_id;
using layout::ino_of_object;

// One inode. open_count is not durable (a restart closes every handle).
struct Inode {
  FileType type = FileType::kRegular;
  uint32_t mode = 0;
  uint32_t uid = 0, gid = 0;
  uint32_t nlink = 1;
  Timespec atime, mtime, ctime;
  Layout layout;                          // files
  LayoutRequest dir_default;              // directories: complete default
  std::map<std::string, uint64_t> children;  // directories
  uint32_t open_count = 0;                // files
};

class NamespaceModel : public MetadataStore {
 public:
  // replicas: copies of every file's objects (1..servers), placed by
  // make_layout.
  NamespaceModel(uint32_t servers, LayoutRequest root_default, uint32_t replicas = 1)
      : servers_(servers), replicas_(replicas) {
    Inode root;
    root.type = FileType::kDirectory;
    root.mode = 0777;
    root.nlink = 2;
    root.atime = root.mtime = root.ctime = store::now();
    root.dir_default = root_default;
    inodes_[kRootIno] = std::move(root);
  }


  Status mkdir(const std::string& path, uint32_t mode, const Credentials& cred) override {
    return txn(do_mkdir(path, mode, cred));
  }
  Status rmdir(const std::string& path, const Credentials& cred) override {
    return txn(do_rmdir(path, cred));
  }
  Result<OpenResult> open(const std::string& path, uint32_t flags, uint32_t mode,
                          const Credentials& cred, const LayoutRequest& layout) override {
    return txn(do_open(path, flags, mode, cred, layout));
  }
  Result<Release> close(uint64_t ino) override { return txn(do_close(ino)); }
  Result<StatResult> stat(const std::string& path) override { return do_stat(path); }
  Result<Release> unlink(const std::string& path, const Credentials& cred) override {
    return txn(do_unlink(path, cred));
  }
  Result<Release> rename(const std::string& from, const std::string& to,
                         const Credentials& cred) override {
    return txn(do_rename(from, to, cred));
  }
  Result<DirPage> readdir(const std::string& path, uint64_t cookie, uint32_t max) override {
    return do_readdir(path, cookie, max);
  }
  Result<FilePage> list_files(uint64_t cookie, uint32_t max) override {
    std::vector<uint64_t> inos;
    for (const auto& [ino, n] : inodes_)
      if (ino >= cookie && n.type == FileType::kRegular) inos.push_back(ino);
    std::sort(inos.begin(), inos.end());
    FilePage page;
    for (uint64_t ino : inos) {
      if (page.entries.size() >= max) {
        page.done = false;
        page.next_cookie = ino;
        break;
      }
      const Inode& n = inodes_.at(ino);
      page.entries.push_back(FileEntry{ino, n.nlink, n.layout});
    }
    return page;
  }
  Status setattr(const std::string& path, uint32_t mask, uint32_t mode,
                 const Credentials& cred) override {
    return txn(do_setattr(path, mask, mode, cred));
  }
  Status set_dir_layout(const std::string& path, const LayoutRequest& layout) override {
    return txn(do_set_dir_layout(path, layout));
  }
  Result<LayoutRequest> get_dir_layout(const std::string& path) override {
    return do_get_dir_layout(path);
  }

 private:
  Status do_mkdir(const std::string& path, uint32_t mode, const Credentials& cred) {
    auto loc = parent_of(path, cred, true);
    if (!loc) return loc.status();
    auto [dir, name] = *loc;
    if (inodes_[dir].children.count(name)) return exists(path);
    Inode d;
    d.type = FileType::kDirectory;
    d.mode = mode & 07777;
    d.uid = cred.uid;
    d.gid = cred.gid;
    d.nlink = 2;
    d.atime = d.mtime = d.ctime = store::now();
    d.dir_default = inodes_[dir].dir_default;  // inherit, like lfs setstripe on a parent
    if (next_ino_ > kMaxIno) return Status::error(ENOSPC, path + ": out of inode numbers");
    const uint64_t ino = next_ino_++;
    inodes_[ino] = std::move(d);
    touch(ino);
    link_child(dir, name, ino);
    return Status::ok();
  }

  Status do_rmdir(const std::string& path, const Credentials& cred) {
    auto loc = parent_of(path, cred, true);
    if (!loc) return loc.status();
    auto [dir, name] = *loc;
    auto it = inodes_[dir].children.find(name);
    if (it == inodes_[dir].children.end()) return missing(path);
    Inode& d = inodes_[it->second];
    if (d.type != FileType::kDirectory) return Status::error(ENOTDIR, path + " is not a directory");
    if (!d.children.empty()) return Status::error(ENOTEMPTY, "directory " + path + " is not empty");
    const uint64_t gone = it->second;
    unlink_child(dir, name);  // before the erase: it drops the parent's link count
    erase_inode(gone);
    return Status::ok();
  }

  Result<OpenResult> do_open(const std::string& path, uint32_t flags, uint32_t mode,
                          const Credentials& cred, const LayoutRequest& layout) {
    if ((flags & ~open_flags::kAll) != 0 || (flags & open_flags::kReadWrite) == 0)
      return Status::error(EINVAL, "open flags " + std::to_string(flags) +
                                       " must contain read and/or write access and no unknown bits");
    if ((flags & open_flags::kTruncate) && !(flags & open_flags::kWrite))
      return Status::error(EINVAL, "truncate on open needs write access");
    auto parts = split_path(path);
    if (!parts) return parts.status();
    if (parts->empty()) return Status::error(EISDIR, "/ is a directory");
    auto loc = parent_of(path, cred, false);
    if (!loc) return loc.status();
    auto [dir, name] = *loc;
    OpenResult out;
    uint64_t ino;
    auto it = inodes_[dir].children.find(name);
    if (it == inodes_[dir].children.end()) {
      if (!(flags & open_flags::kCreate)) return missing(path);
      if (!may(inodes_[dir], cred, 3)) return denied(path);
      NACRE_RETURN_IF_ERROR(validate_layout_request(layout, servers_).with_context(path));
      if (next_ino_ > kMaxIno) return Status::error(ENOSPC, path + ": out of inode numbers");
      ino = next_ino_++;
      Inode f;
      f.type = FileType::kRegular;
      f.mode = mode & 07777;
      f.uid = cred.uid;
      f.gid = cred.gid;
      f.atime = f.mtime = f.ctime = store::now();
      f.layout = make_layout(inodes_[dir].dir_default, layout, ino);
      inodes_[ino] = std::move(f);
      touch(ino);
      link_child(dir, name, ino);
      out.created = true;
    } else {
      if ((flags & open_flags::kCreate) && (flags & open_flags::kExclusive)) return exists(path);
      ino = it->second;
      Inode& f = inodes_[ino];
      if (f.type == FileType::kDirectory) return Status::error(EISDIR, path + " is a directory");
      const int want = ((flags & open_flags::kRead) ? 4 : 0) | ((flags & open_flags::kWrite) ? 2 : 0);
      if (!may(f, cred, want)) return denied(path);
      if (flags & open_flags::kTruncate) {
        f.mtime = f.ctime = store::now();
        touch(ino);
      }
    }
    Inode& f = inodes_[ino];
    ++f.open_count;
    out.stat = stat_of(ino, f);
    out.layout = f.layout;
    return out;
  }

  Result<Release> do_close(uint64_t ino) {
    auto it = inodes_.find(ino);
    if (it == inodes_.end() || it->second.type != FileType::kRegular || it->second.open_count == 0)
      return Status::error(EBADF, "close of inode " + std::to_string(ino) + " that is not open");
    Inode& f = it->second;
    --f.open_count;
    Release r;
    if (f.open_count == 0 && f.nlink == 0) {
      r.destroy = true;
      r.layout = f.layout;
      erase_inode(ino);
    }
    return r;
  }

  Result<StatResult> do_stat(const std::string& path) {
    auto ino = lookup(path);
    if (!ino) return ino.status();
    const Inode& n = inodes_[*ino];
    return StatResult{stat_of(*ino, n), n.layout};
  }

  Result<Release> do_unlink(const std::string& path, const Credentials& cred) {
    auto loc = parent_of(path, cred, true);
    if (!loc) return loc.status();
    auto [dir, name] = *loc;
    auto it = inodes_[dir].children.find(name);
    if (it == inodes_[dir].children.end()) return missing(path);
    const uint64_t ino = it->second;
    if (inodes_[ino].type == FileType::kDirectory)
      return Status::error(EISDIR, path + " is a directory (use rmdir)");
    unlink_child(dir, name);
    return drop_name(ino);
  }

  Result<Release> do_rename(const std::string& from, const std::string& to,
                         const Credentials& cred) {
    auto src = parent_of(from, cred, true);
    if (!src) return src.status();
    auto dst = parent_of(to, cred, true);
    if (!dst) return dst.status();
    auto [sdir, sname] = *src;
    auto [ddir, dname] = *dst;
    auto sit = inodes_[sdir].children.find(sname);
    if (sit == inodes_[sdir].children.end()) return missing(from);
    const uint64_t ino = sit->second;
    const bool is_dir = inodes_[ino].type == FileType::kDirectory;
    if (is_dir) {  // a directory cannot move below itself
      auto fp = *normalize_path(from), tp = *normalize_path(to);
      if (tp.size() > fp.size() && tp.compare(0, fp.size(), fp) == 0 && tp[fp.size()] == '/')
        return Status::error(EINVAL, "cannot move directory " + from + " into itself (" + to + ")");
    }
    Release r;
    auto dit = inodes_[ddir].children.find(dname);
    if (dit != inodes_[ddir].children.end()) {
      const uint64_t target = dit->second;
      if (target == ino) return r;  // same file: nothing to do
      const Inode& t = inodes_[target];
      if (is_dir && t.type != FileType::kDirectory)
        return Status::error(ENOTDIR, "cannot replace file " + to + " with directory " + from);
      if (!is_dir && t.type == FileType::kDirectory)
        return Status::error(EISDIR, "cannot replace directory " + to + " with file " + from);
      if (t.type == FileType::kDirectory && !t.children.empty())
        return Status::error(ENOTEMPTY, "directory " + to + " is not empty");
      unlink_child(ddir, dname);
      if (t.type == FileType::kDirectory) erase_inode(target);
      else {
        auto rel = drop_name(target);
        r = *rel;
      }
    }
    unlink_child(sdir, sname);
    link_child(ddir, dname, ino);
    inodes_[ino].ctime = store::now();
    touch(ino);
    return r;
  }

  Result<DirPage> do_readdir(const std::string& path, uint64_t cookie, uint32_t max) {
    auto ino = lookup(path);
    if (!ino) return ino.status();
    const Inode& d = inodes_[*ino];
    if (d.type != FileType::kDirectory) return Status::error(ENOTDIR, path + " is not a directory");
    DirPage page;
    if (cookie > d.children.size())
      return Status::error(EINVAL, "readdir cookie " + std::to_string(cookie) + " past the end");
    auto it = std::next(d.children.begin(), static_cast<long>(cookie));
    for (; it != d.children.end() && page.entries.size() < max; ++it)
      page.entries.push_back(DirEntry{it->first, inodes_[it->second].type, it->second});
    page.next_cookie = cookie + page.entries.size();
    page.done = it == d.children.end();
    return page;
  }

  Status do_setattr(const std::string& path, uint32_t mask, uint32_t mode,
                 const Credentials& cred) {
    auto ino = lookup(path);
    if (!ino) return ino.status();
    Inode& n = inodes_[*ino];
    if ((mask & wire::kSetattrMode) && cred.uid != 0 && cred.uid != n.uid) return denied(path);
    const Timespec t = store::now();
    if (mask & wire::kSetattrMode) {
      n.mode = mode & 07777;
      n.ctime = t;
    }
    if (mask & wire::kSetattrMtimeNow) n.mtime = n.ctime = t;
    touch(*ino);
    return Status::ok();
  }

  Status do_set_dir_layout(const std::string& path, const LayoutRequest& layout) {
    auto ino = lookup(path);
    if (!ino) return ino.status();
    Inode& d = inodes_[*ino];
    if (d.type != FileType::kDirectory) return Status::error(ENOTDIR, path + " is not a directory");
    NACRE_RETURN_IF_ERROR(validate_layout_request(layout, servers_).with_context(path));
    if (layout.stripe_size) d.dir_default.stripe_size = layout.stripe_size;
    if (layout.stripe_count) d.dir_default.stripe_count = layout.stripe_count;
    d.dir_default.first_server = layout.first_server;
    touch(*ino);
    return Status::ok();
  }

  Result<LayoutRequest> do_get_dir_layout(const std::string& path) {
    auto ino = lookup(path);
    if (!ino) return ino.status();
    const Inode& d = inodes_[*ino];
    if (d.type != FileType::kDirectory) return Status::error(ENOTDIR, path + " is not a directory");
    return d.dir_default;
  }

 protected:
  // What one operation changed, for a durable subclass to write.
  struct DirentChange {
    uint64_t dir = 0;
    std::string name;
    uint64_t ino = 0;  // 0: the entry was removed
  };
  struct Changes {
    std::set<uint64_t> dirty;   // inodes to (re)write from inodes_
    std::set<uint64_t> erased;  // inodes to delete
    std::vector<DirentChange> dirents;  // in order
    bool empty() const { return dirty.empty() && erased.empty() && dirents.empty(); }
  };
  // Called after every operation that changed something, with the new state
  // already in memory (and next_ino_ / rr_ current). An error fails the
  // operation with it; the subclass must then have restored memory to what
  // is durable. The in-memory model keeps nothing: OK.
  virtual Status persist(const Changes&) { return Status::ok(); }

  void touch(uint64_t ino) {
    changes_.erased.erase(ino);
    changes_.dirty.insert(ino);
  }
  void erase_inode(uint64_t ino) {
    inodes_.erase(ino);
    changes_.dirty.erase(ino);
    changes_.erased.insert(ino);
  }

  uint32_t servers_;
  uint32_t replicas_;
  uint64_t next_ino_ = kRootIno + 1;
  uint64_t rr_ = 0;
  std::unordered_map<uint64_t, Inode> inodes_;

 private:
  // Runs one operation and hands what it changed to persist().
  template <class R>
  R txn(R result) {
    if (changes_.empty()) return result;
    Changes c = std::move(changes_);
    changes_ = Changes{};
    Status s = persist(c);
    if (!s) return s;
    return result;
  }
  Changes changes_;

  static Status missing(const std::string& p) { return Status::error(ENOENT, "no such file or directory: " + p); }
  static Status exists(const std::string& p) { return Status::error(EEXIST, p + " already exists"); }
  static Status denied(const std::string& p) { return Status::error(EACCES, "permission denied: " + p); }

  // want: rwx bits (4, 2, 1). Root may do anything.
  static bool may(const Inode& n, const Credentials& c, int want) {
    if (c.uid == 0) return true;
    int bits = c.uid == n.uid ? (n.mode >> 6) & 7 : c.gid == n.gid ? (n.mode >> 3) & 7 : n.mode & 7;
    return (bits & want) == want;
  }

  Result<uint64_t> lookup(const std::string& path) {
    auto parts = split_path(path);
    if (!parts) return parts.status();
    uint64_t cur = kRootIno;
    for (size_t i = 0; i < parts->size(); ++i) {
      const Inode& d = inodes_[cur];
      if (d.type != FileType::kDirectory)
        return Status::error(ENOTDIR, "a component of " + path + " is not a directory");
      auto it = d.children.find((*parts)[i]);
      if (it == d.children.end()) return missing(path);
      cur = it->second;
    }
    return cur;
  }

  // The directory holding the last component of path, and that name.
  // write_access: check write+search permission on that directory.
  Result<std::pair<uint64_t, std::string>> parent_of(const std::string& path,
                                                     const Credentials& cred, bool write_access) {
    auto parts = split_path(path);
    if (!parts) return parts.status();
    if (parts->empty()) return Status::error(EBUSY, "the root directory cannot be changed this way");
    std::string parent = "/";
    for (size_t i = 0; i + 1 < parts->size(); ++i) parent += (i ? "/" : "") + (*parts)[i];
    auto dir = lookup(parent);
    if (!dir) return dir.status().code() == ENOENT ? missing(path) : dir.status();
    const Inode& d = inodes_[*dir];
    if (d.type != FileType::kDirectory) return Status::error(ENOTDIR, parent + " is not a directory");
    if (write_access && !may(d, cred, 3)) return denied(path);
    return std::make_pair(*dir, parts->back());
  }

  void link_child(uint64_t dir, const std::string& name, uint64_t ino) {
    Inode& d = inodes_[dir];
    d.children[name] = ino;
    if (inodes_[ino].type == FileType::kDirectory) ++d.nlink;
    d.mtime = d.ctime = store::now();
    touch(dir);
    changes_.dirents.push_back({dir, name, ino});
  }
  void unlink_child(uint64_t dir, const std::string& name) {
    Inode& d = inodes_[dir];
    auto it = d.children.find(name);
    if (it == d.children.end()) return;
    if (inodes_.count(it->second) && inodes_[it->second].type == FileType::kDirectory) --d.nlink;
    d.children.erase(it);
    d.mtime = d.ctime = store::now();
    touch(dir);
    changes_.dirents.push_back({dir, name, 0});
  }

  // The file lost its only name: destroy now, or at the last close.
  Result<Release> drop_name(uint64_t ino) {
    Inode& f = inodes_[ino];
    f.nlink = 0;
    f.ctime = store::now();
    touch(ino);
    Release r;
    if (f.open_count == 0) {
      r.destroy = true;
      r.layout = f.layout;
      erase_inode(ino);
    }
    return r;
  }

  Layout make_layout(const LayoutRequest& dir, const LayoutRequest& req, uint64_t ino) {
    const uint64_t size = req.stripe_size ? req.stripe_size : dir.stripe_size;
    int32_t count = req.stripe_count ? req.stripe_count : dir.stripe_count;
    if (count == -1 || count == 0) count = static_cast<int32_t>(servers_);
    int32_t first = req.first_server >= 0 ? req.first_server : dir.first_server;
    if (first < 0) first = static_cast<int32_t>(rr_++ % servers_);
    Layout l;
    l.stripe_size = size;
    for (int32_t i = 0; i < count; ++i)
      l.stripes.push_back({static_cast<uint32_t>((first + i) % servers_), ino});
    // Copy k of stripe i goes k servers further on: the copies of a stripe
    // are on distinct servers (replicas <= servers), and the object ids of
    // different copies differ, so no two objects share a (server, id).
    for (uint32_t k = 1; k < replicas_; ++k) {
      std::vector<StripeTarget> m;
      for (int32_t i = 0; i < count; ++i)
        m.push_back({static_cast<uint32_t>((first + i + static_cast<int32_t>(k)) % servers_),
                     mirror_object_id(ino, k)});
      l.mirrors.push_back(std::move(m));
    }
    return l;
  }

  FileStat stat_of(uint64_t ino, const Inode& n) const {
    FileStat s;
    s.ino = ino;
    s.type = n.type;
    s.mode = n.mode;
    s.uid = n.uid;
    s.gid = n.gid;
    s.nlink = n.nlink;
    s.atime = n.atime;
    s.mtime = n.mtime;
    s.ctime = n.ctime;
    return s;
  }
};

}  // namespace nacre::mds
