// Minimal leveled logging to stderr, prefixed with the process role.
// Thread-safe (one fprintf per line). Level from config (log.level / NACRE_LOG).
#pragma once

#include <string>

namespace nacre::log {

enum class Level { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

void set_level(Level level);
Level level();
// "server 1", "client 3": printed in front of every line of this process.
void set_identity(const std::string& who);
// Parses "error" | "warn" | "info" | "debug"; false if unknown.
bool parse_level(const std::string& text, Level* out);

void write(Level level, const std::string& message);

inline void error(const std::string& m) { write(Level::kError, m); }
inline void warn(const std::string& m) { if (level() >= Level::kWarn) write(Level::kWarn, m); }
inline void info(const std::string& m) { if (level() >= Level::kInfo) write(Level::kInfo, m); }
inline void debug(const std::string& m) { if (level() >= Level::kDebug) write(Level::kDebug, m); }

}  // namespace nacre::log
