#include "common/env_ms.hpp"

#include "common/log.hpp"

#include <cstdlib>
#include <string>

namespace nacre {

uint64_t ms_from_env(const char* name, uint64_t fallback, uint64_t min, uint64_t max) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const unsigned long long ms = std::strtoull(v, &end, 10);
  if (*end != '\0' || v[0] < '0' || v[0] > '9' || ms < min || ms > max) {
    log::warn(std::string(name) + "='" + v + "' is not a number of milliseconds in " +
              std::to_string(min) + ".." + std::to_string(max) + "; using " +
              std::to_string(fallback));
    return fallback;
  }
  return ms;
}

}  // namespace nacre
