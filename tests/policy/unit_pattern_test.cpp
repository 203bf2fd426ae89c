#include "policy/unit_pattern.h"

#include <catch2/catch.hpp>

using namespace jmem::policy;

namespace {

UnitPattern pattern(std::string text) {
  const bool glob = isUnitGlob(text);
  return UnitPattern{std::move(text), glob, {}};
}

}  // namespace

TEST_CASE("unitPatternError accepts systemd unit names and rejects names without a type suffix", "[policy]") {
  CHECK_FALSE(unitPatternError("gdm3.service"));
  CHECK_FALSE(unitPatternError("avahi-daemon.socket"));
  CHECK_FALSE(unitPatternError("getty@tty1.service"));
  CHECK_FALSE(unitPatternError("-.slice"));
  CHECK_FALSE(unitPatternError("dev-disk-by\\x2duuid.device"));
  CHECK(unitPatternError("gdm3"));
  CHECK(unitPatternError("gdm3.daemon"));
  CHECK(unitPatternError("bad name.service"));
  CHECK(unitPatternError(""));
  CHECK(unitPatternError(std::string(250, 'a') + ".service"));
}

TEST_CASE("unitPatternError accepts globs of unit-name characters with a literal type suffix", "[policy]") {
  CHECK_FALSE(unitPatternError("*.service"));
  CHECK_FALSE(unitPatternError("pipewire*.s?cket.socket"));
  CHECK_FALSE(unitPatternError("tty[0-9].device"));
  CHECK_FALSE(unitPatternError("gdm[!x].service"));
  CHECK(*unitPatternError("gdm*") ==
        "\"gdm*\" is not a valid unit glob (unit-name characters, the wildcards * ? [ ] "
        "and a literal type suffix such as .service)");
  CHECK(unitPatternError("avahi-daemon.*"));
  CHECK(unitPatternError("*.serv?ce"));
  CHECK(unitPatternError("bad *.service"));
  CHECK(*unitPatternError("a[bc.service") == "\"a[bc.service\" has a '[' without its ']'");
  CHECK(*unitPatternError("a*b].service") == "\"a*b].service\" has a ']' without its '['");
  CHECK(*unitPatternError("a[].service") == "\"a[].service\" has an empty bracket expression");
  CHECK(unitPatternError("a[ ].service"));
}

TEST_CASE("A glob matches like fnmatch without escapes and a name matches only itself", "[policy]") {
  CHECK(unitPatternMatches(pattern("pipewire*.service"), "pipewire-pulse.service"));
  CHECK_FALSE(unitPatternMatches(pattern("pipewire*.service"), "pipewire.socket"));
  CHECK(unitPatternMatches(pattern("tty[0-9].device"), "tty7.device"));
  CHECK(unitPatternMatches(pattern("dev-*\\x2d*.device"), "dev-disk-by\\x2duuid.device"));
  CHECK(unitPatternMatches(pattern("gdm.service"), "gdm.service"));
  CHECK_FALSE(unitPatternMatches(pattern("gdm.service"), "gdm3.service"));
}

TEST_CASE("Patterns overlap when equal or when a name matches the other's glob, never glob against glob",
          "[policy]") {
  CHECK(unitPatternsOverlap(pattern("ssh.service"), pattern("ssh.service")));
  CHECK(unitPatternsOverlap(pattern("ssh.service"), pattern("ss?.service")));
  CHECK(unitPatternsOverlap(pattern("s*.service"), pattern("ssh.service")));
  CHECK(unitPatternsOverlap(pattern("s*.service"), pattern("s*.service")));
  CHECK_FALSE(unitPatternsOverlap(pattern("s*.service"), pattern("*h.service")));
  CHECK_FALSE(unitPatternsOverlap(pattern("ssh.service"), pattern("sshd.service")));
}

TEST_CASE("The essential units are found by name and through globs", "[policy]") {
  CHECK(essentialUnits().size() == 11);
  CHECK(isEssentialUnit("dbus.service"));
  CHECK(isEssentialUnit("polkit.service"));
  CHECK(isEssentialUnit("init.scope"));
  CHECK_FALSE(isEssentialUnit("gdm3.service"));
  CHECK(essentialUnitMatchedBy(pattern("systemd-logind.service")) == "systemd-logind.service");
  CHECK(essentialUnitMatchedBy(pattern("*.scope")) == "init.scope");
  CHECK(essentialUnitMatchedBy(pattern("systemd-udev?.service")) == "systemd-udevd.service");
  CHECK_FALSE(essentialUnitMatchedBy(pattern("gdm*.service")));
}
