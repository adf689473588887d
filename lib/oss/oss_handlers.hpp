// Decodes object RPCs, calls the ObjectStore, encodes the replies.
#pragma once

#include "store/object_store.hpp"
#include "wire/rpc.hpp"

#include <vector>

namespace nacre::oss {

bool is_oss_request(uint16_t type);

// Serves one object request. read_buffer is reused across calls to hold read
// data; reply.data points into it until the next call.
Status handle_oss_request(store::ObjectStore& store, uint64_t max_rpc_bytes,
                          const wire::Request& req, wire::Reply& reply,
                          std::vector<uint8_t>& read_buffer);

}  // namespace nacre::oss
