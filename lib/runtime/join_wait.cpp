// The bounded waits of the join handshake (runtime/standalone.hpp).
#include "common/backoff.hpp"
#include "common/env_ms.hpp"
#include "runtime/standalone.hpp"

namespace nacre::runtime {

std::chrono::milliseconds join_timeout() {
  return std::chrono::milliseconds(ms_from_env(kEnvJoinTimeout, kDefaultJoinTimeoutMs, 1, 3600000));
}

namespace {
// Polls reqs until all completed or `timeout` passed. True if all did.
bool test_within(MPI_Request* reqs, int n, std::chrono::milliseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  Backoff backoff;
  for (;;) {
    int done = 0;
    MPI_Testall(n, reqs, &done, MPI_STATUSES_IGNORE);
    if (done) return true;
    if (std::chrono::steady_clock::now() >= give_up) return false;
    backoff.pause();
  }
}

// Cancels a pending receive; true if it had completed after all.
bool cancel_receive(MPI_Request* req) {
  if (*req == MPI_REQUEST_NULL) return true;
  MPI_Cancel(req);
  MPI_Status st;
  MPI_Wait(req, &st);  // a cancelled receive completes locally
  int cancelled = 0;
  MPI_Test_cancelled(&st, &cancelled);
  return !cancelled;
}

// Gives up on a pending send. Open MPI cannot cancel a send that started,
// and waiting for it would block: the request is only released.
void abandon_send(MPI_Request* req) {
  if (*req == MPI_REQUEST_NULL) return;
  MPI_Request_free(req);
}
}  // namespace

bool receive_within(MPI_Comm comm, int source, int tag, std::chrono::milliseconds timeout,
                    int* value) {
  MPI_Request req = MPI_REQUEST_NULL;
  if (MPI_Irecv(value, 1, MPI_INT, source, tag, comm, &req) != MPI_SUCCESS) return false;
  if (test_within(&req, 1, timeout)) return true;
  return cancel_receive(&req);
}

bool ask_within(MPI_Comm comm, int peer, int tag, int question, std::chrono::milliseconds timeout,
                int* answer) {
  // reqs[0] the answer, reqs[1] the question. An abandoned send may still
  // read its buffer later, so the buffer outlives this frame.
  static thread_local int asked = 0;
  asked = question;
  MPI_Request reqs[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  if (MPI_Irecv(answer, 1, MPI_INT, peer, tag, comm, &reqs[0]) != MPI_SUCCESS) return false;
  if (MPI_Isend(&asked, 1, MPI_INT, peer, tag, comm, &reqs[1]) != MPI_SUCCESS) {
    cancel_receive(&reqs[0]);
    return false;
  }
  if (test_within(reqs, 2, timeout)) return true;
  const bool answered = cancel_receive(&reqs[0]);  // then the server got the question
  abandon_send(&reqs[1]);
  return answered;
}

}  // namespace nacre::runtime
