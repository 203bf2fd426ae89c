#include "ctl/client.h"

#include <catch2/catch.hpp>

#include "ctl/options.h"

using namespace jmem::ctl;

namespace {

int exitFor(const char* name) {
  return describeError(sdbus::Error(name, "a message")).exit_code;
}

}  // namespace

TEST_CASE("a daemon that is absent or gone is told by the error's name", "[ctl]") {
  CHECK(exitFor("org.freedesktop.DBus.Error.ServiceUnknown") == kExitNotRunning);
  CHECK(exitFor("org.freedesktop.DBus.Error.NameHasNoOwner") == kExitNotRunning);
  CHECK(exitFor("org.freedesktop.DBus.Error.NoReply") == kExitNotRunning);
  CHECK(exitFor("org.freedesktop.DBus.Error.Disconnected") == kExitNotRunning);
}

TEST_CASE("a system bus that cannot be reached is told by its name, whatever its message", "[ctl]") {
  const auto described =
      describeError(sdbus::Error("org.freedesktop.DBus.Error.NoServer", "Failed to open bus (No such file)"));
  CHECK(described.exit_code == kExitNotRunning);
  CHECK(described.message.starts_with("Cannot reach the system bus: "));
  CHECK(exitFor("org.jmem.Governor1.Error.Failed") == kExitFailure);
}

TEST_CASE("a refusal of access is denied, a refusal of the request a failure", "[ctl]") {
  CHECK(exitFor("org.jmem.Governor1.Error.AccessDenied") == kExitDenied);
  CHECK(exitFor("org.freedesktop.DBus.Error.AccessDenied") == kExitDenied);
  CHECK(exitFor("org.jmem.Governor1.Error.Refused") == kExitFailure);
}
