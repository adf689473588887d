// File layouts: how a file's bytes are striped over object servers.
#pragma once

#include <cstdint>
#include <vector>

namespace nacre {

// Stripe sizes are multiples of this (64 KiB), like Lustre.
inline constexpr uint64_t kStripeSizeUnit = 64 * 1024;
// Largest stripe size accepted (4 GiB).
inline constexpr uint64_t kMaxStripeSize = 4ull * 1024 * 1024 * 1024;
// Largest file offset + 1 that Nacre accepts (2^60 bytes = 1 EiB).
inline constexpr uint64_t kMaxFileSize = 1ull << 60;

// One stripe's home: the server rank index and the object id on that server.
struct StripeTarget {
  uint32_t server = 0;
  uint64_t object_id = 0;
  bool operator==(const StripeTarget&) const = default;
};

// What a caller asks for when creating a file or setting a directory default
// (like `lfs setstripe`). Zero / -1 fields mean "inherit" / "all servers".
struct LayoutRequest {
  uint64_t stripe_size = 0;    // 0: inherit from directory or config
  int32_t stripe_count = 0;    // 0: inherit; -1: every server; else 1..servers
  int32_t first_server = -1;   // -1: round-robin chosen by the metadata server
  bool operator==(const LayoutRequest&) const = default;
};

// The layout of an existing file (like `lfs getstripe`).
struct Layout {
  uint64_t stripe_size = 0;
  std::vector<StripeTarget> stripes;  // stripe i lives on stripes[i]
  uint32_t stripe_count() const { return static_cast<uint32_t>(stripes.size()); }
  bool operator==(const Layout&) const = default;
};

}  // namespace nacre
