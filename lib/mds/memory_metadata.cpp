// In-memory namespace (the model of namespace_model.hpp, kept nowhere else)
// and the layout request check shared by every metadata store.
#include "mds/namespace_model.hpp"

namespace nacre::mds {

Status validate_layout_request(const LayoutRequest& r, uint32_t servers) {
  if (r.stripe_size != 0 && (r.stripe_size % kStripeSizeUnit != 0 || r.stripe_size > kMaxStripeSize))
    return Status::error(EINVAL, "stripe_size " + std::to_string(r.stripe_size) +
                                     " is not a multiple of 65536 between 64 KiB and 4 GiB");
  if (r.stripe_count < -1 || r.stripe_count > static_cast<int64_t>(servers))
    return Status::error(EINVAL, "stripe_count " + std::to_string(r.stripe_count) +
                                     " is not -1 (all), 0 (inherit) or 1.." +
                                     std::to_string(servers) + " (the server count)");
  if (r.first_server < -1 || r.first_server >= static_cast<int64_t>(servers))
    return Status::error(EINVAL, "first_server " + std::to_string(r.first_server) +
                                     " is not -1 (round-robin) or 0.." +
                                     std::to_string(servers - 1));
  return Status::ok();
}

std::unique_ptr<MetadataStore> make_memory_metadata(uint32_t servers, LayoutRequest root_default,
                                                    uint32_t replicas) {
  return std::make_unique<NamespaceModel>(servers, root_default, replicas);
}

}  // namespace nacre::mds
