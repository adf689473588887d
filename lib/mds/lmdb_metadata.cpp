// Durable metadata store: the namespace model in memory, every change
// written through to LMDB in one transaction per operation (synchronous
// commit: durable when the reply is sent). Loaded whole at open.
#include "common/log.hpp"
#include "mds/metadata_db.hpp"
#include "mds/metadata_records.hpp"
#include "mds/metadata_store.hpp"
#include "mds/namespace_model.hpp"

#include <lmdb.h>
#include <sys/stat.h>

#include <utility>

namespace nacre::mds {

namespace {

const char* const kMetaKey = "fs";

std::span<const uint8_t> span_of(const MDB_val& v) {
  return {static_cast<const uint8_t*>(v.mv_data), v.mv_size};
}

class LmdbMetadata final : public NamespaceModel {
 public:
  LmdbMetadata(const DurableMetadataOptions& o)
      : NamespaceModel(o.servers, o.root_default, o.replicas), opts_(o) {}

  Status open() {
    struct stat st;
    const bool exists = ::stat(opts_.path.c_str(), &st) == 0;
    if (!exists && !opts_.create)
      return Status::error(ENOENT, "metadata store " + opts_.path +
                                       " is missing, but the storage directory is stamped as file "
                                       "system " + opts_.fs_uuid + "; refusing to start");
    auto db = MetadataDb::open(opts_.path, true, opts_.map_bytes);
    if (!db) return db.status();
    db_ = std::move(*db);
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(db_->env(), nullptr, MDB_RDONLY, &txn);
    if (rc) return db_->error(rc, "begin");
    MDB_val k{2, const_cast<char*>(kMetaKey)}, v;
    rc = mdb_get(txn, db_->table(MetaTable::kMeta), &k, &v);
    mdb_txn_abort(txn);
    if (rc == MDB_NOTFOUND) {
      if (!opts_.create)
        return Status::error(EIO, "metadata store " + opts_.path +
                                      " has no file-system record; refusing to start");
      // A new file system: the root directory and the counters.
      KvBatch b;
      b.seq = db_->seq() + 1;
      b.ops.push_back(KvOp{MetaTable::kInodes, false, inode_key(kRootIno), encode_inode(inodes_.at(kRootIno))});
      b.ops.push_back(KvOp{MetaTable::kMeta, false, {kMetaKey, kMetaKey + 2},
                           encode_meta(MetaRecord{next_ino_, rr_, servers_, opts_.fs_uuid})});
      NACRE_RETURN_IF_ERROR(db_->apply(b).with_context("format"));
      log::info("metadata store " + opts_.path + ": new file system " + opts_.fs_uuid);
      return Status::ok();
    }
    if (rc) return db_->error(rc, "read file-system record");
    NACRE_RETURN_IF_ERROR(load());
    return drop_orphans();
  }

  // Replaces the in-memory namespace with what the database holds.
  Status load() {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(db_->env(), nullptr, MDB_RDONLY, &txn);
    if (rc) return db_->error(rc, "begin read");
    Status s = load_in(txn);
    mdb_txn_abort(txn);
    return s.with_context("metadata store " + opts_.path);
  }

  Status load_in(MDB_txn* txn) {
    MDB_val k{2, const_cast<char*>(kMetaKey)}, v;
    int rc = mdb_get(txn, db_->table(MetaTable::kMeta), &k, &v);
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
    rc = mdb_cursor_open(txn, db_->table(MetaTable::kInodes), &cur);
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
    rc = mdb_cursor_open(txn, db_->table(MetaTable::kDirents), &cur);
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

  void set_mirror_sink(MirrorSink sink) override { sink_ = std::move(sink); }
  Result<KvBatch> snapshot() const override { return db_->snapshot(); }

 protected:
  Status persist(const Changes& c) override {
    const KvBatch b = batch_of(c);
    // Local commit first, then the mirrors (before the reply): a mirror
    // never holds a change that server 0 does not, so a client told that an
    // operation failed never sees it come back from a mirror.
    Status s = db_->apply(b);
    if (s) {
      if (sink_) sink_(b);
      return s;
    }
    // Nothing was written: bring memory back to what is durable.
    Status back = load();
    if (!back) log::error("metadata store: cannot reload after a failed commit: " + back.to_string());
    return s;
  }

 private:
  // What one operation changed, as the next batch of the database.
  KvBatch batch_of(const Changes& c) const {
    KvBatch b;
    b.seq = db_->seq() + 1;
    for (uint64_t ino : c.erased) b.ops.push_back(KvOp{MetaTable::kInodes, true, inode_key(ino), {}});
    for (uint64_t ino : c.dirty) {
      auto it = inodes_.find(ino);
      if (it == inodes_.end()) continue;
      b.ops.push_back(KvOp{MetaTable::kInodes, false, inode_key(ino), encode_inode(it->second)});
    }
    for (const auto& d : c.dirents) {
      if (d.ino == 0) b.ops.push_back(KvOp{MetaTable::kDirents, true, dirent_key(d.dir, d.name), {}});
      else b.ops.push_back(KvOp{MetaTable::kDirents, false, dirent_key(d.dir, d.name), encode_dirent(d.ino)});
    }
    b.ops.push_back(KvOp{MetaTable::kMeta, false, {kMetaKey, kMetaKey + 2},
                         encode_meta(MetaRecord{next_ino_, rr_, servers_, opts_.fs_uuid})});
    return b;
  }

  DurableMetadataOptions opts_;
  std::unique_ptr<MetadataDb> db_;
  MirrorSink sink_;
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
