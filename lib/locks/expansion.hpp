// Lock expansion policy (pure; exhaustively tested against a brute-force model).
//
// When the lock server grants a lock it may grant more than was asked, so the
// client can cache and reuse the lock for later I/O nearby (Lustre LDLM). The
// rule, for a request of mode M wanting extent W, given the other owners'
// locks (granted) and requests (waiting) on the resource:
//
//  * conflicts = the others whose mode is incompatible with M (anywhere on
//    the resource, overlapping W or not; granted and waiting alike).
//  * F = the largest extent containing W that overlaps no conflict ("free").
//  * no_expand flag, or M == GROUP: grant exactly W.
//  * else a target T bounds the growth:
//      - contended (conflicts.size() > contended_locks): T = W rounded out
//        to page boundaries — no expansion beyond the pages of the request;
//      - else, many writers (number of GRANTED conflicts in a write mode,
//        see is_write_mode(), > max_grown_conflicts): T = W hulled with the
//        max_grown_extent window starting at W.start rounded down to a page
//        (Lustre caps growth at start + 32 MiB);
//      - else T = [0, EOF).
//    With R = F ∩ T, the grant is [s, e): s = the smallest page boundary
//    in R that is <= W.start, or W.start if there is none; e = the largest
//    page boundary in R that is >= W.end, or W.end if there is none (EOF
//    and 0 count as page boundaries). So each end of a grant is W's own end
//    or a page boundary, and expansion never splits a server page between
//    two locks.
//
// Guarantees: the grant contains W, lies inside F (so never overlaps an
// incompatible lock or request of another owner) and inside T. Equivalently
// it is the largest extent with these properties whose ends are each W's end
// or a page boundary.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "locks/extent.hpp"
#include "locks/lock_mode.hpp"

namespace nacre::locks {

struct ExpansionParams {
  uint64_t page_size = 4096;                 // > 0 (0 is treated as 1)
  uint32_t contended_locks = 4;              // more conflicts than this: no expansion
  uint32_t max_grown_conflicts = 32;         // more granted write conflicts than this: cap
  uint64_t max_grown_extent = 32ull << 20;   // the cap (32 MiB)
};

// A lock (granted) or request (waiting) of ANOTHER owner on the resource.
struct OtherLock {
  Mode mode = Mode::NL;
  GroupId gid = 0;
  Extent extent;      // granted extent, or the wanted extent of a waiter
  bool granted = true;
};

struct ExpansionRequest {
  Mode mode = Mode::PR;
  GroupId gid = 0;
  Extent wanted;          // valid
  bool no_expand = false;
};

// Largest extent containing `wanted` (valid) that overlaps no lock in
// `others` incompatible with (mode, gid); nothing when `wanted` itself
// overlaps one.
std::optional<Extent> free_extent(Mode mode, GroupId gid, const Extent& wanted,
                                  std::span<const OtherLock> others);

// The extent to grant (see the rule above). Precondition: req.wanted is valid
// and overlaps no incompatible lock in `others`; if it does, req.wanted is
// returned unchanged (the caller must not grant in that case anyway).
Extent expand(const ExpansionRequest& req, std::span<const OtherLock> others,
              const ExpansionParams& params = {});

}  // namespace nacre::locks
