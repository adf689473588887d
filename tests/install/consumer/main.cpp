// Outside consumer of the installed C++ API: start, a few namespace and data
// calls per client, shutdown. Prints "consumer_cxx: OK" on client rank 0.
#include <nacre/nacre.hpp>

#include <mpi.h>

#include <cstdio>
#include <string>

namespace {

bool ok_or_print(const nacre::Status& s) {
  if (!s) std::fprintf(stderr, "consumer_cxx: error: %s\n", s.to_string().c_str());
  return s.is_ok();
}

bool client(nacre::Runtime& rt) {
  int rank = 0;
  MPI_Comm_rank(rt.client_comm(), &rank);
  nacre::FileSystem& fs = rt.fs();
  const std::string dir = "/cxx-" + std::to_string(rank);
  const std::string path = dir + "/hello";
  const std::string msg = "hello from client " + std::to_string(rank);
  if (!ok_or_print(fs.mkdir(dir))) return false;
  auto f = fs.create(path);
  if (!ok_or_print(f.status())) return false;
  if (!ok_or_print(f->write_at(0, msg.data(), msg.size()).status())) return false;
  std::string back(msg.size(), '\0');
  auto n = f->read_at(0, back.data(), back.size());
  if (!ok_or_print(n.status())) return false;
  if (back != msg) {
    std::fprintf(stderr, "consumer_cxx: error: read back '%s'\n", back.c_str());
    return false;
  }
  if (!ok_or_print(f->close())) return false;
  auto st = fs.stat(path);
  if (!ok_or_print(st.status())) return false;
  if (st->size != msg.size()) {
    std::fprintf(stderr, "consumer_cxx: error: size %llu\n", static_cast<unsigned long long>(st->size));
    return false;
  }
  return ok_or_print(fs.unlink(path)) && ok_or_print(fs.rmdir(dir));
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  {
    auto rt = nacre::Runtime::start(MPI_COMM_WORLD);
    if (!rt) {
      ok_or_print(rt.status());
      rc = 1;
    } else if (rt->is_client()) {
      int ok = client(*rt) ? 1 : 0, all = 0;
      MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, rt->client_comm());
      int crank = 0;
      MPI_Comm_rank(rt->client_comm(), &crank);
      if (!ok_or_print(rt->shutdown())) all = 0;
      if (all && crank == 0) std::printf("consumer_cxx: OK\n");
      rc = all ? 0 : 1;
    }
  }
  MPI_Finalize();
  return rc;
}
