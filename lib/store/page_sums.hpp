// The checksum file of a directory-store object (<id>.sum, docs/DURABILITY.md
// "Checksums"): its on-disk records and the pure rules for updating them.
// No I/O here; lib/store/directory_store.cpp does the reads and writes.
//
// Layout (little-endian):
//   header, kSumsHeaderSize bytes: magic "NACRESUM", u32 format version,
//     u32 page size, u32 entry size, u32 0, u32 0, u32 CRC-32C of the 28
//     bytes before it.
//   entry of page i at kSumsHeaderSize + i * kSumsEntrySize: u32 current,
//     u32 previous, u32 flags (1 = written, 2 = poisoned), u32 CRC-32C of the
//     12 bytes before it. Sixteen zero bytes is a hole: a page never written,
//     whose content is zeros. Entries are 16-byte aligned, so none straddles
//     a page of the checksum file (a killed writer tears at page granularity).
// The checksum of page i covers the object's bytes [i*P, (i+1)*P), bytes at
// or past the object size counting as zeros (P = kChecksumPage).
// Entries of pages at or past the object's last page mean nothing (a killed
// write may leave them); writers that extend the object cut them first.
#pragma once

#include "store/object_store.hpp"

#include <nacre/status.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace nacre::store {

inline constexpr uint32_t kSumsFormatVersion = 1;
inline constexpr uint64_t kSumsHeaderSize = 32;
inline constexpr uint64_t kSumsEntrySize = 16;

struct SumEntry {
  uint32_t current = 0;
  uint32_t previous = 0;
  bool written = false;   // false: a hole (reads as zeros)
  bool poisoned = false;  // content known bad: fails until a whole-page write
  bool corrupt = false;   // the entry itself failed its check (decode only)
  bool operator==(const SumEntry&) const = default;
};

// Number of pages of an object of `size` bytes.
inline uint64_t pages_of(uint64_t size) { return (size + kChecksumPage - 1) / kChecksumPage; }
// Size of a checksum file holding exactly the entries of an object of `size` bytes.
inline uint64_t sums_file_size(uint64_t size) {
  return kSumsHeaderSize + pages_of(size) * kSumsEntrySize;
}

std::array<uint8_t, kSumsHeaderSize> encode_sums_header();
// EIO naming `path` if `bytes` is not a header of this format (short,
// foreign magic, other version, page or entry size, bad header checksum).
Status check_sums_header(std::span<const uint8_t> bytes, const std::string& path);

// Decodes kSumsEntrySize bytes. All zeros: a hole. Unknown flags, a hole
// with flags, or a failed entry checksum: corrupt.
SumEntry decode_entry(const uint8_t* bytes);
// Writes kSumsEntrySize bytes; a hole (written == false) is all zeros.
void encode_entry(const SumEntry& entry, uint8_t* bytes);

// CRC-32C of a page whose first bytes.size() (<= kChecksumPage) bytes are
// given and the rest are zeros.
uint32_t page_crc(std::span<const uint8_t> bytes);
// CRC-32C of a page of zeros in [0, lead), `bytes`, then zeros to the end
// (lead + bytes.size() <= kChecksumPage).
uint32_t page_crc(uint64_t lead, std::span<const uint8_t> bytes);
uint32_t zero_page_crc();

// Whether a page whose content has checksum `crc` is valid under `entry`:
// a hole must be zeros; poisoned and corrupt entries never verify; otherwise
// the content matches current or previous.
bool page_ok(const SumEntry& entry, uint32_t crc);

// Whether computing the entry of a write over a page needs the CRC of the
// page's content on disk now. `whole`: no byte of the old content survives.
bool needs_old_crc(const SumEntry& old, bool whole);

// The entry to write before writing a page's new content (checksum new_crc).
// old_crc: the content on disk now, required when needs_old_crc(). The
// result validates the old content too (a kill before the data lands), and
// never validates old content that failed: a partial write over a bad page
// gives a poisoned entry; a whole-page write over one gives {new, new}.
SumEntry entry_for_write(const SumEntry& old, bool whole, std::optional<uint32_t> old_crc,
                         uint32_t new_crc);

// The entry once the page's new content is on disk: previous = current
// (poisoned entries and holes unchanged). Lets the next whole-page write
// skip reading the old content.
SumEntry settled(const SumEntry& entry);

}  // namespace nacre::store
