// One committed change of the durable metadata, as raw key/value operations
// on its tables, and its encoding. The metadata server commits a batch to its
// LMDB and sends the same batch to its metadata mirrors (META_MIRROR, docs/
// DURABILITY.md "Metadata mirrors"); a whole database travels as one batch
// too (a snapshot) when a mirror or a lost server 0 is brought up to date at
// start. Pure: no LMDB, no MPI.
#pragma once

#include <nacre/status.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace nacre::mds {

// The tables of the metadata database.
enum class MetaTable : uint8_t { kInodes = 1, kDirents = 2, kMeta = 3 };

struct KvOp {
  MetaTable table = MetaTable::kInodes;
  bool erase = false;           // delete key (value empty) instead of put
  std::vector<uint8_t> key;
  std::vector<uint8_t> value;
  bool operator==(const KvOp&) const = default;
};

// seq: the database's commit sequence number once the batch is applied. A
// change is seq = previous + 1; a snapshot carries the source's seq and
// replaces everything (snapshot = true).
struct KvBatch {
  uint64_t seq = 0;
  bool snapshot = false;
  std::vector<KvOp> ops;
  bool operator==(const KvBatch&) const = default;
};

inline constexpr uint8_t kBatchFormatVersion = 1;
// Limits a decoder enforces (a peer never makes it allocate more).
inline constexpr uint32_t kMaxBatchKeyBytes = 8 + 255;    // dirent key: parent + name
inline constexpr uint32_t kMaxBatchValueBytes = 1u << 20; // an inode record with its layout

// version u8, flags u8 (1: snapshot), seq u64, count u64, then per op:
// table u8, erase u8, key (u32 length + bytes), value (u32 length + bytes).
std::vector<uint8_t> encode_batch(const KvBatch& b);

// Bounds-checked and exact: an unknown version or table, an erase with a
// value, an empty key, a length past a limit or past the end, or trailing
// bytes is EBADMSG naming the problem and `what`.
Result<KvBatch> decode_batch(std::span<const uint8_t> bytes, const char* what);

}  // namespace nacre::mds
