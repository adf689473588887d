#include "mds/metadata_batch.hpp"

#include "common/bytes.hpp"

#include <string>

namespace nacre::mds {

namespace {
constexpr uint8_t kFlagSnapshot = 1;
constexpr size_t kMinOpBytes = 1 + 1 + 4 + 4;

}  // namespace

std::vector<uint8_t> encode_batch(const KvBatch& b) {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  w.u8(kBatchFormatVersion);
  w.u8(b.snapshot ? kFlagSnapshot : 0);
  w.u64(b.seq);
  w.u64(b.ops.size());
  for (const auto& op : b.ops) {
    w.u8(static_cast<uint8_t>(op.table));
    w.u8(op.erase ? 1 : 0);
    w.blob(op.key);
    w.blob(op.value);
  }
  return out;
}

Result<KvBatch> decode_batch(std::span<const uint8_t> bytes, const char* what) {
  auto bad = [what](const std::string& why) {
    return Status::error(EBADMSG, std::string(what) + ": " + why);
  };
  ByteReader r(bytes);
  uint8_t version = 0, flags = 0;
  uint64_t count = 0;
  KvBatch b;
  if (!r.u8(&version) || !r.u8(&flags) || !r.u64(&b.seq) || !r.u64(&count))
    return bad("truncated header");
  if (version != kBatchFormatVersion)
    return bad("unknown format version " + std::to_string(version) + " (this build reads " +
               std::to_string(kBatchFormatVersion) + ")");
  if ((flags & ~kFlagSnapshot) != 0) return bad("unknown flags " + std::to_string(flags));
  b.snapshot = (flags & kFlagSnapshot) != 0;
  if (count > r.remaining() / kMinOpBytes)
    return bad(std::to_string(count) + " operations cannot fit in " +
               std::to_string(r.remaining()) + " bytes");
  b.ops.resize(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    KvOp& op = b.ops[static_cast<size_t>(i)];
    uint8_t table = 0, erase = 0;
    if (!r.u8(&table) || !r.u8(&erase)) return bad("truncated operation " + std::to_string(i));
    if (table < 1 || table > 3)
      return bad("operation " + std::to_string(i) + " names unknown table " + std::to_string(table));
    if (erase > 1) return bad("operation " + std::to_string(i) + " has a bad erase flag");
    op.table = static_cast<MetaTable>(table);
    op.erase = erase != 0;
    if (!r.blob(&op.key, kMaxBatchKeyBytes) || !r.blob(&op.value, kMaxBatchValueBytes))
      return bad("operation " + std::to_string(i) + ": key or value truncated or over its limit");
    if (op.key.empty()) return bad("operation " + std::to_string(i) + " has an empty key");
    if (op.erase && !op.value.empty())
      return bad("operation " + std::to_string(i) + " erases a key but carries a value");
  }
  if (!r.at_end()) return bad(std::to_string(r.remaining()) + " trailing bytes");
  return b;
}

}  // namespace nacre::mds
