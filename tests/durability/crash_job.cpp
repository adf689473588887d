// durable_job crash-writer / crash-verify (tests/durability/crash.sh): see
// durable_job.cpp for the command line and crash.sh for the test.
#include "durable_job.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <mpi.h>
#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace nacre;

namespace durable {
namespace {

// ---------------------------------------------------------------------------
// Crash test (tests/durability/crash.sh): a writer job killed with SIGKILL in
// a loop, a verify job after every kill.
//
// Writer w (client rank w) works in /crash/w<w> and keeps a local log
// <log>.<w>. Every line is appended (one write) and fsynced only after the
// operation it describes returned, so every line is a promise that must hold
// after the kill:
//   start <cycle>                  the writer mounted and cleaned up (no promise)
//   killjob <step> <point>         it is killing the job (NACRE_CRASH_KILL_AT; no promise)
//   append <k> <off> <len> <gen>   grow-<k> holds fill(grow-<k>, off, gen) in
//                                  [off, off+len); synced. Records of a file
//                                  are contiguous from 0.
//   new <path> <size> <gen>        path holds exactly size bytes fill(path, 0, gen); synced
//   unlinking <path>               an unlink was started: path may be gone
//   unlinked <path>                path is gone
// gen = cycle << 32 | step: unique over the whole run, so bytes left by an
// unsynced write of an earlier cycle never look like a later record's bytes.
// The same three grow-<k> files are appended to by every cycle (recovery of
// files written before earlier kills); records have varied sizes, never
// page-aligned, written in 1-3 pieces in random order before one sync, and
// span stripes (64 KiB and 128 KiB stripes).
constexpr int kGrowing = 3;
constexpr uint64_t kGrowBig = 16ull << 20;   // past this, records of at most ~360 KiB
constexpr uint64_t kGrowHuge = 64ull << 20;  // past this, records under 4 KiB
constexpr size_t kLiveCap = 40;             // more live files: unlink more

std::string crash_dir(int w) { return "/crash/w" + std::to_string(w); }
std::string grow_path(int w, int k) { return crash_dir(w) + "/grow-" + std::to_string(k); }
LayoutRequest grow_layout(int k, int servers) {
  if (k == 0) return LayoutRequest{65536, -1, -1};
  if (k == 1) return LayoutRequest{131072, std::min(2, servers), -1};
  return LayoutRequest{};
}

// fill: bytes [off, off+len) of the pattern of (path, gen) (same bytes as pattern()).
void fill(const std::string& path, uint64_t off, uint64_t gen, uint8_t* out, uint64_t len) {
  const uint64_t h = std::hash<std::string>{}(path) ^ (gen * 0x9e3779b97f4a7c15ull);
  for (uint64_t i = 0; i < len; ++i) {
    const uint64_t o = off + i;
    uint64_t x = (o / 8 + 1) * 0xbf58476d1ce4e5b9ull ^ h;
    x ^= x >> 31;
    out[i] = static_cast<uint8_t>(x >> ((o % 8) * 8));
  }
}

struct CrashLog {
  struct Rec {
    uint64_t off, len, gen;
  };
  std::vector<Rec> grow[kGrowing];
  std::map<std::string, std::pair<uint64_t, uint64_t>> live;  // path -> size, gen
  std::vector<std::string> unlinked;
  std::string pending;  // "unlinking" without "unlinked"
  uint64_t max_gen = 0;
  std::vector<std::string> errors;  // the log itself is inconsistent
  uint64_t end(int k) const { return grow[k].empty() ? 0 : grow[k].back().off + grow[k].back().len; }
};

CrashLog parse_crash_log(const std::string& file, int w) {
  CrashLog s;
  std::ifstream in(file);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (in.eof()) break;  // no newline: a torn last line was never a promise
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    const std::string where = file + ":" + std::to_string(n) + ": ";
    if (kind == "start" || kind == "killjob") continue;
    if (kind == "append") {
      int k = -1;
      CrashLog::Rec r{};
      if (!(ls >> k >> r.off >> r.len >> r.gen) || k < 0 || k >= kGrowing || r.len == 0) {
        s.errors.push_back(where + "bad line '" + line + "'");
        continue;
      }
      if (r.off != s.end(k)) s.errors.push_back(where + "record not contiguous with the previous one");
      s.grow[k].push_back(r);
      s.max_gen = std::max(s.max_gen, r.gen);
    } else if (kind == "new") {
      std::string p;
      uint64_t size = 0, gen = 0;
      if (!(ls >> p >> size >> gen) || p.rfind(crash_dir(w) + "/f-", 0) != 0) {
        s.errors.push_back(where + "bad line '" + line + "'");
        continue;
      }
      if (s.live.count(p)) s.errors.push_back(where + p + " created twice");
      s.live[p] = {size, gen};
      s.max_gen = std::max(s.max_gen, gen);
    } else if (kind == "unlinking" || kind == "unlinked") {
      std::string p;
      ls >> p;
      if (!s.live.count(p)) s.errors.push_back(where + kind + " of a file that is not live: " + p);
      if (kind == "unlinking") {
        s.pending = p;
      } else {
        if (s.pending != p) s.errors.push_back(where + "unlinked without unlinking");
        s.pending.clear();
        s.live.erase(p);
        s.unlinked.push_back(p);
      }
    } else {
      s.errors.push_back(where + "bad line '" + line + "'");
    }
  }
  return s;
}

uint64_t record_size(std::mt19937_64& rng, uint64_t kinds = 4) {
  uint64_t len = 0;
  switch (rng() % kinds) {
    case 0: len = 1 + rng() % 4095; break;            // small, inside a page
    case 1: len = 4097 + rng() % 61000; break;        // a few pages
    case 2: len = 65537 + rng() % 300000; break;      // spans 64/128 KiB stripes
    default: len = 300000 + rng() % (1200000); break; // spans 1 MiB stripes
  }
  if (len % 4096 == 0) ++len;
  return len;
}

// Writes bytes [0, len) of data at off in 1-3 pieces in random order.
Status write_pieces(File& f, uint64_t off, const std::vector<uint8_t>& data, std::mt19937_64& rng) {
  const uint64_t len = data.size();
  std::vector<uint64_t> cuts{0, len};
  const int extra = len > 2 ? static_cast<int>(rng() % 3) : 0;
  for (int i = 0; i < extra; ++i) cuts.push_back(1 + rng() % (len - 1));
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  std::vector<size_t> order(cuts.size() - 1);
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t i : order) {
    auto w = f.write_at(off + cuts[i], data.data() + cuts[i], cuts[i + 1] - cuts[i]);
    if (!w) return w.status();
    if (*w != cuts[i + 1] - cuts[i]) return Status::error(EIO, "short write");
  }
  return Status();
}

struct LogFile {
  int fd = -1;
  bool put(const std::string& line) {
    const std::string l = line + "\n";
    if (::write(fd, l.data(), l.size()) != static_cast<ssize_t>(l.size()) || ::fsync(fd) != 0) {
      std::perror("crash-writer log");
      return false;
    }
    return true;
  }
};

// NACRE_CRASH_KILL_AT=<writer>:<step>:<point>:<kind>: writer <writer> kills
// the whole job (SIGKILL to every process of its session: mpirun, every rank,
// itself last) in the first step of this cycle numbered <step> or more whose
// operation is <kind> (append, new, unlink), at <point>:
//   logged   right after the step's log line (the promise boundary: the bytes
//            just promised must already be durable -- e.g. a sync() that left
//            them in the client cache fails here)
//   written  after the step's writes, before its sync (unsynced data in flight)
// Only inside a job started by setsid (the session leader must be mpirun), so
// it never kills anything else.
struct KillAt {
  int writer = -1;
  uint64_t step = 0;
  std::string point, kind;
};
KillAt kill_at_from_env() {
  KillAt k;
  const char* e = std::getenv("NACRE_CRASH_KILL_AT");
  if (!e || !*e) return k;
  std::string v(e);
  std::replace(v.begin(), v.end(), ':', ' ');
  std::istringstream in(v);
  if (!(in >> k.writer >> k.step >> k.point >> k.kind) || (k.point != "logged" && k.point != "written") ||
      (k.kind != "append" && k.kind != "new" && k.kind != "unlink")) {
    std::fprintf(stderr, "crash-writer: bad NACRE_CRASH_KILL_AT '%s'\n", e);
    std::exit(2);
  }
  return k;
}
void maybe_kill_job(const KillAt& k, int w, uint64_t step, const char* point, const char* kind, LogFile& lf) {
  if (k.writer != w || step < k.step || k.point != point || k.kind != kind) return;
  const pid_t sid = getsid(0), me = getpid();
  std::ifstream leader("/proc/" + std::to_string(sid) + "/cmdline");
  std::string arg0;
  std::getline(leader, arg0, '\0');
  if (arg0.find("mpirun") == std::string::npos && arg0.find("orterun") == std::string::npos) {
    std::fprintf(stderr, "[rank %d] crash-writer FAILED: session leader is '%s', not mpirun: no self-kill\n", g_rank,
                 arg0.c_str());
    std::exit(1);
  }
  // Said in the log (no promise), not on stderr: mpirun, which forwards
  // stderr, is the first to go.
  if (!lf.put("killjob " + std::to_string(step) + " " + point + " " + kind)) std::exit(1);
  ::kill(sid, SIGKILL);  // mpirun first: it must not clean up after its ranks
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      const pid_t p = static_cast<pid_t>(std::atoi(e->d_name));
      if (p > 1 && p != me && ::getsid(p) == sid) ::kill(p, SIGKILL);
    }
    ::closedir(d);
  }
  ::kill(me, SIGKILL);
}

#define WRITER_CHECK(st, what)                                                                   \
  do {                                                                                           \
    Status s_ = (st);                                                                            \
    if (!s_) {                                                                                   \
      std::fprintf(stderr, "[rank %d] crash-writer FAILED: %s: %s\n", g_rank, std::string(what).c_str(), \
                   s_.to_string().c_str());                                                      \
      return 1;                                                                                  \
    }                                                                                            \
  } while (0)

// Writes until SIGKILL (returns only on a failure).
}  // namespace

int run_crash_writer(FileSystem& fs, MPI_Comm comm, const std::string& log, uint64_t seed, uint64_t cycle) {
  int w = 0;
  MPI_Comm_rank(comm, &w);
  const int servers = fs.server_count();
  std::mt19937_64 rng(seed * 1000003 + cycle * 1009 + static_cast<uint64_t>(w));
  const KillAt kill_at = kill_at_from_env();
  const std::string dir = crash_dir(w);
  for (const std::string& d : {std::string("/crash"), dir}) {
    Status mk = fs.mkdir(d);
    if (!mk && mk.code() != EEXIST) WRITER_CHECK(mk, "mkdir " + d);
  }
  const std::string mylog = log + "." + std::to_string(w);
  CrashLog st = parse_crash_log(mylog, w);
  for (const auto& e : st.errors) {
    std::fprintf(stderr, "[rank %d] crash-writer FAILED: %s\n", g_rank, e.c_str());
    return 1;
  }
  if (st.max_gen >> 32 >= cycle) {
    std::fprintf(stderr, "[rank %d] crash-writer FAILED: cycle %llu is not above the log's\n", g_rank,
                 static_cast<unsigned long long>(cycle));
    return 1;
  }
  LogFile lf{::open(mylog.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644)};
  if (lf.fd < 0) {
    std::perror(mylog.c_str());
    return 1;
  }
  // Finish an interrupted unlink; remove what the last kill left unlogged.
  if (!st.pending.empty()) {
    Status u = fs.unlink(st.pending);
    if (!u && u.code() != ENOENT) WRITER_CHECK(u, "unlink " + st.pending);
    if (!lf.put("unlinked " + st.pending)) return 1;
    st.live.erase(st.pending);
    st.pending.clear();
  }
  auto list = fs.readdir(dir);
  WRITER_CHECK(list.status(), "readdir " + dir);
  for (const auto& e : *list) {
    const std::string p = dir + "/" + e.name;
    if (e.name.rfind("grow-", 0) == 0 || st.live.count(p)) continue;
    WRITER_CHECK(fs.unlink(p), "unlink unlogged " + p);
  }
  std::vector<File> grow;
  uint64_t end[kGrowing];
  for (int k = 0; k < kGrowing; ++k) {
    auto g = fs.open(grow_path(w, k), open_flags::kReadWrite | open_flags::kCreate, 0644, grow_layout(k, servers));
    WRITER_CHECK(g.status(), "open " + grow_path(w, k));
    end[k] = st.end(k);
    auto sz = g->size();
    WRITER_CHECK(sz.status(), "size " + grow_path(w, k));
    if (*sz < end[k]) {
      std::fprintf(stderr, "[rank %d] crash-writer FAILED: %s has %llu bytes, %llu were synced\n", g_rank,
                   grow_path(w, k).c_str(), static_cast<unsigned long long>(*sz),
                   static_cast<unsigned long long>(end[k]));
      return 1;
    }
    if (*sz > end[k]) WRITER_CHECK(g->set_size(end[k]), "cut unsynced tail of " + grow_path(w, k));
    grow.push_back(std::move(*g));
  }
  if (!lf.put("start " + std::to_string(cycle))) return 1;
  for (uint64_t step = 1;; ++step) {
    const uint64_t gen = cycle << 32 | step;
    const unsigned r = static_cast<unsigned>(rng() % 100);
    const int k = static_cast<int>(rng() % kGrowing);
    if (st.live.size() > kLiveCap || (r >= 85 && st.live.size() > 3)) {
      auto it = st.live.begin();
      std::advance(it, static_cast<long>(rng() % st.live.size()));
      const std::string p = it->first;
      if (!lf.put("unlinking " + p)) return 1;
      maybe_kill_job(kill_at, w, step, "written", "unlink", lf);
      WRITER_CHECK(fs.unlink(p), "unlink " + p);
      if (!lf.put("unlinked " + p)) return 1;
      st.live.erase(p);
      maybe_kill_job(kill_at, w, step, "logged", "unlink", lf);
    } else if (r < 45) {
      const uint64_t len = record_size(rng, end[k] >= kGrowHuge ? 1 : end[k] >= kGrowBig ? 3 : 4);
      std::vector<uint8_t> data(len);
      fill(grow_path(w, k), end[k], gen, data.data(), len);
      WRITER_CHECK(write_pieces(grow[static_cast<size_t>(k)], end[k], data, rng), "write " + grow_path(w, k));
      maybe_kill_job(kill_at, w, step, "written", "append", lf);
      WRITER_CHECK(grow[static_cast<size_t>(k)].sync(), "sync " + grow_path(w, k));
      if (!lf.put("append " + std::to_string(k) + " " + std::to_string(end[k]) + " " + std::to_string(len) +
                  " " + std::to_string(gen)))
        return 1;
      end[k] += len;
      maybe_kill_job(kill_at, w, step, "logged", "append", lf);
    } else {
      const std::string p = dir + "/f-" + std::to_string(gen);
      const bool via_tmp = rng() % 2;
      const std::string first = via_tmp ? dir + "/tmp-" + std::to_string(gen) : p;
      const uint64_t size = rng() % 20 == 0 ? 0 : record_size(rng);
      static const uint64_t kStripes[] = {0, 65536, 131072, 1 << 20};
      LayoutRequest l{kStripes[rng() % 4], static_cast<int32_t>(rng() % static_cast<unsigned>(servers)) + 1, -1};
      auto f = fs.open(first, open_flags::kReadWrite | open_flags::kCreate | open_flags::kExclusive, 0644, l);
      WRITER_CHECK(f.status(), "create " + first);
      std::vector<uint8_t> data(size);
      fill(p, 0, gen, data.data(), size);  // the bytes of the final name
      if (size) WRITER_CHECK(write_pieces(*f, 0, data, rng), "write " + first);
      maybe_kill_job(kill_at, w, step, "written", "new", lf);
      WRITER_CHECK(f->sync(), "sync " + first);
      WRITER_CHECK(f->close(), "close " + first);
      if (via_tmp) WRITER_CHECK(fs.rename(first, p), "rename " + first);
      if (!lf.put("new " + p + " " + std::to_string(size) + " " + std::to_string(gen))) return 1;
      st.live[p] = {size, gen};
      maybe_kill_job(kill_at, w, step, "logged", "new", lf);
    }
  }
}

// What is at [off, off+len) of a file if not the expected bytes: for a report.
namespace {

std::string describe(const uint8_t* got, uint64_t len) {
  uint64_t zeros = 0;
  for (uint64_t i = 0; i < len; ++i) zeros += got[i] == 0;
  return zeros == len ? "all zeros" : std::to_string(zeros) + " of " + std::to_string(len) + " bytes zero";
}

// The records of grow-<k> of writer w are in place and the file is long enough.
std::string check_grow(FileSystem& fs, const std::string& path, const std::vector<CrashLog::Rec>& recs,
                       const LayoutRequest& want_layout) {
  const uint64_t end = recs.empty() ? 0 : recs.back().off + recs.back().len;
  auto f = fs.open(path, open_flags::kRead);
  if (!f) return end ? path + ": open: " + f.status().to_string() : std::string();
  auto sz = f->size();
  if (!sz) return path + ": size: " + sz.status().to_string();
  if (*sz < end) return path + ": " + std::to_string(*sz) + " bytes, " + std::to_string(end) + " were synced";
  const Layout& l = f->layout();
  if (want_layout.stripe_size && l.stripe_size != want_layout.stripe_size) return path + ": stripe size changed";
  std::vector<uint8_t> got, want;
  for (const auto& r : recs) {
    got.resize(r.len);
    want.resize(r.len);
    auto rd = f->read_at(r.off, got.data(), r.len);
    if (!rd || *rd != r.len) return path + ": short read of the record at " + std::to_string(r.off);
    fill(path, r.off, r.gen, want.data(), r.len);
    if (got != want) {
      uint64_t i = 0;
      while (got[i] == want[i]) ++i;
      return path + ": synced record [" + std::to_string(r.off) + ", +" + std::to_string(r.len) + ") of gen " +
             std::to_string(r.gen >> 32) + ":" + std::to_string(r.gen & 0xffffffff) + " differs at byte " +
             std::to_string(r.off + i) + " (" + describe(got.data(), r.len) + ")";
    }
  }
  (void)f->close();
  return {};
}

}  // namespace

int run_crash_verify(FileSystem& fs, MPI_Comm comm, const std::string& log) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int servers = fs.server_count();
  int writers = 0;
  while (::access((log + "." + std::to_string(writers)).c_str(), F_OK) == 0) ++writers;
  EXPECT(writers > 0, "no writer log " + log + ".0");
  std::vector<CrashLog> logs;
  for (int w = 0; w < writers; ++w) logs.push_back(parse_crash_log(log + "." + std::to_string(w), w));
  // Data: the work (files of all writers) is dealt out over the ranks.
  long files = 0, bytes = 0, items = 0;
  for (int w = 0; w < writers; ++w) {
    const CrashLog& s = logs[static_cast<size_t>(w)];
    if (rank == 0)
      for (const auto& e : s.errors) EXPECT(false, "log: " + e);
    for (int k = 0; k < kGrowing; ++k) {
      if (items++ % size != rank) continue;
      std::string bad = check_grow(fs, grow_path(w, k), s.grow[k], grow_layout(k, servers));
      EXPECT(bad.empty(), "synced data lost: " + bad);
      files += !s.grow[k].empty();
      bytes += static_cast<long>(s.end(k));
    }
    for (const auto& [p, sg] : s.live) {
      if (items++ % size != rank) continue;
      if (p == s.pending && fs.stat(p).status().code() == ENOENT) continue;  // the unlink was under way
      std::string bad = check_file(fs, p, sg.first, sg.second);
      EXPECT(bad.empty(), "synced data lost: " + bad);
      ++files;
      bytes += static_cast<long>(sg.first);
    }
    for (const auto& p : s.unlinked)
      if (items++ % size == rank) EXPECT(fs.stat(p).status().code() == ENOENT, "unlinked file is back: " + p);
  }
  // Namespace (rank 0): every entry is a logged file or the one operation the
  // kill interrupted; every entry can be stat'ed and read; inodes are unique;
  // the file system takes new files (with fresh inodes).
  long entries = 0, unlogged_total = 0;
  if (rank == 0) {
    std::map<uint64_t, std::string> inos;
    auto note_ino = [&](uint64_t ino, const std::string& p) {
      auto [it, fresh] = inos.emplace(ino, p);
      EXPECT(fresh, "inode " + std::to_string(ino) + " of " + p + " is also " + it->second + "'s");
    };
    auto top = fs.stat("/crash");
    EXPECT(top && top->type == FileType::kDirectory, "/crash is not a directory");
    if (top) note_ino(top->ino, "/crash");
    auto tl = fs.readdir("/crash");
    EXPECT(tl.is_ok(), "readdir /crash");
    if (tl)
      for (const auto& e : *tl)
        EXPECT(e.name.rfind("w", 0) == 0 && std::stoi(e.name.substr(1)) < writers, "stray /crash/" + e.name);
    for (int w = 0; w < writers; ++w) {
      const CrashLog& s = logs[static_cast<size_t>(w)];
      const std::string dir = crash_dir(w);
      auto ds = fs.stat(dir);
      if (!ds) continue;  // killed before its mkdir (then the log is empty)
      note_ino(ds->ino, dir);
      auto list = fs.readdir(dir);
      EXPECT(list.is_ok(), "readdir " + dir + ": " + list.status().to_string());
      if (!list) continue;
      std::set<std::string> seen;
      int unlogged = 0;
      for (const auto& e : *list) {
        const std::string p = dir + "/" + e.name;
        ++entries;
        EXPECT(seen.insert(e.name).second, "readdir lists " + p + " twice");
        auto st = fs.stat(p);
        EXPECT(st.is_ok(), p + " is listed but stat fails: " + st.status().to_string());
        if (!st) continue;
        EXPECT(st->type == FileType::kRegular && st->ino == e.ino, p + ": readdir and stat disagree");
        note_ino(st->ino, p);
        bool logged = s.live.count(p) > 0;
        for (int k = 0; k < kGrowing; ++k) logged = logged || p == grow_path(w, k);
        if (!logged) {
          ++unlogged;
          // The interrupted operation: a create (maybe via a temporary name) of
          // a generation after every logged one.
          uint64_t g = 0;
          const std::string num = e.name.substr(e.name.find('-') + 1);
          const bool named = e.name.rfind("f-", 0) == 0 || e.name.rfind("tmp-", 0) == 0;
          if (named) g = std::strtoull(num.c_str(), nullptr, 10);
          EXPECT(named && g > s.max_gen, "unexpected entry " + p);
          // Its bytes are not promised, but it must be readable.
          auto f = fs.open(p, open_flags::kRead);
          EXPECT(f.is_ok(), "open unlogged " + p);
          if (f) {
            std::vector<uint8_t> buf(st->size);
            auto r = st->size ? f->read_at(0, buf.data(), buf.size()) : Result<size_t>(size_t{0});
            EXPECT(r && *r == st->size, "read unlogged " + p);
            (void)f->close();
          }
        }
      }
      for (const auto& [p, sg] : s.live)
        EXPECT(seen.count(p.substr(dir.size() + 1)) || p == s.pending, "readdir misses " + p);
      EXPECT(unlogged <= 1, dir + ": " + std::to_string(unlogged) + " entries no operation accounts for");
      unlogged_total += unlogged;
    }
    const std::string probe = "/crash/probe";
    Status ws = write_file(fs, probe, 12345, 99, LayoutRequest{65536, -1, -1}, 0644);
    EXPECT(ws.is_ok(), "write after the crash: " + ws.to_string());
    auto ps = fs.stat(probe);
    if (ps) note_ino(ps->ino, probe);
    std::string bad = check_file(fs, probe, 12345, 99);
    EXPECT(bad.empty(), bad);
    EXPECT(fs.unlink(probe).is_ok(), "unlink probe");
  }
  long v[2] = {files, bytes}, t[2] = {0, 0};
  MPI_Reduce(v, t, 2, MPI_LONG, MPI_SUM, 0, comm);
  if (rank == 0)
    std::printf("crash-verify: %d writers, %ld synced files (%ld bytes) intact; namespace: %ld entries, %ld "
                "left by the kill\n",
                writers, t[0], t[1], entries, unlogged_total);
  return 0;
}

}  // namespace durable
