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

// Copies of one object a file system keeps at most (deployment.replicas).
inline constexpr uint32_t kMaxReplicas = 16;

// The layout of an existing file (like `lfs getstripe`).
// Persistent deployments with replicas R > 1 keep R - 1 mirrors: mirror m
// holds copy m + 1 of every stripe, mirrors[m][i] being the home of stripe
// i's copy (always on another server than the stripe's other copies). The
// first copy (stripes) is the primary: reads go there first, and its server
// is the lock server of the stripe (docs/DURABILITY.md, "Replicas").
struct Layout {
  uint64_t stripe_size = 0;
  std::vector<StripeTarget> stripes;  // stripe i lives on stripes[i]
  std::vector<std::vector<StripeTarget>> mirrors;  // empty: one copy
  uint32_t stripe_count() const { return static_cast<uint32_t>(stripes.size()); }
  uint32_t copies() const { return 1 + static_cast<uint32_t>(mirrors.size()); }
  // Copy c (0 = primary) of stripe i.
  const StripeTarget& copy(uint32_t c, uint32_t i) const {
    return c == 0 ? stripes[i] : mirrors[c - 1][i];
  }
  bool operator==(const Layout&) const = default;
};

}  // namespace nacre
