#include "common/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace nacre::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kWarn)};
std::mutex g_mu;
std::string g_identity = "nacre";  // guarded by g_mu
const char* name(Level l) {
  switch (l) {
    case Level::kError: return "error";
    case Level::kWarn: return "warn";
    case Level::kInfo: return "info";
    case Level::kDebug: return "debug";
  }
  return "?";
}
}  // namespace

void set_level(Level l) { g_level.store(static_cast<int>(l)); }
Level level() { return static_cast<Level>(g_level.load()); }
void set_identity(const std::string& who) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_identity = who;
}
bool parse_level(const std::string& t, Level* out) {
  for (Level l : {Level::kError, Level::kWarn, Level::kInfo, Level::kDebug}) {
    if (t == name(l)) { *out = l; return true; }
  }
  return false;
}
void write(Level l, const std::string& m) {
  std::lock_guard<std::mutex> lock(g_mu);
  std::fprintf(stderr, "[nacre %s] %s: %s\n", g_identity.c_str(), name(l), m.c_str());
}

}  // namespace nacre::log
