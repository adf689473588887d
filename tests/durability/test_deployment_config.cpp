// Config: deployment.type and deployment.replicas (TOML and environment).
// Every rejected value is EINVAL and names its key.
#include <nacre/config.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

using namespace nacre;

namespace {

// Clears the variables these tests touch; restores them at scope exit.
class EnvGuard {
 public:
  EnvGuard() {
    for (const char* v : {kEnvConfig, kEnvDeployment, kEnvReplicas, kEnvStore, kEnvStoreDir}) {
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

 private:
  std::vector<std::pair<const char*, std::optional<std::string>>> saved_;
};

bool names(const Status& s, const std::string& key) {
  return s.code() == EINVAL && s.message().find(key) != std::string::npos;
}

Config persistent_dir() {
  Config c;
  c.deployment = DeploymentType::kPersistent;
  c.store = StoreKind::kDirectory;
  c.store_dir = "/tmp/x";
  c.servers = 2;
  return c;
}

}  // namespace

TEST_SUITE("durability.config") {

TEST_CASE("defaults: scratch, one copy") {
  Config c;
  CHECK(c.deployment == DeploymentType::kScratch);
  CHECK(c.effective_replicas() == 1);
  CHECK(c.validate().is_ok());
  CHECK(std::string(to_string(DeploymentType::kScratch)) == "scratch");
  CHECK(std::string(to_string(DeploymentType::kPersistent)) == "persistent");
}

TEST_CASE("TOML: persistent with one replica is accepted and recorded") {
  Config c;
  REQUIRE(c.merge_toml("[deployment]\ntype = \"persistent\"\nreplicas = 1\n"
                       "[store]\nkind = \"directory\"\ndir = \"/tmp/d\"\n",
                       "t.toml")
              .is_ok());
  CHECK(c.deployment == DeploymentType::kPersistent);
  CHECK(c.replicas == 1);
  CHECK(c.effective_replicas() == 1);
  CHECK(c.validate().is_ok());
}

TEST_CASE("persistent defaults to two replicas; at most 16") {
  Config c = persistent_dir();
  CHECK(c.effective_replicas() == 2);
  CHECK(c.validate().is_ok());
  c.replicas = 3;
  CHECK(c.validate().is_ok());
  c.replicas = 17;
  CHECK(names(c.validate(), "deployment.replicas"));
}

TEST_CASE("store.checksums: TOML boolean and NACRE_CHECKSUMS") {
  Config c;
  CHECK(!c.checksums.has_value());
  CHECK_FALSE(c.effective_checksums());  // scratch: off unless asked
  c.deployment = DeploymentType::kPersistent;
  CHECK(c.effective_checksums());        // persistent: on unless refused
  REQUIRE(c.merge_toml("[store]\nchecksums = false\n", "t.toml").is_ok());
  CHECK(c.checksums == false);
  CHECK_FALSE(c.effective_checksums());
  Status s = c.merge_toml("[store]\nchecksums = \"maybe\"\n", "t.toml");
  CHECK(names(s, "store.checksums"));
  ::setenv("NACRE_CHECKSUMS", "on", 1);
  REQUIRE(c.merge_environment().is_ok());
  CHECK(c.checksums == true);
  ::setenv("NACRE_CHECKSUMS", "sometimes", 1);
  CHECK(names(c.merge_environment(), "NACRE_CHECKSUMS"));
  ::unsetenv("NACRE_CHECKSUMS");
}

TEST_CASE("persistent needs the directory store") {
  Config c = persistent_dir();
  c.replicas = 1;
  c.store = StoreKind::kMemory;
  c.store_dir.clear();
  Status s = c.validate();
  CHECK(names(s, "store.kind"));
  CHECK(s.message().find("persistent") != std::string::npos);
}

TEST_CASE("scratch refuses replicas") {
  Config c;
  c.replicas = 2;
  Status s = c.validate();
  CHECK(names(s, "deployment.replicas"));
  CHECK(s.message().find("scratch") != std::string::npos);
  c.replicas = 1;
  CHECK(c.validate().is_ok());
}

TEST_CASE("bad TOML values name the key") {
  Config c;
  CHECK(names(c.merge_toml("[deployment]\ntype = \"durable\"\n", "t.toml"), "deployment.type"));
  CHECK(names(c.merge_toml("[deployment]\nreplicas = 0\n", "t.toml"), "deployment.replicas"));
  CHECK(names(c.merge_toml("[deployment]\nreplicas = -2\n", "t.toml"), "deployment.replicas"));
  CHECK(names(c.merge_toml("[deployment]\nreplicas = \"2\"\n", "t.toml"), "deployment.replicas"));
  CHECK(names(c.merge_toml("[deployment]\ncopies = 2\n", "t.toml"), "deployment.copies"));
  c.replicas = 40;
  CHECK(names(c.validate(), "deployment.replicas"));
}

TEST_CASE("environment: NACRE_DEPLOYMENT and NACRE_REPLICAS") {
  EnvGuard g;
  ::setenv(kEnvDeployment, "persistent", 1);
  ::setenv(kEnvReplicas, "1", 1);
  ::setenv(kEnvStore, "directory", 1);
  ::setenv(kEnvStoreDir, "/tmp/nacre-env", 1);
  auto c = Config::load();
  REQUIRE(c.is_ok());
  CHECK(c->deployment == DeploymentType::kPersistent);
  CHECK(c->replicas == 1);

  ::setenv(kEnvDeployment, "tmp", 1);
  CHECK(names(Config::load().status(), kEnvDeployment));
  ::setenv(kEnvDeployment, "persistent", 1);
  ::setenv(kEnvReplicas, "two", 1);
  CHECK(names(Config::load().status(), kEnvReplicas));
  ::setenv(kEnvReplicas, "0", 1);
  CHECK(names(Config::load().status(), kEnvReplicas));
  ::setenv(kEnvReplicas, "17", 1);
  CHECK(names(Config::load().status(), "deployment.replicas"));
  ::unsetenv(kEnvReplicas);
  auto two = Config::load();  // the persistent default
  REQUIRE(two.is_ok());
  CHECK(two->effective_replicas() == 2);
}

}  // TEST_SUITE
