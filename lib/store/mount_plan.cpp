#include "store/mount_plan.hpp"

#include <algorithm>

namespace nacre::store {

namespace {

Status refuse(const std::string& dir, const std::string& why) {
  return Status::error(EINVAL, "storage directory " + dir + ": " + why +
                                   "; refusing to start (nothing on disk was changed)");
}

}  // namespace

Result<MountPlan> plan_mount(const MountExpectation& want, const std::vector<DirProbe>& probes,
                             const std::vector<std::string>& dirs, const std::string& fresh_uuid) {
  if (probes.size() != want.server_count || dirs.size() != probes.size())
    return Status::error(EINVAL, "plan_mount: " + std::to_string(probes.size()) + " probes for " +
                                     std::to_string(want.server_count) + " servers");
  const std::string fmt_hint = "this build reads storage format up to " + std::to_string(kStampFormat);
  size_t stamped = 0;
  for (size_t k = 0; k < probes.size(); ++k) {
    const DirProbe& p = probes[k];
    if (p.foreign)
      return refuse(dirs[k], "is not empty and has no " + std::string(kStampFile) +
                                 ": it is not a Nacre storage directory (choose an empty or new store.dir)");
    if (!p.stamp) continue;
    ++stamped;
    if (p.stamp->format > kStampFormat)
      return Status::error(ENOTSUP, "storage directory " + dirs[k] + " has storage format " +
                                        std::to_string(p.stamp->format) + ", written by a newer Nacre; " +
                                        fmt_hint + "; refusing to start (nothing on disk was changed)");
    if (want.deployment == "scratch" && p.stamp->deployment == "persistent")
      return refuse(dirs[k], "holds persistent file system " + p.stamp->uuid +
                                 ", which a scratch deployment would erase (set deployment.type = "
                                 "\"persistent\" to mount it, or choose another store.dir)");
  }
  MountPlan plan;
  if (want.deployment == "scratch") {  // a scratch file system lives for one job
    plan.format = true;
    plan.clear_scratch = true;
    plan.uuid = fresh_uuid;
    return plan;
  }
  if (stamped == 0) {
    plan.format = true;
    plan.uuid = fresh_uuid;
    return plan;
  }
  // Persistent, some stamps: every server must have one, and all must agree.
  size_t ref = 0;
  while (!probes[ref].stamp) ++ref;
  const StorageStamp& r = *probes[ref].stamp;
  const size_t lost = probes.size() - stamped;
  for (size_t k = 0; k < probes.size(); ++k) {
    const DirProbe& p = probes[k];
    if (!p.stamp) {
      const std::string what = std::string(p.exists ? "is empty" : "does not exist") + ", but " +
                               dirs[ref] + " belongs to file system " + r.uuid;
      if (r.replicas < 2)
        return refuse(dirs[k], what + " (with one copy of each object, a lost directory cannot "
                                      "be rebuilt: restore it from a backup)");
      if (lost >= r.replicas)
        return refuse(dirs[k], what + " (" + std::to_string(lost) + " directories are lost; " +
                                   std::to_string(r.replicas) +
                                   " replicas can rebuild at most " + std::to_string(r.replicas - 1) + ")");
      plan.rebuild.push_back(static_cast<uint32_t>(k));
      continue;
    }
    const StorageStamp& s = *p.stamp;
    if (s.deployment != "persistent")
      return refuse(dirs[k], "holds a scratch file system (" + s.uuid +
                                 "), which is not durable; empty the directory to format it as persistent");
    if (s.uuid != r.uuid)
      return refuse(dirs[k], "belongs to file system " + s.uuid + ", but " + dirs[ref] +
                                 " belongs to " + r.uuid + " (a foreign directory)");
    if (s.server_count != want.server_count)
      return refuse(dirs[k], "was formatted for " + std::to_string(s.server_count) +
                                 " servers, but this job has " + std::to_string(want.server_count) +
                                 " (runtime.servers, or the server job's size, must stay the same)");
    if (s.server_index != k)
      return refuse(dirs[k], "belongs to server " + std::to_string(s.server_index) +
                                 ", but server " + std::to_string(k) + " would use it");
    if (s.replicas != want.replicas)
      return refuse(dirs[k], "was formatted with " + std::to_string(s.replicas) +
                                 " replica(s), but deployment.replicas is " +
                                 std::to_string(want.replicas));
  }
  plan.uuid = r.uuid;
  return plan;
}

Result<MetadataPlan> plan_metadata(const MountPlan& plan, const std::vector<MetadataCopyProbe>& copies,
                                   const std::vector<std::string>& dirs) {
  MetadataPlan out;
  if (plan.format || copies.empty()) return out;
  auto rebuilt = [&](size_t k) {
    return std::find(plan.rebuild.begin(), plan.rebuild.end(), static_cast<uint32_t>(k)) != plan.rebuild.end();
  };
  for (size_t k = 0; k < copies.size(); ++k)
    if (copies[k].present && copies[k].uuid != plan.uuid)
      return Status::error(EINVAL, dirs[k] + "/metadata.mdb belongs to file system " + copies[k].uuid +
                                       ", but the storage directories are stamped " + plan.uuid +
                                       " (a foreign metadata database); refusing to start");
  std::string held;  // what every copy holds, for the refusal
  bool found = false;
  for (size_t k = 0; k < copies.size(); ++k) {
    const MetadataCopyProbe& c = copies[k];
    const std::string db = dirs[k] + "/metadata.mdb";
    const bool behind = k > 0 && c.behind;
    const bool usable = c.present && !rebuilt(k) && !behind;
    held += (held.empty() ? "" : "; ") + db + ": " +
            (rebuilt(k) ? std::string("directory lost")
             : behind   ? "marked behind (" + db + ".behind: " + c.behind_note +
                              "; it lacks later changes: delete the mark to restore from it anyway)"
             : c.present ? "change " + std::to_string(c.seq)
             : !c.problem.empty() ? c.problem : "missing");
    if (!usable) continue;
    if (!found || c.seq > copies[out.source].seq) out.source = static_cast<uint32_t>(k);
    found = true;
  }
  if (found) return out;
  return Status::error(EIO, "no copy of the metadata of file system " + plan.uuid + " is usable (" +
                                held + "); refusing to start: restore server 0's directory from a backup");
}

}  // namespace nacre::store
