#include "sources/proc_visibility.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::FixtureTree;
using Files = std::map<std::string, std::string>;

namespace {

// Lines as kernels print them. Debian 12 (6.1) without options, a root file system and sysfs around it.
const std::string kDebianPlain =
    "26 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
    "22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "23 26 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n";
// JetPack 4 (L4T R32, kernel 4.9) after "mount -o remount,hidepid=2,gid=1001 /proc": numbers, gid first.
const std::string kJetpack4Hidepid2 =
    "18 23 0:4 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw,gid=1001,hidepid=2\n";
// JetPack 6 (5.15) with hidepid=invisible in fstab.
const std::string kJetpack6Invisible =
    "24 29 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw,hidepid=invisible\n";
// A unit with ProtectProc=invisible and ProcSubset=pid sees its own proc mount so.
const std::string kServiceSubset =
    "612 590 0:71 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw,hidepid=invisible,subset=pid\n";

}  // namespace

TEST_CASE("a proc mount without hidepid hides nobody's processes", "[sources]") {
  const auto visibility = parseProcVisibility(kDebianPlain, "/proc");
  REQUIRE(visibility);
  CHECK_FALSE(visibility->hides_others);
  CHECK_FALSE(visibility->exempt_gid);
  CHECK(visibility->hidepid == "off");
}

TEST_CASE("hidepid=2 as kernels before 5.8 print it hides others' processes, and gid= exempts its group",
          "[sources]") {
  const auto visibility = parseProcVisibility(kJetpack4Hidepid2, "/proc");
  REQUIRE(visibility);
  CHECK(visibility->hides_others);
  CHECK(visibility->hidepid == "invisible");
  REQUIRE(visibility->exempt_gid);
  CHECK(*visibility->exempt_gid == 1001u);
}

TEST_CASE("hidepid=invisible as kernels since 5.8 print it hides others' processes", "[sources]") {
  const auto visibility = parseProcVisibility(kJetpack6Invisible, "/proc");
  REQUIRE(visibility);
  CHECK(visibility->hides_others);
  CHECK(visibility->hidepid == "invisible");
  CHECK_FALSE(visibility->exempt_gid);
}

TEST_CASE("hidepid=1 and noaccess hide others' details though their PIDs stay listed", "[sources]") {
  for (const char* value : {"1", "noaccess"}) {
    const auto visibility = parseProcVisibility(
        std::string("22 26 0:21 / /proc rw,relatime - proc proc rw,hidepid=") + value + "\n", "/proc");
    REQUIRE(visibility);
    CHECK(visibility->hides_others);
    CHECK(visibility->hidepid == "noaccess");
  }
}

TEST_CASE("hidepid=ptraceable hides others, and hidepid=0 or off hides nobody", "[sources]") {
  CHECK(parseProcVisibility("22 26 0:21 / /proc rw - proc proc rw,hidepid=ptraceable\n", "/proc")
            ->hides_others);
  CHECK(parseProcVisibility("22 26 0:21 / /proc rw - proc proc rw,hidepid=4\n", "/proc")->hides_others);
  CHECK_FALSE(parseProcVisibility("22 26 0:21 / /proc rw - proc proc rw,hidepid=0\n", "/proc")->hides_others);
  CHECK_FALSE(
      parseProcVisibility("22 26 0:21 / /proc rw - proc proc rw,hidepid=off\n", "/proc")->hides_others);
}

TEST_CASE("a hidepid value this parser does not know hides, rather than showing more than /proc",
          "[sources]") {
  const auto visibility =
      parseProcVisibility("22 26 0:21 / /proc rw - proc proc rw,hidepid=sideways\n", "/proc");
  REQUIRE(visibility);
  CHECK(visibility->hides_others);
  CHECK(visibility->hidepid == "unknown");
}

TEST_CASE("subset=pid changes nothing about other users' processes", "[sources]") {
  const auto visibility = parseProcVisibility(kServiceSubset, "/proc");
  REQUIRE(visibility);
  CHECK(visibility->hides_others);
  const auto subset_only = parseProcVisibility("22 26 0:21 / /proc rw - proc proc rw,subset=pid\n", "/proc");
  REQUIRE(subset_only);
  CHECK_FALSE(subset_only->hides_others);
}

TEST_CASE("of two proc mounts stacked at /proc the later one decides", "[sources]") {
  const auto remounted = parseProcVisibility(kDebianPlain + kJetpack6Invisible, "/proc");
  REQUIRE(remounted);
  CHECK(remounted->hides_others);
  const auto reverse = parseProcVisibility(kJetpack6Invisible + kDebianPlain, "/proc");
  REQUIRE(reverse);
  CHECK_FALSE(reverse->hides_others);
}

TEST_CASE("only the mount at the asked mount point counts, its path unescaped", "[sources]") {
  const std::string text =
      kDebianPlain + "90 26 0:50 / /srv/host\\040proc rw,relatime - proc proc rw,hidepid=2,gid=44\n";
  const auto other = parseProcVisibility(text, "/srv/host proc");
  REQUIRE(other);
  CHECK(other->hides_others);
  CHECK(*other->exempt_gid == 44u);
  CHECK_FALSE(parseProcVisibility(text, "/proc")->hides_others);
}

TEST_CASE("no mount at the proc root, or something other than proc there, is an error", "[sources]") {
  const auto none = parseProcVisibility(kDebianPlain, "/host/proc");
  REQUIRE_FALSE(none);
  CHECK(none.error().message == "no mount at /host/proc in mountinfo");
  const auto tmpfs = parseProcVisibility("40 26 0:40 / /proc rw - tmpfs tmpfs rw,size=1024k\n", "/proc");
  REQUIRE_FALSE(tmpfs);
  CHECK(tmpfs.error().message == "/proc is not a proc mount (tmpfs)");
}

TEST_CASE("malformed and truncated lines are skipped, never read past", "[sources]") {
  const std::string text = std::string("22 26 0:21 / /proc rw - proc\n") + "garbage\n\n" +
                           "22 26 0:21 / /proc rw shared:1 no separator here at all\n" +
                           "22 26 0:21 / /proc rw - proc proc rw,hidepid=2,gid=\n";
  const auto visibility = parseProcVisibility(text, "/proc");
  REQUIRE(visibility);
  CHECK(visibility->hides_others);
  CHECK_FALSE(visibility->exempt_gid);
}

TEST_CASE("a gid= that is no group ID exempts nobody", "[sources]") {
  for (const char* gid : {"gid=-1", "gid=4294967295", "gid=99999999999", "gid=1x"}) {
    const auto visibility = parseProcVisibility(
        std::string("22 26 0:21 / /proc rw - proc proc rw,hidepid=2,") + gid + "\n", "/proc");
    REQUIRE(visibility);
    CHECK_FALSE(visibility->exempt_gid);
  }
}

TEST_CASE("a captured tree carries its machine's mountinfo, whose proc mount is at /proc", "[sources]") {
  FixtureTree tree(Files{{"proc/self/mountinfo", kDebianPlain + kJetpack6Invisible}});
  const auto visibility = readProcVisibility(tree.path("proc"));
  REQUIRE(visibility);
  CHECK(visibility->hides_others);
}

TEST_CASE("a tree without mountinfo is an error naming the file", "[sources]") {
  FixtureTree tree(Files{{"proc/meminfo", ""}});
  const auto visibility = readProcVisibility(tree.path("proc"));
  REQUIRE_FALSE(visibility);
  CHECK(visibility.error().message.find((tree.path("proc") / "self" / "mountinfo").string()) !=
        std::string::npos);
}

TEST_CASE("this machine's /proc is found in its own mountinfo", "[sources]") {
  const auto visibility = readProcVisibility("/proc");
  REQUIRE(visibility);
  CHECK((visibility->hidepid == "off") != visibility->hides_others);
}
