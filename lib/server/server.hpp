// One Nacre server rank: an object server, plus the metadata service on the
// rank that hosts it. Serves requests from a ServerTransport until every
// client link has disconnected (and, standalone, a shutdown was requested).
#pragma once

#include "mds/app_lock_service.hpp"
#include "mds/metadata_db.hpp"
#include "mds/metadata_store.hpp"
#include "oss/lock_service.hpp"
#include "oss/replica_marks.hpp"
#include "server/client_leases.hpp"
#include "server/metadata_mirrors.hpp"
#include "store/object_store.hpp"
#include "transport/transport.hpp"
#include "wire/rpc.hpp"

#include <map>
#include <optional>
#include <set>
#include <memory>
#include <vector>

namespace nacre::server {

struct ServerOptions {
  uint32_t index = 0;          // this server's rank among servers
  uint32_t server_count = 1;
  uint64_t max_rpc_bytes = 4 << 20;
  // Lock callback timeout; 0: from NACRE_LOCK_CALLBACK_TIMEOUT_MS, else
  // kDefaultLockCallbackTimeoutMs (docs/LOCKS.md).
  uint64_t lock_callback_timeout_ms = 0;
  // store.checksums of this deployment (announced to clients in HELLO).
  bool checksums = false;
};

inline constexpr uint64_t kDefaultLockCallbackTimeoutMs = 10000;
// How long an object stays contended (server-side locking, docs/LOCKS.md);
// 0 turns server-side locking off.
inline constexpr uint64_t kDefaultLockContentionMs = 2000;
inline constexpr const char* kEnvLockContention = "NACRE_LOCK_CONTENTION_MS";
// The window the environment asks for (milliseconds, 0..3600000), or the
// default when unset; a bad value is logged and the default used.
uint64_t lock_contention_ms_from_env();
// Client leases (docs/LOCKS.md, "Client leases"); 0 turns them off.
inline constexpr uint64_t kDefaultClientLeaseMs = 30000;
inline constexpr const char* kEnvClientLease = "NACRE_CLIENT_LEASE_MS";
uint64_t client_lease_ms_from_env();
inline constexpr const char* kEnvLockCallbackTimeout = "NACRE_LOCK_CALLBACK_TIMEOUT_MS";
// The timeout the environment asks for (milliseconds, 1..86400000), or the
// default when unset; a bad value is logged and the default used.
uint64_t lock_callback_timeout_from_env();

class Server {
 public:
  // metadata may be null (this rank is not the metadata server).
  Server(ServerOptions options, std::unique_ptr<store::ObjectStore> objects,
         std::unique_ptr<mds::MetadataStore> metadata);

  // Blocking service loop on the calling thread. Between requests it evicts
  // lock holders whose callback deadline passed. Returns OK when the
  // transport is finished; non-OK on a fatal transport error (the caller
  // must then abort the job so clients do not hang).
  Status serve(transport::ServerTransport& transport);

  // Handles one message and sends its reply (exposed for tests).
  Status handle(transport::ServerTransport& transport, const transport::Incoming& in);

  const oss::LockService& locks() const { return locks_; }
  // Replica marks (stale copies, rebuild mode); in memory until replaced by
  // persistent ones (a directory store's). Set before serve().
  void set_replica_marks(oss::ReplicaMarks marks) { marks_ = std::move(marks); }
  oss::ReplicaMarks& replica_marks() { return marks_; }
  // The application locks (fcntl/flock) of the metadata server; null on
  // other servers.
  const mds::AppLockService* app_locks() const { return app_locks_.get(); }

  // Metadata mirrors (docs/DURABILITY.md). On the metadata server: every
  // committed metadata change goes to these mirrors before its reply; call
  // finish_metadata_mirrors() after serve() returns. Set before serve().
  void set_metadata_mirrors(std::unique_ptr<MetadataMirrors> mirrors);
  Status finish_metadata_mirrors();
  // On a mirror: META_MIRROR messages from rank 0 of `link` (the servers'
  // link) are applied to db. Set before serve().
  void set_metadata_mirror_db(std::unique_ptr<mds::MetadataDb> db, int link);

 private:
  Status dispatch(const wire::Request& req, wire::Reply& reply, transport::ServerTransport& t,
                  bool* link_done);
  // META_MIRROR on a mirror: checks the sender and applies the change.
  Status apply_metadata_mirror(const wire::Request& req);
  // Sends the lock services' pending replies and callbacks.
  Status flush_locks(transport::ServerTransport& t);
  // Evicts lock holders whose callback deadline passed and releases the
  // clients whose lease ran out, then flushes what that produced.
  Status expire_due(transport::ServerTransport& t);
  // The earliest of the lock and lease deadlines.
  std::optional<std::chrono::steady_clock::time_point> next_deadline() const;
  ServerOptions opts_;
  std::unique_ptr<store::ObjectStore> objects_;
  std::unique_ptr<mds::MetadataStore> metadata_;
  oss::LockService locks_;
  oss::ReplicaMarks marks_;
  std::unique_ptr<mds::AppLockService> app_locks_;  // metadata server only
  std::unique_ptr<MetadataMirrors> mirrors_;        // metadata server with mirrors
  std::unique_ptr<mds::MetadataDb> mirror_db_;      // metadata mirrors only
  int mirror_link_ = -1;                            // the servers' link (mirrors)
  ClientLeases leases_;
  std::map<int, int> disconnected_;   // link -> client ranks that said DISCONNECT
  std::map<int, int> expired_;        // link -> client ranks whose lease ran out
  std::set<int> abandon_;             // links to abandon once their last DISCONNECT is answered
  std::vector<uint8_t> read_buffer_;  // reused by OBJ_READ
};

}  // namespace nacre::server
