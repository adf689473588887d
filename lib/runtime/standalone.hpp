// Standalone ("persistent job") deployment: a server job that accepts
// client jobs through an MPI port, and the address forms clients use.
#pragma once

#include <nacre/config.hpp>
#include <nacre/status.hpp>

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace nacre::runtime {

struct StandaloneOptions {
  // Publish the port under this service name (needs ompi-server); empty: don't.
  std::string service_name;
  // Write the port string to this file (atomically); empty: don't.
  std::string port_file;
};

// Runs a standalone server job. Collective over comm (normally
// MPI_COMM_WORLD); every rank becomes a server, rank 0 also the metadata
// server. MPI must provide MPI_THREAD_MULTIPLE (an accept thread runs on
// every rank). Blocks until a client requested shutdown and every
// connected client job has disconnected.
Status run_standalone_server(MPI_Comm comm, const Config& config, const StandaloneOptions& opts);

// How a client job joins (docs/ARCHITECTURE.md, "Standalone"): the job
// connects to the port, which only server rank 0 accepts (on
// MPI_COMM_SELF, so the other server ranks wait asleep rather than spinning
// inside a collective MPI_Comm_accept); both sides merge that
// intercommunicator and build the real one, every server rank against every
// client rank, with MPI_Intercomm_create (tag kJoinTag); the first one is
// then disconnected. Over the first connection the client's rank 0 first
// says what it wants (kWantJoin, or kWantWake: the connection that wakes
// the acceptor after a SHUTDOWN) and server rank 0 answers kJoinAccepted or
// kServerStopping; a job that connects while the server job shuts down is
// refused (ECONNREFUSED) instead of being mistaken for the wake-up.
inline constexpr int kJoinTag = 4712;
inline constexpr int kWantJoin = 1, kWantWake = 2;
inline constexpr int kJoinAccepted = 1, kServerStopping = 2;
// How long server rank 0 waits for a connected job's first message before
// it drops the connection and accepts the next job (a job that died right
// after MPI_Comm_connect must not stop the server job from accepting).
// The client's rank 0 waits as long for the answer (kNoAnswer if none).
inline constexpr const char* kEnvJoinTimeout = "NACRE_JOIN_TIMEOUT_MS";
inline constexpr uint64_t kDefaultJoinTimeoutMs = 30000;
inline constexpr int kNoAnswer = 3;  // the client's verdict when the server said nothing
// NACRE_JOIN_TIMEOUT_MS (1..3600000), else the default; a bad value is
// logged. Local.
std::chrono::milliseconds join_timeout();
// Receives one int from `source` with `tag` over comm within `timeout`.
// False when nothing came (the receive is then cancelled): the peer died
// or hung, which MPI would never report. Local, polling with backoff.
bool receive_within(MPI_Comm comm, int source, int tag, std::chrono::milliseconds timeout,
                    int* value);
// Sends `question` to `peer` and receives its answer, both within
// `timeout` (a send to a peer that stopped listening can block too). False,
// with everything cancelled, when either did not complete.
bool ask_within(MPI_Comm comm, int peer, int tag, int question, std::chrono::milliseconds timeout,
                int* answer);

// Resolves a client address to an MPI port string (on the calling rank):
//   "file:<path>"    the file a server wrote with --port-file
//   "port:<string>"  a port string as printed by the server
//   "service:<name>" or "<name>"  a name published through ompi-server
Result<std::string> resolve_address(const std::string& address);

}  // namespace nacre::runtime
