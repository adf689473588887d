// nacre-bench-locks, part 3: lock micro-benchmark (bench_locks.hpp).
//
//   lock_enqueue / lock_cancel  client 0 sends LOCK_ENQUEUE (PW, no-expand,
//       a fresh 4 KiB extent, uncontended) then LOCK_CANCEL of the granted
//       handle straight through the client core's control_call, on a
//       one-stripe object of server 0; per-call median round trip.
//   lock_pairs_1 / lock_pairs_all  enqueue+cancel pairs per second: client 0
//       alone, then every client at once on disjoint extents of the object.
//   write_4k  client 0 rewrites the same 4 KiB of a one-stripe file:
//       cached lock + write-back cache (default flags: no RPC at all), cached
//       lock + write-through (one data RPC), lockless (one data RPC); and
//       4 KiB writes at advancing offsets with kNoExpand|kWriteThrough (a new
//       lock RPC + a data RPC each).
//   conflict_step  clients 0 and 1 alternately write the same 4 KiB (the
//       writer then passes a 1-byte token to the other): under locks every
//       write needs a callback to the other client, its write-back (default
//       flags) and cancel, and a grant. Time per write, next to lockless and
//       to a raw 4 KiB MPI ping-pong between the same two ranks.
#include "bench_locks.hpp"
#include "client/file_access.hpp"
#include "locks/lock_mode.hpp"
#include "wire/codec.hpp"
#include "wire/frame.hpp"
#include "wire/messages.hpp"

#include <cstring>
#include <iostream>
#include <iterator>

namespace nacre::jobs::locks {

double raw_pingpong_us(MPI_Comm comm, int a, int b, size_t bytes, int iters, int warmup) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::vector<char> buf(bytes, 'p');
  std::vector<double> t;
  MPI_Barrier(comm);
  const int n = static_cast<int>(bytes);
  if (rank == a) {
    t.reserve(static_cast<size_t>(iters));
    for (int i = 0; i < warmup + iters; ++i) {
      const double t0 = now_seconds();
      MPI_Send(buf.data(), n, MPI_BYTE, b, 7, comm);
      MPI_Recv(buf.data(), n, MPI_BYTE, b, 7, comm, MPI_STATUS_IGNORE);
      if (i >= warmup) t.push_back((now_seconds() - t0) * 1e6);
    }
  } else if (rank == b) {
    for (int i = 0; i < warmup + iters; ++i) {
      MPI_Recv(buf.data(), n, MPI_BYTE, a, 7, comm, MPI_STATUS_IGNORE);
      MPI_Send(buf.data(), n, MPI_BYTE, a, 7, comm);
    }
  }
  idle_barrier(comm);
  return median(t);
}

namespace {

constexpr uint64_t k4K = 4096;

int rank_in(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

bool report(const Status& s, const std::string& what) {
  if (!s) std::cerr << what << ": " << s.to_string() << "\n";
  return s.is_ok();
}

// COLLECTIVE over comm: client 0 creates a one-stripe file on server 0,
// then every client opens it with `flags`.
Result<File> open_one_stripe(FileSystem& fs, MPI_Comm comm, const std::string& path,
                             uint32_t flags) {
  Status s;
  if (rank_in(comm) == 0) {
    auto f = fs.open(path, open_flags::kReadWrite | open_flags::kCreate | open_flags::kTruncate |
                               flags, 0644, LayoutRequest{0, 1, 0});
    if (f) s = f->close(); else s = f.status();
  }
  if (!all_ok(comm, s.is_ok())) return s.is_ok() ? Status::error(EIO, "create failed on client 0") : s;
  auto f = fs.open(path, open_flags::kReadWrite | flags);
  if (!all_ok(comm, f.is_ok())) return f ? Status::error(EIO, "open failed elsewhere") : f.status();
  return f;
}

// COLLECTIVE: closes f and removes path (client 0).
Status close_remove(FileSystem& fs, MPI_Comm comm, File& f, const std::string& path) {
  Status s = f.close();
  MPI_Barrier(comm);
  if (rank_in(comm) == 0) {
    Status u = fs.unlink(path);
    if (s) s = u;
  }
  return all_ok(comm, s.is_ok()) ? Status::ok() : (s ? Status::error(EIO, "close/unlink elsewhere") : s);
}

// One LOCK_ENQUEUE (PW, no-expand) + LOCK_CANCEL pair on [start, start+len)
// of the object; the two round trips in microseconds.
Status lock_pair(client::ClientCore& core, int server, uint64_t object, uint64_t start,
                 double* enq_us, double* cancel_us) {
  wire::LockEnqueueRequest req;
  req.object_id = object;
  req.mode = static_cast<uint8_t>(nacre::locks::Mode::PW);
  req.start = start;
  req.end = start + k4K;
  req.flags = wire::kLockFlagNoExpand;
  std::vector<uint8_t> body;
  const double t0 = now_seconds();
  NACRE_RETURN_IF_ERROR(core.control_call(server, wire::MsgType::kLockEnqueue,
                                          wire::encode_body(req), &body));
  const double t1 = now_seconds();
  wire::LockEnqueueReply rep;
  NACRE_RETURN_IF_ERROR(wire::decode_body(body, rep, "LOCK_ENQUEUE reply"));
  if (rep.handle == 0 || rep.start > req.start || rep.end < req.end)
    return Status::error(EPROTO, "LOCK_ENQUEUE granted a lock that does not cover the request");
  NACRE_RETURN_IF_ERROR(core.control_call(server, wire::MsgType::kLockCancel,
                                          wire::encode_body(wire::LockCancelRequest{object, rep.handle}),
                                          nullptr));
  const double t2 = now_seconds();
  *enq_us = (t1 - t0) * 1e6;
  *cancel_us = (t2 - t1) * 1e6;
  return Status::ok();
}

// Direct lock RPCs: client 0 alone (latency, pairs/s), then every client
// (pairs/s in all). The file is lockless, so the client's lock cache holds
// nothing on it that the direct requests could conflict with.
bool micro_lock_rpcs(FileSystem& fs, MPI_Comm comm, const Options& o, int rep,
                     std::vector<Series>& results) {
  const int me = rank_in(comm);
  int n = 1;
  MPI_Comm_size(comm, &n);
  const std::string path = "/" + o.tag + "-lockrpc-" + std::to_string(rep);
  auto f = open_one_stripe(fs, comm, path, open_flags::kLockless);
  if (!f) return report(f.status(), path);
  Status s;
  std::vector<uint8_t> page(k4K, 1);
  if (me == 0) s = f->write_at(0, page.data(), page.size()).status();  // the object exists
  auto core = client::FileAccess::core(*f);
  const StripeTarget target = f->layout().stripes[0];
  const int server = static_cast<int>(target.server);
  // Each client's extents start at its own 2^40 boundary.
  const uint64_t mine = static_cast<uint64_t>(me) << 40;
  double enq = 0, can = 0;
  if (me == 0 && s) {
    std::vector<double> te, tc;
    double t0 = 0;
    for (int i = 0; s && i < o.micro_warmup + o.micro_iters; ++i) {
      if (i == o.micro_warmup) t0 = now_seconds();
      s = lock_pair(*core, server, target.object_id, mine + static_cast<uint64_t>(i) * k4K, &enq, &can);
      if (i >= o.micro_warmup) te.push_back(enq), tc.push_back(can);
    }
    const double secs = now_seconds() - t0;
    if (s) {
      series(results, "lock_enqueue", "nacre", "us").samples.push_back(median(te));
      series(results, "lock_cancel", "nacre", "us").samples.push_back(median(tc));
      series(results, "lock_pairs_1client", "nacre", "pairs/s").samples.push_back(o.micro_iters / secs);
    }
  }
  idle_barrier(comm);
  if (all_ok(comm, s.is_ok())) {
    const uint64_t base = mine + (1ull << 39);
    const double secs = timed(comm, [&]() -> Status {
      Status r;
      for (int i = 0; r && i < o.micro_iters; ++i)
        r = lock_pair(*core, server, target.object_id, base + static_cast<uint64_t>(i) * k4K, &enq, &can);
      return r;
    });
    if (secs < 0) s = Status::error(EIO, "concurrent lock pairs failed");
    else if (me == 0)
      series(results, "lock_pairs_all", "nacre:" + std::to_string(n) + "-clients", "pairs/s")
          .samples.push_back(static_cast<double>(n) * o.micro_iters / secs);
  }
  Status c = close_remove(fs, comm, *f, path);
  return report(s, "lock RPCs") && report(c, path) && all_ok(comm, s.is_ok());
}

// 4 KiB writes of client 0 under a cached lock (with / without the cache),
// a new lock each, and no lock.
bool micro_writes(FileSystem& fs, MPI_Comm comm, const Options& o, int rep,
                  std::vector<Series>& results) {
  struct Mode {
    const char* system;
    uint32_t flags;
    bool advance;  // a fresh offset each write
  };
  const Mode modes[] = {{"nacre:cached-lock+cache", 0, false},
                        {"nacre:cached-lock", open_flags::kWriteThrough, false},
                        {"nacre:new-lock", open_flags::kNoExpand | open_flags::kWriteThrough, true},
                        {"nacre:lockless", open_flags::kLockless, false}};
  bool ok = true;
  std::vector<uint8_t> buf(k4K), back(k4K);
  const size_t count = std::size(modes);
  for (size_t k = 0; k < count; ++k) {
    const Mode& m = modes[(k + static_cast<size_t>(rep)) % count];  // rotate the order
    const std::string path = "/" + o.tag + "-w4k-" + std::to_string(rep);
    auto f = open_one_stripe(fs, comm, path, m.flags);
    if (!f) return report(f.status(), path);
    Status s;
    uint64_t last = 0;
    if (rank_in(comm) == 0) {
      std::vector<double> t;
      t.reserve(static_cast<size_t>(o.micro_iters));
      for (int i = 0; s && i < o.micro_warmup + o.micro_iters; ++i) {
        last = m.advance ? static_cast<uint64_t>(i) * k4K : 0;
        fill_pattern(buf.data(), k4K, last, static_cast<uint64_t>(i));
        const double t0 = now_seconds();
        s = f->write_at(last, buf.data(), k4K).status();
        if (i >= o.micro_warmup) t.push_back((now_seconds() - t0) * 1e6);
      }
      // The last write must read back (through the cache's write-back).
      if (s) s = f->read_at(last, back.data(), k4K).status();
      if (s && back != buf) s = Status::error(EIO, "VERIFICATION FAILED: 4 KiB write not read back");
      if (s) series(results, "write_4k", m.system, "us").samples.push_back(median(t));
    }
    idle_barrier(comm);
    Status c = close_remove(fs, comm, *f, path);
    ok = all_ok(comm, report(s, m.system) && report(c, path)) && ok;
    if (!ok) break;
  }
  return ok;
}

// Clients 0 and 1 alternately write the same 4 KiB; the others wait.
bool micro_conflict(FileSystem& fs, MPI_Comm comm, const Options& o, int rep,
                    std::vector<Series>& results) {
  struct Mode {
    const char* system;
    uint32_t flags;
  };
  const Mode modes[] = {{"nacre:cache", 0},
                        {"nacre:write-through", open_flags::kWriteThrough},
                        {"nacre:lockless", open_flags::kLockless}};
  const int me = rank_in(comm);
  bool ok = true;
  std::vector<uint8_t> buf(k4K), back(k4K);
  const int steps = o.micro_warmup + o.conflict_iters;
  const size_t count = std::size(modes);
  for (size_t k = 0; k < count; ++k) {
    const Mode& m = modes[(k + static_cast<size_t>(rep)) % count];  // rotate the order
    const std::string path = "/" + o.tag + "-conflict-" + std::to_string(rep);
    auto f = open_one_stripe(fs, comm, path, m.flags);
    if (!f) return report(f.status(), path);
    Status s;
    auto core = client::FileAccess::core(*f);
    const uint64_t cb0 = core->lock_cache().callbacks_received();
    double t0 = 0;
    MPI_Barrier(comm);
    if (me < 2) {
      char token = 0;
      for (int step = 0; step < steps; ++step) {
        if (step == o.micro_warmup) t0 = now_seconds();
        if (step % 2 == me) {
          fill_pattern(buf.data(), k4K, 0, static_cast<uint64_t>(step) + 1);
          if (s) s = f->write_at(0, buf.data(), k4K).status();
          MPI_Send(&token, 1, MPI_CHAR, 1 - me, 9, comm);  // even after a failure: no hang
        } else {
          MPI_Recv(&token, 1, MPI_CHAR, 1 - me, 9, comm, MPI_STATUS_IGNORE);
        }
      }
    }
    const double secs = now_seconds() - t0;
    // Both writers are done; the one that did not write last reads: the
    // other's last write must reach it (callback + write-back under locks).
    if (me == steps % 2 && s) {
      s = f->read_at(0, back.data(), k4K).status();
      fill_pattern(buf.data(), k4K, 0, static_cast<uint64_t>(steps - 1) + 1);
      if (s && back != buf) s = Status::error(EIO, "VERIFICATION FAILED: read missed the last write");
    }
    const uint64_t cbs = core->lock_cache().callbacks_received() - cb0;
    idle_barrier(comm);
    Status c = close_remove(fs, comm, *f, path);
    ok = all_ok(comm, report(s, std::string("conflict ") + m.system) && report(c, path));
    uint64_t cb_all = 0;
    MPI_Reduce(&cbs, &cb_all, 1, MPI_UINT64_T, MPI_SUM, 0, comm);
    if (!ok) break;
    if (me == 0) {
      series(results, "conflict_step", m.system, "us").samples.push_back(secs * 1e6 / o.conflict_iters);
      series(results, "conflict_callbacks_per_step", m.system, "count")
          .samples.push_back(static_cast<double>(cb_all) / steps);
    }
  }
  if (ok) {
    const double us = raw_pingpong_us(comm, 0, 1, k4K, o.micro_iters, o.micro_warmup);
    if (me == 0) series(results, "conflict_step", "mpi-pingpong:4KiB", "us").samples.push_back(us);
  }
  return ok;
}

}  // namespace

bool bench_lock_micro(FileSystem& fs, MPI_Comm clients, const Options& o, int rep,
                      std::vector<Series>& results) {
  int n = 1;
  MPI_Comm_size(clients, &n);
  if (!micro_lock_rpcs(fs, clients, o, rep, results)) return false;
  if (!micro_writes(fs, clients, o, rep, results)) return false;
  if (n < 2) return true;  // no conflict pair
  return micro_conflict(fs, clients, o, rep, results);
}

}  // namespace nacre::jobs::locks
