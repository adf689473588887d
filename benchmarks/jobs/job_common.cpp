#include "job_common.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>

namespace nacre::jobs {

namespace {
int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
int comm_rank(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}
Status errno_status(const std::string& what) {
  const int e = errno;
  return Status::error(e, what + ": " + std::strerror(e));
}
}  // namespace

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool parse_cli(CLI::App& app, int argc, char** argv, int* exit_code) {
  try {
    app.parse(argc, argv);
    return true;
  } catch (const CLI::ParseError& e) {
    if (world_rank() == 0) (void)app.exit(e);  // prints help or the error
    *exit_code = e.get_exit_code() == 0 ? 0 : 2;
    return false;
  }
}

Result<Config> job_config(int default_servers) {
  auto config = Config::load();
  if (!config) {
    if (world_rank() == 0) std::cerr << "configuration: " << config.status().to_string() << "\n";
    return config;
  }
  if (!std::getenv(kEnvServers) && !std::getenv(kEnvConfig)) config->servers = default_servers;
  return config;
}

std::string job_tag() {
  long pid = static_cast<long>(::getpid());
  MPI_Bcast(&pid, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  return "nacre-job-" + std::to_string(pid);
}

bool all_ok(MPI_Comm comm, bool ok) {
  int mine = ok ? 1 : 0, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, comm);
  return all == 1;
}

double timed(MPI_Comm comm, const std::function<Status()>& fn) {
  MPI_Barrier(comm);
  const double t0 = now_seconds();
  Status s = fn();
  const bool ok = all_ok(comm, s.is_ok());  // doubles as the closing barrier
  double elapsed = now_seconds() - t0, slowest = 0;
  MPI_Allreduce(&elapsed, &slowest, 1, MPI_DOUBLE, MPI_MAX, comm);
  if (!s) std::cerr << "rank " << world_rank() << ": " << s.to_string() << "\n";
  return ok ? slowest : -1;
}

// ---------------------------------------------------------------------------
// Shared files

namespace {

class NacreShared final : public SharedFile {
 public:
  NacreShared(FileSystem& fs, std::string path, LayoutRequest layout, std::string label)
      : fs_(fs), path_(std::move(path)), layout_(layout), name_(std::move(label)) {}
  const std::string& name() const override { return name_; }

  Status open(MPI_Comm comm) override {
    Status s;
    if (comm_rank(comm) == 0) {
      auto f = fs_.open(path_, open_flags::kReadWrite | open_flags::kCreate | open_flags::kTruncate,
                        0644, layout_);
      if (f) file_.emplace(std::move(*f)); else s = f.status();
    }
    if (!all_ok(comm, s.is_ok())) return s.is_ok() ? Status::error(EIO, "create on rank 0 failed") : s;
    if (comm_rank(comm) != 0) {
      auto f = fs_.open(path_, open_flags::kReadWrite);
      if (f) file_.emplace(std::move(*f)); else s = f.status();
    }
    if (!all_ok(comm, s.is_ok())) return s.is_ok() ? Status::error(EIO, "open failed elsewhere") : s;
    return Status::ok();
  }
  Status write_at(uint64_t offset, const void* buf, size_t len) override {
    auto n = file_->write_at(offset, buf, len);
    return n ? Status::ok() : n.status();
  }
  Status read_at(uint64_t offset, void* buf, size_t len) override {
    auto n = file_->read_at(offset, buf, len);
    if (!n) return n.status();
    if (*n != len) return Status::error(EIO, "short read at " + std::to_string(offset));
    return Status::ok();
  }
  Status close_and_remove(MPI_Comm comm) override {
    Status s = file_ ? file_->close() : Status::ok();
    file_.reset();
    const bool ok = all_ok(comm, s.is_ok());
    if (comm_rank(comm) == 0) {
      Status u = fs_.unlink(path_);
      if (s.is_ok()) s = u;
    }
    if (!all_ok(comm, s.is_ok()) && ok && s.is_ok()) return Status::error(EIO, "unlink failed");
    return s;
  }

 private:
  FileSystem& fs_;
  std::string path_;
  LayoutRequest layout_;
  std::string name_;
  std::optional<File> file_;  // empty until open()
};

class MpiioShared final : public SharedFile {
 public:
  MpiioShared(std::string label, std::string path) : name_(std::move(label)), path_(std::move(path)) {}
  const std::string& name() const override { return name_; }

  Status open(MPI_Comm comm) override {
    if (comm_rank(comm) == 0) ::unlink(path_.c_str());
    MPI_Barrier(comm);
    int rc = MPI_File_open(comm, path_.c_str(), MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh_);
    if (rc != MPI_SUCCESS) return Status::error(EIO, "MPI_File_open " + path_ + " failed");
    return Status::ok();
  }
  Status write_at(uint64_t offset, const void* buf, size_t len) override {
    MPI_Status st;
    if (MPI_File_write_at(fh_, static_cast<MPI_Offset>(offset), buf, static_cast<int>(len), MPI_BYTE,
                          &st) != MPI_SUCCESS)
      return Status::error(EIO, "MPI_File_write_at " + path_ + " failed");
    return Status::ok();
  }
  Status read_at(uint64_t offset, void* buf, size_t len) override {
    MPI_Status st;
    if (MPI_File_read_at(fh_, static_cast<MPI_Offset>(offset), buf, static_cast<int>(len), MPI_BYTE,
                         &st) != MPI_SUCCESS)
      return Status::error(EIO, "MPI_File_read_at " + path_ + " failed");
    int got = 0;
    MPI_Get_count(&st, MPI_BYTE, &got);
    if (static_cast<size_t>(got) != len)
      return Status::error(EIO, "short MPI-IO read at " + std::to_string(offset));
    return Status::ok();
  }
  Status close_and_remove(MPI_Comm comm) override {
    Status s;
    if (fh_ != MPI_FILE_NULL && MPI_File_close(&fh_) != MPI_SUCCESS)
      s = Status::error(EIO, "MPI_File_close " + path_ + " failed");
    MPI_Barrier(comm);
    if (comm_rank(comm) == 0 && ::unlink(path_.c_str()) != 0 && s.is_ok())
      s = errno_status("unlink " + path_);
    return s;
  }

 private:
  std::string name_, path_;
  MPI_File fh_ = MPI_FILE_NULL;
};

class PosixShared final : public SharedFile {
 public:
  PosixShared(std::string label, std::string path) : name_(std::move(label)), path_(std::move(path)) {}
  ~PosixShared() override {
    if (fd_ >= 0) ::close(fd_);
  }
  const std::string& name() const override { return name_; }

  Status open(MPI_Comm comm) override {
    Status s;
    if (comm_rank(comm) == 0) {
      fd_ = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0644);
      if (fd_ < 0) s = errno_status("open " + path_);
    }
    if (!all_ok(comm, s.is_ok())) return s.is_ok() ? Status::error(EIO, "create on rank 0 failed") : s;
    if (comm_rank(comm) != 0) {
      fd_ = ::open(path_.c_str(), O_RDWR);
      if (fd_ < 0) s = errno_status("open " + path_);
    }
    if (!all_ok(comm, s.is_ok())) return s.is_ok() ? Status::error(EIO, "open failed elsewhere") : s;
    return Status::ok();
  }
  Status write_at(uint64_t offset, const void* buf, size_t len) override {
    const auto* p = static_cast<const char*>(buf);
    while (len) {
      ssize_t n = ::pwrite(fd_, p, len, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_status("pwrite " + path_);
      }
      p += n;
      len -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
    return Status::ok();
  }
  Status read_at(uint64_t offset, void* buf, size_t len) override {
    auto* p = static_cast<char*>(buf);
    while (len) {
      ssize_t n = ::pread(fd_, p, len, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_status("pread " + path_);
      }
      if (n == 0) return Status::error(EIO, "short read of " + path_);
      p += n;
      len -= static_cast<size_t>(n);
      offset += static_cast<uint64_t>(n);
    }
    return Status::ok();
  }
  Status close_and_remove(MPI_Comm comm) override {
    Status s;
    if (fd_ >= 0 && ::close(fd_) != 0) s = errno_status("close " + path_);
    fd_ = -1;
    MPI_Barrier(comm);
    if (comm_rank(comm) == 0 && ::unlink(path_.c_str()) != 0 && s.is_ok())
      s = errno_status("unlink " + path_);
    return s;
  }

 private:
  std::string name_, path_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<SharedFile> nacre_file(FileSystem& fs, std::string path, LayoutRequest layout,
                                       std::string label) {
  return std::make_unique<NacreShared>(fs, std::move(path), layout, std::move(label));
}
std::unique_ptr<SharedFile> mpiio_file(std::string label, std::string path) {
  return std::make_unique<MpiioShared>(std::move(label), std::move(path));
}
std::unique_ptr<SharedFile> posix_file(std::string label, std::string path) {
  return std::make_unique<PosixShared>(std::move(label), std::move(path));
}

// ---------------------------------------------------------------------------
// Results

Series& series(std::vector<Series>& all, const std::string& metric, const std::string& system,
               const std::string& unit) {
  for (auto& s : all)
    if (s.metric == metric && s.system == system) return s;
  all.push_back(Series{metric, system, unit, {}});
  return all.back();
}

namespace {
std::string fmt(double v) {
  char b[32];
  if (v >= 100) std::snprintf(b, sizeof b, "%.0f", v);
  else if (v >= 10) std::snprintf(b, sizeof b, "%.1f", v);
  else std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}
std::string json_num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}
}  // namespace

void print_table(const std::string& job, const std::vector<Series>& all,
                 const std::string& ref_system) {
  std::vector<std::string> metrics;
  for (const auto& s : all)
    if (std::find(metrics.begin(), metrics.end(), s.metric) == metrics.end())
      metrics.push_back(s.metric);
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-16s %-22s %12s %-6s %10s  %s\n", "metric", "system",
                "median", "unit", "nacre/this", "samples (in run order)");
  out << line << std::string(100, '-') << "\n";
  for (const auto& m : metrics) {
    double ref = 0;
    for (const auto& s : all)
      if (s.metric == m && s.system == ref_system) ref = s.med();
    for (const auto& s : all) {
      if (s.metric != m) continue;
      std::string samples;
      for (double v : s.samples) samples += (samples.empty() ? "" : " ") + fmt(v);
      const std::string ratio = ref > 0 && s.med() > 0 ? fmt(ref / s.med()) : "-";
      std::snprintf(line, sizeof line, "%-16s %-22s %12s %-6s %10s  ", m.c_str(), s.system.c_str(),
                    fmt(s.med()).c_str(), s.unit.c_str(), ratio.c_str());
      out << line << samples << "\n";
    }
  }
  for (const auto& s : all) {
    double ref = 0;
    for (const auto& r : all)
      if (r.metric == s.metric && r.system == ref_system) ref = r.med();
    out << "NACRE_RESULT {\"job\":\"" << job << "\",\"metric\":\"" << s.metric << "\",\"system\":\""
        << s.system << "\",\"unit\":\"" << s.unit << "\",\"median\":" << json_num(s.med())
        << ",\"ratio_vs_ref\":" << (ref > 0 && s.med() > 0 ? json_num(ref / s.med()) : "null")
        << ",\"ref\":\"" << ref_system << "\",\"samples\":[";
    for (size_t i = 0; i < s.samples.size(); ++i) out << (i ? "," : "") << json_num(s.samples[i]);
    out << "]}\n";
  }
  std::cout << out.str() << std::flush;
}

}  // namespace nacre::jobs
