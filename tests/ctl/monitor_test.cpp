#include "ctl/monitor.h"

#include <catch2/catch.hpp>

using namespace jmem::ctl;

namespace {
constexpr std::uint64_t kMiB = 1024 * 1024;
}

TEST_CASE("monitor names figures as a person reads them", "[ctl]") {
  EventWording wording;
  CHECK(wording.changed({{"PressureSomeAvg10Permyriad", std::uint32_t{1230}},
                         {"HeadroomBytes", 512 * kMiB}}) == "pressure some 12.30%, headroom 512.0M");
}

TEST_CASE("monitor prints a figure again only once it moved by its step from the one printed", "[ctl]") {
  EventWording wording;
  REQUIRE(wording.changed({{"MemAvailableBytes", 1000 * kMiB}}));
  // jmemd announces every MiB; monitor waits for 16 MiB, measured from what it printed, not from the
  // last announcement.
  for (std::uint64_t mib = 1001; mib < 1016; ++mib)
    CHECK_FALSE(wording.changed({{"MemAvailableBytes", mib * kMiB}}));
  CHECK(wording.changed({{"MemAvailableBytes", 1016 * kMiB}}) == "memory available 1016.0M");
  REQUIRE(wording.changed({{"PressureFullAvg10Permyriad", std::uint32_t{500}}}));
  CHECK_FALSE(wording.changed({{"PressureFullAvg10Permyriad", std::uint32_t{599}}}));
  CHECK(wording.changed({{"PressureFullAvg10Permyriad", std::uint32_t{600}}}));
}

TEST_CASE("monitor says the policy's drift was found and cleared, and a mode a reload changed", "[ctl]") {
  EventWording wording;
  CHECK(wording.changed({{"PolicyVerdict", std::string("drift")}}) == "policy: drift found");
  CHECK(wording.changed({{"PolicyVerdict", std::string("compliant")}}) == "policy: drift cleared, compliant");
  CHECK(wording.changed({{"Mode", std::string("enforce")}}) == "mode is now enforce (policy reloaded)");
  CHECK_FALSE(wording.changed({{"Mode", std::string("enforce")}}));
  CHECK(
      wording.changed(
          {{"PolicyFiles", std::vector<std::string>{"/etc/jmem/policy.toml", "/etc/jmem/policy.d/50.toml"}},
           {"PolicyFingerprint", std::string("06e7b5d3ba3aa7b9")}}) ==
      "policy files /etc/jmem/policy.toml, /etc/jmem/policy.d/50.toml, policy fingerprint 06e7b5d3ba3aa7b9");
}

TEST_CASE("monitor never says the same line twice in a row, and keeps what a terminal must not see out",
          "[ctl]") {
  EventWording wording;
  CHECK(wording.once("pressure some: 1%") == "pressure some: 1%");
  CHECK_FALSE(wording.once("pressure some: 1%"));
  CHECK(wording.once("other") == "other");
  const auto line = wording.changed({{"SampleError", std::string("bad \x1b[2J file")}});
  REQUIRE(line);
  CHECK(line->find('\x1b') == std::string::npos);
  // The pressure level comes with its own signal, figures and all: the property adds no line.
  CHECK_FALSE(wording.changed({{"PressureLevel", std::string("high")}}));
}
