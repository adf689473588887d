// Resync and repair while another client writes (in process: 3 servers, 2
// clients over the loopback transport, 2 copies, extent locks on). A writer
// thread keeps overwriting random ranges of a striped file with stamped
// bytes; meanwhile the other client marks a copy stale and resyncs it, and
// rewrites ranges of another copy, again and again. Afterwards every copy
// of every stripe holds exactly the same bytes, and the file reads back as
// the writer's model says.
#include "client/client_core.hpp"
#include "support/loopback_cluster.hpp"
#include "wire/messages.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>

using namespace nacre;

namespace {

// The bytes of copy c of stripe i, read from that copy alone.
std::vector<uint8_t> read_copy(client::ClientCore& core, const Layout& l, uint32_t c, uint32_t i) {
  std::vector<uint8_t> body;
  const StripeTarget t = l.copy(c, i);
  REQUIRE(core.object_rpc(t, wire::MsgType::kObjStat, wire::encode_body(wire::ObjRequest{t.object_id}),
                          &body).is_ok());
  wire::ObjStatReply st;
  REQUIRE(wire::decode_body(body, st, "OBJ_STAT").is_ok());
  Layout one;
  one.stripe_size = kMaxStripeSize;
  one.stripes = {t};
  std::vector<uint8_t> out(st.size);
  client::IoLocking lockless;
  lockless.enabled = false;
  auto n = core.read(one, 0, out.data(), out.size(), lockless);
  REQUIRE(n.is_ok());
  REQUIRE(*n == out.size());
  return out;
}

}  // namespace

TEST_SUITE("durability.resync") {

TEST_CASE("resync and repair under chunk locks while another client writes") {
  testing::LoopbackCluster cluster(3, 2, 1 << 20, LayoutRequest{64 << 10, -1, -1}, "", 2);
  client::ClientCore& writer = cluster.core(0);
  client::ClientCore& fixer = cluster.core(1);
  REQUIRE(writer.locking_enabled());
  // Write-through: every write reaches the servers while the resyncs run.
  auto made = cluster.fs(0).create("/hot", 0644, LayoutRequest{64 << 10, 3, 0});
  REQUIRE(made.is_ok());
  REQUIRE(made->close().is_ok());
  auto f = cluster.fs(0).open("/hot", open_flags::kReadWrite | open_flags::kWriteThrough);
  REQUIRE(f.is_ok());
  const Layout layout = f->layout();
  REQUIRE(layout.copies() == 2);
  constexpr uint64_t kSize = 6 << 20;  // 32 stripe units per object
  std::vector<uint8_t> model(kSize);
  for (uint64_t i = 0; i < kSize; ++i) model[i] = static_cast<uint8_t>(i * 7);
  REQUIRE(f->write_at(0, model.data(), model.size()).is_ok());
  REQUIRE(f->sync().is_ok());

  std::atomic<bool> stop{false};
  std::atomic<int> writes{0};
  std::thread w([&] {
    std::mt19937_64 rng(7);
    std::vector<uint8_t> rec;
    while (!stop.load()) {
      const uint64_t len = 1 + rng() % (300 << 10);
      const uint64_t off = rng() % (kSize - len);
      rec.assign(len, static_cast<uint8_t>(rng()));
      for (uint64_t k = 0; k < len; k += 97) rec[k] = static_cast<uint8_t>(k ^ writes.load());
      if (!f->write_at(off, rec.data(), rec.size()).is_ok()) break;
      std::memcpy(model.data() + off, rec.data(), len);
      writes.fetch_add(1);
    }
  });
  int resyncs = 0, repairs = 0;
  for (int round = 0; round < 6; ++round) {
    const uint32_t stripe = static_cast<uint32_t>(round % 3);
    const uint32_t copy = static_cast<uint32_t>(round % 2);
    const StripeTarget t = layout.copy(copy, stripe);
    REQUIRE(fixer.object_rpc(t, wire::MsgType::kObjSetStale,
                             wire::encode_body(wire::ObjSetStaleRequest{t.object_id, true}), nullptr)
                .is_ok());
    auto n = fixer.resync_copy(layout, stripe, copy);
    REQUIRE_MESSAGE(n.is_ok(), n.status().to_string());
    ++resyncs;
    REQUIRE(fixer.repair_copy_range(layout, (stripe + 1) % 3, 1 - copy, 100'000, 1'500'000).is_ok());
    ++repairs;
  }
  stop = true;
  w.join();
  CHECK(writes.load() > 0);
  MESSAGE("writes during the resyncs: " << writes.load() << ", resyncs " << resyncs << ", repairs "
                                        << repairs);
  REQUIRE(f->sync().is_ok());
  for (uint32_t i = 0; i < layout.stripe_count(); ++i)
    CHECK(read_copy(fixer, layout, 0, i) == read_copy(fixer, layout, 1, i));
  std::vector<uint8_t> got(kSize);
  auto n = cluster.fs(1).open("/hot", open_flags::kRead);
  REQUIRE(n.is_ok());
  auto r = n->read_at(0, got.data(), got.size());
  REQUIRE(r.is_ok());
  CHECK(got == model);
  auto health = cluster.fs(1).health();
  REQUIRE(health.is_ok());
  CHECK(!degraded(*health));
  REQUIRE(f->close().is_ok());
  REQUIRE(n->close().is_ok());
}

}  // TEST_SUITE
