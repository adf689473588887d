// Wire codec: every message body round-trips with random field values, frame
// headers round-trip, and every malformed input (truncation, trailing bytes,
// bad magic or version, length mismatches, oversize fields, bad bools) is
// rejected with EBADMSG / EPROTO / EMSGSIZE. Random corruption of valid
// messages never crashes, and whatever decodes re-encodes to the same bytes
// (the encoding is canonical).
#include "wire/messages.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <random>
#include <sstream>

using namespace nacre;
using namespace nacre::wire;

namespace {

// Fills every field a message visits with random values. Strings are random
// bytes (NUL included), lists have 0..max_list entries.
class RandomFill {
 public:
  RandomFill(std::mt19937_64& rng, size_t max_str = 40, size_t max_list = 6)
      : rng_(rng), max_str_(max_str), max_list_(max_list) {}
  void u8(uint8_t& v) { v = static_cast<uint8_t>(rng_()); }
  void boolean(bool& v) { v = (rng_() & 1) != 0; }
  void u16(uint16_t& v) { v = static_cast<uint16_t>(rng_()); }
  void u32(uint32_t& v) { v = static_cast<uint32_t>(rng_()); }
  void u64(uint64_t& v) { v = rng_(); }
  void i32(int32_t& v) { v = static_cast<int32_t>(rng_()); }
  void i64(int64_t& v) { v = static_cast<int64_t>(rng_()); }
  void str(std::string& s) {
    s.resize(rng_() % (max_str_ + 1));
    for (auto& c : s) c = static_cast<char>(rng_());
  }
  template <class T> void obj(T& t) { t.visit(*this); }
  template <class T> void list(std::vector<T>& items) {
    items.resize(rng_() % (max_list_ + 1));
    for (auto& it : items) it.visit(*this);
  }

 private:
  std::mt19937_64& rng_;
  size_t max_str_, max_list_;
};

// A readable dump of every field, independent of the byte codec, so a
// round trip is compared field by field (and a failure shows the fields).
class Dump {
 public:
  void u8(uint8_t& v) { os_ << "u8:" << unsigned(v) << ' '; }
  void boolean(bool& v) { os_ << "bool:" << v << ' '; }
  void u16(uint16_t& v) { os_ << "u16:" << v << ' '; }
  void u32(uint32_t& v) { os_ << "u32:" << v << ' '; }
  void u64(uint64_t& v) { os_ << "u64:" << v << ' '; }
  void i32(int32_t& v) { os_ << "i32:" << v << ' '; }
  void i64(int64_t& v) { os_ << "i64:" << v << ' '; }
  void str(std::string& s) {
    os_ << "str[" << s.size() << "]:";
    for (unsigned char c : s) os_ << std::hex << unsigned(c) << std::dec << '.';
    os_ << ' ';
  }
  template <class T> void obj(T& t) { os_ << '{'; t.visit(*this); os_ << "} "; }
  template <class T> void list(std::vector<T>& items) {
    os_ << "list[" << items.size() << "]:";
    for (auto& it : items) obj(it);
  }
  std::string str() const { return os_.str(); }

 private:
  std::ostringstream os_;
};

template <class M> std::string dump(const M& m) {
  Dump d;
  const_cast<M&>(m).visit(d);
  return d.str();
}

template <class M> M random_message(std::mt19937_64& rng) {
  M m;
  RandomFill f(rng);
  m.visit(f);
  return m;
}

std::span<const uint8_t> bytes(const std::vector<uint8_t>& v) { return {v.data(), v.size()}; }

// Every message body of messages.hpp, with a name and a type-erased decode
// (used by the truncation and fuzz tests).
struct Kind {
  const char* name;
  std::function<std::vector<uint8_t>(std::mt19937_64&)> random_body;
  // Decodes body; on success *reencoded holds encode_body of the result.
  std::function<Status(std::span<const uint8_t>, std::vector<uint8_t>*)> decode;
};

template <class M> Kind kind(const char* name) {
  return Kind{name,
              [](std::mt19937_64& rng) { return encode_body(random_message<M>(rng)); },
              [name](std::span<const uint8_t> body, std::vector<uint8_t>* re) {
                M m;
                Status s = decode_body(body, m, name);
                if (s) *re = encode_body(m);
                return s;
              }};
}

std::vector<Kind> all_kinds() {
  return {kind<WireLayoutRequest>("WireLayoutRequest"), kind<WireStripeTarget>("WireStripeTarget"),
          kind<WireLayout>("WireLayout"),               kind<WireTime>("WireTime"),
          kind<WireStat>("WireStat"),                   kind<Empty>("Empty"),
          kind<HelloRequest>("HelloRequest"),           kind<HelloReply>("HelloReply"),
          kind<Credentials>("Credentials"),             kind<PathRequest>("PathRequest"),
          kind<MkdirRequest>("MkdirRequest"),           kind<OpenRequest>("OpenRequest"),
          kind<OpenReply>("OpenReply"),                 kind<CloseRequest>("CloseRequest"),
          kind<ReleaseReply>("ReleaseReply"),           kind<StatReply>("StatReply"),
          kind<RenameRequest>("RenameRequest"),         kind<ReaddirRequest>("ReaddirRequest"),
          kind<WireDirEntry>("WireDirEntry"),           kind<ReaddirReply>("ReaddirReply"),
          kind<SetattrRequest>("SetattrRequest"),       kind<SetDirLayoutRequest>("SetDirLayoutRequest"),
          kind<DirLayoutReply>("DirLayoutReply"),       kind<ObjWriteRequest>("ObjWriteRequest"),
          kind<ObjSizeReply>("ObjSizeReply"),           kind<ObjReadRequest>("ObjReadRequest"),
          kind<ObjRequest>("ObjRequest"),               kind<ObjStatReply>("ObjStatReply"),
          kind<ObjTruncateRequest>("ObjTruncateRequest"),
          kind<AppLockRequest>("AppLockRequest"),       kind<AppLockReply>("AppLockReply")};
}

bool is_wire_error(int code) { return code == EBADMSG || code == EPROTO || code == EMSGSIZE; }

}  // namespace

TEST_SUITE("wire") {

#define NACRE_ALL_MESSAGES                                                                       \
  WireLayoutRequest, WireStripeTarget, WireLayout, WireTime, WireStat, Empty, HelloRequest,      \
      HelloReply, Credentials, PathRequest, MkdirRequest, OpenRequest, OpenReply, CloseRequest,  \
      ReleaseReply, StatReply, RenameRequest, ReaddirRequest, WireDirEntry, ReaddirReply,        \
      SetattrRequest, SetDirLayoutRequest, DirLayoutReply, ObjWriteRequest, ObjSizeReply,        \
      ObjReadRequest, ObjRequest, ObjStatReply, ObjTruncateRequest, AppLockRequest, AppLockReply

TEST_CASE_TEMPLATE("every message body round-trips with random field values", M,
                   NACRE_ALL_MESSAGES) {
  std::mt19937_64 rng(0xC0DEC);
  for (int i = 0; i < 200; ++i) {
    const M in = random_message<M>(rng);
    const auto body = encode_body(in);
    M out;
    REQUIRE(decode_body(bytes(body), out, "test").is_ok());
    REQUIRE(dump(out) == dump(in));
    CHECK(encode_body(out) == body);
  }
}

TEST_CASE_TEMPLATE("every truncation of a message body is rejected with EBADMSG", M,
                   NACRE_ALL_MESSAGES) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20; ++i) {
    const auto body = encode_body(random_message<M>(rng));
    for (size_t n = 0; n < body.size(); ++n) {
      M out;
      Status s = decode_body(bytes(body).first(n), out, "test");
      REQUIRE_MESSAGE(s.code() == EBADMSG, "prefix " << n << " of " << body.size());
      CHECK(s.message().find("malformed test") != std::string::npos);
    }
    auto longer = body;
    longer.push_back(0);
    M out;
    Status s = decode_body(bytes(longer), out, "test");
    REQUIRE(s.code() == EBADMSG);
    CHECK(s.message().find("trailing bytes") != std::string::npos);
  }
}

TEST_CASE("fields are encoded little-endian in visit order") {
  OpenRequest m;
  m.path = "/ab";
  m.flags = 0x01020304;
  m.mode = 0644;
  m.cred = {7, 8};
  m.layout.v = LayoutRequest{1 << 20, -1, 3};
  const auto b = encode_body(m);
  REQUIRE(b.size() == 4 + 3 + 4 + 4 + 8 + 8 + 4 + 4);
  CHECK(b[0] == 3);
  CHECK(b[1] == 0);
  CHECK(std::memcmp(b.data() + 4, "/ab", 3) == 0);
  CHECK(b[7] == 0x04);
  CHECK(b[10] == 0x01);
  OpenRequest out;
  REQUIRE(decode_body(bytes(b), out, "OPEN").is_ok());
  CHECK(out.path == "/ab");
  CHECK(out.flags == 0x01020304u);
  CHECK(out.mode == 0644u);
  CHECK(out.cred.uid == 7);
  CHECK(out.cred.gid == 8);
  CHECK(out.layout.v == LayoutRequest{1 << 20, -1, 3});
}

TEST_CASE("WireLayout and WireStat convert to and from the API types") {
  Layout l;
  l.stripe_size = 65536;
  l.stripes = {{0, 11}, {3, 12}, {1, 1ull << 40}};
  WireLayout w;
  REQUIRE(decode_body(bytes(encode_body(WireLayout::from(l))), w, "layout").is_ok());
  CHECK(w.to_layout() == l);

  FileStat s;
  s.ino = 99;
  s.type = FileType::kDirectory;
  s.mode = 0750;
  s.uid = 1;
  s.gid = 2;
  s.nlink = 3;
  s.size = 1ull << 50;
  s.atime = {1, 2};
  s.mtime = {3, 4};
  s.ctime = {-5, 6};
  WireStat ws;
  REQUIRE(decode_body(bytes(encode_body(WireStat::from(s))), ws, "stat").is_ok());
  const FileStat t = ws.to_stat();
  CHECK(t.ino == 99);
  CHECK(t.type == FileType::kDirectory);
  CHECK(t.mode == 0750);
  CHECK(t.uid == 1);
  CHECK(t.gid == 2);
  CHECK(t.nlink == 3);
  CHECK(t.size == (1ull << 50));
  CHECK(t.atime == Timespec{1, 2});
  CHECK(t.mtime == Timespec{3, 4});
  CHECK(t.ctime == Timespec{-5, 6});
}

TEST_CASE("frame header round-trips and has the documented layout") {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 2000; ++i) {
    FrameHeader h;
    h.type = static_cast<uint16_t>(rng());
    h.request_id = rng();
    h.status = static_cast<int32_t>(rng() % 200);
    h.body_len = static_cast<uint32_t>(rng() % (kMaxControlBytes - kFrameHeaderSize + 1));
    h.data_len = rng() % (kMaxDataBytes + 1);
    uint8_t buf[kFrameHeaderSize];
    encode_header(h, buf);
    const size_t total = kFrameHeaderSize + h.body_len + h.data_len;
    auto d = decode_header(std::span<const uint8_t>(buf, kFrameHeaderSize), total);
    REQUIRE(d.is_ok());
    CHECK(d->magic == kMagic);
    CHECK(d->version == kProtocolVersion);
    CHECK(d->type == h.type);
    CHECK(d->request_id == h.request_id);
    CHECK(d->status == h.status);
    CHECK(d->body_len == h.body_len);
    CHECK(d->data_len == h.data_len);
    CHECK(d->is_reply() == ((h.type & kReplyBit) != 0));
    CHECK(d->base_type() == (h.type & ~kReplyBit));
  }
  // Byte layout (docs/PROTOCOL.md): "NACR", version, type, id, status, lens.
  const auto f = build_frame(0x1234, 0x0102030405060708ull, 5, {9, 9, 9}, 0x77);
  REQUIRE(f.size() == kFrameHeaderSize + 3);
  CHECK(std::memcmp(f.data(), "NACR", 4) == 0);
  CHECK(f[4] == kProtocolVersion);
  CHECK(f[5] == 0);
  CHECK(f[6] == 0x34);
  CHECK(f[7] == 0x12);
  CHECK(f[8] == 0x08);
  CHECK(f[15] == 0x01);
  CHECK(f[16] == 5);
  CHECK(f[20] == 3);
  CHECK(f[24] == 0x77);
  CHECK(f[32] == 9);
  auto d = decode_header(bytes(f), f.size() + 0x77);
  REQUIRE(d.is_ok());
  CHECK(d->status == 5);
}

TEST_CASE("every truncation of a header + body frame is rejected") {
  std::mt19937_64 rng(3);
  for (const Kind& k : all_kinds()) {
    const auto body = k.random_body(rng);
    const auto frame = build_frame(static_cast<uint16_t>(MsgType::kOpen), 42, 0, body, 0);
    REQUIRE(decode_header(bytes(frame), frame.size()).is_ok());
    for (size_t n = 0; n < frame.size(); ++n) {
      auto h = decode_header(bytes(frame).first(n), n);
      REQUIRE_MESSAGE(!h.is_ok(), k.name << " prefix " << n);
      CHECK(h.status().code() == EBADMSG);
      CHECK(!h.status().message().empty());
    }
    // Trailing bytes after the declared body + data.
    auto h = decode_header(bytes(frame), frame.size() + 1);
    REQUIRE(!h.is_ok());
    CHECK(h.status().code() == EBADMSG);
  }
}

TEST_CASE("bad magic, wrong version, bad lengths and negative status are rejected") {
  const std::vector<uint8_t> body = {1, 2, 3, 4};
  const auto good = build_frame(static_cast<uint16_t>(MsgType::kClose), 7, 0, body, 10);
  const size_t total = good.size() + 10;
  REQUIRE(decode_header(bytes(good), total).is_ok());

  auto patch = [&](size_t at, std::vector<uint8_t> with) {
    auto f = good;
    std::memcpy(f.data() + at, with.data(), with.size());
    return f;
  };
  SUBCASE("bad magic") {
    for (size_t i = 0; i < 4; ++i) {
      auto f = good;
      f[i] ^= 0x20;
      auto h = decode_header(bytes(f), total);
      REQUIRE(!h.is_ok());
      CHECK(h.status().code() == EBADMSG);
      CHECK(h.status().message().find("magic") != std::string::npos);
    }
  }
  SUBCASE("wrong version") {
    for (uint16_t v : {uint16_t{0}, uint16_t{1}, uint16_t(kProtocolVersion + 1), uint16_t{0xFFFF}}) {
      auto h = decode_header(bytes(patch(4, {uint8_t(v), uint8_t(v >> 8)})), total);
      REQUIRE(!h.is_ok());
      CHECK(h.status().code() == EPROTO);
      CHECK(h.status().message().find("version") != std::string::npos);
    }
  }
  SUBCASE("body_len or data_len not matching the total size") {
    for (size_t t : {size_t{0}, good.size(), total - 1, total + 1, total + 1000}) {
      auto h = decode_header(bytes(good), t);
      REQUIRE(!h.is_ok());
      CHECK(h.status().code() == EBADMSG);
    }
    auto h = decode_header(bytes(patch(20, {5, 0, 0, 0})), total);  // body_len 5
    REQUIRE(!h.is_ok());
    CHECK(h.status().code() == EBADMSG);
    h = decode_header(bytes(patch(24, {11})), total);  // data_len 11
    REQUIRE(!h.is_ok());
    CHECK(h.status().code() == EBADMSG);
  }
  SUBCASE("body_len or data_len over the protocol limits") {
    const uint32_t big_body = kMaxControlBytes - kFrameHeaderSize + 1;
    auto f = patch(20, {uint8_t(big_body), uint8_t(big_body >> 8), uint8_t(big_body >> 16), 0});
    auto h = decode_header(bytes(f), kFrameHeaderSize + big_body + 10);
    REQUIRE(!h.is_ok());
    CHECK(h.status().code() == EMSGSIZE);
    const uint64_t big_data = kMaxDataBytes + 1;
    f = patch(24, {uint8_t(big_data), uint8_t(big_data >> 8), uint8_t(big_data >> 16),
                   uint8_t(big_data >> 24), 0, 0, 0, 0});
    h = decode_header(bytes(f), good.size() + big_data);
    REQUIRE(!h.is_ok());
    CHECK(h.status().code() == EMSGSIZE);
    // A huge data_len must not overflow the size sum.
    f = patch(24, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
    h = decode_header(bytes(f), good.size() - 1);
    REQUIRE(!h.is_ok());
    CHECK(h.status().code() == EMSGSIZE);
  }
  SUBCASE("negative status") {
    auto h = decode_header(bytes(patch(16, {0xFF, 0xFF, 0xFF, 0xFF})), total);
    REQUIRE(!h.is_ok());
    CHECK(h.status().code() == EBADMSG);
  }
}

TEST_CASE("string fields longer than kMaxStringField are rejected") {
  PathRequest ok{std::string(kMaxStringField, 'x')};
  PathRequest out;
  REQUIRE(decode_body(bytes(encode_body(ok)), out, "STAT").is_ok());
  CHECK(out.path == ok.path);
  PathRequest big{std::string(kMaxStringField + 1, 'x')};
  Status s = decode_body(bytes(encode_body(big)), out, "STAT");
  CHECK(s.code() == EBADMSG);
  CHECK(s.message().find("STAT") != std::string::npos);
  // The second string of a message is checked too.
  RenameRequest r{"/a", std::string(kMaxStringField + 1, 'y')};
  RenameRequest rout;
  CHECK(decode_body(bytes(encode_body(r)), rout, "RENAME").code() == EBADMSG);
  // A string length that exceeds the remaining bytes (but not the limit).
  std::vector<uint8_t> b = {100, 0, 0, 0, 'a', 'b'};
  CHECK(decode_body(bytes(b), out, "STAT").code() == EBADMSG);
  // A length of 0xFFFFFFFF must not wrap anything.
  b = {0xFF, 0xFF, 0xFF, 0xFF, 'a'};
  CHECK(decode_body(bytes(b), out, "STAT").code() == EBADMSG);
}

TEST_CASE("list fields longer than kMaxListField or the remaining bytes are rejected") {
  ReaddirReply ok;
  ok.entries.resize(kMaxListField);
  ReaddirReply out;
  REQUIRE(decode_body(bytes(encode_body(ok)), out, "READDIR").is_ok());
  CHECK(out.entries.size() == kMaxListField);
  ReaddirReply big;
  big.entries.resize(kMaxListField + 1);
  CHECK(decode_body(bytes(encode_body(big)), out, "READDIR").code() == EBADMSG);

  WireLayout lay;
  lay.stripes.resize(kMaxListField + 1);
  WireLayout lout;
  CHECK(decode_body(bytes(encode_body(lay)), lout, "layout").code() == EBADMSG);

  // Count larger than the remaining bytes: 1000 entries announced, 20 bytes follow.
  std::vector<uint8_t> b = {0xE8, 0x03, 0, 0};
  b.resize(b.size() + 20, 0);
  CHECK(decode_body(bytes(b), out, "READDIR").code() == EBADMSG);
  // Count of 0xFFFFFFFF: rejected before any allocation.
  b = {0xFF, 0xFF, 0xFF, 0xFF};
  b.resize(4 + 9, 0);
  CHECK(decode_body(bytes(b), out, "READDIR").code() == EBADMSG);
}

TEST_CASE("bool bytes other than 0 and 1 are rejected") {
  OpenReply m;
  m.created = true;
  auto b = encode_body(m);
  OpenReply out;
  REQUIRE(decode_body(bytes(b), out, "OPEN").is_ok());
  CHECK(out.created);
  for (int v = 2; v < 256; ++v) {
    b[0] = static_cast<uint8_t>(v);
    REQUIRE(decode_body(bytes(b), out, "OPEN").code() == EBADMSG);
  }
  ReaddirReply r;
  r.done = false;
  auto rb = encode_body(r);
  ReaddirReply rout;
  REQUIRE(decode_body(bytes(rb), rout, "READDIR").is_ok());
  CHECK(!rout.done);
  rb.back() = 2;
  CHECK(decode_body(bytes(rb), rout, "READDIR").code() == EBADMSG);
  ReleaseReply rel;
  auto relb = encode_body(rel);
  relb[0] = 0x80;
  ReleaseReply relout;
  CHECK(decode_body(bytes(relb), relout, "CLOSE").code() == EBADMSG);
}

TEST_CASE("random corruption of valid messages never crashes the decoders") {
  const uint64_t seed = 0x5EED2024;
  MESSAGE("fuzz seed " << seed);
  std::mt19937_64 rng(seed);
  const auto kinds = all_kinds();
  int decoded = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    const Kind& k = kinds[rng() % kinds.size()];
    auto body = k.random_body(rng);
    const uint64_t data_len = rng() % 3 == 0 ? rng() % 100 : 0;
    auto frame = build_frame(static_cast<uint16_t>(rng()), rng(), 0, body, data_len);
    size_t total = frame.size() + data_len;
    switch (rng() % 4) {
      case 0:  // flip random bytes
      case 1: {
        const int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) frame[rng() % frame.size()] = static_cast<uint8_t>(rng());
        break;
      }
      case 2: {  // truncate
        const size_t n = rng() % frame.size();
        frame.resize(n);
        total = rng() % 2 ? n + data_len : n;
        break;
      }
      default: {  // append junk
        const size_t n = 1 + rng() % 16;
        for (size_t i = 0; i < n; ++i) frame.push_back(static_cast<uint8_t>(rng()));
        if (rng() % 2) total += n;
        break;
      }
    }
    auto h = decode_header(bytes(frame), total);
    if (!h.is_ok()) {
      REQUIRE_MESSAGE(is_wire_error(h.status().code()), "iter " << iter << ": " << h.status().to_string());
      ++rejected;
    }
    // Decode the body region whatever the header says (a hostile peer
    // controls it), bounded by what was actually received.
    const size_t avail = frame.size() > kFrameHeaderSize ? frame.size() - kFrameHeaderSize : 0;
    const size_t blen = h.is_ok() ? std::min<size_t>(h->body_len, avail) : avail;
    std::span<const uint8_t> b = bytes(frame).subspan(std::min(frame.size(), kFrameHeaderSize), blen);
    std::vector<uint8_t> re;
    Status s = k.decode(b, &re);
    if (s.is_ok()) {
      ++decoded;
      REQUIRE_MESSAGE(std::equal(re.begin(), re.end(), b.begin(), b.end()),
                      "iter " << iter << " " << k.name << ": decoded body is not canonical");
    } else {
      REQUIRE_MESSAGE(s.code() == EBADMSG, "iter " << iter << ": " << s.to_string());
      ++rejected;
    }
  }
  MESSAGE("decoded " << decoded << ", rejected " << rejected);
  CHECK(decoded > 0);
  CHECK(rejected > 0);
}

TEST_CASE("message type names and request classification") {
  CHECK(std::string(msg_type_name(static_cast<uint16_t>(MsgType::kObjRead))) == "OBJ_READ");
  CHECK(std::string(msg_type_name(static_cast<uint16_t>(MsgType::kOpen) | kReplyBit)) == "OPEN");
  CHECK(std::string(msg_type_name(999)) == "UNKNOWN");
  CHECK(is_known_request(static_cast<uint16_t>(MsgType::kHello)));
  CHECK(is_known_request(static_cast<uint16_t>(MsgType::kSetDirLayout)));
  CHECK(is_known_request(static_cast<uint16_t>(MsgType::kAppLock)));
  CHECK(std::string(msg_type_name(static_cast<uint16_t>(MsgType::kAppLock))) == "APP_LOCK");
  CHECK(encode_body(AppLockReply{}).size() == kAppLockReplyBody);
  CHECK(!is_known_request(static_cast<uint16_t>(MsgType::kHello) | kReplyBit));
  CHECK(!is_known_request(0));
  CHECK(!is_known_request(999));
}

}  // TEST_SUITE
