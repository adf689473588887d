// Decodes metadata RPCs, calls the MetadataStore, encodes the replies.
#pragma once

#include "mds/metadata_store.hpp"
#include "wire/rpc.hpp"

namespace nacre::mds {

// True if type is a metadata request (served only by the metadata server).
bool is_mds_request(uint16_t type);

// Serves one metadata request. Never throws; errors become the Status.
Status handle_mds_request(MetadataStore& store, const wire::Request& req, wire::Reply& reply);

}  // namespace nacre::mds
