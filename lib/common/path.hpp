// Validation and splitting of Nacre paths (pure, no I/O).
#pragma once

#include <nacre/status.hpp>

#include <string>
#include <vector>

namespace nacre {

inline constexpr size_t kMaxPathLength = 4096;
inline constexpr size_t kMaxNameLength = 255;

// Splits an absolute path into components. "/" gives an empty list. Repeated
// and trailing slashes are accepted ("/a//b/" = "/a/b"). Errors (EINVAL,
// ENAMETOOLONG) name the path: relative paths, empty, "." or "..", NUL bytes.
Result<std::vector<std::string>> split_path(const std::string& path);

// The canonical form of a valid path ("/a/b"), or the error of split_path.
Result<std::string> normalize_path(const std::string& path);

}  // namespace nacre
