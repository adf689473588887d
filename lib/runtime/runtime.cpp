// nacre::Runtime, embedded mode: split the job into servers and clients.
#include "common/log.hpp"
#include "mds/metadata_store.hpp"
#include "runtime/collective_status.hpp"
#include "runtime/metadata_copies.hpp"
#include "runtime/start_rebuild.hpp"
#include "runtime/runtime_impl.hpp"
#include "runtime/storage_mount.hpp"
#include "server/server.hpp"
#include "transport/mpi_transport.hpp"

#include <string>

namespace nacre {

Runtime::Impl::~Impl() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (client_comm != MPI_COMM_NULL) MPI_Comm_free(&client_comm);
  if (inter != MPI_COMM_NULL) MPI_Comm_disconnect(&inter);
  if (nacre_comm != MPI_COMM_NULL) MPI_Comm_free(&nacre_comm);
}

namespace runtime {

void apply_log_level(const Config& config) {
  log::Level l;
  if (log::parse_level(config.log_level, &l)) log::set_level(l);
}

}  // namespace runtime

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;
Runtime::~Runtime() {
  if (impl_ && !impl_->server && !impl_->shut_down) {
    Status s = shutdown();
    if (!s) log::error("runtime shutdown: " + s.to_string());
  }
}

bool Runtime::is_server() const { return impl_ && impl_->server; }
MPI_Comm Runtime::client_comm() const { return impl_ ? impl_->client_comm : MPI_COMM_NULL; }
FileSystem& Runtime::fs() { return impl_->fs; }

Status Runtime::shutdown() {
  if (!impl_ || impl_->server || impl_->shut_down) return Status::ok();
  impl_->shut_down = true;
  Status s = impl_->core->disconnect();
  impl_->fs = FileSystem();
  impl_->core.reset();
  if (impl_->inter != MPI_COMM_NULL) MPI_Comm_disconnect(&impl_->inter);
  return s.with_context("disconnect from servers");
}

Result<Runtime> Runtime::start(MPI_Comm comm) {
  auto config = Config::load();
  // Every rank reads the same sources, but agree anyway so no rank is left
  // waiting in a collective another rank skipped.
  Status s = runtime::agree(comm, config.status());
  if (!s) return s;
  return start(comm, *config);
}

Result<Runtime> Runtime::start(MPI_Comm comm, const Config& config) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) return Status::error(EINVAL, "Runtime::start: MPI is not initialised");
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  runtime::apply_log_level(config);

  Status local = config.validate();
  if (local && config.servers >= size)
    local = Status::error(EINVAL, "config key 'runtime.servers': " + std::to_string(config.servers) +
                                      " servers leave no client rank in a job of " +
                                      std::to_string(size) + " ranks");
  int range[2] = {-config.servers, config.servers}, agreed[2];
  MPI_Allreduce(range, agreed, 2, MPI_INT, MPI_MAX, comm);
  if (local && -agreed[0] != agreed[1])
    local = Status::error(EINVAL, "config key 'runtime.servers' differs between ranks (" +
                                      std::to_string(-agreed[0]) + " to " +
                                      std::to_string(agreed[1]) + ")");
  NACRE_RETURN_IF_ERROR(runtime::agree(comm, local));

  auto impl = std::make_unique<Impl>();
  impl->server = rank < config.servers;
  MPI_Comm_dup(comm, &impl->nacre_comm);
  MPI_Comm_set_errhandler(impl->nacre_comm, MPI_ERRORS_RETURN);
  MPI_Comm split;
  MPI_Comm_split(comm, impl->server ? 0 : 1, rank, &split);
  if (impl->server) MPI_Comm_free(&split);
  else impl->client_comm = split;

  // Stores: collective over the whole job (clients take part in the checks).
  if (impl->server) log::set_identity("server " + std::to_string(rank));
  else log::set_identity("client " + std::to_string(rank));
  auto storage = runtime::mount_storage(impl->nacre_comm, config.servers, config);
  if (!storage) return storage.status();

  if (impl->server) {
    server::ServerOptions opts{static_cast<uint32_t>(rank), static_cast<uint32_t>(config.servers),
                               config.max_rpc_bytes};
    opts.checksums = config.effective_checksums();
    server::Server srv(opts, std::move(storage->objects), std::move(storage->metadata));
    srv.set_replica_marks(std::move(storage->marks));
    transport::MpiServerTransport port(false);
    port.add_link(impl->nacre_comm, size - config.servers, false);
    runtime::attach_metadata_mirrors(srv, port, *storage, rank);
    Status served = srv.serve(port);
    if (served) served = runtime::detach_metadata_mirrors(srv, *storage);
    if (!served) {
      // Clients would wait for replies forever: take the job down instead.
      log::error("fatal: " + served.to_string() + "; aborting the job");
      MPI_Abort(comm, 70);
    }
    return Runtime(std::move(impl));
  }

  impl->core = std::make_shared<client::ClientCore>(
      std::make_unique<transport::MpiClientTransport>(impl->nacre_comm, config.servers),
      config.max_rpc_bytes);
  impl->core->set_cache_limit(config.cache_max);
  impl->core->set_read_cache_limit(config.read_cache_max);
  impl->core->set_checksums(config.effective_checksums());
  impl->fs = FileSystem(impl->core);
  if (Status r = runtime::rebuild_at_start(impl->fs, impl->client_comm); !r) {
    (void)impl->core->disconnect();  // the servers wait for every client's DISCONNECT
    return r;
  }
  return Runtime(std::move(impl));
}

}  // namespace nacre
