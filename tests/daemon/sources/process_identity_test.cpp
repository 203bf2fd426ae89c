#include "sources/process_identity.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::fixtureFile;

namespace {

// A literal with its embedded NULs.
template <std::size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

}  // namespace

TEST_CASE("the NUL separators of a cmdline become spaces", "[sources]") {
  CHECK(cmdlineFromProc(bytes("/usr/bin/python3\0-m\0http.server\0")) == "/usr/bin/python3 -m http.server");
}

TEST_CASE("a kernel thread's empty cmdline gives an empty command line", "[sources]") {
  CHECK(cmdlineFromProc("").empty());
  CHECK(cmdlineFromProc(bytes("\0\0\0")).empty());
}

TEST_CASE("trailing NULs are dropped but an empty argument keeps its place", "[sources]") {
  CHECK(cmdlineFromProc(bytes("a\0\0b\0\0\0")) == "a  b");
}

TEST_CASE("a cmdline rewritten with spaces and no NULs is kept as it is", "[sources]") {
  CHECK(cmdlineFromProc("sshd: jetson [priv]") == "sshd: jetson [priv]");
}

TEST_CASE("control characters and invalid UTF-8 in a cmdline are replaced, valid UTF-8 kept", "[sources]") {
  CHECK(cmdlineFromProc(bytes("evil\nname\x1b[2J\0caf\xc3\xa9\0\xff")) == "evil?name?[2J caf\xc3\xa9 ?");
}

TEST_CASE("a cmdline is cut at kMaxCmdlineBytes", "[sources]") {
  const std::string huge = bytes("/usr/bin/app\0") + std::string(3 * kMaxCmdlineBytes, 'x');
  const std::string cmdline = cmdlineFromProc(huge);
  CHECK(cmdline.size() == kMaxCmdlineBytes);
  CHECK(cmdline.starts_with("/usr/bin/app x"));
}

TEST_CASE("a multibyte character cut by the bound becomes a replacement, not a broken sequence",
          "[sources]") {
  const std::string raw = std::string(kMaxCmdlineBytes - 1, 'a') + "\xc3\xa9";
  const std::string cmdline = cmdlineFromProc(raw);
  CHECK(cmdline.size() == kMaxCmdlineBytes);
  CHECK(cmdline.back() == '?');
}

TEST_CASE("the real uid is the first figure of the Uid line", "[sources]") {
  CHECK(realUidFromStatus(
            "Name:\tpulseaudio\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n") ==
        uid_t{1000});
  CHECK(realUidFromStatus("Uid: 42 42 42 42\n") == uid_t{42});
  CHECK(realUidFromStatus("Uid:\t0\t0\t0\t0") == uid_t{0});
}

TEST_CASE("a status without a Uid line gives no uid", "[sources]") {
  CHECK_FALSE(realUidFromStatus(""));
  CHECK_FALSE(realUidFromStatus("Name:\tkthreadd\nGid:\t0\t0\t0\t0\n"));
}

TEST_CASE("a malformed Uid line gives no uid", "[sources]") {
  const std::string line =
      GENERATE("Uid:", "Uid:\t\n", "Uid:\tabc\t0\t0\t0", "Uid:\t-1\t0\t0\t0", "Uid:\t+5\t0\t0\t0",
               "Uid:\t18446744073709551616\t0\t0\t0", "Uid:\t12x\t0");
  CHECK_FALSE(realUidFromStatus("Name:\tx\n" + line + "\n"));
}

TEST_CASE("the invalid uid (uid_t)-1 and anything above it are rejected", "[sources]") {
  CHECK_FALSE(realUidFromStatus("Uid:\t4294967295\t0\t0\t0\n"));
  CHECK_FALSE(realUidFromStatus("Uid:\t4294967296\t0\t0\t0\n"));
  CHECK(realUidFromStatus("Uid:\t4294967294\t0\t0\t0\n") == uid_t{4294967294u});
}

TEST_CASE("only a line that starts with Uid: gives the uid", "[sources]") {
  // The kernel escapes a newline in the process name, so a name cannot start a line of its own.
  CHECK(realUidFromStatus("Name:\tUid:\\n0\nState:\tS (sleeping)\nUid:\t1000\t1000\t1000\t1000\n") ==
        uid_t{1000});
  CHECK_FALSE(realUidFromStatus(" Uid:\t5\t5\t5\t5\nRUid:\t6\n"));
}

TEST_CASE("of repeated Uid lines the first, where the kernel prints it, counts", "[sources]") {
  CHECK(realUidFromStatus("Uid:\t1000\t1000\t1000\t1000\nUid:\t0\t0\t0\t0\n") == uid_t{1000});
}

TEST_CASE("binary garbage instead of a status gives no uid", "[sources]") {
  CHECK_FALSE(realUidFromStatus(bytes("\0Uid:\t5\xff\xfe")));
}

TEST_CASE("the status captured on a build machine gives the real uid it states", "[sources]") {
  const std::string text = fixtureFile("captured/self-status");
  const auto at = text.find("\nUid:");
  REQUIRE(at != std::string::npos);
  std::istringstream in(text.substr(at + 5));
  unsigned long expected = 0;
  REQUIRE(in >> expected);
  CHECK(realUidFromStatus(text) == static_cast<uid_t>(expected));
}
