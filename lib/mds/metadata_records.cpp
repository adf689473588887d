#include "mds/metadata_records.hpp"

#include "common/bytes.hpp"

namespace nacre::mds {

namespace {

Status corrupt(const std::string& what, const std::string& why) {
  return Status::error(EIO, "metadata record " + what + " is corrupt: " + why);
}

void put_be64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t get_be64(std::span<const uint8_t> in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

bool version_ok(ByteReader& r, uint8_t want, uint8_t* got) {
  return r.u8(got) && *got == want;
}

}  // namespace

std::vector<uint8_t> inode_key(uint64_t ino) {
  std::vector<uint8_t> k;
  put_be64(k, ino);
  return k;
}

Result<uint64_t> decode_inode_key(std::span<const uint8_t> key) {
  if (key.size() != 8) return corrupt("inode key", "length " + std::to_string(key.size()) + " is not 8");
  const uint64_t ino = get_be64(key);
  if (ino == 0) return corrupt("inode key", "inode number 0");
  return ino;
}

std::vector<uint8_t> encode_inode(const Inode& n) {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  w.u8(kInodeRecordVersion);
  w.u8(static_cast<uint8_t>(n.type));
  w.u32(n.mode);
  w.u32(n.uid);
  w.u32(n.gid);
  w.u32(n.nlink);
  for (const Timespec* t : {&n.atime, &n.mtime, &n.ctime}) {
    w.i64(t->sec);
    w.i64(t->nsec);
  }
  w.u64(n.layout.stripe_size);
  w.u32(static_cast<uint32_t>(n.layout.stripes.size()));
  for (const auto& s : n.layout.stripes) {
    w.u32(s.server);
    w.u64(s.object_id);
  }
  w.u8(static_cast<uint8_t>(n.layout.mirrors.size()));
  for (const auto& m : n.layout.mirrors)
    for (const auto& s : m) {
      w.u32(s.server);
      w.u64(s.object_id);
    }
  w.u64(n.dir_default.stripe_size);
  w.i32(n.dir_default.stripe_count);
  w.i32(n.dir_default.first_server);
  return out;
}

Result<Inode> decode_inode(std::span<const uint8_t> value, uint64_t ino) {
  const std::string what = "inode " + std::to_string(ino);
  ByteReader r(value);
  uint8_t version = 0, type = 0;
  if (!r.u8(&version)) return corrupt(what, "empty");
  if (version != 1 && version != kInodeRecordVersion)
    return corrupt(what, "record version " + std::to_string(version) + " is not 1 or " +
                             std::to_string(kInodeRecordVersion));
  Inode n;
  r.u8(&type);
  if (r.ok() && type != static_cast<uint8_t>(FileType::kRegular) &&
      type != static_cast<uint8_t>(FileType::kDirectory))
    return corrupt(what, "file type " + std::to_string(type));
  n.type = static_cast<FileType>(type);
  r.u32(&n.mode);
  r.u32(&n.uid);
  r.u32(&n.gid);
  r.u32(&n.nlink);
  for (Timespec* t : {&n.atime, &n.mtime, &n.ctime}) {
    r.i64(&t->sec);
    r.i64(&t->nsec);
  }
  uint32_t stripes = 0;
  r.u64(&n.layout.stripe_size);
  r.u32(&stripes);
  if (!r.ok()) return corrupt(what, "truncated");
  if (stripes > kMaxRecordStripes || stripes * 12ull > r.remaining())
    return corrupt(what, "stripe count " + std::to_string(stripes) + " exceeds the record");
  n.layout.stripes.resize(stripes);
  for (auto& s : n.layout.stripes) {
    r.u32(&s.server);
    r.u64(&s.object_id);
  }
  if (version >= 2) {
    uint8_t mirrors = 0;
    r.u8(&mirrors);
    if (!r.ok()) return corrupt(what, "truncated");
    if (mirrors >= kMaxReplicas || mirrors * stripes * 12ull > r.remaining())
      return corrupt(what, "mirror count " + std::to_string(mirrors) + " exceeds the record");
    n.layout.mirrors.assign(mirrors, std::vector<StripeTarget>(stripes));
    for (auto& m : n.layout.mirrors)
      for (auto& s : m) {
        r.u32(&s.server);
        r.u64(&s.object_id);
      }
  }
  r.u64(&n.dir_default.stripe_size);
  r.i32(&n.dir_default.stripe_count);
  r.i32(&n.dir_default.first_server);
  if (!r.ok()) return corrupt(what, "truncated");
  if (!r.at_end()) return corrupt(what, std::to_string(r.remaining()) + " trailing bytes");
  if ((n.mode & ~07777u) != 0) return corrupt(what, "mode " + std::to_string(n.mode));
  if (n.type == FileType::kRegular && (n.layout.stripes.empty() || n.layout.stripe_size == 0))
    return corrupt(what, "a file without a layout");
  return n;
}

std::vector<uint8_t> dirent_key(uint64_t dir, const std::string& name) {
  std::vector<uint8_t> k;
  put_be64(k, dir);
  k.insert(k.end(), name.begin(), name.end());
  return k;
}

Result<std::pair<uint64_t, std::string>> decode_dirent_key(std::span<const uint8_t> key) {
  if (key.size() <= 8 || key.size() > 8 + kMaxNameBytes)
    return corrupt("directory entry key", "length " + std::to_string(key.size()));
  std::string name(reinterpret_cast<const char*>(key.data() + 8), key.size() - 8);
  if (name.find('/') != std::string::npos || name.find('\0') != std::string::npos ||
      name == "." || name == "..")
    return corrupt("directory entry key", "name '" + name + "' is not a valid name");
  return std::make_pair(get_be64(key), name);
}

std::vector<uint8_t> encode_dirent(uint64_t ino) {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  w.u8(kDirentRecordVersion);
  w.u64(ino);
  return out;
}

Result<uint64_t> decode_dirent(std::span<const uint8_t> value, const std::string& what) {
  ByteReader r(value);
  uint8_t version = 0;
  uint64_t ino = 0;
  if (!version_ok(r, kDirentRecordVersion, &version))
    return corrupt(what, r.ok() ? "record version " + std::to_string(version) : "empty");
  r.u64(&ino);
  if (!r.at_end()) return corrupt(what, "length " + std::to_string(value.size()) + " is not 9");
  if (ino == 0) return corrupt(what, "inode number 0");
  return ino;
}

std::vector<uint8_t> encode_meta(const MetaRecord& m) {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  w.u8(kMetaRecordVersion);
  w.u64(m.next_ino);
  w.u64(m.rr);
  w.u32(m.servers);
  w.str(m.uuid);
  return out;
}

Result<MetaRecord> decode_meta(std::span<const uint8_t> value) {
  ByteReader r(value);
  uint8_t version = 0;
  MetaRecord m;
  if (!version_ok(r, kMetaRecordVersion, &version))
    return corrupt("fs", r.ok() ? "record version " + std::to_string(version) : "empty");
  r.u64(&m.next_ino);
  r.u64(&m.rr);
  r.u32(&m.servers);
  r.str(&m.uuid, 64);
  if (!r.ok()) return corrupt("fs", "truncated");
  if (!r.at_end()) return corrupt("fs", "trailing bytes");
  if (m.next_ino <= kRootIno || m.servers == 0 || m.servers > kMaxRecordStripes)
    return corrupt("fs", "next inode " + std::to_string(m.next_ino) + ", servers " +
                             std::to_string(m.servers));
  return m;
}

}  // namespace nacre::mds
