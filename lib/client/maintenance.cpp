#include "client/maintenance.hpp"

#include "layout/layout_math.hpp"

#include <chrono>
#include <map>
#include <set>
#include <sstream>

namespace nacre {

bool degraded(const std::vector<ServerHealth>& health) {
  for (const auto& h : health)
    if (h.rebuilding || h.stale_objects > 0 || h.metadata_mirrors_out_of_step > 0) return true;
  return false;
}

std::string FsckReport::summary() const {
  std::ostringstream o;
  o << "fsck: " << files << " files, " << objects << " objects: " << orphans.size() << " orphan(s)";
  if (orphans_removed) o << " (" << orphans_removed << " removed)";
  o << ", " << missing.size() << " missing copy(ies), " << size_mismatches.size()
    << " size mismatch(es), " << stale.size() << " stale copy(ies), " << rebuilding.size()
    << " server(s) rebuilding: " << (clean() ? "clean" : "NOT clean");
  return o.str();
}

std::string ScrubReport::summary() const {
  std::ostringstream o;
  o << "scrub: " << files << " files, " << copies_checked << " object copies, " << pages_checked
    << " pages checked; " << damaged_ranges << " damaged range(s), " << repaired_ranges
    << " repaired; " << stale_resynced << " stale copy(ies) resynced; " << size_mismatches_fixed
    << " size mismatch(es) fixed; " << unrepairable.size() << " unrepairable";
  return o.str();
}

std::string RebuildReport::summary() const {
  std::ostringstream o;
  o << "rebuild: " << servers.size() << " server(s) rebuilt, " << stale_resynced
    << " stale copy(ies) resynced, " << copies << " object copies, " << bytes << " bytes; "
    << failed.size() << " failed";
  return o.str();
}

namespace client {
namespace {

using wire::MsgType;
using Clock = std::chrono::steady_clock;

std::string where(const StripeTarget& t) {
  return "server " + std::to_string(t.server) + " object " + std::to_string(t.object_id);
}

std::string copy_name(uint64_t ino, uint32_t stripe, uint32_t copy, const StripeTarget& t) {
  return "inode " + std::to_string(ino) + " stripe " + std::to_string(stripe) + " copy " +
         std::to_string(copy) + " (" + where(t) + ")";
}

// Every regular file and its layout, from the metadata server.
Result<std::vector<wire::WireFileEntry>> all_files(ClientCore& core) {
  std::vector<wire::WireFileEntry> out;
  wire::ListFilesRequest req{0, 1024};
  for (;;) {
    wire::ListFilesReply rep;
    NACRE_RETURN_IF_ERROR(core.mds_call(MsgType::kListFiles, req, &rep));
    for (auto& e : rep.entries) {
      NACRE_RETURN_IF_ERROR(check_layout(e.layout.to_layout(), core.server_count())
                                .with_context("layout of inode " + std::to_string(e.ino)));
      out.push_back(std::move(e));
    }
    if (rep.done) return out;
    if (rep.next_cookie <= req.cookie)
      return Status::error(EPROTO, "LIST_FILES did not advance past inode " +
                                       std::to_string(req.cookie));
    req.cookie = rep.next_cookie;
  }
}

// Every object one server holds.
Result<std::vector<wire::WireObjectEntry>> all_objects(ClientCore& core, int server) {
  std::vector<wire::WireObjectEntry> out;
  wire::ObjListRequest req{0, 4096};
  for (;;) {
    std::vector<uint8_t> body;
    NACRE_RETURN_IF_ERROR(core.control_call(server, MsgType::kObjList, wire::encode_body(req), &body));
    wire::ObjListReply rep;
    NACRE_RETURN_IF_ERROR(wire::decode_body(body, rep, "OBJ_LIST reply"));
    for (auto& e : rep.entries) out.push_back(e);
    if (rep.done) return out;
    if (rep.next_cookie <= req.cookie)
      return Status::error(EPROTO, "OBJ_LIST of server " + std::to_string(server) +
                                       " did not advance past object " + std::to_string(req.cookie));
    req.cookie = rep.next_cookie;
  }
}

// Calls `say` at most once a second (and for the last item).
class Progress {
 public:
  Progress(const ProgressFn& fn, std::string what) : fn_(fn), what_(std::move(what)) {}
  void step(uint64_t done, uint64_t total, const std::string& extra = {}) {
    if (!fn_) return;
    const auto now = Clock::now();
    if (done != total && now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    fn_(what_ + ": " + std::to_string(done) + "/" + std::to_string(total) + " files" +
        (extra.empty() ? "" : ", " + extra));
  }

 private:
  const ProgressFn& fn_;
  std::string what_;
  Clock::time_point last_{};
};

std::string mib(uint64_t bytes) {
  std::ostringstream o;
  o.precision(1);
  o << std::fixed << static_cast<double>(bytes) / (1 << 20) << " MiB";
  return o.str();
}

}  // namespace

Result<std::vector<ServerHealth>> server_health(ClientCore& core) {
  std::vector<ServerHealth> out;
  for (int s = 0; s < core.server_count(); ++s) {
    std::vector<uint8_t> body;
    NACRE_RETURN_IF_ERROR(core.control_call(s, MsgType::kServerStatus, {}, &body));
    wire::ServerStatusReply rep;
    NACRE_RETURN_IF_ERROR(wire::decode_body(body, rep, "SERVER_STATUS reply"));
    out.push_back(ServerHealth{static_cast<uint32_t>(s), rep.rebuilding, rep.stale_objects,
                               rep.metadata_mirrors_out_of_step});
  }
  return out;
}

Result<FsckReport> run_fsck(ClientCore& core, bool remove_orphans, const ProgressFn& progress) {
  FsckReport r;
  auto health = server_health(core);
  if (!health) return health.status();
  for (const auto& h : *health)
    if (h.rebuilding) r.rebuilding.push_back(h.server);
  auto files = all_files(core);
  if (!files) return files.status();
  r.files = files->size();
  // Where every copy of every stripe should be.
  std::map<std::pair<uint32_t, uint64_t>, bool> expected;  // (server, id) -> seen
  for (const auto& f : *files) {
    const Layout l = f.layout.to_layout();
    for (uint32_t c = 0; c < l.copies(); ++c)
      for (uint32_t i = 0; i < l.stripe_count(); ++i)
        expected[{l.copy(c, i).server, l.copy(c, i).object_id}] = false;
  }
  // What the servers hold.
  std::map<std::pair<uint32_t, uint64_t>, wire::WireObjectEntry> held;
  for (int s = 0; s < core.server_count(); ++s) {
    auto objs = all_objects(core, s);
    if (!objs) return objs.status();
    r.objects += objs->size();
    for (const auto& o : *objs) {
      const auto key = std::make_pair(static_cast<uint32_t>(s), o.id);
      auto it = expected.find(key);
      if (it != expected.end()) {
        it->second = true;
        held[key] = o;
        continue;
      }
      r.orphans.push_back("server " + std::to_string(s) + " object " + std::to_string(o.id) +
                          " (" + std::to_string(o.size) + " bytes) belongs to no file (inode " +
                          std::to_string(layout::ino_of_object(o.id)) + ")");
      if (remove_orphans) {
        Status d = core.object_rpc(StripeTarget{static_cast<uint32_t>(s), o.id}, MsgType::kObjDestroy,
                                   wire::encode_body(wire::ObjRequest{o.id}), nullptr);
        if (!d) return d.with_context("removing orphan object " + std::to_string(o.id));
        ++r.orphans_removed;
      }
    }
    if (progress) progress("fsck: listed server " + std::to_string(s) + ": " +
                           std::to_string(objs->size()) + " objects");
  }
  // Per stripe: the copies agree.
  for (const auto& f : *files) {
    const Layout l = f.layout.to_layout();
    for (uint32_t i = 0; i < l.stripe_count(); ++i) {
      std::vector<int64_t> size(l.copies(), -1);  // -1: absent
      for (uint32_t c = 0; c < l.copies(); ++c) {
        const StripeTarget& t = l.copy(c, i);
        auto it = held.find({t.server, t.object_id});
        if (it == held.end()) continue;
        if (it->second.flags & wire::kObjListStale) {
          r.stale.push_back(copy_name(f.ino, i, c, t) + " is stale");
          size[c] = -2;  // not compared
          continue;
        }
        size[c] = static_cast<int64_t>(it->second.size);
      }
      int64_t biggest = -1;
      for (int64_t s : size) biggest = std::max(biggest, s);
      for (uint32_t c = 0; c < l.copies(); ++c) {
        if (size[c] == -1 && biggest > 0)
          r.missing.push_back(copy_name(f.ino, i, c, l.copy(c, i)) + " is missing; another copy has " +
                              std::to_string(biggest) + " bytes");
        else if (size[c] >= 0 && biggest >= 0 && size[c] != biggest)
          r.size_mismatches.push_back(copy_name(f.ino, i, c, l.copy(c, i)) + " has " +
                                      std::to_string(size[c]) + " bytes, another copy " +
                                      std::to_string(biggest));
      }
    }
  }
  return r;
}

Result<RebuildReport> run_rebuild(ClientCore& core, const ProgressFn& progress) {
  RebuildReport r;
  auto health = server_health(core);
  if (!health) return health.status();
  std::set<uint32_t> rebuilding;
  std::set<std::pair<uint32_t, uint64_t>> stale;  // (server, object id)
  for (const auto& h : *health) {
    if (h.rebuilding) {
      rebuilding.insert(h.server);
    } else if (h.stale_objects > 0) {
      auto objs = all_objects(core, static_cast<int>(h.server));
      if (!objs) return objs.status();
      for (const auto& o : *objs)
        if (o.flags & wire::kObjListStale) stale.insert({h.server, o.id});
    }
  }
  if (rebuilding.empty() && stale.empty()) return r;
  auto files = all_files(core);
  if (!files) return files.status();
  std::set<uint32_t> failed_servers;
  Progress bar(progress, "rebuild");
  uint64_t done = 0;
  for (const auto& f : *files) {
    const Layout l = f.layout.to_layout();
    for (uint32_t i = 0; i < l.stripe_count(); ++i)
      for (uint32_t c = 0; c < l.copies(); ++c) {
        const StripeTarget& t = l.copy(c, i);
        const bool is_stale = stale.count({t.server, t.object_id}) != 0;
        if (!rebuilding.count(t.server) && !is_stale) continue;
        auto n = core.resync_copy(l, i, c);
        if (!n) {
          r.failed.push_back(copy_name(f.ino, i, c, t) + ": " + n.status().to_string());
          failed_servers.insert(t.server);
          continue;
        }
        ++r.copies;
        r.bytes += *n;
        if (is_stale) ++r.stale_resynced;
      }
    bar.step(++done, files->size(), mib(r.bytes));
  }
  for (uint32_t s : rebuilding) {
    if (failed_servers.count(s)) continue;
    NACRE_RETURN_IF_ERROR(core.control_call(static_cast<int>(s), MsgType::kSetRebuilding,
                                            wire::encode_body(wire::SetRebuildingRequest{false}),
                                            nullptr));
    r.servers.push_back(s);
  }
  return r;
}

Result<ScrubReport> run_scrub(ClientCore& core, const ProgressFn& progress) {
  ScrubReport r;
  auto files = all_files(core);
  if (!files) return files.status();
  r.files = files->size();
  Progress bar(progress, "scrub");
  uint64_t done = 0;
  for (const auto& f : *files) {
    const Layout l = f.layout.to_layout();
    for (uint32_t i = 0; i < l.stripe_count(); ++i) {
      std::vector<wire::ObjVerifyReply> v(l.copies());
      for (uint32_t c = 0; c < l.copies(); ++c) {
        std::vector<uint8_t> body;
        const StripeTarget& t = l.copy(c, i);
        NACRE_RETURN_IF_ERROR(core.object_rpc(t, MsgType::kObjVerify,
                                              wire::encode_body(wire::ObjRequest{t.object_id}), &body)
                                  .with_context("scrub of " + copy_name(f.ino, i, c, t)));
        NACRE_RETURN_IF_ERROR(wire::decode_body(body, v[c], "OBJ_VERIFY reply"));
        ++r.copies_checked;
        r.pages_checked += v[c].pages_checked;
      }
      for (uint32_t c = 0; c < l.copies(); ++c) {
        const StripeTarget& t = l.copy(c, i);
        if (v[c].stale) {
          auto n = core.resync_copy(l, i, c);
          if (n) ++r.stale_resynced;
          else r.unrepairable.push_back(copy_name(f.ino, i, c, t) + " is stale and could not be resynced: " +
                                        n.status().to_string());
          continue;
        }
        for (const auto& bad : v[c].bad) {
          ++r.damaged_ranges;
          Status s = l.copies() > 1 ? core.repair_copy_range(l, i, c, bad.start, bad.end)
                                    : Status::error(EIO, "no other copy");
          if (s) ++r.repaired_ranges;
          else r.unrepairable.push_back(copy_name(f.ino, i, c, t) + " bytes [" +
                                        std::to_string(bad.start) + ", " + std::to_string(bad.end) +
                                        ") are damaged: " + s.to_string());
        }
      }
      // Mirrors follow their primary (the authority for reads and locks).
      if (l.copies() > 1 && !v[0].stale)
        for (uint32_t c = 1; c < l.copies(); ++c) {
          if (v[c].stale || v[c].size == v[0].size) continue;
          auto n = core.resync_copy(l, i, c);
          if (n) ++r.size_mismatches_fixed;
          else r.unrepairable.push_back(copy_name(f.ino, i, c, l.copy(c, i)) + " differs in size from its primary and could not be resynced: " +
                                        n.status().to_string());
        }
    }
    bar.step(++done, files->size(), std::to_string(r.damaged_ranges) + " damaged range(s)");
  }
  return r;
}

}  // namespace client
}  // namespace nacre
