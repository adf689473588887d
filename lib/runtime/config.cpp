// Config parsing: TOML (toml++) and NACRE_* environment variables.
#define TOML_HEADER_ONLY 0
#include <toml++/toml.h>

#include "common/log.hpp"
#include "wire/frame.hpp"

#include <nacre/config.hpp>
#include <nacre/layout.hpp>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace nacre {

const char* to_string(StoreKind kind) {
  return kind == StoreKind::kMemory ? "memory" : "directory";
}

const char* to_string(DeploymentType type) {
  return type == DeploymentType::kScratch ? "scratch" : "persistent";
}

namespace {

Status bad(const std::string& key, const std::string& why) {
  return Status::error(EINVAL, "config key '" + key + "': " + why);
}

// "1048576", "1MiB", "64KiB", "1 GiB", "4M" -> bytes.
Result<uint64_t> parse_size(const std::string& key, const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  size_t start = i;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == start) return bad(key, "'" + text + "' is not a size (examples: 1048576, 1MiB, 64KiB)");
  if (i - start > 18) return bad(key, "'" + text + "' is too large");
  uint64_t v = std::stoull(text.substr(start, i - start));
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  std::string unit = text.substr(i);
  uint64_t mul = 1;
  if (unit.empty() || unit == "B") mul = 1;
  else if (unit == "K" || unit == "KiB" || unit == "k") mul = 1ull << 10;
  else if (unit == "M" || unit == "MiB") mul = 1ull << 20;
  else if (unit == "G" || unit == "GiB") mul = 1ull << 30;
  else return bad(key, "unknown size unit '" + unit + "' (use KiB, MiB or GiB)");
  if (v > (~0ull) / mul) return bad(key, "'" + text + "' is too large");
  return v * mul;
}

// A 32-bit signed integer (every integer key fits one).
Result<int64_t> parse_int(const std::string& key, const std::string& text) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || *end != '\0')
    return bad(key, "'" + text + "' is not an integer");
  if (v < INT32_MIN || v > INT32_MAX) return bad(key, "'" + text + "' is out of range");
  return static_cast<int64_t>(v);
}

Result<StoreKind> parse_store(const std::string& key, const std::string& text) {
  if (text == "memory") return StoreKind::kMemory;
  if (text == "directory") return StoreKind::kDirectory;
  return bad(key, "'" + text + "' is not a store kind (memory or directory)");
}

Result<DeploymentType> parse_deployment(const std::string& key, const std::string& text) {
  if (text == "scratch") return DeploymentType::kScratch;
  if (text == "persistent") return DeploymentType::kPersistent;
  return bad(key, "'" + text + "' is not a deployment type (scratch or persistent)");
}

}  // namespace

Status Config::validate() const {
  if (servers < 1 || servers > 4096)
    return bad("runtime.servers", "must be between 1 and 4096 (got " + std::to_string(servers) + ")");
  if (store_reserve > (1ull << 46))
    return bad("store.reserve", "must be at most 64 TiB (got " + std::to_string(store_reserve) + ")");
  if (store_reserve != 0 && store != StoreKind::kMemory)
    return bad("store.reserve", "applies to the memory store only (store.kind is \"directory\")");
  if (store == StoreKind::kDirectory && store_dir.empty())
    return bad("store.dir", "must be set when store.kind is \"directory\"");
  if (stripe_size == 0 || stripe_size % kStripeSizeUnit != 0 || stripe_size > kMaxStripeSize)
    return bad("layout.stripe_size", "must be a multiple of 64 KiB up to 4 GiB (got " +
                                         std::to_string(stripe_size) + ")");
  if (stripe_count == 0 || stripe_count < -1 || stripe_count > servers)
    return bad("layout.stripe_count", "must be -1 (all servers) or 1.." + std::to_string(servers) +
                                          " (got " + std::to_string(stripe_count) + ")");
  if (max_rpc_bytes < (64u << 10) || max_rpc_bytes > wire::kMaxDataBytes)
    return bad("transport.max_rpc_bytes", "must be between 64 KiB and 16 MiB (got " +
                                              std::to_string(max_rpc_bytes) + ")");
  if (cache_max > (64ull << 30))
    return bad("client.cache_max", "must be at most 64 GiB (got " + std::to_string(cache_max) + ")");
  if (read_cache_max > (64ull << 30))
    return bad("client.read_cache_max",
               "must be at most 64 GiB (got " + std::to_string(read_cache_max) + ")");
  if (replicas < 0 || replicas > 16)
    return bad("deployment.replicas", "must be between 1 and 16 (got " + std::to_string(replicas) + ")");
  if (deployment == DeploymentType::kScratch && replicas > 1)
    return bad("deployment.replicas", "a scratch deployment keeps one copy (got " +
                                          std::to_string(replicas) +
                                          "); use deployment.type = \"persistent\"");
  if (deployment == DeploymentType::kPersistent) {
    if (store != StoreKind::kDirectory)
      return bad("store.kind", "deployment.type \"persistent\" needs the directory store "
                               "(store.kind = \"directory\" and store.dir)");
  }
  log::Level l;
  if (!log::parse_level(log_level, &l))
    return bad("log.level", "'" + log_level + "' is not one of error, warn, info, debug");
  return Status::ok();
}

Status Config::merge_toml(const std::string& text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
        << e.description();
    return Status::error(EINVAL, "config file " + msg.str());
  }
  static const std::set<std::string> known = {
      "runtime.servers", "store.kind", "store.dir", "store.reserve", "layout.stripe_size", "layout.stripe_count",
      "transport.max_rpc_bytes", "client.address", "client.cache_max", "client.read_cache_max", "log.level", "deployment.type",
      "deployment.replicas", "store.checksums"};
  static const std::set<std::string> sections = {"runtime", "store", "layout", "transport",
                                                 "client", "log", "deployment"};
  for (auto&& [section, node] : root) {
    const std::string s(section.str());
    if (!sections.count(s)) return bad(s, "unknown section in " + origin);
    const toml::table* t = node.as_table();
    if (!t) return bad(s, "must be a table ([" + s + "]) in " + origin);
    for (auto&& [k, v] : *t) {
      const std::string key = s + "." + std::string(k.str());
      if (!known.count(key)) return bad(key, "unknown key in " + origin);
      auto as_text = [&]() -> Result<std::string> {
        if (auto x = v.value_exact<std::string>()) return *x;
        if (auto x = v.value_exact<int64_t>()) return std::to_string(*x);
        return bad(key, "must be a string or an integer in " + origin);
      };
      if (key == "store.checksums") {
        auto b = v.value_exact<bool>();
        if (!b) return bad(key, "must be true or false in " + origin);
        checksums = *b;
        continue;
      }
      auto txt = as_text();
      if (!txt) return txt.status();
      if (key == "runtime.servers") {
        if (!v.is_integer()) return bad(key, "must be an integer in " + origin);
        auto n = parse_int(key, *txt);
        if (!n) return n.status();
        servers = static_cast<int>(*n);
      } else if (key == "store.kind") {
        auto k2 = parse_store(key, *txt);
        if (!k2) return k2.status();
        store = *k2;
      } else if (key == "store.dir") {
        store_dir = *txt;
      } else if (key == "store.reserve") {
        auto n = parse_size(key, *txt);
        if (!n) return n.status();
        store_reserve = *n;
      } else if (key == "layout.stripe_size") {
        auto n = parse_size(key, *txt);
        if (!n) return n.status();
        stripe_size = *n;
      } else if (key == "layout.stripe_count") {
        auto n = parse_int(key, *txt);
        if (!n) return n.status();
        stripe_count = static_cast<int32_t>(*n);
      } else if (key == "transport.max_rpc_bytes") {
        auto n = parse_size(key, *txt);
        if (!n) return n.status();
        max_rpc_bytes = *n;
      } else if (key == "client.address") {
        address = *txt;
      } else if (key == "client.cache_max") {
        auto n = parse_size(key, *txt);
        if (!n) return n.status();
        cache_max = *n;
      } else if (key == "client.read_cache_max") {
        auto n = parse_size(key, *txt);
        if (!n) return n.status();
        read_cache_max = *n;
      } else if (key == "log.level") {
        log_level = *txt;
      } else if (key == "deployment.type") {
        auto d = parse_deployment(key, *txt);
        if (!d) return d.status();
        deployment = *d;
      } else if (key == "deployment.replicas") {
        if (!v.is_integer()) return bad(key, "must be an integer in " + origin);
        auto n = parse_int(key, *txt);
        if (!n) return n.status();
        if (*n < 1) return bad(key, "must be at least 1 (got " + *txt + ")");
        replicas = static_cast<int>(*n);
      }
    }
  }
  return Status::ok();
}

Status Config::merge_toml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::error(ENOENT, "config file " + path + " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return merge_toml(ss.str(), path);
}

Status Config::merge_environment() {
  auto env = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
  };
  if (const char* v = env(kEnvServers)) {
    auto n = parse_int(kEnvServers, v);
    if (!n) return n.status();
    servers = static_cast<int>(*n);
  }
  if (const char* v = env(kEnvStore)) {
    auto k = parse_store(kEnvStore, v);
    if (!k) return k.status();
    store = *k;
  }
  if (const char* v = env(kEnvStoreDir)) store_dir = v;
  if (const char* v = env(kEnvStoreReserve)) {
    auto n = parse_size(kEnvStoreReserve, v);
    if (!n) return n.status();
    store_reserve = *n;
  }
  if (const char* v = env(kEnvStripeSize)) {
    auto n = parse_size(kEnvStripeSize, v);
    if (!n) return n.status();
    stripe_size = *n;
  }
  if (const char* v = env(kEnvStripeCount)) {
    auto n = parse_int(kEnvStripeCount, v);
    if (!n) return n.status();
    stripe_count = static_cast<int32_t>(*n);
  }
  if (const char* v = env(kEnvMaxRpc)) {
    auto n = parse_size(kEnvMaxRpc, v);
    if (!n) return n.status();
    max_rpc_bytes = *n;
  }
  if (const char* v = env(kEnvAddress)) address = v;
  if (const char* v = env(kEnvCacheMax)) {
    auto n = parse_size(kEnvCacheMax, v);
    if (!n) return n.status();
    cache_max = *n;
  }
  if (const char* v = env(kEnvReadCacheMax)) {
    auto n = parse_size(kEnvReadCacheMax, v);
    if (!n) return n.status();
    read_cache_max = *n;
  }
  if (const char* v = env(kEnvLogLevel)) log_level = v;
  if (const char* v = env(kEnvDeployment)) {
    auto d = parse_deployment(kEnvDeployment, v);
    if (!d) return d.status();
    deployment = *d;
  }
  if (const char* v = env(kEnvChecksums)) {
    const std::string t = v;
    if (t == "1" || t == "true" || t == "on") checksums = true;
    else if (t == "0" || t == "false" || t == "off") checksums = false;
    else return bad(kEnvChecksums, "must be 1/0, true/false or on/off (got " + t + ")");
  }
  if (const char* v = env(kEnvReplicas)) {
    auto n = parse_int(kEnvReplicas, v);
    if (!n) return n.status();
    if (*n < 1) return bad(kEnvReplicas, std::string("must be at least 1 (got ") + v + ")");
    replicas = static_cast<int>(*n);
  }
  return Status::ok();
}

Result<Config> Config::load() {
  Config c;
  if (const char* path = std::getenv(kEnvConfig); path && *path)
    NACRE_RETURN_IF_ERROR(c.merge_toml_file(path));
  NACRE_RETURN_IF_ERROR(c.merge_environment());
  NACRE_RETURN_IF_ERROR(c.validate());
  return c;
}

}  // namespace nacre
