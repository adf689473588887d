// a) Round-trip latency: raw MPI ping-pong vs Nacre 4 KiB write_at / read_at.
#include "bench.hpp"

#include <chrono>
#include <iostream>
#include <thread>

namespace nacre::jobs {

void polite_barrier(MPI_Comm comm) {
  MPI_Request req;
  MPI_Ibarrier(comm, &req);
  for (;;) {
    int done = 0;
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

double raw_pingpong_us(const BenchOptions& opt, int client, int server) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::vector<char> buf(opt.rtt_bytes, 'p');
  std::vector<double> t;
  MPI_Barrier(MPI_COMM_WORLD);
  const int n = static_cast<int>(opt.rtt_bytes);
  if (rank == client) {
    t.reserve(static_cast<size_t>(opt.rtt_iters));
    for (int i = 0; i < opt.rtt_warmup + opt.rtt_iters; ++i) {
      const double t0 = now_seconds();
      MPI_Send(buf.data(), n, MPI_BYTE, server, 7, MPI_COMM_WORLD);
      MPI_Recv(buf.data(), n, MPI_BYTE, server, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (i >= opt.rtt_warmup) t.push_back((now_seconds() - t0) * 1e6);
    }
  } else if (rank == server) {
    for (int i = 0; i < opt.rtt_warmup + opt.rtt_iters; ++i) {
      MPI_Recv(buf.data(), n, MPI_BYTE, client, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buf.data(), n, MPI_BYTE, client, 7, MPI_COMM_WORLD);
    }
  }
  polite_barrier(MPI_COMM_WORLD);
  return median(t);
}

bool bench_nacre_rtt(FileSystem& fs, MPI_Comm clients, const BenchOptions& opt, int rep,
                     std::vector<Series>& results) {
  int me = 0;
  MPI_Comm_rank(clients, &me);
  Status s;
  std::vector<double> tw, tr;
  if (me == 0) {
    const std::string path = "/" + opt.tag + "-rtt-" + std::to_string(rep);
    std::vector<char> buf(opt.rtt_bytes, 'r');
    // One stripe, on server 0 (the rank the raw ping-pong talks to).
    auto f = fs.create(path, 0644, LayoutRequest{0, 1, 0});
    if (!f) s = f.status();
    auto one = [&](bool write, std::vector<double>& t) {
      for (int i = 0; s.is_ok() && i < opt.rtt_warmup + opt.rtt_iters; ++i) {
        const double t0 = now_seconds();
        auto n = write ? f->write_at(0, buf.data(), buf.size()) : f->read_at(0, buf.data(), buf.size());
        if (!n) s = n.status();
        else if (*n != buf.size()) s = Status::error(EIO, "short read in the latency test");
        if (i >= opt.rtt_warmup) t.push_back((now_seconds() - t0) * 1e6);
      }
    };
    if (s) one(true, tw);
    if (s) one(false, tr);
    if (f) {
      Status c = f->close();
      if (s) s = c;
      Status u = fs.unlink(path);
      if (s) s = u;
    }
    if (!s) std::cerr << "latency test: " << s.to_string() << "\n";
  }
  polite_barrier(clients);
  if (!all_ok(clients, s.is_ok())) return false;
  if (me == 0) {
    series(results, "write_rtt", "nacre", "us").samples.push_back(median(tw));
    series(results, "read_rtt", "nacre", "us").samples.push_back(median(tr));
  }
  return true;
}

}  // namespace nacre::jobs
