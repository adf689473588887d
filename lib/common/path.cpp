#include "common/path.hpp"

namespace nacre {

Result<std::vector<std::string>> split_path(const std::string& path) {
  if (path.empty()) return Status::error(EINVAL, "empty path");
  if (path.size() > kMaxPathLength)
    return Status::error(ENAMETOOLONG, "path longer than 4096 bytes");
  if (path[0] != '/') return Status::error(EINVAL, "path '" + path + "' is not absolute");
  if (path.find('\0') != std::string::npos)
    return Status::error(EINVAL, "path contains a NUL byte");
  std::vector<std::string> parts;
  size_t i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) {
      std::string name = path.substr(i, j - i);
      if (name == "." || name == "..")
        return Status::error(EINVAL, "path '" + path + "' contains '" + name + "'");
      if (name.size() > kMaxNameLength)
        return Status::error(ENAMETOOLONG, "path component longer than 255 bytes in '" + path + "'");
      parts.push_back(std::move(name));
    }
    i = j + 1;
  }
  return parts;
}

Result<std::string> normalize_path(const std::string& path) {
  auto parts = split_path(path);
  if (!parts) return parts.status();
  std::string out;
  for (const auto& p : *parts) out += "/" + p;
  return out.empty() ? std::string("/") : out;
}

}  // namespace nacre
