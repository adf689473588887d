// b) Metadata rates: every client creates, stats and unlinks its own files
// in its own directory; Nacre vs POSIX /tmp and /dev/shm.
#include "bench.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <iostream>

namespace nacre::jobs {

namespace {

// One system's three phases over the files of this rank.
struct MdTarget {
  virtual ~MdTarget() = default;
  virtual std::string name() const = 0;
  virtual Status setup() = 0;  // make this rank's directory
  virtual Status create(int i) = 0;
  virtual Status stat(int i) = 0;
  virtual Status unlink(int i) = 0;
  virtual Status teardown() = 0;
};

class NacreMd final : public MdTarget {
 public:
  NacreMd(FileSystem& fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}
  std::string name() const override { return "nacre"; }
  Status setup() override { return fs_.mkdir(dir_); }
  Status create(int i) override {
    auto f = fs_.create(path(i));
    if (!f) return f.status();
    return f->close();
  }
  Status stat(int i) override {
    auto st = fs_.stat(path(i));
    return st ? Status::ok() : st.status();
  }
  Status unlink(int i) override { return fs_.unlink(path(i)); }
  Status teardown() override { return fs_.rmdir(dir_); }

 private:
  std::string path(int i) const { return dir_ + "/f" + std::to_string(i); }
  FileSystem& fs_;
  std::string dir_;
};

class PosixMd final : public MdTarget {
 public:
  PosixMd(std::string label, std::string dir) : label_(std::move(label)), dir_(std::move(dir)) {}
  std::string name() const override { return label_; }
  Status setup() override { return check(::mkdir(dir_.c_str(), 0755), "mkdir " + dir_); }
  Status create(int i) override {
    const std::string p = path(i);
    int fd = ::open(p.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0) return check(-1, "open " + p);
    return check(::close(fd), "close " + p);
  }
  Status stat(int i) override {
    struct stat st;
    return check(::stat(path(i).c_str(), &st), "stat " + path(i));
  }
  Status unlink(int i) override { return check(::unlink(path(i).c_str()), "unlink " + path(i)); }
  Status teardown() override { return check(::rmdir(dir_.c_str()), "rmdir " + dir_); }

 private:
  static Status check(int rc, const std::string& what) {
    if (rc == 0) return Status::ok();
    const int e = errno;
    return Status::error(e, what + ": " + std::strerror(e));
  }
  std::string path(int i) const { return dir_ + "/f" + std::to_string(i); }
  std::string label_, dir_;
};

bool run_target(MdTarget& t, MPI_Comm clients, const BenchOptions& opt,
                std::vector<Series>& results) {
  int me = 0, n = 1;
  MPI_Comm_rank(clients, &me);
  MPI_Comm_size(clients, &n);
  Status s = t.setup();
  if (!s) std::cerr << t.name() << ": " << s.to_string() << "\n";
  if (!all_ok(clients, s.is_ok())) return false;
  const double ops = static_cast<double>(opt.md_files) * n;
  const struct {
    const char* metric;
    Status (MdTarget::*op)(int);
  } phases[] = {{"create_rate", &MdTarget::create},
                {"stat_rate", &MdTarget::stat},
                {"unlink_rate", &MdTarget::unlink}};
  bool ok = true;
  for (const auto& ph : phases) {
    const double t_s = timed(clients, [&] {
      for (int i = 0; i < opt.md_files; ++i) NACRE_RETURN_IF_ERROR((t.*ph.op)(i));
      return Status::ok();
    });
    if (t_s < 0) {
      ok = false;
      break;
    }
    if (me == 0) series(results, ph.metric, t.name(), "ops/s").samples.push_back(ops / t_s);
  }
  s = t.teardown();
  if (ok && !s) std::cerr << t.name() << ": " << s.to_string() << "\n";
  return all_ok(clients, ok && s.is_ok());
}

}  // namespace

bool bench_metadata(FileSystem& fs, MPI_Comm clients, const BenchOptions& opt, int rep,
                    std::vector<Series>& results) {
  int me = 0;
  MPI_Comm_rank(clients, &me);
  const std::string stem = opt.tag + "-md" + std::to_string(rep) + "-c" + std::to_string(me);
  NacreMd nacre(fs, "/" + stem);
  PosixMd tmp("posix:/tmp", "/tmp/" + stem);
  PosixMd shm("posix:/dev/shm", "/dev/shm/" + stem);
  for (MdTarget* t : {static_cast<MdTarget*>(&nacre), static_cast<MdTarget*>(&tmp),
                      static_cast<MdTarget*>(&shm)})
    if (!run_target(*t, clients, opt, results)) return false;
  return true;
}

}  // namespace nacre::jobs
