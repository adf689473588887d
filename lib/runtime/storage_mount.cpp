#include "runtime/storage_mount.hpp"

#include "common/log.hpp"
#include "runtime/collective_status.hpp"
#include "runtime/metadata_copies.hpp"
#include "store/fault_injecting_store.hpp"
#include "store/mount_plan.hpp"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace nacre::runtime {

namespace {

// A probe as text for gathering: two flag characters, then the stamp.
std::string encode_probe(const store::DirProbe& p) {
  std::string s;
  s += p.exists ? '1' : '0';
  s += p.foreign ? '1' : '0';
  s += p.stamp ? '1' : '0';
  if (p.stamp) s += store::encode_stamp(*p.stamp);
  return s;
}

Result<store::DirProbe> decode_probe(const std::string& s, const std::string& dir) {
  store::DirProbe p;
  if (s.size() < 3) return Status::error(EIO, "internal error: short probe from " + dir);
  p.exists = s[0] == '1';
  p.foreign = s[1] == '1';
  if (s[2] == '1') {
    auto st = store::decode_stamp(s.substr(3), dir + "/" + store::kStampFile);
    if (!st) return st.status();
    p.stamp = *st;
  }
  return p;
}

// A metadata copy's probe as text for gathering.
std::string encode_metadata_probe(const store::MetadataCopyProbe& p) {
  return std::string(p.present ? "1" : "0") + (p.behind ? "1" : "0") + std::to_string(p.seq) + "\n" +
         p.uuid + "\n" + p.behind_note + "\n" + p.problem;
}

store::MetadataCopyProbe decode_metadata_probe(const std::string& s) {
  store::MetadataCopyProbe p;
  if (s.size() < 2) return p;
  const size_t a = s.find('\n');
  const size_t b = a == std::string::npos ? a : s.find('\n', a + 1);
  const size_t c = b == std::string::npos ? b : s.find('\n', b + 1);
  if (c == std::string::npos) return p;
  p.present = s[0] == '1';
  p.behind = s[1] == '1';
  p.seq = std::strtoull(s.substr(2, a - 2).c_str(), nullptr, 10);
  p.uuid = s.substr(a + 1, b - a - 1);
  p.behind_note = s.substr(b + 1, c - b - 1);
  p.problem = s.substr(c + 1);
  return p;
}

// Gathers every rank's text on rank 0 (collective over comm).
std::vector<std::string> gather_text(MPI_Comm comm, const std::string& mine) {
  int rank = 0, size = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(rank == 0 ? size : 0), offs(rank == 0 ? size : 0);
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, comm);
  std::string all;
  if (rank == 0) {
    int total = 0;
    for (int i = 0; i < size; ++i) {
      offs[i] = total;
      total += lens[i];
    }
    all.resize(static_cast<size_t>(total));
  }
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), offs.data(), MPI_CHAR, 0, comm);
  std::vector<std::string> out;
  if (rank == 0)
    for (int i = 0; i < size; ++i) out.push_back(all.substr(offs[i], lens[i]));
  return out;
}

// Test hook: wraps the store in a fault injector when NACRE_STORE_FAULTS
// is set (store/fault_injecting_store.hpp).
Status inject_faults(std::unique_ptr<store::ObjectStore>* objects, int server) {
  const char* spec = std::getenv(store::kEnvStoreFaults);
  if (spec == nullptr || *spec == '\0') return Status::ok();
  auto plan = store::parse_fault_plan(spec);
  if (!plan) return plan.status();
  if (!plan->applies_to(static_cast<uint32_t>(server))) return Status::ok();
  log::warn(std::string("injecting store faults (") + store::kEnvStoreFaults + "=" + spec + ")");
  *objects = store::make_fault_injecting_store(std::move(*objects), *plan);
  return Status::ok();
}

}  // namespace

std::string server_dir(const Config& config, int index) {
  return config.store_dir + "/server-" + std::to_string(index);
}

Result<ServerStorage> mount_storage(MPI_Comm comm, int servers, const Config& config) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const bool server = rank < servers;
  const bool persistent = config.deployment == DeploymentType::kPersistent;
  const LayoutRequest root{config.stripe_size, config.stripe_count, -1};
  const auto replicas = static_cast<uint32_t>(config.effective_replicas());
  ServerStorage out;
  if (static_cast<int>(replicas) > servers)
    return Status::error(EINVAL, "deployment.replicas: " + std::to_string(replicas) +
                                     " copies need at least as many servers, this job has " +
                                     std::to_string(servers) +
                                     " (set runtime.servers / NACRE_SERVERS, or fewer replicas)");

  if (config.store == StoreKind::kMemory) {
    Status made;
    if (server) {
      out.objects = store::make_memory_store(config.store_reserve);
      if (rank == 0) out.metadata = mds::make_memory_metadata(static_cast<uint32_t>(servers), root);
      made = inject_faults(&out.objects, rank);
    }
    NACRE_RETURN_IF_ERROR(agree(comm, made));
    return out;
  }

  // 1. Probe: lock each existing directory and read its stamp. Nothing changes on disk.
  const std::string dir = server ? server_dir(config, rank) : std::string();
  Status probed;
  if (server) {
    auto d = store::StorageDir::open(dir);
    if (d) out.dir = std::move(*d);
    else probed = d.status();
  }
  NACRE_RETURN_IF_ERROR(agree(comm, probed));

  // 2. Rank 0 decides for all servers.
  auto texts = gather_text(comm, server ? encode_probe(out.dir.probe()) : std::string());
  const int copies = persistent ? metadata_copies(config, servers) : 1;
  out.metadata_copies = copies;
  auto metadata_texts = gather_text(
      comm, persistent && rank < copies ? encode_metadata_probe(probe_metadata_copy(dir)) : std::string());
  Status planned;
  store::MountPlan plan;
  store::MetadataPlan metadata_plan;
  if (rank == 0) {
    std::vector<store::DirProbe> probes;
    std::vector<std::string> dirs;
    for (int k = 0; k < servers && planned; ++k) {
      dirs.push_back(server_dir(config, k));
      auto p = decode_probe(texts[static_cast<size_t>(k)], dirs.back());
      if (p) probes.push_back(*p);
      else planned = p.status();
    }
    if (planned) {
      store::MountExpectation want{to_string(config.deployment), static_cast<uint32_t>(servers),
                                   static_cast<uint32_t>(config.effective_replicas())};
      auto r = store::plan_mount(want, probes, dirs, store::new_fs_uuid());
      if (r) plan = *r;
      else planned = r.status();
    }
    if (planned && persistent) {
      std::vector<store::MetadataCopyProbe> copy_probes;
      for (int k = 0; k < copies; ++k)
        copy_probes.push_back(decode_metadata_probe(metadata_texts[static_cast<size_t>(k)]));
      auto m = store::plan_metadata(plan, copy_probes, dirs);
      if (m) metadata_plan = *m;
      else planned = m.status();
    }
  }
  NACRE_RETURN_IF_ERROR(agree(comm, planned));
  MPI_Bcast(&metadata_plan.source, 1, MPI_UINT32_T, 0, comm);
  char buf[64] = {};
  if (rank == 0) {
    buf[0] = plan.format ? 1 : 0;
    buf[1] = plan.clear_scratch ? 1 : 0;
    std::strncpy(buf + 2, plan.uuid.c_str(), sizeof buf - 3);
  }
  MPI_Bcast(buf, sizeof buf, MPI_CHAR, 0, comm);
  plan.format = buf[0] != 0;
  plan.clear_scratch = buf[1] != 0;
  plan.uuid = std::string(buf + 2);
  std::vector<char> rebuild(static_cast<size_t>(servers), 0);
  if (rank == 0)
    for (uint32_t k : plan.rebuild) rebuild[k] = 1;
  MPI_Bcast(rebuild.data(), servers, MPI_CHAR, 0, comm);
  const bool rebuild_me = server && rebuild[static_cast<size_t>(rank)] != 0;

  // 3. Apply: empty a scratch directory, write stamps.
  Status applied;
  if (server) {
    if (plan.clear_scratch) applied = out.dir.clear_for_scratch();
    if (applied && rebuild_me) {
      // The rebuild mark first, then the stamp: a crash in between leaves a
      // directory that still counts as lost, and the next start retries.
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) applied = Status::error(ec.value(), "storage directory: create " + dir + ": " + ec.message());
      if (applied) {
        auto marks = oss::ReplicaMarks::open(dir);
        if (marks) applied = marks->set_rebuilding(true);
        else applied = marks.status();
      }
      if (applied)
        log::warn("server " + std::to_string(rank) + ": storage directory " + dir +
                  " was lost; its copies will be rebuilt from the other servers");
    }
    if (applied && (plan.format || rebuild_me)) {
      store::StorageStamp s;
      s.uuid = plan.uuid;
      s.server_index = static_cast<uint32_t>(rank);
      s.server_count = static_cast<uint32_t>(servers);
      s.replicas = static_cast<uint32_t>(config.effective_replicas());
      s.deployment = to_string(config.deployment);
      applied = out.dir.write_stamp(s);
    }
  }
  NACRE_RETURN_IF_ERROR(agree(comm, applied));

  // 4. Server 0's metadata comes back from a mirror when its copy was lost.
  if (metadata_plan.source > 0)
    NACRE_RETURN_IF_ERROR(restore_metadata(comm, metadata_plan.source, dir));

  // 5. Open the stores.
  Status opened;
  if (server) {
    store::DirectoryStoreOptions store_opts;
    store_opts.checksums = config.effective_checksums();
    auto objects = store::make_directory_store(dir, store_opts);
    if (objects) out.objects = std::move(*objects);
    else opened = objects.status();
    if (opened) {
      auto marks = oss::ReplicaMarks::open(dir);
      if (marks) out.marks = std::move(*marks);
      else opened = marks.status();
    }
    if (opened && rank == 0) {
      if (persistent) {
        mds::DurableMetadataOptions o;
        o.path = dir + "/" + kMetadataFile;
        o.servers = static_cast<uint32_t>(servers);
        o.replicas = replicas;
        o.root_default = root;
        o.fs_uuid = plan.uuid;
        o.create = plan.format;
        auto md = mds::open_lmdb_metadata(o);
        if (md) out.metadata = std::move(*md);
        else opened = md.status();
      } else {
        out.metadata = mds::make_memory_metadata(static_cast<uint32_t>(servers), root);
      }
    }
  }
  if (opened && server) opened = inject_faults(&out.objects, rank);
  NACRE_RETURN_IF_ERROR(agree(comm, opened));

  // 6. Every metadata mirror starts in step with server 0's copy.
  if (copies >= 2) {
    NACRE_RETURN_IF_ERROR(sync_metadata_mirrors(comm, copies, out.metadata.get(), dir, rebuild_me,
                                                &out.mirror_db));
    MPI_Comm_split(comm, server ? 0 : MPI_UNDEFINED, rank, &out.servers_comm);
  }
  out.fs_uuid = plan.uuid;
  out.formatted = plan.format;
  if (rank == 0)
    log::info(std::string(plan.format ? "formatted" : "mounted") + " " + to_string(config.deployment) +
              " file system " + plan.uuid + " on " + std::to_string(servers) + " server(s) under " +
              config.store_dir);
  return out;
}

}  // namespace nacre::runtime
