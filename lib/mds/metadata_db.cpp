#include "mds/metadata_db.hpp"

#include "mds/metadata_records.hpp"

#include "common/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

namespace nacre::mds {

namespace {

constexpr uint64_t kDefaultMapBytes = 16ull << 30;  // address space only; the file grows as used
constexpr char kSeqKey[] = "seq";
constexpr char kFsKey[] = "fs";

MDB_val val(const std::vector<uint8_t>& v) {
  return MDB_val{v.size(), const_cast<uint8_t*>(v.data())};
}
MDB_val key_of(const char* k) { return MDB_val{std::strlen(k), const_cast<char*>(k)}; }
std::vector<uint8_t> bytes_of(const MDB_val& v) {
  const auto* p = static_cast<const uint8_t*>(v.mv_data);
  return std::vector<uint8_t>(p, p + v.mv_size);
}

std::vector<uint8_t> encode_seq(uint64_t seq) {
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(seq >> (8 * i));
  return out;
}

// The "seq" record of meta (absent in databases written before mirrors: 0).
Result<uint64_t> read_seq(MDB_txn* txn, MDB_dbi meta) {
  MDB_val k = key_of(kSeqKey), v;
  const int rc = mdb_get(txn, meta, &k, &v);
  if (rc == MDB_NOTFOUND) return uint64_t{0};
  if (rc) return Status::error(EIO, std::string("read sequence number: ") + mdb_strerror(rc));
  if (v.mv_size != 8) return Status::error(EIO, "sequence number record has " + std::to_string(v.mv_size) + " bytes, not 8");
  uint64_t s = 0;
  const auto* p = static_cast<const uint8_t*>(v.mv_data);
  for (int i = 0; i < 8; ++i) s |= static_cast<uint64_t>(p[i]) << (8 * i);
  return s;
}

}  // namespace

MetaDbProbe probe_metadata_db(const std::string& path) {
  MetaDbProbe p;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return p;
  {
    std::ifstream mark(path + ".behind");
    if (mark) {
      p.behind = true;
      std::getline(mark, p.behind_note);
      if (p.behind_note.empty()) p.behind_note = "(no reason recorded)";
    }
  }
  auto problem = [&](const std::string& why) {
    p.problem = path + ": " + why;
    return p;
  };
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc) return problem(mdb_strerror(rc));
  mdb_env_set_maxdbs(env, 4);
  // Read-only and without the lock file: probing changes nothing on disk.
  // The storage directory's flock keeps every other server out meanwhile.
  rc = mdb_env_open(env, path.c_str(), MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0600);
  MDB_txn* txn = nullptr;
  if (!rc) rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  if (rc) {
    mdb_env_close(env);
    return problem(mdb_strerror(rc));
  }
  MDB_dbi meta = 0;
  rc = mdb_dbi_open(txn, "meta", 0, &meta);
  MDB_val k = key_of(kFsKey), v;
  if (!rc) rc = mdb_get(txn, meta, &k, &v);
  if (rc) {
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return problem(std::string("no file-system record (") + mdb_strerror(rc) + ")");
  }
  auto m = decode_meta(std::span<const uint8_t>(static_cast<const uint8_t*>(v.mv_data), v.mv_size));
  auto seq = read_seq(txn, meta);
  mdb_txn_abort(txn);
  mdb_env_close(env);
  if (!m) return problem(m.status().message());
  if (!seq) return problem(seq.status().message());
  p.present = true;
  p.seq = *seq;
  p.uuid = m->uuid;
  return p;
}

Result<std::unique_ptr<MetadataDb>> MetadataDb::open(const std::string& path, bool create,
                                                     uint64_t map_bytes) {
  std::unique_ptr<MetadataDb> db(new MetadataDb());
  db->path_ = path;
  struct stat st;
  if (!create && ::stat(path.c_str(), &st) != 0)
    return Status::error(ENOENT, "metadata store " + path + " does not exist");
  int rc = mdb_env_create(&db->env_);
  if (rc) return db->error(rc, "create environment");
  mdb_env_set_maxdbs(db->env_, 4);
  rc = mdb_env_set_mapsize(db->env_, map_bytes ? map_bytes : kDefaultMapBytes);
  if (rc) return db->error(rc, "set map size");
  rc = mdb_env_open(db->env_, path.c_str(), MDB_NOSUBDIR, 0600);
  if (rc) return db->error(rc, "open");
  MDB_txn* txn = nullptr;
  rc = mdb_txn_begin(db->env_, nullptr, 0, &txn);
  if (rc) return db->error(rc, "begin");
  for (auto [name, dbi] : {std::pair{"inodes", &db->inodes_}, std::pair{"dirents", &db->dirents_},
                           std::pair{"meta", &db->meta_}}) {
    rc = mdb_dbi_open(txn, name, MDB_CREATE, dbi);
    if (rc) {
      mdb_txn_abort(txn);
      return db->error(rc, std::string("open table ") + name);
    }
  }
  auto seq = read_seq(txn, db->meta_);
  if (!seq) {
    mdb_txn_abort(txn);
    return seq.status().with_context("metadata store " + path);
  }
  db->seq_ = *seq;
  rc = mdb_txn_commit(txn);  // keeps the table handles
  if (rc) return db->error(rc, "open tables");
  return db;
}

MetadataDb::~MetadataDb() {
  if (env_) mdb_env_close(env_);
}

MDB_dbi MetadataDb::table(MetaTable t) const {
  switch (t) {
    case MetaTable::kInodes: return inodes_;
    case MetaTable::kDirents: return dirents_;
    case MetaTable::kMeta: return meta_;
  }
  return meta_;
}

Status MetadataDb::error(int rc, const std::string& what) const {
  const int code = rc == MDB_MAP_FULL ? ENOSPC : rc > 0 ? rc : EIO;
  return Status::error(code, "metadata store " + path_ + ": " + what + ": " + mdb_strerror(rc));
}

Status MetadataDb::apply(const KvBatch& b) {
  if (!b.snapshot && b.seq != seq_ + 1)
    return Status::error(ESTALE, "metadata store " + path_ + " is at change " +
                                     std::to_string(seq_) + " and cannot apply change " +
                                     std::to_string(b.seq) + " (out of step)");
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc) return error(rc, "begin");
  auto fail = [&](int code, const std::string& what) {
    mdb_txn_abort(txn);
    return error(code, what);
  };
  if (b.snapshot) {
    for (MDB_dbi d : {inodes_, dirents_, meta_}) {
      rc = mdb_drop(txn, d, 0);
      if (rc) return fail(rc, "empty a table for a snapshot");
    }
  }
  for (size_t i = 0; i < b.ops.size(); ++i) {
    const KvOp& op = b.ops[i];
    MDB_val k = val(op.key);
    if (op.erase) {
      rc = mdb_del(txn, table(op.table), &k, nullptr);
      if (rc && rc != MDB_NOTFOUND) return fail(rc, "delete record " + std::to_string(i));
    } else {
      MDB_val v = val(op.value);
      rc = mdb_put(txn, table(op.table), &k, &v, 0);
      if (rc) return fail(rc, "write record " + std::to_string(i));
    }
  }
  const auto seq = encode_seq(b.seq);
  MDB_val sk = key_of(kSeqKey), sv = val(seq);
  rc = mdb_put(txn, meta_, &sk, &sv, 0);
  if (rc) return fail(rc, "write sequence number");
  rc = mdb_txn_commit(txn);  // synchronous: durable on return
  if (rc) return error(rc, "commit");
  seq_ = b.seq;
  if (b.snapshot) std::remove((path_ + ".behind").c_str());  // in step again
  return Status::ok();
}

void MetadataDb::mark_behind(const std::string& why) {
  const std::string mark = path_ + ".behind", tmp = mark + ".tmp";
  const std::string text = "at change " + std::to_string(seq_) + ": " + why + "\n";
  bool ok = false;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    ok = ok && std::rename(tmp.c_str(), mark.c_str()) == 0;
    const std::string dir = path_.substr(0, path_.find_last_of('/') == std::string::npos ? 0 : path_.find_last_of('/'));
    const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ok = ::fsync(dfd) == 0 && ok;
      ::close(dfd);
    }
  }
  if (!ok)
    log::error("metadata mirror " + path_ + ": cannot record that it is behind (" + std::strerror(errno) +
               "); if server 0's copy is lost before the next start, do not restore from this mirror");
}

Result<KvBatch> MetadataDb::snapshot() const {
  KvBatch out;
  out.seq = seq_;
  out.snapshot = true;
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
  if (rc) return error(rc, "begin read");
  for (MetaTable t : {MetaTable::kInodes, MetaTable::kDirents, MetaTable::kMeta}) {
    MDB_cursor* cur = nullptr;
    rc = mdb_cursor_open(txn, table(t), &cur);
    if (rc) {
      mdb_txn_abort(txn);
      return error(rc, "open cursor");
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      if (t == MetaTable::kMeta && k.mv_size == std::strlen(kSeqKey) &&
          std::memcmp(k.mv_data, kSeqKey, k.mv_size) == 0)
        continue;  // the batch carries it
      out.ops.push_back(KvOp{t, false, bytes_of(k), bytes_of(v)});
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
      mdb_txn_abort(txn);
      return error(rc, "read records");
    }
  }
  mdb_txn_abort(txn);
  return out;
}

}  // namespace nacre::mds
