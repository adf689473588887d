#include "locks/lock_mode.hpp"

namespace nacre::locks {

namespace {

// Bit b of kCompat[a] is set when modes a and b are compatible (GROUP vs
// GROUP additionally needs equal group ids, checked in compatible()).
constexpr uint8_t bit(Mode m) { return static_cast<uint8_t>(1u << static_cast<int>(m)); }

constexpr uint8_t kCompat[kModeCount] = {
    /* NL    */ static_cast<uint8_t>(bit(Mode::NL) | bit(Mode::CR) | bit(Mode::CW) | bit(Mode::PR) |
                                     bit(Mode::PW) | bit(Mode::EX) | bit(Mode::GROUP)),
    /* CR    */ static_cast<uint8_t>(bit(Mode::NL) | bit(Mode::CR) | bit(Mode::CW) | bit(Mode::PR) |
                                     bit(Mode::PW)),
    /* CW    */ static_cast<uint8_t>(bit(Mode::NL) | bit(Mode::CR) | bit(Mode::CW)),
    /* PR    */ static_cast<uint8_t>(bit(Mode::NL) | bit(Mode::CR) | bit(Mode::PR)),
    /* PW    */ static_cast<uint8_t>(bit(Mode::NL) | bit(Mode::CR)),
    /* EX    */ static_cast<uint8_t>(bit(Mode::NL)),
    /* GROUP */ static_cast<uint8_t>(bit(Mode::NL) | bit(Mode::GROUP)),
};

}  // namespace

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::NL: return "NL";
    case Mode::CR: return "CR";
    case Mode::CW: return "CW";
    case Mode::PR: return "PR";
    case Mode::PW: return "PW";
    case Mode::EX: return "EX";
    case Mode::GROUP: return "GROUP";
  }
  return "?";
}

bool compatible(Mode a, GroupId gid_a, Mode b, GroupId gid_b) {
  if (!valid_mode(a) || !valid_mode(b)) return false;
  if (a == Mode::GROUP && b == Mode::GROUP) return gid_a == gid_b;
  return (kCompat[static_cast<int>(a)] & bit(b)) != 0;
}

bool is_write_mode(Mode m) {
  return m == Mode::CW || m == Mode::PW || m == Mode::EX || m == Mode::GROUP;
}

}  // namespace nacre::locks
