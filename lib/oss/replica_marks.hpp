// Replica state of one object server (docs/DURABILITY.md, "Replicas").
//
// A *stale* object missed writes that its other copies took (a client marks
// it when its write failed here but succeeded on another copy). While the
// server is *rebuilding* (its storage directory was lost and re-created),
// every object is stale until a resync marks it fresh. Reads of a stale
// object fail with ENODATA, so clients read another copy instead; scrub and
// the start-up rebuild bring stale copies up to date and clear the marks.
//
// With a directory, marks survive restarts: `<id>.stale` files (the id in
// 16 hex digits, like the directory store's objects) and a
// `nacre-rebuilding` file, created (and the directory fsynced) before a
// call that sets them returns. Used by the server's service thread only.
#pragma once

#include "store/storage_dir.hpp"

#include <nacre/status.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace nacre::oss {

class ReplicaMarks {
 public:
  ReplicaMarks() = default;  // in memory only (memory store)
  // Loads the marks kept in dir (a storage directory). Errors name the path.
  static Result<ReplicaMarks> open(const std::string& dir);

  // False when reads of the object must fail with ENODATA.
  bool readable(uint64_t id) const {
    return !stale_.count(id) && (!rebuilding_ || fresh_.count(id));
  }
  // stale = false also records the object as fresh during a rebuild.
  Status set_stale(uint64_t id, bool stale);
  // The object is gone (OBJ_DESTROY): its marks go too.
  Status forget(uint64_t id);

  // Rebuild mode: set by the mount when the directory was re-created,
  // cleared when the rebuild finished.
  Status set_rebuilding(bool on);
  bool rebuilding() const { return rebuilding_; }

  const std::set<uint64_t>& stale() const { return stale_; }

  static constexpr const char* kRebuildingFile = store::kRebuildingFile;
  static constexpr const char* kStaleSuffix = ".stale";

 private:
  Status persist(const std::string& name, bool present);
  std::string dir_;  // empty: nothing persists
  std::set<uint64_t> stale_;
  std::set<uint64_t> fresh_;  // resynced since the rebuild began
  bool rebuilding_ = false;
};

}  // namespace nacre::oss
