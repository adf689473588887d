// Durable metadata store: the namespace model in memory, every change
// written through to LMDB in one transaction per operation (synchronous
// commit: durable when the reply is sent). Loaded whole at open.
#include "common/log.hpp"
#include "mds/metadata_records.hpp"
#include "mds/metadata_store.hpp"
#include "mds/namespace_model.hpp"

#include <lmdb.h>
#include <sys/stat.h>

#include <utility>

namespace nacre::mds {

namespace {

constexpr uint64_t kDefaultMapBytes = 16ull << 30;  // address space only; the file grows as used
const char* const kMetaKey = "fs";

MDB_val val(const std::vector<uint8_t>& v) {
  return MDB_val{v.size(), const_cast<uint8_t*>(v.data())};
}
std::span<const uint8_t> span_of(const MDB_val& v) {
  return {static_cast<const uint8_t*>(v.mv_data), v.mv_size};
}

class LmdbMetadata final : public NamespaceModel {
 public:
  LmdbMetadata(const DurableMetadataOptions& o)
      : NamespaceModel(o.servers, o.root_default, o.replicas), opts_(o) {}
  ~LmdbMetadata() override {
    if (env_) mdb_env_close(env_);
  }

  Status lmdb_error(int rc, const std::string& what) const {
    const int code = rc == MDB_MAP_FULL ? ENOSPC : rc > 0 ? rc : EIO;
    return Status::error(code, "metadata store " + opts_.path + ": " + what + ": " + mdb_strerror(rc));
  }

  Status open() {
    struct stat st;
    const bool exists = ::stat(opts_.path.c_str(), &st) == 0;
    if (!exists && !opts_.create)
      return Status::error(ENOENT, "metadata store " + opts_.path +
                                       " is missing, but the storage directory is stamped as file "
                                       "system " + opts_.fs_uuid + "; refusing to start");
    int rc = mdb_env_create(&env_);
    if (rc) return lmdb_error(rc, "create environment");
    mdb_env_set_maxdbs(env_, 4);
    rc = mdb_env_set_mapsize(env_, opts_.map_bytes ? opts_.map_bytes : kDefaultMapBytes);
    if (rc) return lmdb_error(rc, "set map size");
    rc = mdb_env_open(env_, opts_.path.c_str(), MDB_NOSUBDIR, 0600);
    if (rc) return lmdb_error(rc, "open");
    MDB_txn* txn = nullptr;
    rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc) return lmdb_error(rc, "begin");
    for (auto [name, dbi] : {std::pair{"inodes", &inodes_db_}, std::pair{"dirents", &dirents_db_},
                             std::pair{"meta", &meta_db_}}) {
      rc = mdb_dbi_open(txn, name, MDB_CREATE, dbi);
      if (rc) {
        mdb_txn_abort(txn);
        return lmdb_error(rc, std::string("open table ") + name);
      }
    }
    MDB_val k{2, const_cast<char*>(kMetaKey)}, v;
    rc = mdb_get(txn, meta_db_, &k, &v);
    if (rc == MDB_NOTFOUND) {
      if (!opts_.create) {
        mdb_txn_abort(txn);
        return Status::error(EIO, "metadata store " + opts_.path +
                                      " has no file-system record; refusing to start");
      }
      // A new file system: the root directory and the counters.
      MetaRecord m{next_ino_, rr_, servers_, opts_.fs_uuid};
      auto mk = inode_key(kRootIno);
      auto mv = encode_inode(inodes_.at(kRootIno));
      auto meta = encode_meta(m);
      MDB_val rk = val(mk), rv = val(mv), meta_v = val(meta);
      rc = mdb_put(txn, inodes_db_, &rk, &rv, 0);
      if (!rc) rc = mdb_put(txn, meta_db_, &k, &meta_v, 0);
      if (!rc) rc = mdb_txn_commit(txn);
      else mdb_txn_abort(txn);
      if (rc) return lmdb_error(rc, "format");
      log::info("metadata store " + opts_.path + ": new file system " + opts_.fs_uuid);
      return Status::ok();
    }
    if (rc) {
      mdb_txn_abort(txn);
      return lmdb_error(rc, "read file-system record");
    }
    rc = mdb_txn_commit(txn);  // keeps the table handles
    if (rc) return lmdb_error(rc, "open tables");
    NACRE_RETURN_IF_ERROR(load());
    return drop_orphans();
  }

  // Replaces the in-memory namespace with what the database holds.
  Status load() {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc) return lmdb_error(rc, "begin read");
    Status s = load_in(txn);
    mdb_txn_abort(txn);
    return s.with_context("metadata store " + opts_.path);
  }

  Status load_in(MDB_txn* txn) {
    MDB_val k{2, const_cast<char*>(kMetaKey)}, v;
    int rc = mdb_get(txn, meta_db_, &k, &v);
    if (rc) return Status::error(EIO, std::string("file-system record: ") + mdb_strerror(rc));
    auto meta = decode_meta(span_of(v));
    if (!meta) return meta.status();
    if (meta->uuid != opts_.fs_uuid)
      return Status::error(EINVAL, "belongs to file system " + meta->uuid +
                                       ", but the storage directories are stamped " + opts_.fs_uuid +
                                       " (a foreign metadata database); refusing to start");
    if (meta->servers != servers_)
      return Status::error(EINVAL, "was formatted for " + std::to_string(meta->servers) +
                                       " servers, not " + std::to_string(servers_));
    std::unordered_map<uint64_t, Inode> loaded;
    MDB_cursor* cur = nullptr;
    rc = mdb_cursor_open(txn, inodes_db_, &cur);
    if (rc) return Status::error(EIO, mdb_strerror(rc));
    Status bad;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && bad;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      auto ino = decode_inode_key(span_of(k));
      if (!ino) { bad = ino.status(); break; }
      auto n = decode_inode(span_of(v), *ino);
      if (!n) { bad = n.status(); break; }
      if (*ino >= meta->next_ino) {
        bad = Status::error(EIO, "inode " + std::to_string(*ino) + " is beyond the next inode number " +
                                     std::to_string(meta->next_ino));
        break;
      }
      loaded.emplace(*ino, std::move(*n));
    }
    mdb_cursor_close(cur);
    if (!bad) return bad;
    if (rc != 0 && rc != MDB_NOTFOUND) return Status::error(EIO, std::string("read inodes: ") + mdb_strerror(rc));
    auto root = loaded.find(kRootIno);
    if (root == loaded.end() || root->second.type != FileType::kDirectory)
      return Status::error(EIO, "metadata record inode 1 (the root directory) is missing or not a directory");
    rc = mdb_cursor_open(txn, dirents_db_, &cur);
    if (rc) return Status::error(EIO, mdb_strerror(rc));
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && bad;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      auto key = decode_dirent_key(span_of(k));
      if (!key) { bad = key.status(); break; }
      const std::string what = "directory entry " + key->second + " of inode " + std::to_string(key->first);
      auto child = decode_dirent(span_of(v), what);
      if (!child) { bad = child.status(); break; }
      auto parent = loaded.find(key->first);
      if (parent == loaded.end() || parent->second.type != FileType::kDirectory || !loaded.count(*child)) {
        bad = Status::error(EIO, "metadata record " + what + " -> inode " + std::to_string(*child) +
                                     " refers to a missing inode or a non-directory parent");
        break;
      }
      parent->second.children[key->second] = *child;
    }
    mdb_cursor_close(cur);
    if (!bad) return bad;
    if (rc != 0 && rc != MDB_NOTFOUND) return Status::error(EIO, std::string("read entries: ") + mdb_strerror(rc));
    inodes_ = std::move(loaded);
    next_ino_ = meta->next_ino;
    rr_ = meta->rr;
    return Status::ok();
  }

  // Files unlinked while open when the last job ended: nobody can open them
  // again. Their records go; their objects stay behind as orphans (listed in
  // the log; fsck will find them).
  Status drop_orphans() {
    Changes c;
    for (const auto& [ino, n] : inodes_)
      if (n.type == FileType::kRegular && n.nlink == 0) c.erased.insert(ino);
    if (c.erased.empty()) return Status::ok();
    for (uint64_t ino : c.erased) {
      log::warn("metadata store: dropping inode " + std::to_string(ino) +
                ", unlinked while open when the file system was last stopped; its objects "
                "(id " + std::to_string(ino) + ") remain as orphans");
      inodes_.erase(ino);
    }
    return persist(c);
  }

 protected:
  Status persist(const Changes& c) override {
    Status s = write(c);
    if (s) return s;
    // Nothing was written: bring memory back to what is durable.
    Status back = load();
    if (!back) log::error("metadata store: cannot reload after a failed commit: " + back.to_string());
    return s;
  }

 private:
  Status write(const Changes& c) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc) return lmdb_error(rc, "begin");
    auto fail = [&](int code, const std::string& what) {
      mdb_txn_abort(txn);
      return lmdb_error(code, what);
    };
    for (uint64_t ino : c.erased) {
      auto k = inode_key(ino);
      MDB_val kv = val(k);
      rc = mdb_del(txn, inodes_db_, &kv, nullptr);
      if (rc && rc != MDB_NOTFOUND) return fail(rc, "delete inode " + std::to_string(ino));
    }
    for (uint64_t ino : c.dirty) {
      auto it = inodes_.find(ino);
      if (it == inodes_.end()) continue;
      auto k = inode_key(ino);
      auto v = encode_inode(it->second);
      MDB_val kv = val(k), vv = val(v);
      rc = mdb_put(txn, inodes_db_, &kv, &vv, 0);
      if (rc) return fail(rc, "write inode " + std::to_string(ino));
    }
    for (const auto& d : c.dirents) {
      auto k = dirent_key(d.dir, d.name);
      MDB_val kv = val(k);
      if (d.ino == 0) {
        rc = mdb_del(txn, dirents_db_, &kv, nullptr);
        if (rc && rc != MDB_NOTFOUND) return fail(rc, "delete entry " + d.name);
      } else {
        auto v = encode_dirent(d.ino);
        MDB_val vv = val(v);
        rc = mdb_put(txn, dirents_db_, &kv, &vv, 0);
        if (rc) return fail(rc, "write entry " + d.name);
      }
    }
    auto meta = encode_meta(MetaRecord{next_ino_, rr_, servers_, opts_.fs_uuid});
    MDB_val mk{2, const_cast<char*>(kMetaKey)}, mv = val(meta);
    rc = mdb_put(txn, meta_db_, &mk, &mv, 0);
    if (rc) return fail(rc, "write file-system record");
    rc = mdb_txn_commit(txn);  // synchronous: durable on return
    if (rc) return lmdb_error(rc, "commit");
    return Status::ok();
  }

  DurableMetadataOptions opts_;
  MDB_env* env_ = nullptr;
  MDB_dbi inodes_db_ = 0, dirents_db_ = 0, meta_db_ = 0;
};

}  // namespace

Result<std::unique_ptr<MetadataStore>> open_lmdb_metadata(const DurableMetadataOptions& opts) {
  if (opts.servers == 0 || opts.fs_uuid.empty())
    return Status::error(EINVAL, "open_lmdb_metadata: servers and fs_uuid must be set");
  auto md = std::make_unique<LmdbMetadata>(opts);
  NACRE_RETURN_IF_ERROR(md->open());
  return std::unique_ptr<MetadataStore>(std::move(md));
}

}  // namespace nacre::mds
