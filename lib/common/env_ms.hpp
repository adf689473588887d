// Millisecond settings read from the environment (NACRE_LOCK_*_MS,
// NACRE_CLIENT_LEASE_MS, ...): one parser, one warning text.
#pragma once

#include <cstdint>

namespace nacre {

// A number of milliseconds from environment variable `name` in [min, max],
// or `fallback` when unset or empty; a bad value (not all digits, out of
// range) is logged as a warning and the fallback used.
uint64_t ms_from_env(const char* name, uint64_t fallback, uint64_t min, uint64_t max);

}  // namespace nacre
