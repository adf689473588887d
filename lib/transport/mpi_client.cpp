#include "common/backoff.hpp"
#include "transport/mpi_datatype.hpp"
#include "transport/mpi_transport.hpp"
#include "wire/frame.hpp"

#include <memory>
#include <string>

namespace nacre::transport {

MpiClientTransport::MpiClientTransport(MPI_Comm comm, int server_count)
    : comm_(comm), server_count_(server_count) {}

Status MpiClientTransport::exchange(std::span<Call> calls) {
  const size_t n = calls.size();
  // Per call: reply receive, request send, bulk data send (bulk calls only).
  std::vector<MPI_Request> reqs(3 * n, MPI_REQUEST_NULL);
  std::vector<std::unique_ptr<SegmentType>> types;
  for (size_t i = 0; i < n; ++i) {
    Call& c = calls[i];
    if (c.server < 0 || c.server >= server_count_)
      return Status::error(EINVAL, "no server " + std::to_string(c.server));
    const int tag = reply_tag(c.request_id);
    int rc;
    if (c.in_data.empty()) {
      // Control replies land in reused, never-zeroed buffers; only the bytes
      // received are copied into c.reply afterwards.
      while (control_buffers_.size() <= i)
        control_buffers_.push_back(std::make_unique<uint8_t[]>(wire::kMaxControlBytes));
      rc = MPI_Irecv(control_buffers_[i].get(), static_cast<int>(wire::kMaxControlBytes), MPI_BYTE,
                     c.server, tag, comm_, &reqs[3 * i]);
    } else {
      c.reply.resize(c.reply_prefix);
      std::vector<ConstSegment> segs{{c.reply.data(), c.reply_prefix}};
      for (const auto& s : c.in_data) segs.push_back({s.ptr, s.len});
      types.push_back(std::make_unique<SegmentType>(segs));
      rc = MPI_Irecv(MPI_BOTTOM, 1, types.back()->type(), c.server, tag, comm_, &reqs[3 * i]);
    }
    if (rc != MPI_SUCCESS) return Status::error(EIO, "MPI_Irecv failed");
    if (c.out_data.empty() || c.bulk) {
      rc = MPI_Isend(c.head.data(), static_cast<int>(c.head.size()), MPI_BYTE, c.server,
                     kRequestTag, comm_, &reqs[3 * i + 1]);
      if (rc == MPI_SUCCESS && c.bulk) {
        // The data as its own message: straight from one caller buffer when
        // it is contiguous (lets MPI use a single-copy path), else gathered.
        if (c.out_data.size() == 1) {
          rc = MPI_Isend(c.out_data[0].ptr, static_cast<int>(c.out_data[0].len), MPI_BYTE,
                         c.server, bulk_tag(c.request_id), comm_, &reqs[3 * i + 2]);
        } else {
          types.push_back(std::make_unique<SegmentType>(c.out_data));
          rc = MPI_Isend(MPI_BOTTOM, 1, types.back()->type(), c.server, bulk_tag(c.request_id),
                         comm_, &reqs[3 * i + 2]);
        }
      }
    } else {
      std::vector<ConstSegment> segs{{c.head.data(), c.head.size()}};
      segs.insert(segs.end(), c.out_data.begin(), c.out_data.end());
      types.push_back(std::make_unique<SegmentType>(segs));
      rc = MPI_Isend(MPI_BOTTOM, 1, types.back()->type(), c.server, kRequestTag, comm_,
                     &reqs[3 * i + 1]);
    }
    if (rc != MPI_SUCCESS) return Status::error(EIO, "MPI_Isend failed");
  }
  std::vector<MPI_Status> st(3 * n);
  Backoff backoff;
  for (;;) {
    int done = 0;
    if (MPI_Testall(static_cast<int>(reqs.size()), reqs.data(), &done, st.data()) != MPI_SUCCESS)
      return Status::error(EIO, "MPI transfer to a server failed");
    if (done) break;
    backoff.pause();
  }
  for (size_t i = 0; i < n; ++i) {
    Call& c = calls[i];
    int got = 0;
    MPI_Get_elements(&st[3 * i], MPI_BYTE, &got);
    if (got < 0) got = 0;
    const size_t total = static_cast<size_t>(got);
    if (c.in_data.empty()) {
      c.reply.assign(control_buffers_[i].get(), control_buffers_[i].get() + total);
      c.reply_data_received = 0;
    } else if (total < c.reply_prefix) {
      c.reply.resize(total);
      c.reply_data_received = 0;
    } else {
      c.reply_data_received = total - c.reply_prefix;
    }
  }
  return Status::ok();
}

std::unique_ptr<ClientTransport> MpiClientTransport::make_callback_transport() {
  return std::make_unique<MpiClientTransport>(comm_, server_count_);
}

bool MpiClientTransport::supports_threads() const {
  int provided = MPI_THREAD_SINGLE;
  MPI_Query_thread(&provided);
  return provided >= MPI_THREAD_MULTIPLE;
}

bool MpiClientTransport::poll_callback(std::vector<uint8_t>* frame) {
  int flag = 0;
  MPI_Message msg;
  MPI_Status st;
  if (MPI_Improbe(MPI_ANY_SOURCE, kCallbackTag, comm_, &flag, &msg, &st) != MPI_SUCCESS || !flag)
    return false;
  int count = 0;
  MPI_Get_count(&st, MPI_BYTE, &count);
  if (count < 0 || static_cast<size_t>(count) > wire::kMaxControlBytes) {
    // Never expected from a server; consume it without overrunning memory
    // (two separated blocks, see MpiServerTransport::drop) and report nothing.
    uint8_t scratch[3];
    std::vector<ConstSegment> segs{{scratch, 1}, {scratch + 2, 1}};
    SegmentType type(segs);
    (void)MPI_Mrecv(MPI_BOTTOM, 1, type.type(), &msg, MPI_STATUS_IGNORE);
    return false;
  }
  frame->resize(static_cast<size_t>(count));
  if (MPI_Mrecv(frame->data(), count, MPI_BYTE, &msg, MPI_STATUS_IGNORE) != MPI_SUCCESS)
    return false;
  return true;
}

}  // namespace nacre::transport
