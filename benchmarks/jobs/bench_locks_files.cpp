// nacre-bench-locks: the systems a pattern runs on (Nacre with open flags,
// MPI-IO independent, POSIX) and the data pattern.
#include "bench_locks.hpp"
#include "client/file_access.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

namespace nacre::jobs::locks {

void fill_pattern(uint8_t* buf, size_t len, uint64_t pos, uint64_t salt) {
  for (size_t i = 0; i < len; ++i) buf[i] = pattern_byte(pos + i, salt);
}

uint64_t count_mismatches(const uint8_t* buf, size_t len, uint64_t pos, uint64_t salt) {
  uint64_t bad = 0;
  for (size_t i = 0; i < len; ++i) bad += buf[i] != pattern_byte(pos + i, salt);
  return bad;
}

void idle_barrier(MPI_Comm comm) {
  MPI_Request req;
  MPI_Ibarrier(comm, &req);
  for (;;) {
    int done = 0;
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

namespace {

int rank_in(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

Status errno_status(const std::string& what) {
  const int e = errno;
  return Status::error(e, what + ": " + std::strerror(e));
}

// Every rank returns the first failure: its own, or "failed elsewhere".
Status agree(MPI_Comm comm, Status mine, const std::string& what) {
  if (all_ok(comm, mine.is_ok())) return Status::ok();
  return mine.is_ok() ? Status::error(EIO, what + " failed on another rank") : mine;
}

class NacreFile final : public BenchFile {
 public:
  NacreFile(FileSystem& fs, std::string label, std::string path, uint32_t flags,
            LayoutRequest layout, uint64_t group_gid)
      : fs_(fs),
        name_(std::move(label)),
        path_(std::move(path)),
        flags_(flags),
        layout_(layout),
        group_gid_(group_gid) {}
  const std::string& name() const override { return name_; }

  Status open(MPI_Comm comm, bool create) override {
    const uint32_t base = open_flags::kReadWrite | flags_;
    Status s;
    if (create && rank_in(comm) == 0) s = open_one(base | open_flags::kCreate | open_flags::kTruncate);
    NACRE_RETURN_IF_ERROR(agree(comm, s, "create " + path_));
    if (!create || rank_in(comm) != 0) s = open_one(base);
    NACRE_RETURN_IF_ERROR(agree(comm, s, "open " + path_));
    if (group_gid_ != 0) s = file_->group_lock(group_gid_);
    return agree(comm, s, "group lock on " + path_);
  }
  Status write_at(uint64_t off, const void* buf, size_t len) override {
    auto n = file_->write_at(off, buf, len);
    if (!n) return n.status();
    return *n == len ? Status::ok() : Status::error(EIO, name_ + ": short write");
  }
  Status read_at(uint64_t off, void* buf, size_t len) override {
    auto n = file_->read_at(off, buf, len);
    if (!n) return n.status();
    return *n == len ? Status::ok()
                     : Status::error(EIO, name_ + ": short read at " + std::to_string(off));
  }
  Status close(MPI_Comm comm) override {
    Status s = file_ ? file_->close() : Status::ok();
    file_.reset();
    return agree(comm, s, "close " + path_);
  }
  Status remove(MPI_Comm comm) override {
    Status s;
    if (rank_in(comm) == 0) s = fs_.unlink(path_);
    return agree(comm, s, "unlink " + path_);
  }
  uint64_t callbacks() const override { return core_ ? core_->lock_cache().callbacks_received() : 0; }
  uint64_t cancels() const override {
    return core_ && core_->lock_progress() ? core_->lock_progress()->cancels_sent() : 0;
  }
  uint64_t server_locked() const override { return core_ ? core_->server_locked_ios() : 0; }

 private:
  Status open_one(uint32_t flags) {
    auto f = fs_.open(path_, flags, 0644, layout_);
    if (!f) return f.status();
    file_.emplace(std::move(*f));
    core_ = client::FileAccess::core(*file_);
    return Status::ok();
  }

  FileSystem& fs_;
  std::string name_, path_;
  uint32_t flags_;
  LayoutRequest layout_;
  uint64_t group_gid_;
  std::optional<File> file_;
  std::shared_ptr<client::ClientCore> core_;  // kept after close for the counters
};

Status mpi_status(int rc, const std::string& what) {
  if (rc == MPI_SUCCESS) return Status::ok();
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return Status::error(EIO, what + ": " + std::string(msg, static_cast<size_t>(len)));
}

class MpiioFile final : public BenchFile {
 public:
  MpiioFile(std::string label, std::string path) : name_(std::move(label)), path_(std::move(path)) {}
  ~MpiioFile() override {
    if (fh_ != MPI_FILE_NULL) MPI_File_close(&fh_);
  }
  const std::string& name() const override { return name_; }
  Status open(MPI_Comm comm, bool create) override {
    if (create && rank_in(comm) == 0) ::unlink(path_.c_str());
    MPI_Barrier(comm);
    const int mode = MPI_MODE_RDWR | (create ? MPI_MODE_CREATE : 0);
    const int rc = MPI_File_open(comm, path_.c_str(), mode, MPI_INFO_NULL, &fh_);
    if (rc == MPI_SUCCESS) MPI_File_set_errhandler(fh_, MPI_ERRORS_RETURN);
    return mpi_status(rc, "MPI_File_open " + path_);  // collective: same result everywhere
  }
  Status write_at(uint64_t off, const void* buf, size_t len) override {
    MPI_Status st;
    return mpi_status(MPI_File_write_at(fh_, static_cast<MPI_Offset>(off), buf,
                                        static_cast<int>(len), MPI_BYTE, &st),
                      "MPI_File_write_at " + path_);
  }
  Status read_at(uint64_t off, void* buf, size_t len) override {
    MPI_Status st;
    NACRE_RETURN_IF_ERROR(mpi_status(MPI_File_read_at(fh_, static_cast<MPI_Offset>(off), buf,
                                                      static_cast<int>(len), MPI_BYTE, &st),
                                     "MPI_File_read_at " + path_));
    int got = 0;
    MPI_Get_count(&st, MPI_BYTE, &got);
    return static_cast<size_t>(got) == len
               ? Status::ok()
               : Status::error(EIO, name_ + ": short read at " + std::to_string(off));
  }
  Status close(MPI_Comm comm) override {
    const int rc = fh_ != MPI_FILE_NULL ? MPI_File_close(&fh_) : MPI_SUCCESS;
    return agree(comm, mpi_status(rc, "MPI_File_close " + path_), "MPI_File_close");
  }
  Status remove(MPI_Comm comm) override {
    Status s;
    MPI_Barrier(comm);
    if (rank_in(comm) == 0 && ::unlink(path_.c_str()) != 0) s = errno_status("unlink " + path_);
    return agree(comm, s, "unlink " + path_);
  }

 private:
  std::string name_, path_;
  MPI_File fh_ = MPI_FILE_NULL;
};

class MemcpyFile final : public BenchFile {
 public:
  explicit MemcpyFile(std::string label) : name_(std::move(label)) {}
  const std::string& name() const override { return name_; }
  Status open(MPI_Comm, bool) override { return Status::ok(); }
  Status write_at(uint64_t off, const void* buf, size_t len) override {
    auto& mem = memory();
    if (mem.size() < off + len) mem.resize(std::max<size_t>(off + len, 2 * mem.size()));
    std::memcpy(mem.data() + off, buf, len);
    return Status::ok();
  }
  Status read_at(uint64_t off, void* buf, size_t len) override {
    auto& mem = memory();
    if (mem.size() < off + len) return Status::error(EIO, name_ + ": read past the end");
    std::memcpy(buf, mem.data() + off, len);
    return Status::ok();
  }
  Status close(MPI_Comm) override { return Status::ok(); }
  Status remove(MPI_Comm) override { return Status::ok(); }

 private:
  // One buffer for the whole job: only the first repetition faults it in.
  static std::vector<uint8_t>& memory() {
    static std::vector<uint8_t> mem;
    return mem;
  }
  std::string name_;
};

// Lockless Nacre writes of consecutive records coalesced, without copying,
// into calls of up to kRun bytes straight from the caller's buffer (the
// records of one job are consecutive in memory and in the file): what
// moving the bytes to the servers costs at best, i.e. the ceiling of a
// client cache that must have written everything back when close returns.
// Reads go through one by one.
class CoalescedFile final : public BenchFile {
 public:
  static constexpr size_t kRun = 4u << 20;
  CoalescedFile(std::string label, std::unique_ptr<BenchFile> inner)
      : name_(std::move(label)), inner_(std::move(inner)) {}
  const std::string& name() const override { return name_; }
  Status open(MPI_Comm comm, bool create) override { return inner_->open(comm, create); }
  Status write_at(uint64_t off, const void* buf, size_t len) override {
    const auto* p = static_cast<const uint8_t*>(buf);
    if (run_len_ != 0 && (p != run_ptr_ + run_len_ || off != run_off_ + run_len_ ||
                          run_len_ + len > kRun))
      NACRE_RETURN_IF_ERROR(flush());
    if (run_len_ == 0) {
      run_ptr_ = p;
      run_off_ = off;
    }
    run_len_ += len;
    return Status::ok();
  }
  Status read_at(uint64_t off, void* buf, size_t len) override {
    NACRE_RETURN_IF_ERROR(flush());
    return inner_->read_at(off, buf, len);
  }
  Status close(MPI_Comm comm) override {
    Status s = flush();
    Status c = inner_->close(comm);
    return s ? c : s;
  }
  Status remove(MPI_Comm comm) override { return inner_->remove(comm); }

 private:
  Status flush() {
    if (run_len_ == 0) return Status::ok();
    Status s = inner_->write_at(run_off_, run_ptr_, run_len_);
    run_len_ = 0;
    return s;
  }
  std::string name_;
  std::unique_ptr<BenchFile> inner_;
  const uint8_t* run_ptr_ = nullptr;
  uint64_t run_off_ = 0;
  size_t run_len_ = 0;
};

class PosixFile final : public BenchFile {
 public:
  PosixFile(std::string label, std::string path) : name_(std::move(label)), path_(std::move(path)) {}
  ~PosixFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  const std::string& name() const override { return name_; }
  Status open(MPI_Comm comm, bool create) override {
    Status s;
    if (create && rank_in(comm) == 0) {
      fd_ = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0644);
      if (fd_ < 0) s = errno_status("open " + path_);
    }
    NACRE_RETURN_IF_ERROR(agree(comm, s, "create " + path_));
    if (!create || rank_in(comm) != 0) {
      fd_ = ::open(path_.c_str(), O_RDWR);
      if (fd_ < 0) s = errno_status("open " + path_);
    }
    return agree(comm, s, "open " + path_);
  }
  Status write_at(uint64_t off, const void* buf, size_t len) override {
    const auto* p = static_cast<const char*>(buf);
    while (len) {
      const ssize_t n = ::pwrite(fd_, p, len, static_cast<off_t>(off));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status("pwrite " + path_);
      p += n;
      len -= static_cast<size_t>(n);
      off += static_cast<uint64_t>(n);
    }
    return Status::ok();
  }
  Status read_at(uint64_t off, void* buf, size_t len) override {
    auto* p = static_cast<char*>(buf);
    while (len) {
      const ssize_t n = ::pread(fd_, p, len, static_cast<off_t>(off));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status("pread " + path_);
      if (n == 0) return Status::error(EIO, name_ + ": short read at " + std::to_string(off));
      p += n;
      len -= static_cast<size_t>(n);
      off += static_cast<uint64_t>(n);
    }
    return Status::ok();
  }
  Status close(MPI_Comm comm) override {
    Status s;
    if (fd_ >= 0 && ::close(fd_) != 0) s = errno_status("close " + path_);
    fd_ = -1;
    return agree(comm, s, "close " + path_);
  }
  Status remove(MPI_Comm comm) override {
    Status s;
    MPI_Barrier(comm);
    if (rank_in(comm) == 0 && ::unlink(path_.c_str()) != 0) s = errno_status("unlink " + path_);
    return agree(comm, s, "unlink " + path_);
  }

 private:
  std::string name_, path_;
  int fd_ = -1;
};

}  // namespace

std::unique_ptr<BenchFile> nacre_bench_file(FileSystem& fs, std::string label, std::string path,
                                            uint32_t flags, LayoutRequest layout,
                                            uint64_t group_gid) {
  return std::make_unique<NacreFile>(fs, std::move(label), std::move(path), flags, layout,
                                     group_gid);
}
std::unique_ptr<BenchFile> memcpy_bench_file(std::string label) {
  return std::make_unique<MemcpyFile>(std::move(label));
}
std::unique_ptr<BenchFile> coalesced_bench_file(std::string label,
                                                std::unique_ptr<BenchFile> inner) {
  return std::make_unique<CoalescedFile>(std::move(label), std::move(inner));
}
std::unique_ptr<BenchFile> mpiio_bench_file(std::string label, std::string path) {
  return std::make_unique<MpiioFile>(std::move(label), std::move(path));
}
std::unique_ptr<BenchFile> posix_bench_file(std::string label, std::string path) {
  return std::make_unique<PosixFile>(std::move(label), std::move(path));
}

}  // namespace nacre::jobs::locks
