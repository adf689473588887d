// On-disk records of the durable metadata store (docs/DURABILITY.md,
// "Metadata records"). Every value starts with a record version byte; keys
// are big-endian so LMDB orders them numerically. Decoding is bounds-checked
// and exact (trailing bytes are corruption): a bad record is EIO naming the
// record, never a crash.
#pragma once

#include "mds/namespace_model.hpp"

#include <nacre/status.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nacre::mds {

// 2 (issue 6): the layout's mirrors follow its stripes. Version 1 records
// (no mirrors) are still read.
inline constexpr uint8_t kInodeRecordVersion = 2;
inline constexpr uint8_t kDirentRecordVersion = 1;
inline constexpr uint8_t kMetaRecordVersion = 1;
inline constexpr uint32_t kMaxRecordStripes = 4096;  // = the largest server count
inline constexpr size_t kMaxNameBytes = 255;

// The file system's counters and identity ("meta" table, key "fs").
struct MetaRecord {
  uint64_t next_ino = kRootIno + 1;  // object ids are inode numbers: never reused
  uint64_t rr = 0;                   // round-robin placement counter
  uint32_t servers = 0;
  std::string uuid;                  // must match the storage stamps
  bool operator==(const MetaRecord&) const = default;
};

std::vector<uint8_t> inode_key(uint64_t ino);
Result<uint64_t> decode_inode_key(std::span<const uint8_t> key);
// The durable fields of an inode (not children, not open_count).
std::vector<uint8_t> encode_inode(const Inode& n);
Result<Inode> decode_inode(std::span<const uint8_t> value, uint64_t ino);

// Directory entry: key = parent inode (8 bytes, big-endian) + name; value =
// version + child inode.
std::vector<uint8_t> dirent_key(uint64_t dir, const std::string& name);
Result<std::pair<uint64_t, std::string>> decode_dirent_key(std::span<const uint8_t> key);
std::vector<uint8_t> encode_dirent(uint64_t ino);
Result<uint64_t> decode_dirent(std::span<const uint8_t> value, const std::string& what);

std::vector<uint8_t> encode_meta(const MetaRecord& m);
Result<MetaRecord> decode_meta(std::span<const uint8_t> value);

}  // namespace nacre::mds
