// Nacre configuration: a struct, a TOML file, or environment variables.
//
// Precedence (lowest first): built-in defaults, the TOML file named by
// NACRE_CONFIG, then the NACRE_* environment variables. Every bad value is
// reported with the name of the key (TOML key or environment variable).
#pragma once

#include <nacre/export.h>
#include <nacre/status.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace nacre {

// Environment variables Nacre reads (names are part of the API).
inline constexpr const char* kEnvConfig = "NACRE_CONFIG";              // TOML file path
inline constexpr const char* kEnvServers = "NACRE_SERVERS";            // runtime.servers
inline constexpr const char* kEnvStore = "NACRE_STORE";                // store.kind
inline constexpr const char* kEnvStoreDir = "NACRE_STORE_DIR";         // store.dir
inline constexpr const char* kEnvStoreReserve = "NACRE_STORE_RESERVE"; // store.reserve
inline constexpr const char* kEnvStripeSize = "NACRE_STRIPE_SIZE";     // layout.stripe_size
inline constexpr const char* kEnvStripeCount = "NACRE_STRIPE_COUNT";   // layout.stripe_count
inline constexpr const char* kEnvMaxRpc = "NACRE_MAX_RPC_BYTES";       // transport.max_rpc_bytes
inline constexpr const char* kEnvAddress = "NACRE_ADDRESS";            // client.address
inline constexpr const char* kEnvLogLevel = "NACRE_LOG";               // log.level
inline constexpr const char* kEnvDeployment = "NACRE_DEPLOYMENT";      // deployment.type
inline constexpr const char* kEnvReplicas = "NACRE_REPLICAS";          // deployment.replicas
inline constexpr const char* kEnvChecksums = "NACRE_CHECKSUMS";        // store.checksums (0/1)
inline constexpr const char* kEnvCacheMax = "NACRE_CACHE_MAX";         // client.cache_max
inline constexpr const char* kEnvReadCacheMax = "NACRE_READ_CACHE_MAX"; // client.read_cache_max

// Kinds of object store a server can use.
enum class StoreKind { kMemory, kDirectory };

// Deployment types (see docs/DURABILITY.md).
//   scratch:    the file system lives for the job (memory or directory store;
//               a directory store is emptied when the next scratch job starts).
//   persistent: directory store plus durable metadata (LMDB on server 0); a
//               later job given the same config and directories mounts it.
enum class DeploymentType { kScratch, kPersistent };

// Replicas a persistent deployment asks for when deployment.replicas is unset.
inline constexpr int kDefaultPersistentReplicas = 2;

struct NACRE_API Config {
  // [runtime] servers: how many ranks of the job become servers (embedded).
  int servers = 1;
  // [store] kind = "memory" | "directory"; dir: each server k uses <dir>/server-<k>.
  StoreKind store = StoreKind::kMemory;
  std::string store_dir;
  // [store] reserve: memory store only — bytes each server maps and faults in
  // at start, so the first writes run at memory speed instead of paying for
  // fresh pages (0 = grow on demand). "8GiB" style strings accepted.
  uint64_t store_reserve = 0;
  // [layout] defaults for the root directory: stripe_size (multiple of
  // 64 KiB; "1MiB" style strings accepted), stripe_count (-1 = all servers).
  uint64_t stripe_size = 1 << 20;
  int32_t stripe_count = -1;
  // [transport] max_rpc_bytes: largest data payload of one RPC (64 KiB..16 MiB).
  uint64_t max_rpc_bytes = 4 << 20;
  // [client] address: how a client job finds a standalone server job
  // (a published service name or an MPI port string).
  std::string address;
  // [client] cache_max: bytes of writes each client rank may hold in its
  // write-back cache under PW locks before writing them back (0 = every
  // write goes straight to the servers; at most 64 GiB). "64MiB" style
  // strings accepted. See docs/LOCKS.md.
  uint64_t cache_max = 64ull << 20;
  // [client] read_cache_max: bytes of clean data each client rank may keep
  // from its reads under PR/PW locks, least recently used first out (0 = no
  // read cache; at most 64 GiB; cache_max = 0 turns it off too).
  uint64_t read_cache_max = 32ull << 20;
  // [log] level = "error" | "warn" | "info" | "debug".
  std::string log_level = "warn";
  // [deployment] type = "scratch" | "persistent".
  DeploymentType deployment = DeploymentType::kScratch;
  // [deployment] replicas: copies of each object on distinct servers. 0 means
  // the deployment's default (scratch 1, persistent 2). Recorded in each
  // storage directory's stamp. At most the number of servers (checked at
  // start) and kMaxReplicas. docs/DURABILITY.md, "Replicas".
  int replicas = 0;
  // [store] checksums: end-to-end CRC-32C (docs/DURABILITY.md, "Checksums"):
  // clients checksum the data of every write and check every read; the
  // directory store keeps a checksum per 4 KiB page and verifies reads.
  // Unset: on for persistent deployments, off for scratch; a standalone
  // client without a setting follows its server job.
  std::optional<bool> checksums;

  // The replica count after applying the deployment's default.
  int effective_replicas() const {
    if (replicas != 0) return replicas;
    return deployment == DeploymentType::kPersistent ? kDefaultPersistentReplicas : 1;
  }

  bool effective_checksums() const {
    return checksums.value_or(deployment == DeploymentType::kPersistent);
  }

  // Checks every field; the error names the offending key.
  Status validate() const;

  // Parses TOML text (origin names the file in error messages) on top of the
  // current values. Unknown keys are errors.
  Status merge_toml(const std::string& text, const std::string& origin);
  Status merge_toml_file(const std::string& path);
  // Applies NACRE_* environment variables on top of the current values.
  Status merge_environment();

  // Defaults, then NACRE_CONFIG (if set), then the environment; validated.
  static Result<Config> load();
};

NACRE_API const char* to_string(StoreKind kind);
NACRE_API const char* to_string(DeploymentType type);

}  // namespace nacre
