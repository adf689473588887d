// The fault injector's spec (NACRE_STORE_FAULTS) and its behaviour over a
// real directory store.
#include "store/fault_injecting_store.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace nacre;

TEST_SUITE("durability.faults") {

TEST_CASE("fault specs parse, and bad rules are named") {
  auto p = store::parse_fault_plan("write-enospc-after=4096,read-eio-object=7,sync-eio");
  REQUIRE(p.is_ok());
  CHECK(*p->enospc_after == 4096);
  CHECK(*p->eio_read_object == 7);
  CHECK(p->eio_sync);
  CHECK(p->applies_to(0));
  CHECK(p->applies_to(5));
  auto one = store::parse_fault_plan("sync-eio,server=2");
  REQUIRE(one.is_ok());
  CHECK(one->applies_to(2));
  CHECK_FALSE(one->applies_to(0));
  CHECK(store::parse_fault_plan("").value().empty());
  for (const char* bad : {"write-enospc-after=", "write-enospc-after=-1", "read-eio-object=x",
                          "sync-eio=1", "disk-on-fire", "write-enospc-after", "server=",
                          "server=99999999999"}) {
    CAPTURE(bad);
    auto r = store::parse_fault_plan(bad);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == EINVAL);
    CHECK(r.status().message().find("NACRE_STORE_FAULTS") != std::string::npos);
    CHECK(r.status().message().find(bad) != std::string::npos);
  }
}

TEST_CASE("a full store refuses whole writes and keeps what it has") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("nacre-fault-plan-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto inner = store::make_directory_store(dir.string());
  REQUIRE(inner.is_ok());
  store::FaultPlan plan;
  plan.enospc_after = 100;
  auto s = store::make_fault_injecting_store(std::move(*inner), plan);
  const std::vector<uint8_t> a(60, 1), b(60, 2);
  REQUIRE(s->write(9, 0, a).is_ok());
  auto full = s->write(9, 60, b);
  REQUIRE_FALSE(full.is_ok());
  CHECK(full.status().code() == ENOSPC);
  std::vector<uint8_t> got(200);
  uint64_t size = 0;
  auto n = s->read(9, 0, got, &size);
  REQUIRE(n.is_ok());
  CHECK(*n == 60);
  CHECK(size == 60);
  CHECK(got[59] == 1);
  REQUIRE(s->write(9, 0, std::vector<uint8_t>(40, 3)).is_ok());  // 100 bytes in all: fits
  std::filesystem::remove_all(dir);
}

}  // TEST_SUITE
