// Little-endian, bounds-checked encoding of wire messages and records.
//
// ByteWriter appends to a std::vector. ByteReader never reads past its span:
// every get returns false on underflow and the reader becomes failed (all
// later gets fail too), so a decoder checks ok() once at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

namespace nacre {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put_le(v, 2); }
  void u32(uint32_t v) { put_le(v, 4); }
  void u64(uint64_t v) { put_le(v, 8); }
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  // u32 length, then the bytes.
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  // u32 length, then the bytes.
  void blob(const std::vector<uint8_t>& b) {
    u32(static_cast<uint32_t>(b.size()));
    out_.insert(out_.end(), b.begin(), b.end());
  }
  size_t size() const { return out_.size(); }

 private:
  void put_le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t>& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}
  bool u8(uint8_t* v) { uint64_t t; if (!get_le(&t, 1)) return false; *v = static_cast<uint8_t>(t); return true; }
  bool u16(uint16_t* v) { uint64_t t; if (!get_le(&t, 2)) return false; *v = static_cast<uint16_t>(t); return true; }
  bool u32(uint32_t* v) { uint64_t t; if (!get_le(&t, 4)) return false; *v = static_cast<uint32_t>(t); return true; }
  bool u64(uint64_t* v) { return get_le(v, 8); }
  bool i32(int32_t* v) { uint32_t t; if (!u32(&t)) return false; *v = static_cast<int32_t>(t); return true; }
  bool i64(int64_t* v) { uint64_t t; if (!u64(&t)) return false; *v = static_cast<int64_t>(t); return true; }
  // Fails if the declared length exceeds max_len or the remaining bytes.
  bool str(std::string* s, uint32_t max_len) {
    uint32_t n;
    if (!u32(&n)) return false;
    if (n > max_len || n > remaining()) return fail();
    s->assign(reinterpret_cast<const char*>(in_.data() + pos_), n);
    pos_ += n;
    return true;
  }
  // A u32 length (at most max_len), then that many raw bytes into *out.
  bool blob(std::vector<uint8_t>* out, uint32_t max_len) {
    uint32_t n;
    if (!u32(&n)) return false;
    if (n > max_len || n > remaining()) return fail();
    out->assign(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                in_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return true;
  }
  size_t remaining() const { return failed_ ? 0 : in_.size() - pos_; }
  size_t position() const { return pos_; }
  bool ok() const { return !failed_; }
  bool at_end() const { return !failed_ && pos_ == in_.size(); }
  bool fail() { failed_ = true; return false; }

 private:
  bool get_le(uint64_t* v, int n) {
    if (failed_ || in_.size() - pos_ < static_cast<size_t>(n)) return fail();
    uint64_t r = 0;
    for (int i = 0; i < n; ++i) r |= static_cast<uint64_t>(in_[pos_ + i]) << (8 * i);
    pos_ += n;
    *v = r;
    return true;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace nacre
