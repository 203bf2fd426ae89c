#include "sources/cgroup_unit.h"

#include <catch2/catch.hpp>
#include <string>

#include "support/fixture_tree.h"

using namespace jmem;
using jmem::test::fixtureFile;

namespace {

// JetPack 5 (systemd 245, cgroup v1 hybrid): controllers, then name=systemd, then the unified "0::" line.
const std::string kHybrid =
    "12:pids:/user.slice/user-1000.slice/user@1000.service\n"
    "11:memory:/user.slice/user-1000.slice/user@1000.service\n"
    "10:cpu,cpuacct:/user.slice\n"
    "2:blkio:/user.slice\n"
    "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/pulseaudio.service\n"
    "0::/user.slice/user-1000.slice/user@1000.service/init.scope\n";

void checkPlacement(std::string_view path, const std::string& unit, const std::string& slice,
                    const std::string& manager) {
  INFO("cgroup path " << path);
  const UnitPlacement placement = placementFromCgroupPath(path);
  CHECK(placement.unit == unit);
  CHECK(placement.slice == slice);
  CHECK(placement.manager == manager);
}

}  // namespace

TEST_CASE("on cgroup v2 the systemd path is the 0:: line", "[sources]") {
  CHECK(systemdCgroupPath("0::/system.slice/nvargus-daemon.service\n") ==
        "/system.slice/nvargus-daemon.service");
}

TEST_CASE("on a JetPack 5 hybrid system the name=systemd line wins over the 0:: line", "[sources]") {
  CHECK(systemdCgroupPath(kHybrid) == "/user.slice/user-1000.slice/user@1000.service/pulseaudio.service");
}

TEST_CASE("name=systemd wins whichever line comes first", "[sources]") {
  CHECK(systemdCgroupPath("0::/\n1:name=systemd:/system.slice/ssh.service\n") == "/system.slice/ssh.service");
}

TEST_CASE("on pure cgroup v1 (JetPack 4) there is only the name=systemd line", "[sources]") {
  CHECK(systemdCgroupPath("11:memory:/\n3:cpu,cpuacct:/\n1:name=systemd:/system.slice/nvpmodel.service\n") ==
        "/system.slice/nvpmodel.service");
}

TEST_CASE("a cgroup file with neither a name=systemd nor a 0:: line has no systemd path", "[sources]") {
  CHECK_FALSE(systemdCgroupPath(""));
  CHECK_FALSE(systemdCgroupPath("4:memory:/system.slice/ssh.service\n3:cpuset:/\n"));
  CHECK_FALSE(systemdCgroupPath("5::/system.slice/ssh.service\n"));  // empty controllers but not hierarchy 0
}

TEST_CASE("truncated and malformed cgroup lines are skipped", "[sources]") {
  CHECK_FALSE(systemdCgroupPath("1:name=systemd\n0:\n0\n"));
  CHECK_FALSE(systemdCgroupPath("1:name=systemd:\n"));
  CHECK_FALSE(systemdCgroupPath("0::relative/path\n"));
  CHECK(systemdCgroupPath("1:name=systemd:\n0::/system.slice/ssh.service\n") == "/system.slice/ssh.service");
  CHECK(systemdCgroupPath("garbage\n1:name=systemd:oops\n0::/init.scope") == "/init.scope");
}

TEST_CASE("colons inside a cgroup path are kept", "[sources]") {
  CHECK(systemdCgroupPath("0::/system.slice/a:b.service\n") == "/system.slice/a:b.service");
}

TEST_CASE("binary garbage instead of a cgroup file has no systemd path", "[sources]") {
  std::string garbage;
  for (int i = 0; i < 1024; ++i) garbage.push_back(static_cast<char>((i * 37 + 11) % 256));
  garbage += std::string("\0:", 2);
  CHECK_FALSE(systemdCgroupPath(garbage));
}

TEST_CASE("the cgroup file captured on a build machine gives its systemd path", "[sources]") {
  const std::string text = fixtureFile("captured/self-cgroup");
  const auto path = systemdCgroupPath(text);
  REQUIRE(path);
  CHECK(path->starts_with("/"));
  const auto line = text.find(":name=systemd:");
  if (line != std::string::npos) {
    const auto start = line + std::string_view(":name=systemd:").size();
    CHECK(*path == text.substr(start, text.find('\n', start) - start));
  }
  CHECK_FALSE(placementFromCgroupPath(*path).unit.empty());
}

TEST_CASE("a system service sits in system.slice under the system manager", "[sources]") {
  checkPlacement("/system.slice/nvargus-daemon.service", "nvargus-daemon.service", "system.slice", "system");
}

TEST_CASE("only the system manager's units are said to be under the system manager", "[sources]") {
  CHECK(isSystemManager(placementFromCgroupPath("/system.slice/ssh.service").manager));
  CHECK(isSystemManager(placementFromCgroupPath("/init.scope").manager));
  CHECK_FALSE(isSystemManager(
      placementFromCgroupPath("/user.slice/user-1000.slice/user@1000.service/app.slice/x.service").manager));
  CHECK_FALSE(isSystemManager("user@0.service"));
}

TEST_CASE("a process in a sub-cgroup of a service belongs to the service", "[sources]") {
  checkPlacement("/system.slice/docker.service/payload/worker", "docker.service", "system.slice", "system");
}

TEST_CASE("a template instance in a nested slice keeps the innermost slice", "[sources]") {
  checkPlacement("/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service",
                 "system-getty.slice", "system");
}

TEST_CASE("a login session is its scope in the user's slice under the system manager", "[sources]") {
  checkPlacement("/user.slice/user-1000.slice/session-2.scope", "session-2.scope", "user-1000.slice",
                 "system");
}

TEST_CASE("a user unit inside user@1000.service belongs to the user manager", "[sources]") {
  checkPlacement("/user.slice/user-1000.slice/user@1000.service/app.slice/pulseaudio.service",
                 "pulseaudio.service", "app.slice", "user@1000.service");
  checkPlacement("/user.slice/user-1000.slice/user@1000.service/session.slice/wireplumber.service",
                 "wireplumber.service", "session.slice", "user@1000.service");
}

TEST_CASE("the user manager itself is the init.scope of its own tree", "[sources]") {
  const UnitPlacement placement =
      placementFromCgroupPath("/user.slice/user-1000.slice/user@1000.service/init.scope");
  CHECK(placement.unit == "init.scope");
  CHECK(placement.manager == "user@1000.service");
}

TEST_CASE("a user@ service with no unit below it is a system unit", "[sources]") {
  checkPlacement("/user.slice/user-1000.slice/user@1000.service", "user@1000.service", "user-1000.slice",
                 "system");
}

TEST_CASE("the system manager's own init.scope sits at the root slice", "[sources]") {
  checkPlacement("/init.scope", "init.scope", "-.slice", "system");
}

TEST_CASE("the root cgroup and an empty path belong to the root slice", "[sources]") {
  checkPlacement("/", "-.slice", "-.slice", "system");
  checkPlacement("", "-.slice", "-.slice", "system");
}

TEST_CASE("a path of slices only belongs to its innermost slice", "[sources]") {
  checkPlacement("/user.slice/user-1000.slice", "user-1000.slice", "user-1000.slice", "system");
}

TEST_CASE("a container seen from the host is its machine scope, whatever runs inside it", "[sources]") {
  checkPlacement("/machine.slice/machine-foo.scope/payload/system.slice/x.service", "machine-foo.scope",
                 "machine.slice", "system");
}

TEST_CASE("names systemd escaped with a leading underscore are unescaped", "[sources]") {
  checkPlacement("/system.slice/_cpu.service", "cpu.service", "system.slice", "system");
  checkPlacement("/system.slice/__underscore.service", "_underscore.service", "system.slice", "system");
  checkPlacement("/_tasks.slice/x.service", "x.service", "tasks.slice", "system");
}

TEST_CASE("the walk stops at the first component that is not a unit name", "[sources]") {
  checkPlacement("/system.slice/not a unit/x.service", "system.slice", "system.slice", "system");
  checkPlacement("/docker/3f1c9a/system.slice/ssh.service", "-.slice", "-.slice", "system");
  checkPlacement("/system.slice/foo.unknowntype", "system.slice", "system.slice", "system");
  checkPlacement("/system.slice/\xff\xfe.service", "system.slice", "system.slice", "system");
  checkPlacement("/system.slice/_", "system.slice", "system.slice", "system");
  checkPlacement("/user.slice/user-1000.slice/user@1000.service/garbage dir", "user@1000.service",
                 "user-1000.slice", "system");
}

TEST_CASE("repeated and trailing slashes in a cgroup path are ignored", "[sources]") {
  checkPlacement("//system.slice//ssh.service/", "ssh.service", "system.slice", "system");
}

TEST_CASE("an overlong component is not a unit", "[sources]") {
  checkPlacement("/system.slice/" + std::string(300, 'a') + ".service", "system.slice", "system.slice",
                 "system");
}

TEST_CASE("unit names with every known type suffix are valid", "[sources]") {
  const std::string suffix = GENERATE(".service", ".socket", ".device", ".mount", ".automount", ".swap",
                                      ".target", ".path", ".timer", ".slice", ".scope");
  CHECK(isValidUnitName("avahi-daemon" + suffix));
}

TEST_CASE("unit names use letters, digits and : _ . \\ @ -", "[sources]") {
  CHECK(isValidUnitName("getty@tty1.service"));
  CHECK(isValidUnitName("user@1000.service"));
  CHECK(isValidUnitName("-.slice"));
  CHECK(isValidUnitName("dev-disk-by\\x2duuid-1234.device"));
  CHECK(isValidUnitName("a:b_c.mount"));
  CHECK(isValidUnitName("systemd-fsck@dev-mmcblk0p1.service"));
}

TEST_CASE("unit names without a known suffix are invalid", "[sources]") {
  CHECK_FALSE(isValidUnitName("ssh"));
  CHECK_FALSE(isValidUnitName("ssh."));
  CHECK_FALSE(isValidUnitName("ssh.services"));
  CHECK_FALSE(isValidUnitName("ssh.SERVICE"));
  CHECK_FALSE(isValidUnitName("ssh.service.bak"));
}

TEST_CASE("unit names with forbidden characters or a leading @ or dot are invalid", "[sources]") {
  CHECK_FALSE(isValidUnitName(""));
  CHECK_FALSE(isValidUnitName(".service"));
  CHECK_FALSE(isValidUnitName("@foo.service"));
  CHECK_FALSE(isValidUnitName("foo bar.service"));
  CHECK_FALSE(isValidUnitName("foo/bar.service"));
  CHECK_FALSE(isValidUnitName("foo.service\n"));
  CHECK_FALSE(isValidUnitName("caf\xc3\xa9.service"));
  CHECK_FALSE(isValidUnitName(std::string("a\0b.service", 11)));
}

TEST_CASE("unit names may be 255 bytes long but not 256", "[sources]") {
  const std::string stem_255 = std::string(255 - std::string_view(".service").size(), 'a');
  CHECK(isValidUnitName(stem_255 + ".service"));
  CHECK_FALSE(isValidUnitName(stem_255 + "a.service"));
}

TEST_CASE("the daemon's own unit is read from self/cgroup under an injected root, empty when unreadable",
          "[sources]") {
  test::FixtureTree tree;
  tree.write("proc/self/cgroup", "0::/system.slice/jmemd.service\n");
  CHECK(readOwnUnit(tree.path("proc")) == "jmemd.service");
  tree.write("proc/self/cgroup", "1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n");
  CHECK(readOwnUnit(tree.path("proc")) == "session-3.scope");
  CHECK(readOwnUnit(tree.path("nowhere")).empty());
}
