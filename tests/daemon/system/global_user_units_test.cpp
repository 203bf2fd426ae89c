#include "system/global_user_units.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/fixture_tree.h"

using namespace jmem;
using namespace jmem::test;

namespace {

bool isNullSymlink(const std::filesystem::path& path) {
  return std::filesystem::is_symlink(std::filesystem::symlink_status(path)) &&
         std::filesystem::read_symlink(path) == "/dev/null";
}

GlobalUserUnitState stateOf(const GlobalUserUnits& units, std::string_view unit) {
  auto state = units.state(unit);
  INFO((state ? "" : state.error().message));
  REQUIRE(state.ok());
  return *state;
}

}  // namespace

TEST_CASE("masking a user unit globally creates /etc/systemd/user/NAME pointing to /dev/null", "[system]") {
  FixtureTree tree;
  tree.write("usr/lib/systemd/user/pulseaudio.service", "[Service]\nExecStart=/usr/bin/pulseaudio\n");
  const GlobalUserUnits units(tree.path());

  auto masked = units.maskGlobal("pulseaudio.service");
  REQUIRE(masked.ok());
  CHECK(*masked);
  CHECK(isNullSymlink(tree.path("etc/systemd/user/pulseaudio.service")));
  // The unit file it masks is untouched.
  CHECK(std::filesystem::is_regular_file(tree.path("usr/lib/systemd/user/pulseaudio.service")));

  auto again = units.maskGlobal("pulseaudio.service");
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
}

TEST_CASE("masking creates /etc/systemd/user when it is missing, and works for a unit without a file",
          "[system]") {
  FixtureTree tree;
  const GlobalUserUnits units(tree.path());
  REQUIRE(units.maskGlobal("wireplumber.service").ok());
  CHECK(isNullSymlink(tree.path("etc/systemd/user/wireplumber.service")));
  const auto state = stateOf(units, "wireplumber.service");
  CHECK(state.masked());
  CHECK_FALSE(state.unit_file_exists);
}

TEST_CASE("unmasking removes the /dev/null link and nothing else", "[system]") {
  FixtureTree tree;
  tree.write("usr/lib/systemd/user/pipewire.service", "[Service]\n");
  const GlobalUserUnits units(tree.path());
  REQUIRE(units.maskGlobal("pipewire.service").ok());

  auto unmasked = units.unmaskGlobal("pipewire.service");
  REQUIRE(unmasked.ok());
  CHECK(*unmasked);
  CHECK_FALSE(std::filesystem::exists(
      std::filesystem::symlink_status(tree.path("etc/systemd/user/pipewire.service"))));
  CHECK(std::filesystem::is_directory(tree.path("etc/systemd/user")));
  CHECK(std::filesystem::is_regular_file(tree.path("usr/lib/systemd/user/pipewire.service")));

  auto again = units.unmaskGlobal("pipewire.service");
  REQUIRE(again.ok());
  CHECK_FALSE(*again);
}

TEST_CASE("unmasking refuses a real unit file in /etc/systemd/user and leaves it as it was", "[system]") {
  FixtureTree tree;
  tree.write("etc/systemd/user/pulseaudio.service", "[Service]\nExecStart=/usr/local/bin/pa\n");
  const GlobalUserUnits units(tree.path());

  const auto unmasked = units.unmaskGlobal("pulseaudio.service");
  REQUIRE_FALSE(unmasked.ok());
  CHECK(unmasked.error().message == "Failed to unmask pulseaudio.service globally: " +
                                        tree.path("etc/systemd/user/pulseaudio.service").string() +
                                        " is not a link to /dev/null; refusing to remove it");
  CHECK(std::filesystem::is_regular_file(tree.path("etc/systemd/user/pulseaudio.service")));
}

TEST_CASE("unmasking refuses a link that points elsewhere, and masking refuses to replace it", "[system]") {
  FixtureTree tree;
  tree.write("usr/lib/systemd/user/pipewire.service", "[Service]\n");
  std::filesystem::create_directories(tree.path("etc/systemd/user"));
  std::filesystem::create_symlink("/usr/lib/systemd/user/pipewire.service",
                                  tree.path("etc/systemd/user/pipewire-alias.service"));
  const GlobalUserUnits units(tree.path());

  CHECK_FALSE(units.unmaskGlobal("pipewire-alias.service").ok());
  const auto masked = units.maskGlobal("pipewire-alias.service");
  REQUIRE_FALSE(masked.ok());
  CHECK(masked.error().errno_value == EEXIST);
  CHECK_THAT(masked.error().message,
             Catch::EndsWith("exists and is not a link to /dev/null; refusing to replace it"));
  CHECK(std::filesystem::read_symlink(tree.path("etc/systemd/user/pipewire-alias.service")) ==
        "/usr/lib/systemd/user/pipewire.service");
  CHECK(stateOf(units, "pipewire-alias.service").etc_entry == GlobalMaskEntry::kOther);
}

TEST_CASE("the state tells masked from not, and finds the unit file along the user search path", "[system]") {
  FixtureTree tree({{"lib/systemd/user/pulseaudio.service", "[Service]\n"},
                    {"usr/lib/systemd/user/pulseaudio.service", "[Service]\n"},
                    {"usr/lib/systemd/user/getty-like@.service", "[Service]\n"},
                    {"etc/systemd/user/local.service", "[Service]\n"}});
  const GlobalUserUnits units(tree.path());

  auto state = stateOf(units, "pulseaudio.service");
  CHECK_FALSE(state.masked());
  CHECK(state.etc_entry == GlobalMaskEntry::kNone);
  CHECK(state.unit_file_exists);
  CHECK(state.unit_file == "/usr/lib/systemd/user/pulseaudio.service");  // the first in systemd's order

  REQUIRE(units.maskGlobal("pulseaudio.service").ok());
  state = stateOf(units, "pulseaudio.service");
  CHECK(state.masked());
  CHECK(state.unit_file_exists);  // the mask itself does not count as a unit file
  CHECK(state.unit_file == "/usr/lib/systemd/user/pulseaudio.service");

  state = stateOf(units, "local.service");
  CHECK(state.etc_entry == GlobalMaskEntry::kOther);
  CHECK(state.unit_file == "/etc/systemd/user/local.service");

  state = stateOf(units, "getty-like@tty1.service");  // an instance is found through its template
  CHECK(state.unit_file == "/usr/lib/systemd/user/getty-like@.service");

  state = stateOf(units, "absent.service");
  CHECK_FALSE(state.masked());
  CHECK_FALSE(state.unit_file_exists);
  CHECK(state.unit_file.empty());
}

TEST_CASE("names that are no unit names are refused before touching the file system", "[system]") {
  FixtureTree tree;
  const GlobalUserUnits units(tree.path());
  for (const char* name :
       {"", "../../etc/passwd", "a/b.service", "pulse*.service", ".service", "noext", "bad name.service"}) {
    INFO(name);
    const auto masked = units.maskGlobal(name);
    REQUIRE_FALSE(masked.ok());
    CHECK(masked.error().errno_value == EINVAL);
    CHECK_FALSE(units.unmaskGlobal(name).ok());
    CHECK_FALSE(units.state(name).ok());
  }
  CHECK_FALSE(std::filesystem::exists(tree.path("etc")));
  CHECK(isValidUnitName("user@1000.service"));
  CHECK(isValidUnitName("dev-disk-by\\x2duuid.device"));
}
