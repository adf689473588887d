#include "store/fault_injecting_store.hpp"

#include <cerrno>
#include <charconv>
#include <sstream>

namespace nacre::store {

namespace {

Status bad_rule(const std::string& rule, const std::string& why) {
  return Status::error(EINVAL, std::string(kEnvStoreFaults) + ": rule \"" + rule + "\" " + why +
                                   " (rules: write-enospc-after=<bytes>, read-eio-object=<id>, "
                                   "sync-eio, server=<index>)");
}

Result<uint64_t> number(const std::string& rule, const std::string& text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size())
    return bad_rule(rule, "needs a non-negative integer");
  return v;
}

class FaultInjectingStore final : public ObjectStore {
 public:
  FaultInjectingStore(std::unique_ptr<ObjectStore> inner, FaultPlan plan)
      : inner_(std::move(inner)), plan_(plan) {}

  const char* kind() const override { return inner_->kind(); }

  Result<uint64_t> write(uint64_t id, uint64_t offset, std::span<const uint8_t> data) override {
    NACRE_RETURN_IF_ERROR(admit(id, data.size()));
    return inner_->write(id, offset, data);
  }
  Result<uint64_t> write_from(uint64_t id, uint64_t offset, size_t len, const Filler& fill) override {
    NACRE_RETURN_IF_ERROR(admit(id, len));  // refused before any byte is received
    return inner_->write_from(id, offset, len, fill);
  }
  Result<uint64_t> write_checked(uint64_t id, uint64_t offset, std::span<const uint8_t> data,
                                 uint32_t crc) override {
    NACRE_RETURN_IF_ERROR(admit(id, data.size()));
    return inner_->write_checked(id, offset, data, crc);
  }
  Result<uint64_t> write_from_checked(uint64_t id, uint64_t offset, size_t len, const Filler& fill,
                                      uint32_t crc) override {
    NACRE_RETURN_IF_ERROR(admit(id, len));
    return inner_->write_from_checked(id, offset, len, fill, crc);
  }
  Result<uint64_t> read(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                        uint64_t* object_size) override {
    if (plan_.eio_read_object && *plan_.eio_read_object == id)
      return Status::error(EIO, "object " + std::to_string(id) +
                                    ": read error (injected: " + kEnvStoreFaults + ")");
    return inner_->read(id, offset, out, object_size);
  }
  Result<uint64_t> read_with_crc(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                                 uint64_t* object_size, uint32_t* crc) override {
    if (plan_.eio_read_object && *plan_.eio_read_object == id)
      return Status::error(EIO, "object " + std::to_string(id) +
                                    ": read error (injected: " + kEnvStoreFaults + ")");
    return inner_->read_with_crc(id, offset, out, object_size, crc);
  }
  Result<ObjectInfo> stat(uint64_t id) override { return inner_->stat(id); }
  Status truncate(uint64_t id, uint64_t size) override { return inner_->truncate(id, size); }
  Status destroy(uint64_t id) override { return inner_->destroy(id); }
  Status sync(uint64_t id) override {
    if (plan_.eio_sync)
      return Status::error(EIO, "object " + std::to_string(id) + ": sync failed (injected: " +
                                    kEnvStoreFaults + ")");
    return inner_->sync(id);
  }
  Result<std::vector<ObjectListing>> list() override { return inner_->list(); }
  Result<VerifyReport> verify(uint64_t id) override { return inner_->verify(id); }

 private:
  Status admit(uint64_t id, uint64_t len) {
    if (plan_.enospc_after && written_ + len > *plan_.enospc_after)
      return Status::error(ENOSPC, "object " + std::to_string(id) +
                                       ": no space left on the server's store (injected: " +
                                       kEnvStoreFaults + ", full after " +
                                       std::to_string(*plan_.enospc_after) + " bytes)");
    written_ += len;
    return Status::ok();
  }

  std::unique_ptr<ObjectStore> inner_;
  FaultPlan plan_;
  uint64_t written_ = 0;
};

}  // namespace

Result<FaultPlan> parse_fault_plan(const std::string& spec) {
  FaultPlan plan;
  std::stringstream ss(spec);
  std::string rule;
  while (std::getline(ss, rule, ',')) {
    if (rule.empty()) continue;
    const auto eq = rule.find('=');
    const std::string key = rule.substr(0, eq);
    const std::string value = eq == std::string::npos ? std::string() : rule.substr(eq + 1);
    if (key == "write-enospc-after" && eq != std::string::npos) {
      auto n = number(rule, value);
      if (!n) return n.status();
      plan.enospc_after = *n;
    } else if (key == "read-eio-object" && eq != std::string::npos) {
      auto n = number(rule, value);
      if (!n) return n.status();
      plan.eio_read_object = *n;
    } else if (key == "sync-eio" && eq == std::string::npos) {
      plan.eio_sync = true;
    } else if (key == "server" && eq != std::string::npos) {
      auto n = number(rule, value);
      if (!n) return n.status();
      if (*n > UINT32_MAX) return bad_rule(rule, "is not a server index");
      plan.only_server = static_cast<uint32_t>(*n);
    } else {
      return bad_rule(rule, "is not understood");
    }
  }
  return plan;
}

std::unique_ptr<ObjectStore> make_fault_injecting_store(std::unique_ptr<ObjectStore> inner,
                                                        const FaultPlan& plan) {
  return std::make_unique<FaultInjectingStore>(std::move(inner), plan);
}

}  // namespace nacre::store
