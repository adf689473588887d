// A metadata mirror server over the loopback transport: META_MIRROR is
// taken only from the metadata server (rank 0 of the mirror's link), bad
// batches get EBADMSG and change nothing, an out-of-step change is refused
// and the sender (server::MetadataMirrors) stops sending to that mirror.
#include "client/client_core.hpp"
#include "common/log.hpp"
#include "mds/metadata_db.hpp"
#include "mds/metadata_store.hpp"
#include "wire/messages.hpp"
#include "server/metadata_mirrors.hpp"
#include "server/server.hpp"
#include "store/object_store.hpp"
#include "transport/loopback_transport.hpp"
#include "wire/frame.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

using namespace nacre;
using wire::MsgType;

namespace {

struct TempDir : testing::TempDir {
  TempDir() : testing::TempDir("nacre_mirror_srv") {}
};

mds::KvBatch change(uint64_t seq, uint8_t key) {
  return mds::KvBatch{seq, false, {mds::KvOp{mds::MetaTable::kInodes, false, {0, key}, {key, key}}}};
}

// Raw META_MIRROR (or any frame) from one loopback client.
Status raw(transport::ClientTransport& t, uint64_t id, MsgType type, const std::vector<uint8_t>& body,
           const std::vector<uint8_t>& data) {
  transport::Call c;
  c.server = 0;
  c.request_id = id;
  c.head = wire::build_frame(static_cast<uint16_t>(type), id, 0, body, data.size());
  if (!data.empty()) c.out_data.push_back({data.data(), data.size()});
  REQUIRE(t.exchange(std::span<transport::Call>(&c, 1)).is_ok());
  return client::parse_reply(c, static_cast<uint16_t>(type), nullptr);
}

}  // namespace

TEST_SUITE("durability.metadata_mirror") {

TEST_CASE("a mirror server applies META_MIRROR only from the metadata server, in step") {
  TempDir t;
  const std::string path = t.path + "/metadata.mdb";
  const auto saved = log::level();
  log::set_level(log::Level::kError);
  {
    // Client 0 plays the metadata server, client 1 an ordinary client.
    transport::LoopbackNetwork net(1, 2);
    auto db = mds::MetadataDb::open(path, true);
    REQUIRE(db.is_ok());
    server::Server srv(server::ServerOptions{1, 3, 1 << 20}, store::make_memory_store(), nullptr);
    srv.set_metadata_mirror_db(std::move(*db), 0);
    Status served;
    std::thread loop([&] { served = srv.serve(net.server(0)); });

    auto impostor = net.client(1);
    const auto one = mds::encode_batch(change(1, 1));
    Status s = raw(*impostor, 1, MsgType::kMetaMirror, {}, one);
    CHECK(s.code() == EPERM);
    CHECK(s.message().find("only as a metadata mirror") != std::string::npos);

    CHECK_FALSE(mds::probe_metadata_db(path).behind);  // a client's attempt changes nothing
    auto primary_raw = net.client(0);
    CHECK(raw(*primary_raw, 2, MsgType::kMetaMirror, {1}, one).code() == EBADMSG);  // a body
    auto cut = one;
    cut.pop_back();
    CHECK(raw(*primary_raw, 3, MsgType::kMetaMirror, {}, cut).code() == EBADMSG);
    // Anything server 0 sent that this mirror could not apply leaves it
    // behind, damaged messages included.
    CHECK(mds::probe_metadata_db(path).behind);
    auto snap = change(1, 1);
    snap.snapshot = true;
    s = raw(*primary_raw, 4, MsgType::kMetaMirror, {}, mds::encode_batch(snap));
    CHECK(s.code() == EBADMSG);
    CHECK(s.message().find("snapshots") != std::string::npos);

    // The sender: two changes in step, then one out of step.
    server::MetadataMirrors mirrors(net.client(0), {0});
    mirrors.send(change(1, 1));
    mirrors.send(change(2, 2));
    CHECK(mirrors.in_step() == 1);
    mirrors.send(change(9, 9));  // refused: ESTALE
    CHECK(mirrors.in_step() == 0);
    CHECK(mirrors.out_of_step() == std::vector<int>{0});
    mirrors.send(change(3, 3));  // not sent any more
    CHECK(mirrors.finish().is_ok());
    CHECK(raw(*impostor, 5, MsgType::kDisconnect, {}, {}).is_ok());
    loop.join();
    CHECK(served.is_ok());
  }
  log::set_level(saved);
  // The refused change marked the mirror behind: it is no restore source.
  auto probe = mds::probe_metadata_db(path);
  CHECK(probe.behind);
  CHECK_MESSAGE(probe.behind_note.find("change 9 not applied") != std::string::npos, probe.behind_note);
  auto db = mds::MetadataDb::open(path, false);
  REQUIRE(db.is_ok());
  CHECK((*db)->seq() == 2);
  auto snap = (*db)->snapshot();
  REQUIRE(snap.is_ok());
  REQUIRE(snap->ops.size() == 2);
  CHECK(snap->ops[0] == change(1, 1).ops[0]);
  CHECK(snap->ops[1] == change(2, 2).ops[0]);
  // A snapshot (the start-up sync) brings it back in step and removes the mark.
  REQUIRE((*db)->apply(*snap).is_ok());
  CHECK_FALSE(mds::probe_metadata_db(path).behind);
}

TEST_CASE("the metadata server: changes reach the mirror before the reply; a mirror out of step is reported") {
  TempDir t;
  const auto saved = log::level();
  log::set_level(log::Level::kError);
  // Network A: the metadata server and one client. Network B: the mirror
  // server and its one client, the metadata server's mirror sender.
  transport::LoopbackNetwork a(1, 1), b(1, 1);
  mds::DurableMetadataOptions o;
  o.path = t.path + "/metadata.mdb";
  o.servers = 2;
  o.replicas = 2;
  o.root_default = LayoutRequest{1 << 20, -1, -1};
  o.fs_uuid = "0123abcd-0000-4000-8000-00000000aaaa";
  o.create = true;
  auto md = mds::open_lmdb_metadata(o);
  REQUIRE(md.is_ok());
  auto first = (*md)->snapshot();  // the start-up sync: the mirror begins in step
  REQUIRE(first.is_ok());
  auto mdb = mds::MetadataDb::open(t.path + "/mirror.mdb", true);
  REQUIRE(mdb.is_ok());
  REQUIRE((*mdb)->apply(*first).is_ok());

  server::Server mirror(server::ServerOptions{1, 2, 1 << 20}, store::make_memory_store(), nullptr);
  mirror.set_metadata_mirror_db(std::move(*mdb), 0);
  Status mirror_served;
  std::thread mirror_loop([&] { mirror_served = mirror.serve(b.server(0)); });
  server::Server primary(server::ServerOptions{0, 2, 1 << 20}, store::make_memory_store(), std::move(*md));
  primary.set_metadata_mirrors(std::make_unique<server::MetadataMirrors>(b.client(0), std::vector<int>{0}));
  Status primary_served;
  std::thread primary_loop([&] { primary_served = primary.serve(a.server(0)); });

  auto c = a.client(0);
  uint64_t id = 1;
  auto status = [&]() {
    transport::Call call;
    call.server = 0;
    call.request_id = id++;
    call.head = wire::build_frame(static_cast<uint16_t>(MsgType::kServerStatus), call.request_id, 0, {}, 0);
    REQUIRE(c->exchange(std::span<transport::Call>(&call, 1)).is_ok());
    std::vector<uint8_t> body;
    REQUIRE(client::parse_reply(call, static_cast<uint16_t>(MsgType::kServerStatus), &body).is_ok());
    wire::ServerStatusReply rep;
    REQUIRE(wire::decode_body(body, rep, "SERVER_STATUS").is_ok());
    return rep.metadata_mirrors_out_of_step;
  };
  auto mkdir = [&](const std::string& path) {
    return raw(*c, id++, MsgType::kMkdir, wire::encode_body(wire::MkdirRequest{path, 0755, {}}), {});
  };
  REQUIRE(mkdir("/one").is_ok());
  REQUIRE(mkdir("/two").is_ok());
  CHECK(status() == 0);
  // The mirror gets a change the metadata server never made (as if it had
  // gone its own way): the next real change is out of step there and
  // refused; the metadata server still answers OK (the change is durable on
  // its own copy) and reports the mirror.
  server::MetadataMirrors side(b.client(0), {0});
  side.send(change(4, 9));  // the mirror is at 3 (format, two mkdirs): applied, now 4
  CHECK(side.in_step() == 1);
  REQUIRE(mkdir("/three").is_ok());  // change 4 again: ESTALE at the mirror
  CHECK(status() == 1);
  REQUIRE(mkdir("/four").is_ok());   // not sent any more
  CHECK(status() == 1);
  CHECK(raw(*c, id++, MsgType::kDisconnect, {}, {}).is_ok());
  primary_loop.join();
  CHECK(primary_served.is_ok());
  CHECK(primary.finish_metadata_mirrors().is_ok());
  mirror_loop.join();
  CHECK(mirror_served.is_ok());
  log::set_level(saved);
}

TEST_CASE("a server that is not a mirror refuses META_MIRROR") {
  const auto saved = log::level();
  log::set_level(log::Level::kError);
  transport::LoopbackNetwork net(1, 1);
  server::Server srv(server::ServerOptions{0, 1, 1 << 20}, store::make_memory_store(), nullptr);
  Status served;
  std::thread loop([&] { served = srv.serve(net.server(0)); });
  auto c = net.client(0);
  CHECK(raw(*c, 1, MsgType::kMetaMirror, {}, mds::encode_batch(change(1, 1))).code() == EPERM);
  CHECK(raw(*c, 2, MsgType::kDisconnect, {}, {}).is_ok());
  loop.join();
  CHECK(served.is_ok());
  log::set_level(saved);
}

}  // TEST_SUITE
