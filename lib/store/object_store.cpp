// The ObjectStore seam's shared parts: checked writes for stores that do not
// checksum pages themselves.
#include "store/object_store.hpp"

#include "common/crc32c.hpp"

namespace nacre::store {

Status damaged_in_transit(uint64_t id, uint64_t offset) {
  return Status::error(EIO, "object " + std::to_string(id) + ": data for offset " +
                                std::to_string(offset) +
                                " arrived damaged (CRC-32C mismatch in transit); nothing was "
                                "written, retry the write");
}

Result<uint64_t> ObjectStore::write_checked(uint64_t id, uint64_t offset,
                                            std::span<const uint8_t> data, uint32_t crc) {
  if (crc32c(data) != crc) return damaged_in_transit(id, offset);
  return write(id, offset, data);
}

Result<uint64_t> ObjectStore::write_from_checked(uint64_t id, uint64_t offset, size_t len,
                                                 const Filler& fill, uint32_t crc) {
  return write_from(id, offset, len, [&](std::span<const std::span<uint8_t>> spans) {
    NACRE_RETURN_IF_ERROR(fill(spans));
    uint32_t got = 0;
    for (auto s : spans) got = crc32c_extend(got, s.data(), s.size());
    return got == crc ? Status::ok() : damaged_in_transit(id, offset);
  });
}

Result<uint64_t> ObjectStore::read_with_crc(uint64_t id, uint64_t offset, std::span<uint8_t> out,
                                            uint64_t* object_size, uint32_t* crc) {
  auto n = read(id, offset, out, object_size);
  if (n) *crc = crc32c(out.data(), static_cast<size_t>(*n));
  return n;
}

}  // namespace nacre::store
