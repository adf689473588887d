#include "common/backoff.hpp"
#include "common/log.hpp"
#include "transport/mpi_datatype.hpp"
#include "transport/mpi_transport.hpp"
#include "wire/frame.hpp"

#include <cstring>
#include <string>

namespace nacre::transport {

MpiServerTransport::MpiServerTransport(bool accepting) : accepting_(accepting) {}

MpiServerTransport::~MpiServerTransport() {
  // Callbacks nobody will receive any more (their client is gone).
  for (auto& p : pending_sends_) {
    int done = 0;
    MPI_Test(&p->req, &done, MPI_STATUS_IGNORE);
    if (!done) {
      MPI_Cancel(&p->req);
      MPI_Request_free(&p->req);
    }
  }
  for (auto& t : disconnectors_) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& l : links_) {
    if (l.owned && l.comm != MPI_COMM_NULL) MPI_Comm_free(&l.comm);
  }
}

int MpiServerTransport::add_link(MPI_Comm comm, int clients, bool owned) {
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  std::lock_guard<std::mutex> lock(mu_);
  links_.push_back(Link{comm, clients, owned, true});
  return static_cast<int>(links_.size() - 1);
}

int MpiServerTransport::link_clients(int link) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (link < 0 || link >= static_cast<int>(links_.size())) return 0;
  return links_[link].clients;
}

void MpiServerTransport::link_finished(int link) {
  MPI_Comm comm = MPI_COMM_NULL;
  bool owned = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (link < 0 || link >= static_cast<int>(links_.size()) || !links_[link].open) return;
    links_[link].open = false;
    comm = links_[link].comm;
    owned = links_[link].owned;
    links_[link].comm = MPI_COMM_NULL;
  }
  if (owned) {
    // MPI_Comm_disconnect is collective over the server ranks and the client
    // job. Server ranks see client jobs finish in different orders, so a
    // blocking disconnect here could deadlock (rank 0 waits in link 10 while
    // rank 1 waits in link 11). Each disconnect gets its own thread instead.
    std::lock_guard<std::mutex> lock(mu_);
    disconnectors_.emplace_back([comm]() mutable {
      int inter = 0;
      MPI_Comm_test_inter(comm, &inter);
      if (inter) MPI_Comm_disconnect(&comm);
      else MPI_Comm_free(&comm);
    });
  }
  log::debug("link " + std::to_string(link) + " finished");
}

void MpiServerTransport::link_abandoned(int link) {
  std::lock_guard<std::mutex> lock(mu_);
  if (link < 0 || link >= static_cast<int>(links_.size()) || !links_[link].open) return;
  links_[link].open = false;
  // Not disconnected (collective with a job that is gone) and not freed:
  // the communicator is left to MPI_Finalize.
  links_[link].comm = MPI_COMM_NULL;
  log::debug("link " + std::to_string(link) + " abandoned");
}

void MpiServerTransport::request_shutdown() {
  if (accepting_.exchange(false) && on_shutdown_) on_shutdown_();
}

void MpiServerTransport::reap_sends() {
  for (size_t i = 0; i < pending_sends_.size();) {
    int done = 0;
    MPI_Test(&pending_sends_[i]->req, &done, MPI_STATUS_IGNORE);
    if (done) {
      pending_sends_[i] = std::move(pending_sends_.back());
      pending_sends_.pop_back();
    } else {
      ++i;
    }
  }
}

Status MpiServerTransport::send_callback(const PeerId& peer, std::span<const uint8_t> frame) {
  auto comm = comm_of(peer);
  if (!comm) return comm.status();
  auto p = std::make_unique<PendingSend>();
  p->bytes.assign(frame.begin(), frame.end());
  if (MPI_Isend(p->bytes.data(), static_cast<int>(p->bytes.size()), MPI_BYTE, peer.rank,
                kCallbackTag, *comm, &p->req) != MPI_SUCCESS)
    return Status::error(EIO, "MPI_Isend of a lock callback failed");
  pending_sends_.push_back(std::move(p));
  reap_sends();
  return Status::ok();
}

Status MpiServerTransport::receive_for(Incoming& in, bool* finished,
                                       std::chrono::milliseconds max_wait, bool* timed_out) {
  Backoff backoff;
  *finished = false;
  *timed_out = false;
  const auto start = std::chrono::steady_clock::now();
  const bool bounded = max_wait != std::chrono::milliseconds::max();
  for (;;) {
    if (!pending_sends_.empty()) reap_sends();
    std::vector<std::pair<int, MPI_Comm>> open;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = 0; i < links_.size(); ++i)
        if (links_[i].open) open.emplace_back(static_cast<int>(i), links_[i].comm);
    }
    if (open.empty() && !accepting_.load()) {
      *finished = true;
      return Status::ok();
    }
    for (size_t k = 0; k < open.size(); ++k) {
      auto [link, comm] = open[(next_poll_ + k) % open.size()];
      int flag = 0;
      MPI_Message msg;
      MPI_Status st;
      if (MPI_Improbe(MPI_ANY_SOURCE, kRequestTag, comm, &flag, &msg, &st) != MPI_SUCCESS)
        return Status::error(EIO, "MPI_Improbe failed on link " + std::to_string(link));
      if (!flag) continue;
      next_poll_ = (next_poll_ + k + 1) % open.size();
      int count = 0;
      MPI_Get_count(&st, MPI_BYTE, &count);
      in.peer = PeerId{link, st.MPI_SOURCE};
      in.size = static_cast<size_t>(count);
      in.oversize = in.size > wire::kMaxMessageBytes;
      MPI_Status rst;
      if (in.oversize) {
        // Consume it, keeping only the frame header so the sender gets an
        // error reply. Open MPI may write a whole truncated message past a
        // CONTIGUOUS receive buffer (seen with vader/CMA and tcp), so the
        // receive type is two separated 16-byte blocks, which it honours.
        const size_t half = wire::kFrameHeaderSize / 2;
        if (buffer_.size() < 3 * half) buffer_.resize(3 * half);
        std::vector<ConstSegment> segs{{buffer_.data(), half}, {buffer_.data() + 2 * half, half}};
        SegmentType type(segs);
        (void)MPI_Mrecv(MPI_BOTTOM, 1, type.type(), &msg, &rst);  // MPI_ERR_TRUNCATE expected
        std::memmove(buffer_.data() + half, buffer_.data() + 2 * half, half);
        in.message = std::span<const uint8_t>(buffer_.data(), wire::kFrameHeaderSize);
        return Status::ok();
      }
      if (buffer_.size() < in.size) buffer_.resize(in.size);
      if (MPI_Mrecv(buffer_.data(), static_cast<int>(in.size), MPI_BYTE, &msg, &rst) != MPI_SUCCESS)
        return Status::error(EIO, "MPI_Mrecv failed on link " + std::to_string(link));
      in.message = std::span<const uint8_t>(buffer_.data(), in.size);
      return Status::ok();
    }
    if (bounded && std::chrono::steady_clock::now() - start >= max_wait) {
      *timed_out = true;
      return Status::ok();
    }
    backoff.pause();
  }
}

Result<MPI_Comm> MpiServerTransport::comm_of(const PeerId& peer) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (peer.link < 0 || peer.link >= static_cast<int>(links_.size()) || !links_[peer.link].open)
    return Status::error(ENOTCONN, "link " + std::to_string(peer.link) + " is closed");
  return links_[peer.link].comm;
}

Status MpiServerTransport::probe_bulk(const PeerId& peer, uint64_t request_id, MPI_Message* msg,
                                      size_t* size) {
  auto comm = comm_of(peer);
  if (!comm) return comm.status();
  Backoff backoff;
  for (;;) {
    int flag = 0;
    MPI_Status st;
    if (MPI_Improbe(peer.rank, bulk_tag(request_id), *comm, &flag, msg, &st) != MPI_SUCCESS)
      return Status::error(EIO, "MPI_Improbe for bulk data failed");
    if (flag) {
      int count = 0;
      MPI_Get_count(&st, MPI_BYTE, &count);
      *size = static_cast<size_t>(count);
      return Status::ok();
    }
    backoff.pause();
  }
}

void MpiServerTransport::drop(MPI_Message* msg) {
  // Two separated one-byte blocks: MPI honours the bounds of a
  // non-contiguous receive type (a contiguous one may be overrun).
  uint8_t scratch[3];
  std::vector<ConstSegment> segs{{scratch, 1}, {scratch + 2, 1}};
  SegmentType type(segs);
  MPI_Status st;
  (void)MPI_Mrecv(MPI_BOTTOM, 1, type.type(), msg, &st);  // truncation expected
}

Status MpiServerTransport::receive_bulk(const PeerId& peer, uint64_t request_id,
                                        std::span<const MutSegment> segs, size_t len) {
  MPI_Message msg;
  size_t size = 0;
  NACRE_RETURN_IF_ERROR(probe_bulk(peer, request_id, &msg, &size));
  if (size != len) {
    drop(&msg);
    return Status::error(EBADMSG, "bulk data of " + std::to_string(size) +
                                      " bytes where the request announced " + std::to_string(len));
  }
  MPI_Status st;
  int rc;
  if (segs.size() == 1) {
    rc = MPI_Mrecv(segs[0].ptr, static_cast<int>(segs[0].len), MPI_BYTE, &msg, &st);
  } else {
    std::vector<ConstSegment> cs;
    for (const auto& s : segs) cs.push_back({s.ptr, s.len});
    SegmentType type(cs);
    rc = MPI_Mrecv(MPI_BOTTOM, 1, type.type(), &msg, &st);
  }
  if (rc != MPI_SUCCESS) return Status::error(EIO, "receiving bulk data failed");
  return Status::ok();
}

Status MpiServerTransport::discard_bulk(const PeerId& peer, uint64_t request_id) {
  MPI_Message msg;
  size_t size = 0;
  NACRE_RETURN_IF_ERROR(probe_bulk(peer, request_id, &msg, &size));
  drop(&msg);
  return Status::ok();
}

Status MpiServerTransport::reply(const PeerId& peer, uint64_t request_id,
                                 std::span<const uint8_t> head,
                                 std::span<const ConstSegment> data) {
  MPI_Comm comm;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (peer.link < 0 || peer.link >= static_cast<int>(links_.size()) || !links_[peer.link].open)
      return Status::error(ENOTCONN, "reply to a closed link");
    comm = links_[peer.link].comm;
  }
  const int tag = reply_tag(request_id);
  MPI_Request req;
  int rc;
  if (data.empty()) {
    rc = MPI_Isend(head.data(), static_cast<int>(head.size()), MPI_BYTE, peer.rank, tag, comm, &req);
  } else {
    std::vector<ConstSegment> segs{{head.data(), head.size()}};
    segs.insert(segs.end(), data.begin(), data.end());
    SegmentType type(segs);
    rc = MPI_Isend(MPI_BOTTOM, 1, type.type(), peer.rank, tag, comm, &req);
  }
  if (rc != MPI_SUCCESS) return Status::error(EIO, "MPI_Isend of a reply failed");
  Backoff backoff;
  for (;;) {
    int done = 0;
    if (MPI_Test(&req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return Status::error(EIO, "sending a reply failed");
    if (done) return Status::ok();
    backoff.pause();
  }
}

}  // namespace nacre::transport
