// A server whose store fails (an error, or an unexpected exception) answers
// the client with the error and its message, and keeps serving.
#include "client/client_core.hpp"
#include "mds/metadata_store.hpp"
#include "server/server.hpp"
#include "store/object_store.hpp"
#include "transport/loopback_transport.hpp"

#include <nacre/filesystem.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <thread>

using namespace nacre;

namespace {

// Fails writes at magic offsets: 666 throws, 777 reports ENOSPC.
class FaultyStore final : public store::ObjectStore {
 public:
  FaultyStore() : inner_(store::make_memory_store()) {}
  const char* kind() const override { return "faulty"; }
  Result<uint64_t> write(uint64_t id, uint64_t off, std::span<const uint8_t> d) override {
    if (off == 666) throw std::runtime_error("disk exploded");
    if (off == 777) return Status::error(ENOSPC, "store full");
    return inner_->write(id, off, d);
  }
  Result<uint64_t> read(uint64_t id, uint64_t off, std::span<uint8_t> out, uint64_t* sz) override {
    return inner_->read(id, off, out, sz);
  }
  Result<store::ObjectInfo> stat(uint64_t id) override { return inner_->stat(id); }
  Status truncate(uint64_t id, uint64_t size) override { return inner_->truncate(id, size); }
  Status destroy(uint64_t id) override { return inner_->destroy(id); }
  Status sync(uint64_t id) override { return inner_->sync(id); }
  Result<std::vector<store::ObjectListing>> list() override { return inner_->list(); }
  Result<store::VerifyReport> verify(uint64_t id) override { return inner_->verify(id); }

 private:
  std::unique_ptr<store::ObjectStore> inner_;
};

}  // namespace

TEST_SUITE("faults") {

TEST_CASE("store errors and exceptions reach the client as errors; the server keeps serving") {
  transport::LoopbackNetwork net(1, 1);
  server::Server srv({0, 1, 1 << 20}, std::make_unique<FaultyStore>(),
                     mds::make_memory_metadata(1, LayoutRequest{1 << 20, -1, -1}));
  Status served;
  std::thread t([&] { served = srv.serve(net.server(0)); });
  auto core = std::make_shared<client::ClientCore>(net.client(0), 1 << 20);
  {
    FileSystem fs(core);
    REQUIRE(fs.create("/f").is_ok());
    // Write-through: the store's error is the write's error.
    auto f = fs.open("/f", open_flags::kReadWrite | open_flags::kWriteThrough);
    REQUIRE(f.is_ok());
    auto boom = f->write_at(666, "abc", 3);
    CHECK(boom.status().code() == EIO);
    CHECK(boom.status().message().find("internal server error: disk exploded") != std::string::npos);
    CHECK(boom.status().message().find("/f") != std::string::npos);
    auto full = f->write_at(777, "abc", 3);
    CHECK(full.status().code() == ENOSPC);
    CHECK(full.status().message().find("store full") != std::string::npos);
    REQUIRE(f->write_at(0, "ok", 2).is_ok());
    char buf[2] = {};
    REQUIRE(*f->read_at(0, buf, 2) == 2);
    CHECK(std::string(buf, 2) == "ok");
    REQUIRE(f->close().is_ok());

    // Write-back (the default under locks): the write is cached, and the
    // store's error comes back, with its code, from sync() or close().
    auto g = fs.open("/f", open_flags::kReadWrite);
    REQUIRE(g.is_ok());
    REQUIRE(g->write_at(666, "abc", 3).is_ok());
    Status synced = g->sync();
    CHECK(synced.code() == EIO);
    CHECK(synced.message().find("disk exploded") != std::string::npos);
    CHECK(synced.message().find("lost") != std::string::npos);
    REQUIRE(g->write_at(777, "abc", 3).is_ok());
    Status closed = g->close();
    CHECK(closed.code() == ENOSPC);
    CHECK(closed.message().find("store full") != std::string::npos);
    MESSAGE(closed.to_string());
  }
  REQUIRE(core->disconnect().is_ok());
  t.join();
  CHECK(served.is_ok());
}

}  // TEST_SUITE
