// Striping arithmetic (pure, no I/O; exhaustively unit-tested).
//
// Byte b of a file lives in stripe unit u = b / stripe_size, which is stored
// on stripe index u % stripe_count at object offset
// (u / stripe_count) * stripe_size + b % stripe_size.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace nacre::layout {

// Object ids (docs/DURABILITY.md, "Replicas"): copy 0 (the primary) of a
// file's stripes is its inode number; copy k > 0 has k in the top byte.
// Inode numbers stay below 2^56.
inline constexpr uint64_t kMaxIno = (1ull << 56) - 1;
inline constexpr uint64_t mirror_object_id(uint64_t ino, uint32_t copy) {
  return ino | (static_cast<uint64_t>(copy) << 56);
}
inline constexpr uint64_t ino_of_object(uint64_t object_id) { return object_id & kMaxIno; }

struct StripeGeometry {
  uint64_t stripe_size = 0;   // > 0
  uint32_t stripe_count = 0;  // > 0
};

// One contiguous piece of a file extent inside one stripe unit.
struct ObjectExtent {
  uint32_t stripe_index = 0;
  uint64_t object_offset = 0;
  uint64_t file_offset = 0;
  uint64_t length = 0;
  bool operator==(const ObjectExtent&) const = default;
};

// Object location of file byte `offset` (stripe index, object offset).
ObjectExtent locate(const StripeGeometry& g, uint64_t offset);

// Splits [offset, offset + length) into pieces, in file order, each inside
// one stripe unit.
std::vector<ObjectExtent> map_extent(const StripeGeometry& g, uint64_t offset, uint64_t length);

// Size object `stripe_index` has when the file is exactly file_size bytes.
uint64_t object_size_for_file_size(const StripeGeometry& g, uint32_t stripe_index,
                                   uint64_t file_size);

// File size implied by one object's size (end of its last byte in the file).
uint64_t file_end_of_object(const StripeGeometry& g, uint32_t stripe_index, uint64_t object_size);

// File size from every object's size: the maximum file end over stripes.
uint64_t file_size_from_object_sizes(const StripeGeometry& g, std::span<const uint64_t> sizes);

// A part of the caller's buffer that one RPC carries.
struct BufferSegment {
  uint64_t buffer_offset = 0;  // from the start of the caller's buffer
  uint64_t length = 0;
  bool operator==(const BufferSegment&) const = default;
};

// One RPC of a striped transfer: a contiguous range of one object, gathered
// from (write) or scattered to (read) segments of the caller's buffer.
struct ObjectRequest {
  uint32_t stripe_index = 0;
  uint64_t object_offset = 0;
  uint64_t length = 0;
  std::vector<BufferSegment> segments;  // in object order, lengths sum to length
};

// Plans the RPCs for [offset, offset + length): pieces of the same object that
// are contiguous in the object are merged, up to max_rpc_bytes per request
// (> 0). Requests are ordered by stripe index, then object offset.
std::vector<ObjectRequest> plan_transfer(const StripeGeometry& g, uint64_t offset,
                                         uint64_t length, uint64_t max_rpc_bytes);

// A file extent of a vectored transfer.
struct FilePiece {
  uint64_t file_offset = 0;
  uint64_t length = 0;
};

// Plans the RPCs of a vectored transfer. The caller's data is the stream of
// the pieces concatenated in the given order; segment buffer offsets are
// stream offsets. Pieces may come in any order; runs that end up contiguous
// in one object (e.g. the stripes an aggregator collected from many ranks)
// merge into one request of at most max_rpc_bytes. Pieces must not overlap
// for writes (the order of overlapping bytes is unspecified).
std::vector<ObjectRequest> plan_pieces(const StripeGeometry& g, std::span<const FilePiece> pieces,
                                       uint64_t max_rpc_bytes);

}  // namespace nacre::layout
