// A Server driven directly over the loopback transport with hand-built and
// deliberately broken frames. Every bad message must get an error REPLY
// (never silence, never a crash) with the right errno and a message, and the
// server must go on serving valid requests. DISCONNECT then ends serve() OK.
#include "client/client_core.hpp"
#include "common/log.hpp"
#include "mds/metadata_store.hpp"
#include "server/server.hpp"
#include "store/object_store.hpp"
#include "transport/loopback_transport.hpp"
#include "wire/messages.hpp"

#include "common/crc32c.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <thread>

using namespace nacre;
using wire::MsgType;

namespace {

constexpr uint64_t kMaxRpc = 64 << 10;

uint16_t t16(MsgType t) { return static_cast<uint16_t>(t); }

// One server (with the metadata service) on a thread, one raw client.
class RawServer {
 public:
  explicit RawServer(bool checksums = false)
      : net_(1, 1), client_(net_.client(0)), saved_level_(log::level()) {
    log::set_level(log::Level::kError);  // the rejections below would each log a warning
    server::ServerOptions opts{0, 1, kMaxRpc};
    opts.checksums = checksums;
    server_ = std::make_unique<server::Server>(
        opts, store::make_memory_store(),
        mds::make_memory_metadata(1, LayoutRequest{1 << 20, -1, -1}));
    thread_ = std::thread([this] { served_ = server_->serve(net_.server(0)); });
  }
  ~RawServer() {
    if (thread_.joinable()) {
      (void)disconnect();
      thread_.join();
    }
    log::set_level(saved_level_);
  }

  // Sends head (+ data) as-is and returns the call with its reply.
  transport::Call send(std::vector<uint8_t> head, uint64_t request_id,
                       const std::vector<uint8_t>& data = {}) {
    transport::Call c;
    c.server = 0;
    c.request_id = request_id;
    c.head = std::move(head);
    if (!data.empty()) c.out_data.push_back({data.data(), data.size()});
    REQUIRE(client_->exchange(std::span<transport::Call>(&c, 1)).is_ok());
    REQUIRE(c.reply.size() >= wire::kFrameHeaderSize);
    return c;
  }

  // A well-formed request: returns parse_reply's status, body in *out.
  Status call(MsgType type, const std::vector<uint8_t>& body, std::vector<uint8_t>* out = nullptr,
              const std::vector<uint8_t>& data = {}) {
    const uint64_t id = next_id_++;
    auto c = send(wire::build_frame(t16(type), id, 0, body, data.size()), id, data);
    return client::parse_reply(c, t16(type), out);
  }

  // HELLO round trip: proves the server is alive and decoding correctly.
  void check_alive() {
    std::vector<uint8_t> body;
    REQUIRE(call(MsgType::kHello, wire::encode_body(wire::HelloRequest{}), &body).is_ok());
    wire::HelloReply h;
    REQUIRE(wire::decode_body(body, h, "HELLO").is_ok());
    CHECK(h.server_count == 1);
    CHECK(h.server_index == 0);
    CHECK(h.max_rpc_bytes == kMaxRpc);
  }

  Status disconnect() { return call(MsgType::kDisconnect, {}); }
  Status finish() {
    REQUIRE(disconnect().is_ok());
    thread_.join();
    return served_;
  }
  uint64_t next_id() { return next_id_++; }

 private:
  transport::LoopbackNetwork net_;
  std::unique_ptr<transport::ClientTransport> client_;
  std::unique_ptr<server::Server> server_;
  log::Level saved_level_;
  std::thread thread_;
  Status served_ = Status::error(EIO, "serve() did not return");
  uint64_t next_id_ = 1;
};

// The reply's header, decoded strictly.
wire::FrameHeader reply_header(const transport::Call& c) {
  auto h = wire::decode_header(c.reply, c.reply.size());
  REQUIRE_MESSAGE(h.is_ok(), h.status().to_string());
  CHECK(h->is_reply());
  CHECK(h->request_id == c.request_id);
  return *h;
}

// Checks c got an error reply to `type` with errno `code` and a message
// containing `text`.
void expect_error(const transport::Call& c, uint16_t type, int code, const std::string& text) {
  const auto h = reply_header(c);
  CHECK(h.type == (type | wire::kReplyBit));
  CHECK(h.status == code);
  CHECK(h.data_len > 0);
  Status s = client::parse_reply(c, type, nullptr);
  REQUIRE(!s.is_ok());
  CHECK(s.code() == code);
  CHECK_MESSAGE(s.message().find(text) != std::string::npos, s.message());
}

std::vector<uint8_t> mkdir_body(const std::string& path) {
  wire::MkdirRequest m;
  m.path = path;
  return wire::encode_body(m);
}

}  // namespace

TEST_SUITE("robustness") {

TEST_CASE("malformed bodies get EBADMSG and the server keeps serving") {
  RawServer s;
  s.check_alive();
  const auto good = mkdir_body("/dir");
  SUBCASE("truncated body") {
    for (size_t n = 0; n < good.size(); n += 3) {
      std::vector<uint8_t> cut(good.begin(), good.begin() + static_cast<long>(n));
      const uint64_t id = s.next_id();
      auto c = s.send(wire::build_frame(t16(MsgType::kMkdir), id, 0, cut, 0), id);
      expect_error(c, t16(MsgType::kMkdir), EBADMSG, "malformed MKDIR");
    }
  }
  SUBCASE("trailing bytes after the body") {
    auto longer = good;
    longer.push_back(0);
    const uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kMkdir), id, 0, longer, 0), id);
    expect_error(c, t16(MsgType::kMkdir), EBADMSG, "trailing bytes");
  }
  SUBCASE("header body_len not matching the message") {
    const uint64_t id = s.next_id();
    auto head = wire::build_frame(t16(MsgType::kMkdir), id, 0, good, 0);
    head[20] = static_cast<uint8_t>(head[20] + 1);
    auto c = s.send(head, id);
    expect_error(c, 0, EBADMSG, "does not match");
  }
  SUBCASE("an object request with a malformed body") {
    const uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kObjStat), id, 0, {1, 2, 3}, 0), id);
    expect_error(c, t16(MsgType::kObjStat), EBADMSG, "malformed OBJ_STAT");
  }
  SUBCASE("a string field over the limit") {
    const uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kStat), id, 0,
                                      wire::encode_body(wire::PathRequest{std::string(5000, 'a')}), 0),
                    id);
    expect_error(c, t16(MsgType::kStat), EBADMSG, "malformed STAT");
  }
  s.check_alive();
  // The malformed MKDIRs created nothing; a valid one works.
  CHECK(s.call(MsgType::kMkdir, good).is_ok());
  CHECK(s.call(MsgType::kMkdir, good).code() == EEXIST);
  CHECK(s.finish().is_ok());
}

TEST_CASE("frames that are not requests of this protocol are rejected") {
  RawServer s;
  SUBCASE("unknown message type: ENOSYS") {
    for (uint16_t type : {uint16_t{0}, uint16_t{8}, uint16_t{39}, uint16_t{999}, uint16_t{0x7FFF}}) {
      const uint64_t id = s.next_id();
      auto c = s.send(wire::build_frame(type, id, 0, {}, 0), id);
      expect_error(c, type, ENOSYS, "unknown request type");
    }
  }
  SUBCASE("PING with a body: EBADMSG; without: an empty reply") {
    uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kPing), id, 0, mkdir_body("/x"), 0), id);
    expect_error(c, t16(MsgType::kPing), EBADMSG, "PING takes no body");
    id = s.next_id();
    auto ok = s.send(wire::build_frame(t16(MsgType::kPing), id, 0, {}, 0), id);
    CHECK(client::parse_reply(ok, t16(MsgType::kPing), nullptr).is_ok());
  }
  SUBCASE("META_MIRROR to a server that is no metadata mirror: EPERM") {
    const uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kMetaMirror), id, 0, {}, 0), id);
    expect_error(c, t16(MsgType::kMetaMirror), EPERM, "only as a metadata mirror");
  }
  SUBCASE("a reply frame: EBADMSG") {
    const uint64_t id = s.next_id();
    const uint16_t type = t16(MsgType::kHello) | wire::kReplyBit;
    auto c = s.send(wire::build_frame(type, id, 0, wire::encode_body(wire::HelloRequest{}), 0), id);
    expect_error(c, 0, EBADMSG, "reply frame");
  }
  SUBCASE("bad magic: EBADMSG") {
    const uint64_t id = s.next_id();
    auto head = wire::build_frame(t16(MsgType::kHello), id, 0, wire::encode_body(wire::HelloRequest{}), 0);
    head[0] = 'X';
    auto c = s.send(head, id);
    expect_error(c, 0, EBADMSG, "magic");
  }
  SUBCASE("wrong protocol version: EPROTO") {
    const uint64_t id = s.next_id();
    auto head = wire::build_frame(t16(MsgType::kHello), id, 0, wire::encode_body(wire::HelloRequest{}), 0);
    head[4] = static_cast<uint8_t>(wire::kProtocolVersion + 1);
    auto c = s.send(head, id);
    expect_error(c, 0, EPROTO, "version");
  }
  SUBCASE("negative status in a request: EBADMSG") {
    const uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kHello), id, -1, wire::encode_body(wire::HelloRequest{}), 0), id);
    expect_error(c, 0, EBADMSG, "negative status");
  }
  SUBCASE("a message shorter than a header: EBADMSG") {
    // Too short to carry a request id: the reply goes to request id 0.
    auto head = wire::build_frame(t16(MsgType::kHello), 0, 0, {}, 0);
    head.resize(10);
    auto c = s.send(head, 0);
    expect_error(c, 0, EBADMSG, "shorter than a frame header");
  }
  s.check_alive();
  CHECK(s.finish().is_ok());
}

TEST_CASE("size limits: oversize messages and RPCs over max_rpc_bytes get EMSGSIZE") {
  RawServer s;
  SUBCASE("a message over kMaxMessageBytes (marked oversize by the transport)") {
    const uint64_t id = s.next_id();
    const std::vector<uint8_t> data(wire::kMaxMessageBytes + 1, 0xAB);
    auto head = wire::build_frame(t16(MsgType::kObjWrite), id, 0,
                                  wire::encode_body(wire::ObjWriteRequest{1, 0}), data.size());
    auto c = s.send(head, id, data);
    expect_error(c, 0, EMSGSIZE, "exceeds the server limit");
  }
  SUBCASE("data over the protocol limit in a message under kMaxMessageBytes") {
    const uint64_t id = s.next_id();
    const std::vector<uint8_t> data(wire::kMaxDataBytes + 1, 1);
    auto head = wire::build_frame(t16(MsgType::kObjWrite), id, 0,
                                  wire::encode_body(wire::ObjWriteRequest{1, 0}), data.size());
    auto c = s.send(head, id, data);
    expect_error(c, 0, EMSGSIZE, "exceeds the limit");
  }
  SUBCASE("OBJ_READ longer than max_rpc_bytes") {
    const uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kObjRead), id, 0,
                                      wire::encode_body(wire::ObjReadRequest{1, 0, kMaxRpc + 1}), 0),
                    id);
    expect_error(c, t16(MsgType::kObjRead), EMSGSIZE, "max_rpc_bytes");
    // The error reply keeps the fixed body of OBJ_READ.
    CHECK(reply_header(c).body_len == wire::kObjSizeReplyBody);
  }
  SUBCASE("OBJ_WRITE with data longer than max_rpc_bytes") {
    const uint64_t id = s.next_id();
    const std::vector<uint8_t> data(kMaxRpc + 1, 7);
    auto c = s.send(wire::build_frame(t16(MsgType::kObjWrite), id, 0,
                                      wire::encode_body(wire::ObjWriteRequest{1, 0}), data.size()),
                    id, data);
    expect_error(c, t16(MsgType::kObjWrite), EMSGSIZE, "max_rpc_bytes");
    CHECK(reply_header(c).body_len == wire::kObjSizeReplyBody);
  }
  s.check_alive();
  // Nothing was written by the rejected OBJ_WRITEs (a missing object has size 0).
  std::vector<uint8_t> body;
  REQUIRE(s.call(MsgType::kObjStat, wire::encode_body(wire::ObjRequest{1}), &body).is_ok());
  wire::ObjStatReply st;
  REQUIRE(wire::decode_body(body, st, "OBJ_STAT").is_ok());
  CHECK(st.size == 0);
  CHECK(s.finish().is_ok());
}

TEST_CASE("requests that must not carry data are rejected with EBADMSG") {
  RawServer s;
  const std::vector<uint8_t> junk = {1, 2, 3, 4, 5};
  SUBCASE("metadata request") {
    const uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kMkdir), id, 0, mkdir_body("/x"), junk.size()),
                    id, junk);
    expect_error(c, t16(MsgType::kMkdir), EBADMSG, "must not carry data");
    CHECK(s.call(MsgType::kStat, wire::encode_body(wire::PathRequest{"/x"})).code() == ENOENT);
  }
  SUBCASE("object request other than OBJ_WRITE") {
    const uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kObjTruncate), id, 0,
                                      wire::encode_body(wire::ObjTruncateRequest{3, 10}), junk.size()),
                    id, junk);
    expect_error(c, t16(MsgType::kObjTruncate), EBADMSG, "must not carry data");
  }
  s.check_alive();
  CHECK(s.finish().is_ok());
}

TEST_CASE("bad APP_LOCK requests get error replies with the fixed reply body") {
  RawServer s;
  wire::AppLockRequest m;
  m.ino = 9;
  m.op = wire::kAppLockSet;
  m.space = wire::kAppLockSpaceFcntl;
  m.type = 2;
  m.start = 0;
  m.end = 10;
  const auto good = wire::encode_body(m);
  const std::vector<uint8_t> junk = {1, 2, 3};
  uint64_t id = s.next_id();
  auto c = s.send(wire::build_frame(t16(MsgType::kAppLock), id, 0, good, junk.size()), id, junk);
  expect_error(c, t16(MsgType::kAppLock), EBADMSG, "must not carry data");
  id = s.next_id();
  c = s.send(wire::build_frame(t16(MsgType::kAppLock), id, 0, junk, 0), id);
  expect_error(c, t16(MsgType::kAppLock), EBADMSG, "APP_LOCK");
  CHECK(reply_header(c).body_len == wire::kAppLockReplyBody);
  m.end = 0;  // empty range
  id = s.next_id();
  c = s.send(wire::build_frame(t16(MsgType::kAppLock), id, 0, wire::encode_body(m), 0), id);
  expect_error(c, t16(MsgType::kAppLock), EINVAL, "range");
  CHECK(s.call(MsgType::kAppLock, good).is_ok());
  s.check_alive();
  CHECK(s.finish().is_ok());
}

TEST_CASE("well-formed requests with out-of-range values get EINVAL / EFBIG") {
  RawServer s;
  SUBCASE("READDIR asking for 0 or too many entries") {
    for (uint32_t n : {0u, 1025u, 0xFFFFFFFFu}) {
      const uint64_t id = s.next_id();
      auto c = s.send(wire::build_frame(t16(MsgType::kReaddir), id, 0,
                                        wire::encode_body(wire::ReaddirRequest{"/", 0, n}), 0),
                      id);
      expect_error(c, t16(MsgType::kReaddir), EINVAL, "max_entries");
    }
  }
  SUBCASE("object ranges beyond the maximum file size") {
    uint64_t id = s.next_id();
    auto c = s.send(wire::build_frame(t16(MsgType::kObjRead), id, 0,
                                      wire::encode_body(wire::ObjReadRequest{1, kMaxFileSize, 4096}), 0),
                    id);
    expect_error(c, t16(MsgType::kObjRead), EFBIG, "maximum object size");
    // An OBJ_READ error text lands in the reader's buffer: at most `length` bytes.
    id = s.next_id();
    c = s.send(wire::build_frame(t16(MsgType::kObjRead), id, 0,
                                 wire::encode_body(wire::ObjReadRequest{1, kMaxFileSize, 3}), 0),
               id);
    CHECK(reply_header(c).status == EFBIG);
    CHECK(reply_header(c).data_len == 3);
    id = s.next_id();
    c = s.send(wire::build_frame(t16(MsgType::kObjRead), id, 0,
                                 wire::encode_body(wire::ObjReadRequest{1, ~0ull, ~0ull}), 0),
               id);
    expect_error(c, t16(MsgType::kObjRead), EFBIG, "maximum object size");
    id = s.next_id();
    const std::vector<uint8_t> data(16, 1);
    c = s.send(wire::build_frame(t16(MsgType::kObjWrite), id, 0,
                                 wire::encode_body(wire::ObjWriteRequest{1, kMaxFileSize - 8}),
                                 data.size()),
               id, data);
    expect_error(c, t16(MsgType::kObjWrite), EFBIG, "maximum object size");
    id = s.next_id();
    c = s.send(wire::build_frame(t16(MsgType::kObjTruncate), id, 0,
                                 wire::encode_body(wire::ObjTruncateRequest{1, kMaxFileSize + 1}), 0),
               id);
    expect_error(c, t16(MsgType::kObjTruncate), EFBIG, "maximum object size");
  }
  s.check_alive();
  CHECK(s.finish().is_ok());
}

TEST_CASE("after many bad requests, a valid write and read still round-trip") {
  RawServer s;
  std::mt19937_64 rng(0xBAD);
  MESSAGE("corruption seed 0xBAD");
  const auto good = wire::build_frame(t16(MsgType::kMkdir), 0, 0, mkdir_body("/fuzz"), 0);
  for (int i = 0; i < 300; ++i) {
    auto head = good;
    const uint64_t id = s.next_id();
    for (int k = 0; k < 8; ++k) head[8 + k] = static_cast<uint8_t>(id >> (8 * k));
    // Corrupt bytes after the request id (so the reply can find its caller).
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      size_t at = 16 + rng() % (head.size() - 16);
      head[at] = static_cast<uint8_t>(rng());
    }
    auto c = s.send(head, id);
    auto h = wire::decode_header(c.reply, c.reply.size());
    REQUIRE(h.is_ok());
    CHECK(h->request_id == id);
    CHECK(h->is_reply());
  }
  const std::vector<uint8_t> data = {'n', 'a', 'c', 'r', 'e'};
  std::vector<uint8_t> body;
  REQUIRE(s.call(MsgType::kObjWrite, wire::encode_body(wire::ObjWriteRequest{9, 100}), &body, data)
              .is_ok());
  wire::ObjSizeReply size;
  REQUIRE(wire::decode_body(body, size, "OBJ_WRITE").is_ok());
  CHECK(size.object_size == 105);
  const uint64_t id = s.next_id();
  auto c = s.send(wire::build_frame(t16(MsgType::kObjRead), id, 0,
                                    wire::encode_body(wire::ObjReadRequest{9, 100, 5}), 0),
                  id);
  REQUIRE(client::parse_reply(c, t16(MsgType::kObjRead), &body).is_ok());
  REQUIRE(wire::decode_body(body, size, "OBJ_READ").is_ok());
  CHECK(size.object_size == 105);
  const auto h = reply_header(c);
  REQUIRE(h.data_len == data.size());
  CHECK(std::equal(data.begin(), data.end(), c.reply.begin() + wire::kObjReadReplyPrefix));
  CHECK(s.finish().is_ok());
}

TEST_CASE("data checksums: a damaged write is refused and stores nothing; reads carry the CRC") {
  RawServer s;
  const std::vector<uint8_t> data = {'g', 'o', 'o', 'd', '!'};
  wire::ObjWriteRequest w{3, 0, wire::kObjDataCrc, crc32c(data)};
  std::vector<uint8_t> body;
  REQUIRE(s.call(MsgType::kObjWrite, wire::encode_body(w), &body, data).is_ok());
  // The same request with a checksum that does not match its bytes.
  std::vector<uint8_t> damaged = {'b', 'a', 'd', '!', '!'};
  Status st = s.call(MsgType::kObjWrite, wire::encode_body(w), &body, damaged);
  CHECK(st.code() == EIO);
  CHECK(st.message().find("damaged") != std::string::npos);
  // Unknown flags are a protocol error.
  wire::ObjWriteRequest odd{3, 0, 0x80, 0};
  CHECK(s.call(MsgType::kObjWrite, wire::encode_body(odd), &body, data).code() == EPROTO);
  // The object still holds the good bytes, and the reply's CRC matches them.
  const uint64_t id = s.next_id();
  auto c = s.send(wire::build_frame(t16(MsgType::kObjRead), id, 0,
                                    wire::encode_body(wire::ObjReadRequest{3, 0, 5, wire::kObjDataCrc}), 0),
                  id);
  REQUIRE(client::parse_reply(c, t16(MsgType::kObjRead), &body).is_ok());
  wire::ObjSizeReply r;
  REQUIRE(wire::decode_body(body, r, "OBJ_READ").is_ok());
  CHECK(r.object_size == 5);
  CHECK(r.flags == wire::kObjDataCrc);
  CHECK(r.data_crc == crc32c(data));
  CHECK(std::equal(data.begin(), data.end(), c.reply.begin() + wire::kObjReadReplyPrefix));
  CHECK(s.finish().is_ok());
}

TEST_CASE("a copy marked stale refuses reads and stats (ENODATA) until cleared; writes still apply") {
  RawServer s;
  const std::vector<uint8_t> data = {1, 2, 3};
  std::vector<uint8_t> body;
  REQUIRE(s.call(MsgType::kObjWrite, wire::encode_body(wire::ObjWriteRequest{4, 0}), &body, data).is_ok());
  REQUIRE(s.call(MsgType::kObjSetStale, wire::encode_body(wire::ObjSetStaleRequest{4, true})).is_ok());
  Status r = s.call(MsgType::kObjStat, wire::encode_body(wire::ObjRequest{4}));
  CHECK(r.code() == ENODATA);
  CHECK(r.message().find("stale") != std::string::npos);
  const uint64_t id = s.next_id();
  auto c = s.send(wire::build_frame(t16(MsgType::kObjRead), id, 0,
                                    wire::encode_body(wire::ObjReadRequest{4, 0, 3}), 0), id);
  CHECK(client::parse_reply(c, t16(MsgType::kObjRead), nullptr).code() == ENODATA);
  CHECK(s.call(MsgType::kObjWrite, wire::encode_body(wire::ObjWriteRequest{4, 3}), &body, data).is_ok());
  REQUIRE(s.call(MsgType::kObjSetStale, wire::encode_body(wire::ObjSetStaleRequest{4, false})).is_ok());
  REQUIRE(s.call(MsgType::kObjStat, wire::encode_body(wire::ObjRequest{4}), &body).is_ok());
  wire::ObjStatReply st;
  REQUIRE(wire::decode_body(body, st, "OBJ_STAT").is_ok());
  CHECK(st.size == 6);
  // Malformed: a body of the wrong size.
  CHECK(s.call(MsgType::kObjSetStale, std::vector<uint8_t>(3, 0)).code() == EBADMSG);
  CHECK(s.finish().is_ok());
}

TEST_CASE("HELLO announces whether the servers run with checksums (standalone clients follow it)") {
  for (bool on : {false, true}) {
    RawServer s(on);
    std::vector<uint8_t> body;
    REQUIRE(s.call(MsgType::kHello, wire::encode_body(wire::HelloRequest{}), &body).is_ok());
    wire::HelloReply h;
    REQUIRE(wire::decode_body(body, h, "HELLO").is_ok());
    CHECK(((h.features & wire::kFeatureChecksums) != 0) == on);
    CHECK(s.finish().is_ok());
  }
}

}  // TEST_SUITE
