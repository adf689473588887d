// run_maintenance_command: health / fsck / scrub / rebuild for nacre-ctl and
// test jobs (include/nacre/maintenance.hpp).
#include <nacre/filesystem.hpp>
#include <nacre/maintenance.hpp>

#include <cstdio>

namespace nacre {
namespace {

void print_progress(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void list(const char* what, const std::vector<std::string>& lines) {
  for (const auto& l : lines) std::printf("  %s: %s\n", what, l.c_str());
}

int error(const std::string& cmd, const Status& s) {
  std::fprintf(stderr, "%s: %s\n", cmd.c_str(), s.to_string().c_str());
  return 2;
}

}  // namespace

int run_maintenance_command(FileSystem& fs, const std::string& cmd) {
  if (cmd == "health") {
    auto h = fs.health();
    if (!h) return error(cmd, h.status());
    for (const auto& s : *h) {
      std::printf("server %u: %s, %llu stale copy(ies)", s.server, s.rebuilding ? "REBUILDING" : "ok",
                  static_cast<unsigned long long>(s.stale_objects));
      if (s.metadata_mirrors_out_of_step > 0)
        std::printf(", %u metadata mirror(s) OUT OF STEP until the next start",
                    s.metadata_mirrors_out_of_step);
      std::printf("\n");
    }
    std::printf("file system: %s\n", degraded(*h) ? "DEGRADED" : "healthy");
    return degraded(*h) ? 1 : 0;
  }
  if (cmd == "fsck" || cmd == "fsck-repair") {
    auto r = fs.fsck(cmd == "fsck-repair", print_progress);
    if (!r) return error(cmd, r.status());
    list("orphan", r->orphans);
    list("missing", r->missing);
    list("size mismatch", r->size_mismatches);
    list("stale", r->stale);
    for (uint32_t s : r->rebuilding) std::printf("  rebuilding: server %u\n", s);
    std::printf("%s\n", r->summary().c_str());
    return r->clean() ? 0 : 1;
  }
  if (cmd == "scrub") {
    auto r = fs.scrub(print_progress);
    if (!r) return error(cmd, r.status());
    list("unrepairable", r->unrepairable);
    std::printf("%s\n", r->summary().c_str());
    return r->clean() ? 0 : 1;
  }
  if (cmd == "rebuild") {
    auto r = fs.rebuild(print_progress);
    if (!r) return error(cmd, r.status());
    list("failed", r->failed);
    std::printf("%s\n", r->summary().c_str());
    return r->failed.empty() ? 0 : 1;
  }
  std::fprintf(stderr, "unknown maintenance command '%s' (health, fsck, fsck-repair, scrub, rebuild)\n",
               cmd.c_str());
  return 2;
}

}  // namespace nacre
