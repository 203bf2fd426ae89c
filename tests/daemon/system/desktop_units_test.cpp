#include "system/desktop_units.h"

#include <catch2/catch.hpp>
#include <map>

using namespace jmem;

namespace {

// A unit graph as systemd would answer for it: name -> (id, what it pulls in).
using Graph = std::map<std::string, UnitDependencies>;

DependencyLookup lookupIn(const Graph& graph, std::vector<std::string>* asked = nullptr) {
  return [&graph, asked](const std::string& name) -> Result<UnitDependencies> {
    if (asked) asked->push_back(name);
    const auto it = graph.find(name);
    if (it == graph.end()) return Error{"Failed to get the dependencies of " + name + ": no such unit"};
    return it->second;
  };
}

// Debian's graphical.target wants the display manager by its alias; gdm3 pulls in a unit of its own.
const Graph kDebian = {
    {"graphical.target",
     {"graphical.target", {"multi-user.target", "display-manager.service", "udisks2.service"}}},
    {"display-manager.service", {"gdm3.service", {"accounts-daemon.service"}}},
    {"gdm3.service", {"gdm3.service", {"accounts-daemon.service"}}},
    {"accounts-daemon.service", {"accounts-daemon.service", {}}},
    {"udisks2.service", {"udisks2.service", {"basic.target"}}},
    {"multi-user.target", {"multi-user.target", {"basic.target", "ssh.service", "ModemManager.service"}}},
    {"basic.target", {"basic.target", {"multi-user.target"}}},  // a loop, as After=/Wants= webs have
    {"ssh.service", {"ssh.service", {}}},
    {"ModemManager.service", {"ModemManager.service", {}}},
};

UnitPlacement systemUnit(const std::string& unit) {
  return {unit, "system.slice", std::string(kSystemManager)};
}
UnitPlacement userUnit(const std::string& unit, const std::string& manager) {
  return {unit, "app.slice", manager};
}
bool gnomeName(std::string_view comm) {
  return comm.starts_with("gnome-");
}

}  // namespace

TEST_CASE("a target pulls in what it wants and requires, through aliases, each unit once and loops ended",
          "[system][desktop]") {
  std::vector<std::string> asked;
  const auto pulled = pulledInBy("graphical.target", lookupIn(kDebian, &asked), 100);
  REQUIRE(pulled);
  CHECK(*pulled == std::set<std::string>{"graphical.target", "multi-user.target", "gdm3.service",
                                         "accounts-daemon.service", "udisks2.service", "basic.target",
                                         "ssh.service", "ModemManager.service"});
  // Each name is asked for once, whoever else names it.
  CHECK(std::set<std::string>(asked.begin(), asked.end()).size() == asked.size());
}

TEST_CASE("a closure that cannot be read whole is an error, never a part of it", "[system][desktop]") {
  Graph broken = kDebian;
  broken.erase("udisks2.service");
  const auto missing = pulledInBy("graphical.target", lookupIn(broken), 100);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("udisks2.service") != std::string::npos);

  const auto too_many = pulledInBy("graphical.target", lookupIn(kDebian), 3);
  REQUIRE_FALSE(too_many);
  CHECK(too_many.error().message.find("more than 3 units") != std::string::npos);
}

TEST_CASE("the desktop is what graphical.target adds to multi-user.target, and the graphical sessions",
          "[system][desktop]") {
  const auto graphical = pulledInBy("graphical.target", lookupIn(kDebian), 100);
  const auto multi_user = pulledInBy("multi-user.target", lookupIn(kDebian), 100);
  REQUIRE(graphical);
  REQUIRE(multi_user);
  const std::vector<LoginSession> sessions = {
      {"c1", 120, "x11", "greeter", "session-c1.scope"},  // gdm's login screen
      {"2", 1000, "wayland", "user", "session-2.scope"},  // a desktop, and
      {"5", 1000, "tty", "user", "session-5.scope"},      // an ssh login of the same user
      {"7", 1001, "tty", "user", "session-7.scope"},      // someone on ssh only
  };
  const DesktopUnits desktop = desktopUnits(*graphical, *multi_user, sessions);
  CHECK(desktop.system_units == std::set<std::string>{"graphical.target", "gdm3.service",
                                                      "accounts-daemon.service", "udisks2.service"});
  CHECK(desktop.session_scopes == std::set<std::string>{"session-c1.scope", "session-2.scope"});
  CHECK(desktop.user_managers == std::set<std::string>{"user@120.service"});
  CHECK(desktop.shared_user_managers == std::set<std::string>{"user@1000.service"});

  CHECK(runsForDesktop(desktop, systemUnit("udisks2.service"), "udisksd", gnomeName));
  CHECK(runsForDesktop(desktop, systemUnit("session-2.scope"), "Xwayland", gnomeName));
  CHECK_FALSE(runsForDesktop(desktop, systemUnit("session-5.scope"), "bash", gnomeName));
  CHECK_FALSE(runsForDesktop(desktop, systemUnit("ssh.service"), "sshd", gnomeName));
  // The greeter's user manager ends with the display manager; a user's lives on with their ssh login.
  CHECK(runsForDesktop(desktop, userUnit("pipewire.service", "user@120.service"), "pipewire", gnomeName));
  CHECK(runsForDesktop(desktop, userUnit("org.gnome.Shell@wayland.service", "user@1000.service"),
                       "gnome-shell", gnomeName));
  CHECK_FALSE(
      runsForDesktop(desktop, userUnit("pipewire.service", "user@1000.service"), "pipewire", gnomeName));
  CHECK_FALSE(
      runsForDesktop(desktop, userUnit("pipewire.service", "user@1001.service"), "pipewire", gnomeName));
  // A system unit named like a session's does not count: only the system manager's units do.
  CHECK_FALSE(
      runsForDesktop(desktop, userUnit("udisks2.service", "user@1001.service"), "udisksd", gnomeName));
}

TEST_CASE("a session is graphical by its type, or as a greeter", "[system][desktop]") {
  CHECK(isGraphical({"1", 1000, "x11", "user", ""}));
  CHECK(isGraphical({"1", 1000, "mir", "user", ""}));
  CHECK(isGraphical({"1", 120, "unspecified", "greeter", ""}));
  CHECK_FALSE(isGraphical({"1", 1000, "tty", "user", ""}));
  CHECK_FALSE(isGraphical({"1", 1000, "unspecified", "background", ""}));
}
