// Extent lock modes and their compatibility (pure; exhaustively unit-tested).
//
// The modes and matrix are Lustre's LDLM ones:
//
//            NL  CR  CW  PR  PW  EX  GROUP
//     NL     +   +   +   +   +   +   +
//     CR     +   +   +   +   +   -   -
//     CW     +   +   +   -   -   -   -
//     PR     +   +   -   +   -   -   -
//     PW     +   +   -   -   -   -   -
//     EX     +   -   -   -   -   -   -
//     GROUP  +   -   -   -   -   -   = (compatible iff same group id)
//
// The matrix is symmetric. A group id is meaningful only for GROUP locks;
// it is ignored for every other mode.
#pragma once

#include <cstdint>

namespace nacre::locks {

enum class Mode : uint8_t {
  NL = 0,     // null: no access, only holds a reference (compatible with all)
  CR = 1,     // concurrent read
  CW = 2,     // concurrent write
  PR = 3,     // protected read (shared read: reads take PR)
  PW = 4,     // protected write (writes take PW)
  EX = 5,     // exclusive
  GROUP = 6,  // group lock: shared by all holders of the same group id
};

inline constexpr int kModeCount = 7;

using GroupId = uint64_t;

// True when m is one of the seven modes above (for values off the wire).
constexpr bool valid_mode(Mode m) { return static_cast<int>(m) < kModeCount; }

// "NL", "CR", ..., "GROUP"; "?" for an invalid value.
const char* mode_name(Mode m);

// True when a lock of mode a (group gid_a) and one of mode b (group gid_b),
// held by different owners, may be granted on overlapping extents.
// Invalid modes are compatible with nothing.
bool compatible(Mode a, GroupId gid_a, Mode b, GroupId gid_b);

// Modes that allow writing (CW, PW, EX, GROUP): the locks counted by the
// "many conflicting write locks" rule of lock expansion.
bool is_write_mode(Mode m);

}  // namespace nacre::locks
