// Compatibility matrix: every pair of modes (and group ids) against a table
// written out independently from Lustre's LDLM matrix.
#include <doctest/doctest.h>

#include <string>

#include "locks/lock_mode.hpp"

using namespace nacre::locks;

namespace {

const Mode kModes[] = {Mode::NL, Mode::CR, Mode::CW, Mode::PR, Mode::PW, Mode::EX, Mode::GROUP};

// Rows/columns: NL CR CW PR PW EX GROUP. 'g' = compatible iff same group id.
const char* const kTable[7] = {
    /* NL    */ "1111111",
    /* CR    */ "1111100",
    /* CW    */ "1110000",
    /* PR    */ "1101000",
    /* PW    */ "1100000",
    /* EX    */ "1000000",
    /* GROUP */ "100000g",
};

}  // namespace

TEST_SUITE("lock_mode") {
  TEST_CASE("matrix matches the LDLM table for every pair and group id") {
    const GroupId gids[] = {0, 1, 2, UINT64_MAX};
    for (int a = 0; a < 7; ++a)
      for (int b = 0; b < 7; ++b)
        for (GroupId ga : gids)
          for (GroupId gb : gids) {
            const char c = kTable[a][b];
            const bool expect = c == '1' || (c == 'g' && ga == gb);
            CAPTURE(mode_name(kModes[a]));
            CAPTURE(mode_name(kModes[b]));
            CAPTURE(ga);
            CAPTURE(gb);
            CHECK(compatible(kModes[a], ga, kModes[b], gb) == expect);
            CHECK(compatible(kModes[a], ga, kModes[b], gb) ==
                  compatible(kModes[b], gb, kModes[a], ga));
          }
  }

  TEST_CASE("the written-out table itself is symmetric") {
    for (int a = 0; a < 7; ++a)
      for (int b = 0; b < 7; ++b) CHECK(kTable[a][b] == kTable[b][a]);
  }

  TEST_CASE("rules stated in words") {
    for (Mode m : kModes) {
      CHECK(compatible(Mode::NL, 0, m, 7));
      CHECK(compatible(Mode::CR, 0, m, 7) == (m != Mode::EX && m != Mode::GROUP));
      CHECK(compatible(Mode::EX, 0, m, 7) == (m == Mode::NL));
    }
    CHECK(compatible(Mode::PR, 0, Mode::PR, 0));
    CHECK_FALSE(compatible(Mode::PR, 0, Mode::PW, 0));
    CHECK_FALSE(compatible(Mode::PW, 0, Mode::PW, 0));
    CHECK(compatible(Mode::GROUP, 5, Mode::GROUP, 5));
    CHECK_FALSE(compatible(Mode::GROUP, 5, Mode::GROUP, 6));
    // Group ids do not matter outside GROUP.
    CHECK(compatible(Mode::PR, 1, Mode::PR, 2));
  }

  TEST_CASE("invalid modes are compatible with nothing") {
    const Mode bad = static_cast<Mode>(7);
    CHECK_FALSE(valid_mode(bad));
    CHECK(std::string(mode_name(bad)) == "?");
    for (Mode m : kModes) {
      CHECK(valid_mode(m));
      CHECK_FALSE(compatible(bad, 0, m, 0));
      CHECK_FALSE(compatible(m, 0, bad, 0));
    }
  }

  TEST_CASE("names and write modes") {
    const char* names[] = {"NL", "CR", "CW", "PR", "PW", "EX", "GROUP"};
    const bool writes[] = {false, false, true, false, true, true, true};
    for (int i = 0; i < 7; ++i) {
      CHECK(std::string(mode_name(kModes[i])) == names[i]);
      CHECK(is_write_mode(kModes[i]) == writes[i]);
    }
  }
}
