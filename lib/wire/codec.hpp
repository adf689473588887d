// Symmetric field codec for message bodies.
//
// A message struct lists its fields once, in wire order:
//   template <class V> void visit(V& v) { v.str(path); v.u32(mode); v.obj(layout); }
// encode_body() walks it with a writer, decode_body() with a bounds-checked
// reader that also enforces per-field limits (string and list lengths) and
// that the body has no trailing bytes.
#pragma once

#include "common/bytes.hpp"

#include <nacre/status.hpp>

#include <string>
#include <vector>

namespace nacre::wire {

// Limits enforced when decoding.
inline constexpr uint32_t kMaxStringField = 4096;
inline constexpr uint32_t kMaxListField = 4096;

class EncodeVisitor {
 public:
  explicit EncodeVisitor(std::vector<uint8_t>& out) : w_(out) {}
  void u8(uint8_t& v) { w_.u8(v); }
  void boolean(bool& v) { w_.u8(v ? 1 : 0); }
  void u16(uint16_t& v) { w_.u16(v); }
  void u32(uint32_t& v) { w_.u32(v); }
  void u64(uint64_t& v) { w_.u64(v); }
  void i32(int32_t& v) { w_.i32(v); }
  void i64(int64_t& v) { w_.i64(v); }
  void str(std::string& s) { w_.str(s); }
  template <class T> void obj(T& t) { t.visit(*this); }
  template <class T> void list(std::vector<T>& items) {
    w_.u32(static_cast<uint32_t>(items.size()));
    for (auto& it : items) it.visit(*this);
  }

 private:
  ByteWriter w_;
};

class DecodeVisitor {
 public:
  explicit DecodeVisitor(std::span<const uint8_t> in) : r_(in) {}
  void u8(uint8_t& v) { r_.u8(&v); }
  void boolean(bool& v) {
    uint8_t t = 0;
    if (r_.u8(&t) && t > 1) r_.fail();
    v = t == 1;
  }
  void u16(uint16_t& v) { r_.u16(&v); }
  void u32(uint32_t& v) { r_.u32(&v); }
  void u64(uint64_t& v) { r_.u64(&v); }
  void i32(int32_t& v) { r_.i32(&v); }
  void i64(int64_t& v) { r_.i64(&v); }
  void str(std::string& s) { r_.str(&s, kMaxStringField); }
  template <class T> void obj(T& t) { if (r_.ok()) t.visit(*this); }
  template <class T> void list(std::vector<T>& items) {
    uint32_t n = 0;
    if (!r_.u32(&n)) return;
    if (n > kMaxListField || n > r_.remaining()) { r_.fail(); return; }
    items.resize(n);
    for (auto& it : items) {
      if (!r_.ok()) return;
      it.visit(*this);
    }
  }
  bool ok() const { return r_.ok(); }
  bool at_end() const { return r_.at_end(); }

 private:
  ByteReader r_;
};

template <class M>
std::vector<uint8_t> encode_body(const M& m) {
  std::vector<uint8_t> out;
  EncodeVisitor v(out);
  const_cast<M&>(m).visit(v);  // visit() does not modify when encoding
  return out;
}

// EBADMSG when the body is truncated, has trailing bytes, or breaks a limit.
template <class M>
Status decode_body(std::span<const uint8_t> body, M& m, const char* what) {
  DecodeVisitor v(body);
  m.visit(v);
  if (!v.ok()) return Status::error(EBADMSG, std::string("malformed ") + what + " message body");
  if (!v.at_end())
    return Status::error(EBADMSG, std::string("trailing bytes after ") + what + " message body");
  return Status::ok();
}

}  // namespace nacre::wire
