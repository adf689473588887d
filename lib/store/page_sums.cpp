#include "store/page_sums.hpp"

#include "common/crc32c.hpp"

#include <cerrno>
#include <cstring>

namespace nacre::store {
namespace {

constexpr char kMagic[8] = {'N', 'A', 'C', 'R', 'E', 'S', 'U', 'M'};
constexpr uint32_t kWritten = 1, kPoisoned = 2;

const uint8_t* zeros() {
  static const std::array<uint8_t, kChecksumPage> z{};
  return z.data();
}

void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

}  // namespace

std::array<uint8_t, kSumsHeaderSize> encode_sums_header() {
  std::array<uint8_t, kSumsHeaderSize> h{};
  std::memcpy(h.data(), kMagic, 8);
  put32(h.data() + 8, kSumsFormatVersion);
  put32(h.data() + 12, static_cast<uint32_t>(kChecksumPage));
  put32(h.data() + 16, static_cast<uint32_t>(kSumsEntrySize));
  put32(h.data() + 28, crc32c(h.data(), 28));
  return h;
}

Status check_sums_header(std::span<const uint8_t> b, const std::string& path) {
  auto bad = [&](const std::string& why) {
    return Status::error(EIO, "directory store: bad checksum file " + path + ": " + why);
  };
  if (b.size() < kSumsHeaderSize)
    return bad("header is short (" + std::to_string(b.size()) + " of " +
               std::to_string(kSumsHeaderSize) + " bytes)");
  if (std::memcmp(b.data(), kMagic, 8) != 0) return bad("not a Nacre checksum file (magic)");
  if (get32(b.data() + 28) != crc32c(b.data(), 28)) return bad("header checksum mismatch");
  if (const uint32_t v = get32(b.data() + 8); v != kSumsFormatVersion)
    return bad("format version " + std::to_string(v) + " (this build reads " +
               std::to_string(kSumsFormatVersion) + ")");
  if (get32(b.data() + 12) != kChecksumPage || get32(b.data() + 16) != kSumsEntrySize ||
      get32(b.data() + 20) != 0 || get32(b.data() + 24) != 0)
    return bad("page size " + std::to_string(get32(b.data() + 12)) + ", entry size " +
               std::to_string(get32(b.data() + 16)) + " (expected " +
               std::to_string(kChecksumPage) + ", " + std::to_string(kSumsEntrySize) + ")");
  return Status::ok();
}

SumEntry decode_entry(const uint8_t* b) {
  SumEntry e;
  if (std::memcmp(b, zeros(), kSumsEntrySize) == 0) return e;  // hole
  const uint32_t flags = get32(b + 8);
  if (get32(b + 12) != crc32c(b, 12) || (flags & ~(kWritten | kPoisoned)) != 0 ||
      !(flags & kWritten)) {
    e.corrupt = true;
    return e;
  }
  e.current = get32(b);
  e.previous = get32(b + 4);
  e.written = true;
  e.poisoned = (flags & kPoisoned) != 0;
  return e;
}

void encode_entry(const SumEntry& e, uint8_t* b) {
  if (!e.written) {
    std::memset(b, 0, kSumsEntrySize);
    return;
  }
  put32(b, e.current);
  put32(b + 4, e.previous);
  put32(b + 8, kWritten | (e.poisoned ? kPoisoned : 0));
  put32(b + 12, crc32c(b, 12));
}

uint32_t page_crc(uint64_t lead, std::span<const uint8_t> bytes) {
  uint32_t c = crc32c_extend(0, zeros(), lead);
  c = crc32c_extend(c, bytes.data(), bytes.size());
  return crc32c_extend(c, zeros(), kChecksumPage - lead - bytes.size());
}

uint32_t page_crc(std::span<const uint8_t> bytes) { return page_crc(0, bytes); }

uint32_t zero_page_crc() {
  static const uint32_t z = crc32c(zeros(), kChecksumPage);
  return z;
}

bool page_ok(const SumEntry& e, uint32_t crc) {
  if (e.corrupt || e.poisoned) return false;
  if (!e.written) return crc == zero_page_crc();
  return crc == e.current || crc == e.previous;
}

bool needs_old_crc(const SumEntry& old, bool whole) {
  if (!whole) return true;
  // A whole-page write needs to know the content on disk only when the old
  // entry allows two contents (an unsettled write, e.g. one cut by a kill).
  return old.written && !old.poisoned && !old.corrupt && old.current != old.previous;
}

SumEntry entry_for_write(const SumEntry& old, bool whole, std::optional<uint32_t> old_crc,
                         uint32_t new_crc) {
  SumEntry e;
  e.written = true;
  e.current = new_crc;
  if (!whole) {
    if (old_crc && page_ok(old, *old_crc)) {
      e.previous = *old_crc;
      return e;
    }
    // The merged page keeps bad bytes: never give it a valid checksum.
    e.current = old.corrupt ? 0 : old.current;
    e.previous = old.corrupt ? 0 : old.previous;
    e.poisoned = true;
    return e;
  }
  if (!old.written && !old.corrupt) {
    e.previous = zero_page_crc();  // a hole's content is zeros
  } else if (old.corrupt || old.poisoned) {
    e.previous = new_crc;  // until the new content lands the page stays bad
  } else if (old.current == old.previous) {
    e.previous = old.current;
  } else {
    e.previous = old_crc && page_ok(old, *old_crc) ? *old_crc : new_crc;
  }
  return e;
}

SumEntry settled(const SumEntry& e) {
  SumEntry s = e;
  if (s.written && !s.poisoned && !s.corrupt) s.previous = s.current;
  return s;
}

}  // namespace nacre::store
