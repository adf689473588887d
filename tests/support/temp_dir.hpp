// A fresh directory under /tmp for one test, removed with everything in it
// when the object goes out of scope.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace nacre::testing {

struct TempDir {
  std::string path;
  explicit TempDir(const std::string& prefix = "nacre_test") {
    std::string tmpl = "/tmp/" + prefix + "_XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace nacre::testing
