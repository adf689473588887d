// Client core: turns file system calls into RPCs. Owns the client
// transport; shared by the FileSystem and every File of one client rank.
// Thread-safe: exchanges are serialised by an internal mutex.
#pragma once

#include "layout/layout_math.hpp"
#include "transport/transport.hpp"
#include "wire/messages.hpp"

#include <nacre/layout.hpp>
#include <nacre/status.hpp>
#include <nacre/types.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace nacre::client {

// State of an open file handle (owned by nacre::File).
struct OpenFile {
  std::string path;
  uint64_t ino = 0;
  uint32_t flags = 0;
  Layout layout;
};

class ClientCore {
 public:
  ClientCore(std::unique_ptr<transport::ClientTransport> transport, uint64_t max_rpc_bytes);

  int server_count() const { return transport_->server_count(); }
  uint64_t max_rpc_bytes() const { return max_rpc_bytes_; }
  const wire::Credentials& credentials() const { return cred_; }

  // Asks server 0 for its protocol view; checks server count agreement and
  // lowers max_rpc_bytes to the server's limit.
  Status hello();

  // One metadata RPC: encodes req, decodes the reply body into *rep.
  template <class Req, class Rep>
  Status mds_call(wire::MsgType type, const Req& req, Rep* rep) {
    std::vector<uint8_t> body;
    NACRE_RETURN_IF_ERROR(control_call(kMdsServer, type, wire::encode_body(req), &body));
    return wire::decode_body(body, *rep, wire::msg_type_name(static_cast<uint16_t>(type)));
  }

  // Striped data path over the objects of layout (see layout_math.hpp).
  Status write(const Layout& layout, uint64_t offset, const void* buf, size_t len);
  // Returns bytes read: len unless the read crosses end of file.
  Result<size_t> read(const Layout& layout, uint64_t offset, void* buf, size_t len);
  // Vectored transfers: the data is the concatenation of the pieces in the
  // given order, in one caller buffer (`stream`). Object-contiguous runs merge
  // into large RPCs whatever the order of the pieces. Reads zero-fill holes
  // and bytes past end of file.
  Status write_pieces(const Layout& layout, std::span<const layout::FilePiece> pieces,
                      const void* stream);
  Status read_pieces(const Layout& layout, std::span<const layout::FilePiece> pieces, void* stream);
  // File size from every object's size; *mtime gets the latest object mtime.
  Result<uint64_t> glimpse(const Layout& layout, Timespec* mtime);
  Status truncate_objects(const Layout& layout, uint64_t size);
  Status destroy_objects(const Layout& layout);
  Status sync_objects(const Layout& layout);
  // Sends DISCONNECT to every server (the end of this client's session).
  Status disconnect();
  // Sends SHUTDOWN to every server (standalone server jobs).
  Status shutdown_servers();

  // A control RPC to one server: body in, reply body out.
  Status control_call(int server, wire::MsgType type, std::vector<uint8_t> body,
                      std::vector<uint8_t>* reply_body);

  static constexpr int kMdsServer = 0;
  // Object writes of at least this many bytes use OBJ_WRITE_BULK.
  static constexpr uint64_t kBulkWriteBytes = 64 * 1024;

 private:
  // Runs calls (at most kWindow at a time) and checks every reply header.
  Status run(std::vector<transport::Call>& calls, std::vector<std::vector<uint8_t>>* bodies);
  transport::Call make_call(int server, wire::MsgType type, const std::vector<uint8_t>& body,
                            uint64_t data_len);
  Status per_object(const Layout& layout, wire::MsgType type,
                    const std::function<std::vector<uint8_t>(uint32_t)>& body_for,
                    std::vector<std::vector<uint8_t>>* bodies);

  Status to_every_server(wire::MsgType type);
  Status read_pieces_impl(const Layout& layout, std::span<const layout::FilePiece> pieces,
                          void* stream, bool* short_read);

  static constexpr size_t kWindow = 64;
  std::unique_ptr<transport::ClientTransport> transport_;
  uint64_t max_rpc_bytes_;
  wire::Credentials cred_;
  std::mutex mu_;            // serialises exchanges on the transport
  uint64_t next_request_ = 1;  // guarded by mu_
  bool disconnected_ = false;  // guarded by mu_
};

// Checks a reply frame against the call and extracts its body; a server
// error reply becomes its Status (with the server's message).
Status parse_reply(const transport::Call& call, uint16_t request_type,
                   std::vector<uint8_t>* body);

}  // namespace nacre::client
