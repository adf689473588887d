// The real MPI transport against a misbehaving peer: rank 1 sends raw
// messages to a server on rank 0 — oversize (more than 64 KiB + 16 MiB),
// too short for a header, bad magic, wrong version, lying lengths — and
// checks that each one gets an error reply with the right errno, that the
// server's memory is not overrun (the oversize message is much larger than
// the server's buffer) and that valid requests are still served afterwards.
#include "mpi_check.hpp"

#include "mds/metadata_store.hpp"
#include "server/server.hpp"
#include "store/object_store.hpp"
#include "transport/mpi_transport.hpp"
#include "wire/messages.hpp"

#include <cstring>
#include <vector>

using namespace nacre;

namespace {

// Sends raw bytes as a request and returns the reply's status code (or -1
// when the reply is not a well-formed frame).
int raw_call(MPI_Comm comm, uint64_t request_id, const std::vector<uint8_t>& bytes) {
  std::vector<uint8_t> reply(wire::kMaxControlBytes);
  MPI_Request rr;
  MPI_Irecv(reply.data(), static_cast<int>(reply.size()), MPI_BYTE, 0,
            transport::reply_tag(request_id), comm, &rr);
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0, transport::kRequestTag, comm);
  MPI_Status st;
  MPI_Wait(&rr, &st);
  int n = 0;
  MPI_Get_count(&st, MPI_BYTE, &n);
  auto h = wire::decode_header(std::span<const uint8_t>(reply.data(), static_cast<size_t>(n)),
                               static_cast<size_t>(n));
  if (!h || h->request_id != request_id) return -1;
  return h->status;
}

std::vector<uint8_t> hello_frame(uint64_t id) {
  return wire::build_frame(static_cast<uint16_t>(wire::MsgType::kHello), id, 0,
                           wire::encode_body(wire::HelloRequest{}), 0);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  mpicheck::start_clock();
  MPI_Comm comm;
  MPI_Comm_dup(MPI_COMM_WORLD, &comm);
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  REQUIRE(size == 2);
  if (rank == 0) {
    server::Server srv({0, 1, 1 << 20}, store::make_memory_store(),
                       mds::make_memory_metadata(1, LayoutRequest{1 << 20, -1, -1}));
    transport::MpiServerTransport port(false);
    port.add_link(comm, 1, false);
    CHECK_OK(srv.serve(port));
  } else {
    // Oversize: the server keeps only a header's worth and answers EMSGSIZE.
    std::vector<uint8_t> huge = hello_frame(11);
    huge.resize(wire::kMaxMessageBytes + 4096, 0xAB);
    CHECK_EQ(raw_call(comm, 11, huge), EMSGSIZE);
    // Shorter than a header: the reply goes to request id 0's tag.
    CHECK_EQ(raw_call(comm, 0, std::vector<uint8_t>(7, 1)), EBADMSG);
    auto bad_magic = hello_frame(12);
    bad_magic[0] ^= 0xFF;
    CHECK_EQ(raw_call(comm, 12, bad_magic), EBADMSG);
    auto bad_version = hello_frame(13);
    bad_version[4] = 99;
    CHECK_EQ(raw_call(comm, 13, bad_version), EPROTO);
    auto lying = hello_frame(14);
    lying[24] = 100;  // claims 100 bytes of data that are not there
    CHECK_EQ(raw_call(comm, 14, lying), EBADMSG);
    auto unknown = wire::build_frame(999, 15, 0, {}, 0);
    CHECK_EQ(raw_call(comm, 15, unknown), ENOSYS);
    // A bulk write the server refuses (malformed body): its separate 1 MiB
    // data message must still be drained, or this blocking send never ends.
    {
      const uint64_t id = 18;
      auto head = wire::build_frame(static_cast<uint16_t>(wire::MsgType::kObjWriteBulk), id, 0,
                                    {1, 2, 3}, 1 << 20);
      std::vector<uint8_t> reply(wire::kMaxControlBytes);
      MPI_Request rr;
      MPI_Irecv(reply.data(), static_cast<int>(reply.size()), MPI_BYTE, 0,
                transport::reply_tag(id), comm, &rr);
      MPI_Send(head.data(), static_cast<int>(head.size()), MPI_BYTE, 0, transport::kRequestTag, comm);
      std::vector<uint8_t> data(1 << 20, 7);
      MPI_Send(data.data(), static_cast<int>(data.size()), MPI_BYTE, 0, transport::bulk_tag(id), comm);
      MPI_Status st;
      MPI_Wait(&rr, &st);
      int n = 0;
      MPI_Get_count(&st, MPI_BYTE, &n);
      auto h = wire::decode_header(std::span<const uint8_t>(reply.data(), static_cast<size_t>(n)),
                                   static_cast<size_t>(n));
      CHECK(h.is_ok() && h->status == EBADMSG);
    }
    // Still serving.
    CHECK_EQ(raw_call(comm, 16, hello_frame(16)), 0);
    auto bye = wire::build_frame(static_cast<uint16_t>(wire::MsgType::kDisconnect), 17, 0, {}, 0);
    CHECK_EQ(raw_call(comm, 17, bye), 0);
  }
  int rc = mpicheck::finish(comm);
  MPI_Comm_free(&comm);
  MPI_Finalize();
  return rc;
}
