// nacre::Config: defaults, TOML keys and sizes, NACRE_* variables, load()
// and precedence. Every rejected value must be EINVAL naming the key (TOML
// key or environment variable); files are named by path.
#include <nacre/config.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

using namespace nacre;

namespace {

const char* const kAllVars[] = {kEnvConfig,      kEnvServers, kEnvStore,   kEnvStoreDir, kEnvStripeSize,
                                kEnvStripeCount, kEnvMaxRpc,  kEnvAddress, kEnvLogLevel,
                                kEnvCacheMax,    kEnvReadCacheMax};

// Clears every NACRE_* variable for the test and restores the previous
// environment when it ends.
class EnvGuard {
 public:
  EnvGuard() {
    for (const char* v : kAllVars) {
      const char* old = std::getenv(v);
      saved_.emplace_back(v, old ? std::optional<std::string>(old) : std::nullopt);
      ::unsetenv(v);
    }
  }
  ~EnvGuard() {
    for (const auto& [name, value] : saved_) {
      if (value) ::setenv(name, value->c_str(), 1);
      else ::unsetenv(name);
    }
  }
  void set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

// A temporary TOML file, removed at scope exit.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/nacre_config_XXXXXX";
    const int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path_ = tmpl;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

bool mentions(const Status& s, const std::string& what) {
  return s.message().find(what) != std::string::npos;
}

// Merges one TOML snippet into a default Config and validates it; returns
// the first error.
Status merge_and_validate(const std::string& toml, Config* out = nullptr) {
  Config c;
  Status s = c.merge_toml(toml, "test.toml");
  if (s.is_ok()) s = c.validate();
  if (out) *out = c;
  return s;
}

}  // namespace

TEST_SUITE("config") {

TEST_CASE("defaults validate") {
  Config c;
  CHECK(c.validate().is_ok());
  CHECK(c.servers == 1);
  CHECK(c.store == StoreKind::kMemory);
  CHECK(c.stripe_size == (1u << 20));
  CHECK(c.stripe_count == -1);
  CHECK(c.max_rpc_bytes == (4u << 20));
  CHECK(c.log_level == "warn");
  CHECK(std::string(to_string(StoreKind::kMemory)) == "memory");
  CHECK(std::string(to_string(StoreKind::kDirectory)) == "directory");
}

TEST_CASE("every TOML key is parsed") {
  Config c;
  const Status s = c.merge_toml(R"(
[runtime]
servers = 8
[store]
kind = "directory"
dir = "/scratch/nacre"
[layout]
stripe_size = "4MiB"
stripe_count = 4
[transport]
max_rpc_bytes = 1048576
[client]
address = "nacre-service"
[log]
level = "debug"
)",
                                "full.toml");
  REQUIRE_MESSAGE(s.is_ok(), s.to_string());
  REQUIRE(c.validate().is_ok());
  CHECK(c.servers == 8);
  CHECK(c.store == StoreKind::kDirectory);
  CHECK(c.store_dir == "/scratch/nacre");
  CHECK(c.stripe_size == (4u << 20));
  CHECK(c.stripe_count == 4);
  CHECK(c.max_rpc_bytes == (1u << 20));
  CHECK(c.address == "nacre-service");
  CHECK(c.log_level == "debug");
}

TEST_CASE("store.reserve takes a size for the memory store") {
  Config c;
  REQUIRE(c.merge_toml("[store]\nreserve = \"128MiB\"", "t.toml").is_ok());
  CHECK(c.store_reserve == (128ull << 20));
  CHECK(c.validate().is_ok());
}

TEST_CASE("sizes are accepted as integers and as unit strings") {
  struct Case { std::string value; uint64_t bytes; };
  const Case cases[] = {
      {"65536", 65536},       {"\"65536\"", 65536},       {"\"64KiB\"", 64u << 10},
      {"\"64K\"", 64u << 10}, {"\"64k\"", 64u << 10},     {"\"1MiB\"", 1u << 20},
      {"\"1M\"", 1u << 20},   {"\"2 MiB\"", 2u << 20},    {"\"1GiB\"", 1ull << 30},
      {"\"4G\"", 4ull << 30}, {"\"131072B\"", 131072},    {"\" 128KiB\"", 128u << 10},
  };
  for (const auto& c : cases) {
    CAPTURE(c.value);
    Config cfg;
    REQUIRE(cfg.merge_toml("[layout]\nstripe_size = " + c.value, "t.toml").is_ok());
    CHECK(cfg.stripe_size == c.bytes);
    CHECK(cfg.validate().is_ok());
  }
  Config cfg;
  REQUIRE(cfg.merge_toml("[transport]\nmax_rpc_bytes = \"16MiB\"", "t.toml").is_ok());
  CHECK(cfg.max_rpc_bytes == (16u << 20));
  CHECK(cfg.validate().is_ok());
  REQUIRE(cfg.merge_toml("[transport]\nmax_rpc_bytes = \"64KiB\"", "t.toml").is_ok());
  CHECK(cfg.max_rpc_bytes == (64u << 10));
  CHECK(cfg.validate().is_ok());
  CHECK(cfg.cache_max == (64u << 20));  // the default
  REQUIRE(cfg.merge_toml("[client]\ncache_max = \"1GiB\"", "t.toml").is_ok());
  CHECK(cfg.cache_max == (1ull << 30));
  REQUIRE(cfg.merge_toml("[client]\ncache_max = 0", "t.toml").is_ok());
  CHECK(cfg.cache_max == 0);
  CHECK(cfg.validate().is_ok());
  CHECK(cfg.read_cache_max == (32u << 20));  // the default
  REQUIRE(cfg.merge_toml("[client]\nread_cache_max = \"4MiB\"", "t.toml").is_ok());
  CHECK(cfg.read_cache_max == (4u << 20));
  REQUIRE(cfg.merge_toml("[client]\nread_cache_max = 0", "t.toml").is_ok());
  CHECK(cfg.read_cache_max == 0);
  CHECK(cfg.validate().is_ok());
}

TEST_CASE("every bad value is EINVAL naming its key") {
  struct Case { std::string toml; std::string key; };
  const Case cases[] = {
      {"[runtime]\nservers = 0", "runtime.servers"},
      {"[runtime]\nservers = -3", "runtime.servers"},
      {"[runtime]\nservers = 4097", "runtime.servers"},
      {"[runtime]\nservers = \"4\"", "runtime.servers"},
      {"[runtime]\nservers = 2.5", "runtime.servers"},
      {"[store]\nkind = \"disk\"", "store.kind"},
      {"[store]\nkind = 1", "store.kind"},
      {"[store]\nkind = \"directory\"", "store.dir"},
      {"[store]\ndir = 1.5", "store.dir"},
      {"[store]\ndir = [\"/a\"]", "store.dir"},
      {"[store]\nreserve = \"lots\"", "store.reserve"},
      {"[store]\nreserve = \"100TiB\"", "store.reserve"},
      {"[store]\nkind = \"directory\"\ndir = \"/x\"\nreserve = \"1GiB\"", "store.reserve"},
      {"[layout]\nstripe_size = 0", "layout.stripe_size"},
      {"[layout]\nstripe_size = 1000", "layout.stripe_size"},
      {"[layout]\nstripe_size = \"100KiB\"", "layout.stripe_size"},
      {"[layout]\nstripe_size = \"5GiB\"", "layout.stripe_size"},
      {"[layout]\nstripe_size = \"1XB\"", "layout.stripe_size"},
      {"[layout]\nstripe_size = \"MiB\"", "layout.stripe_size"},
      {"[layout]\nstripe_size = \"-1MiB\"", "layout.stripe_size"},
      {"[layout]\nstripe_size = -65536", "layout.stripe_size"},
      {"[layout]\nstripe_size = \"99999999999999999999\"", "layout.stripe_size"},
      {"[layout]\nstripe_size = \"17179869184GiB\"", "layout.stripe_size"},
      {"[layout]\nstripe_size = 1.5", "layout.stripe_size"},
      {"[layout]\nstripe_size = [1]", "layout.stripe_size"},
      {"[layout]\nstripe_count = 0", "layout.stripe_count"},
      {"[layout]\nstripe_count = -2", "layout.stripe_count"},
      {"[layout]\nstripe_count = 2", "layout.stripe_count"},  // > servers (1)
      {"[layout]\nstripe_count = \"two\"", "layout.stripe_count"},
      {"[transport]\nmax_rpc_bytes = \"32KiB\"", "transport.max_rpc_bytes"},
      {"[transport]\nmax_rpc_bytes = \"17MiB\"", "transport.max_rpc_bytes"},
      {"[transport]\nmax_rpc_bytes = \"lots\"", "transport.max_rpc_bytes"},
      {"[client]\naddress = 2.5", "client.address"},
      {"[client]\ncache_max = \"65GiB\"", "client.cache_max"},
      {"[client]\ncache_max = \"much\"", "client.cache_max"},
      {"[client]\nread_cache_max = \"65GiB\"", "client.read_cache_max"},
      {"[client]\nread_cache_max = \"-1\"", "client.read_cache_max"},
      {"[client]\naddress = { host = \"x\" }", "client.address"},
      {"[log]\nlevel = \"verbose\"", "log.level"},
      {"[log]\nlevel = \"\"", "log.level"},
      {"[log]\nlevel = 3", "log.level"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.toml);
    const Status s = merge_and_validate(c.toml);
    REQUIRE(!s.is_ok());
    CHECK(s.code() == EINVAL);
    CHECK_MESSAGE(mentions(s, "'" + c.key + "'"), s.message());
  }
}

TEST_CASE("stripe_count may equal servers and -1 means all servers") {
  Config c;
  CHECK(merge_and_validate("[runtime]\nservers = 4\n[layout]\nstripe_count = 4", &c).is_ok());
  CHECK(c.stripe_count == 4);
  CHECK(merge_and_validate("[runtime]\nservers = 4\n[layout]\nstripe_count = -1", &c).is_ok());
  CHECK(merge_and_validate("[runtime]\nservers = 4096", &c).is_ok());
  CHECK(merge_and_validate("[layout]\nstripe_size = \"4GiB\"", &c).is_ok());
  CHECK(c.stripe_size == (4ull << 30));
}

TEST_CASE("unknown sections and keys are rejected naming them") {
  struct Case { std::string toml; std::string key; };
  const Case cases[] = {
      {"[bogus]\nx = 1", "bogus"},
      {"[layout]\nstripe_sizes = 65536", "layout.stripe_sizes"},
      {"[layout.extra]\nstripe_size = 65536", "layout.extra"},
      {"servers = 2", "servers"},
      {"[runtime]\nstore = \"memory\"", "runtime.store"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.toml);
    Config cfg;
    const Status s = cfg.merge_toml(c.toml, "origin.toml");
    REQUIRE(!s.is_ok());
    CHECK(s.code() == EINVAL);
    CHECK_MESSAGE(mentions(s, "'" + c.key + "'"), s.message());
    CHECK_MESSAGE(mentions(s, "origin.toml"), s.message());
  }
  Config cfg;
  const Status s = cfg.merge_toml("runtime = 3", "origin.toml");
  CHECK(s.code() == EINVAL);
  CHECK(mentions(s, "'runtime'"));
}

TEST_CASE("TOML syntax errors report file:line:col") {
  Config c;
  Status s = c.merge_toml("[layout]\nstripe_count = 2\nstripe_size = = 3\n", "/etc/nacre.toml");
  REQUIRE(!s.is_ok());
  CHECK(s.code() == EINVAL);
  CHECK_MESSAGE(mentions(s, "/etc/nacre.toml:3:"), s.message());
  s = c.merge_toml("[layout\n", "x.toml");
  REQUIRE(!s.is_ok());
  CHECK_MESSAGE(mentions(s, "x.toml:1:"), s.message());
  // The column is reported too: "file:line:col: description".
  s = c.merge_toml("[log]\nlevel = \"debug\nx", "y.toml");
  REQUIRE(!s.is_ok());
  const auto at = s.message().find("y.toml:2:");
  REQUIRE_MESSAGE(at != std::string::npos, s.message());
  const char col = s.message()[at + std::string("y.toml:2:").size()];
  CHECK(col >= '1');
  CHECK(col <= '9');
}

TEST_CASE("a merge only changes the keys it names") {
  Config c;
  REQUIRE(c.merge_toml("[layout]\nstripe_size = \"2MiB\"", "a.toml").is_ok());
  REQUIRE(c.merge_toml("[layout]\nstripe_count = 1", "b.toml").is_ok());
  CHECK(c.stripe_size == (2u << 20));
  CHECK(c.stripe_count == 1);
  CHECK(c.servers == 1);
  CHECK(c.log_level == "warn");
  REQUIRE(c.merge_toml("", "empty.toml").is_ok());
  CHECK(c.stripe_size == (2u << 20));
}

TEST_CASE("environment variables are applied by merge_environment") {
  EnvGuard env;
  env.set(kEnvServers, "6");
  env.set(kEnvStore, "directory");
  env.set(kEnvStoreDir, "/tmp/nacre-store");
  env.set(kEnvStripeSize, "256KiB");
  env.set(kEnvStripeCount, "3");
  env.set(kEnvMaxRpc, "2MiB");
  env.set(kEnvAddress, "port-name");
  env.set(kEnvLogLevel, "info");
  env.set(kEnvCacheMax, "16MiB");
  env.set(kEnvReadCacheMax, "1MiB");
  Config c;
  REQUIRE(c.merge_environment().is_ok());
  REQUIRE(c.validate().is_ok());
  CHECK(c.servers == 6);
  CHECK(c.store == StoreKind::kDirectory);
  CHECK(c.store_dir == "/tmp/nacre-store");
  CHECK(c.stripe_size == (256u << 10));
  CHECK(c.stripe_count == 3);
  CHECK(c.max_rpc_bytes == (2u << 20));
  CHECK(c.address == "port-name");
  CHECK(c.log_level == "info");
  CHECK(c.cache_max == (16u << 20));
  CHECK(c.read_cache_max == (1u << 20));
}

TEST_CASE("unset and empty environment variables change nothing") {
  EnvGuard env;
  Config c;
  REQUIRE(c.merge_environment().is_ok());
  for (const char* v : kAllVars) env.set(v, "");
  REQUIRE(c.merge_environment().is_ok());
  const Config d;
  CHECK(c.servers == d.servers);
  CHECK(c.store == d.store);
  CHECK(c.stripe_size == d.stripe_size);
  CHECK(c.stripe_count == d.stripe_count);
  CHECK(c.max_rpc_bytes == d.max_rpc_bytes);
  CHECK(c.address == d.address);
  CHECK(c.log_level == d.log_level);
  CHECK(c.cache_max == d.cache_max);
  CHECK(c.read_cache_max == d.read_cache_max);
}

TEST_CASE("bad environment values name the variable") {
  struct Case { const char* var; std::string value; bool at_merge; };
  const Case cases[] = {
      {kEnvServers, "many", true},      {kEnvServers, "4x", true},
      {kEnvStore, "tape", true},        {kEnvStripeSize, "1TB", true},
      {kEnvStripeSize, "big", true},    {kEnvStripeCount, "-", true},
      {kEnvStripeCount, "1.5", true},   {kEnvMaxRpc, "1 PiB", true},
      {kEnvCacheMax, "lots", true},     {kEnvReadCacheMax, "some", true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.var);
    CAPTURE(c.value);
    EnvGuard env;
    env.set(c.var, c.value);
    Config cfg;
    const Status s = cfg.merge_environment();
    REQUIRE(!s.is_ok());
    CHECK(s.code() == EINVAL);
    CHECK_MESSAGE(mentions(s, c.var), s.message());
    // load() reports the same error.
    auto l = Config::load();
    REQUIRE(!l.is_ok());
    CHECK(mentions(l.status(), c.var));
  }
}

TEST_CASE("load() applies defaults, NACRE_CONFIG, then the environment") {
  EnvGuard env;
  SUBCASE("no file, no variables: the defaults") {
    auto c = Config::load();
    REQUIRE(c.is_ok());
    CHECK(c->stripe_size == Config().stripe_size);
    CHECK(c->servers == 1);
  }
  SUBCASE("a file") {
    TempFile f("[runtime]\nservers = 4\n[layout]\nstripe_size = \"2MiB\"\nstripe_count = 2\n");
    env.set(kEnvConfig, f.path());
    auto c = Config::load();
    REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
    CHECK(c->servers == 4);
    CHECK(c->stripe_size == (2u << 20));
    CHECK(c->stripe_count == 2);
    CHECK(c->log_level == "warn");
  }
  SUBCASE("the environment overrides the file") {
    TempFile f("[runtime]\nservers = 4\n[layout]\nstripe_size = \"2MiB\"\n[log]\nlevel = \"error\"\n");
    env.set(kEnvConfig, f.path());
    env.set(kEnvStripeSize, "8MiB");
    env.set(kEnvLogLevel, "debug");
    auto c = Config::load();
    REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
    CHECK(c->servers == 4);  // from the file
    CHECK(c->stripe_size == (8u << 20));
    CHECK(c->log_level == "debug");
  }
  SUBCASE("the result is validated after the environment is applied") {
    TempFile f("[runtime]\nservers = 4\n[layout]\nstripe_count = 4\n");
    env.set(kEnvConfig, f.path());
    env.set(kEnvServers, "2");  // stripe_count 4 > 2 servers
    auto c = Config::load();
    REQUIRE(!c.is_ok());
    CHECK(c.status().code() == EINVAL);
    CHECK(mentions(c.status(), "layout.stripe_count"));
  }
  SUBCASE("a bad value in the file names the key and the file") {
    TempFile f("[layout]\nstripe_size = \"12 parsecs\"\n");
    env.set(kEnvConfig, f.path());
    auto c = Config::load();
    REQUIRE(!c.is_ok());
    CHECK(c.status().code() == EINVAL);
    CHECK(mentions(c.status(), "layout.stripe_size"));
  }
  SUBCASE("a syntax error in the file names path:line:col") {
    TempFile f("[layout]\n\nstripe_size = \n");
    env.set(kEnvConfig, f.path());
    auto c = Config::load();
    REQUIRE(!c.is_ok());
    CHECK(c.status().code() == EINVAL);
    CHECK_MESSAGE(mentions(c.status(), f.path() + ":3:"), c.status().message());
  }
  SUBCASE("a missing file is an error naming the path") {
    const std::string missing = "/tmp/nacre-no-such-dir/none.toml";
    env.set(kEnvConfig, missing);
    auto c = Config::load();
    REQUIRE(!c.is_ok());
    CHECK(c.status().code() == ENOENT);
    CHECK(mentions(c.status(), missing));
  }
  SUBCASE("an empty NACRE_CONFIG is ignored") {
    env.set(kEnvConfig, "");
    CHECK(Config::load().is_ok());
  }
}

}  // TEST_SUITE
