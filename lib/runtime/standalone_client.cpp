// nacre::Runtime::connect: a client job joins a standalone server job.
#include "common/log.hpp"
#include "runtime/collective_status.hpp"
#include "runtime/start_rebuild.hpp"
#include "runtime/runtime_impl.hpp"
#include "runtime/standalone.hpp"
#include "transport/mpi_transport.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <vector>

namespace nacre {

namespace runtime {

Result<std::string> resolve_address(const std::string& address) {
  if (address.empty())
    return Status::error(EINVAL, "config key 'client.address' (NACRE_ADDRESS) is empty: "
                                 "say where the server job is (file:<path>, port:<string> or "
                                 "service:<name>)");
  if (address.rfind("file:", 0) == 0) {
    const std::string path = address.substr(5);
    std::ifstream in(path);
    std::string port;
    if (!in || !std::getline(in, port) || port.empty())
      return Status::error(ENOENT, "cannot read a port from " + path +
                                       " (is the server job running?)");
    return port;
  }
  if (address.rfind("port:", 0) == 0) return address.substr(5);
  const std::string name = address.rfind("service:", 0) == 0 ? address.substr(8) : address;
  char port[MPI_MAX_PORT_NAME] = {};
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  if (MPI_Lookup_name(name.c_str(), MPI_INFO_NULL, port) != MPI_SUCCESS)
    return Status::error(ECONNREFUSED, "service '" + name +
                                           "' is not published (is the server job running, and "
                                           "was mpirun given --ompi-server file:<uri>?)");
  return std::string(port);
}

namespace {

// Open MPI 4.1 pairs simultaneous MPI_Comm_connect calls from several jobs to
// one port wrongly and hangs them (seen with 3+ jobs, and with 2 under load),
// so connects to one server job are serialised by flocks held by the
// connecting job's rank 0: always one in /tmp keyed by the port string (every
// address form of one server job maps to it), and for "file:" addresses also
// one next to the port file (visible to every host that reads the port file).
// Taken in that fixed order: port-file lock, then the /tmp lock.
class ConnectLock {
 public:
  ConnectLock(const std::string& address, const std::string& port) {
    if (address.rfind("file:", 0) == 0) lock(address.substr(5) + ".connect-lock");
    lock("/tmp/nacre-connect-" + std::to_string(std::hash<std::string>{}(port)) + ".lock");
  }
  ~ConnectLock() {
    for (auto it = fds_.rbegin(); it != fds_.rend(); ++it) ::close(*it);  // releases
  }
  ConnectLock(const ConnectLock&) = delete;
  ConnectLock& operator=(const ConnectLock&) = delete;

 private:
  void lock(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return;  // best effort: an unwritable place only loses the serialisation
    while (::flock(fd, LOCK_EX) != 0 && errno == EINTR) {
    }
    fds_.push_back(fd);
  }
  std::vector<int> fds_;
};

// Collective over comm: MPI_Comm_connect with rank 0 holding the lock, then
// rank 0 says what it wants (kWantJoin / kWantWake) and every rank gets
// server rank 0's answer in *verdict (runtime/standalone.hpp).
int serialized_connect(const std::string& address, const std::string& port, MPI_Comm comm,
                       int want, MPI_Comm* inter, int* verdict) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::unique_ptr<ConnectLock> lock;
  if (rank == 0) lock = std::make_unique<ConnectLock>(address, port);
  int rc = MPI_Comm_connect(port.c_str(), MPI_INFO_NULL, 0, comm, inter);
  *verdict = 0;
  // Test hook (tests/e2e/standalone.sh): a job that dies right after its
  // connect, before it says what it wants.
  if (const char* die = std::getenv("NACRE_TEST_DIE_AFTER_CONNECT"); die && *die == '1')
    ::_exit(3);
  // Test hook: a job slower than the server's NACRE_JOIN_TIMEOUT_MS.
  if (const char* ms = std::getenv("NACRE_TEST_STALL_AFTER_CONNECT_MS"); ms && rank == 0)
    ::usleep(static_cast<useconds_t>(std::strtoul(ms, nullptr, 10) * 1000));
  if (rc == MPI_SUCCESS && rank == 0) {
    // Bounded: a server rank 0 that gave up on us (we were slower than its
    // NACRE_JOIN_TIMEOUT_MS) never listens or answers, and we hold the
    // connect locks.
    if (!ask_within(*inter, 0, kJoinTag, want, join_timeout(), verdict)) *verdict = kNoAnswer;
  }
  int rcs[2] = {rc, *verdict};
  MPI_Bcast(rcs, 2, MPI_INT, 0, comm);
  *verdict = rcs[1];
  return rc == MPI_SUCCESS ? rcs[0] : rc;
}

}  // namespace

}  // namespace runtime

Result<Runtime> Runtime::connect(MPI_Comm comm, const Config& config) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) return Status::error(EINVAL, "Runtime::connect: MPI is not initialised");
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  runtime::apply_log_level(config);
  log::set_identity("client " + std::to_string(rank));

  char port[MPI_MAX_PORT_NAME] = {};
  Status local = config.validate();
  if (local && rank == 0) {
    auto p = runtime::resolve_address(config.address);
    if (!p) local = p.status();
    else if (p->size() >= MPI_MAX_PORT_NAME) local = Status::error(EINVAL, "port string too long");
    else std::memcpy(port, p->c_str(), p->size());
  }
  NACRE_RETURN_IF_ERROR(runtime::agree(comm, local));
  MPI_Bcast(port, MPI_MAX_PORT_NAME, MPI_CHAR, 0, comm);

  auto impl = std::make_unique<Impl>();
  MPI_Comm_dup(comm, &impl->client_comm);
  MPI_Comm_set_errhandler(impl->client_comm, MPI_ERRORS_RETURN);
  // Connect to server rank 0, then build the link with every server rank
  // (runtime/standalone.hpp).
  MPI_Comm knock = MPI_COMM_NULL, merged = MPI_COMM_NULL;
  int verdict = 0;
  if (runtime::serialized_connect(config.address, port, impl->client_comm, runtime::kWantJoin, &knock,
                                  &verdict) != MPI_SUCCESS)
    return Status::error(ECONNREFUSED, "cannot connect to the Nacre server job at '" +
                                           config.address + "'");
  if (verdict == runtime::kNoAnswer) {
    MPI_Comm_free(&knock);  // a disconnect would wait for the silent server
    return Status::error(ETIMEDOUT, "the Nacre server job at '" + config.address +
                                        "' did not answer the join request within " +
                                        std::to_string(runtime::join_timeout().count()) +
                                        " ms (" + runtime::kEnvJoinTimeout + ")");
  }
  if (verdict != runtime::kJoinAccepted) {
    MPI_Comm_disconnect(&knock);
    return Status::error(ECONNREFUSED, "the Nacre server job at '" + config.address +
                                           "' is shutting down and takes no new client jobs");
  }
  int rc = MPI_Intercomm_merge(knock, 1, &merged);
  if (rc == MPI_SUCCESS)
    rc = MPI_Intercomm_create(impl->client_comm, 0, merged, 0, runtime::kJoinTag, &impl->inter);
  if (merged != MPI_COMM_NULL) MPI_Comm_free(&merged);
  MPI_Comm_disconnect(&knock);
  if (rc != MPI_SUCCESS)
    return Status::error(ECONNREFUSED, "cannot join the Nacre server job at '" + config.address +
                                           "' (MPI_Intercomm_create failed)");
  MPI_Comm_set_errhandler(impl->inter, MPI_ERRORS_RETURN);
  impl->port = port;
  impl->address = config.address;
  int servers = 0;
  MPI_Comm_remote_size(impl->inter, &servers);
  impl->core = std::make_shared<client::ClientCore>(
      std::make_unique<transport::MpiClientTransport>(impl->inter, servers), config.max_rpc_bytes);
  impl->core->set_cache_limit(config.cache_max);
  impl->core->set_read_cache_limit(config.read_cache_max);
  Status hello = runtime::agree(impl->client_comm, impl->core->hello());
  // Checksums as the server job runs them, unless this client's config says.
  impl->core->set_checksums(config.checksums.value_or(
      (impl->core->server_features() & wire::kFeatureChecksums) != 0));
  if (!hello) {
    (void)impl->core->disconnect();
    return hello.with_context("connect to " + config.address);
  }
  impl->fs = FileSystem(impl->core);
  if (Status r = runtime::rebuild_at_start(impl->fs, impl->client_comm); !r) {
    (void)impl->core->disconnect();
    return r.with_context("connect to " + config.address);
  }
  return Runtime(std::move(impl));
}

Status Runtime::request_server_shutdown() {
  if (!impl_ || impl_->server || !impl_->core || impl_->inter == MPI_COMM_NULL)
    return Status::error(ENOTCONN, "request_server_shutdown: not a client of a server job");
  int rank = 0;
  MPI_Comm_rank(impl_->client_comm, &rank);
  Status s = rank == 0 ? impl_->core->shutdown_servers() : Status::ok();
  NACRE_RETURN_IF_ERROR(runtime::agree(impl_->client_comm, s));
  // Test hook (tests/e2e/standalone.sh): hold the wake-up back until a file
  // exists, so a test can connect another job while the servers shut down.
  if (const char* hold = std::getenv("NACRE_TEST_WAKE_AFTER"); hold && *hold && rank == 0)
    for (int i = 0; i < 600 && ::access(hold, F_OK) != 0; ++i) ::usleep(100000);
  // Wake the servers' accept threads: one more connection, dropped at once.
  MPI_Comm wake = MPI_COMM_NULL;
  int verdict = 0;
  if (runtime::serialized_connect(impl_->address, impl_->port, impl_->client_comm, runtime::kWantWake,
                                  &wake, &verdict) != MPI_SUCCESS)
    return Status::error(EIO, "shutdown: the wake-up connection to the server job failed");
  if (verdict == runtime::kNoAnswer) {
    MPI_Comm_free(&wake);
    return Status::error(ETIMEDOUT, "shutdown: the server job did not answer the wake-up "
                                    "connection within " +
                                        std::to_string(runtime::join_timeout().count()) + " ms");
  }
  MPI_Comm_disconnect(&wake);
  return Status::ok();
}

}  // namespace nacre
