#include "bus/bus_figures.h"

#include <catch2/catch.hpp>

using namespace jmem;

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

TEST_CASE("pressure levels follow PSI some avg10 at 1, 10 and 40 percent") {
  Pressure p;
  CHECK(pressureLevel(p) == "none");  // unavailable
  p.available = true;
  p.some.avg10_permyriad = 99;
  CHECK(pressureLevel(p) == "none");
  p.some.avg10_permyriad = 100;
  CHECK(pressureLevel(p) == "low");
  p.some.avg10_permyriad = 1000;
  CHECK(pressureLevel(p) == "medium");
  p.some.avg10_permyriad = 4000;
  CHECK(pressureLevel(p) == "high");
}

TEST_CASE("a move smaller than the step is not announced") {
  BusFigures announced;
  announced.mem_available_bytes = 100 * kBytesChangeStep;
  BusFigures now = announced;
  now.mem_available_bytes += kBytesChangeStep - 1;
  now.last_sample_usec = 42;
  CHECK(announceChanges(announced, now).empty());
  CHECK(announced.mem_available_bytes == 100 * kBytesChangeStep);
}

TEST_CASE("a slow drift is announced once it adds up to a step") {
  BusFigures announced;
  BusFigures now = announced;
  for (int tick = 0; tick < 3; ++tick) {
    now.pss_total_bytes += kBytesChangeStep / 2;
    const auto changed = announceChanges(announced, now);
    CHECK(contains(changed, "PssTotalBytes") == (tick == 1));
  }
  CHECK(announced.pss_total_bytes == kBytesChangeStep);
}

TEST_CASE("flags, levels and counts are announced on any change, pressure by its own step") {
  BusFigures announced;
  BusFigures now = announced;
  now.nvmap_available = true;
  now.pressure_level = "high";
  now.process_count = 3;
  now.pressure_some_avg10_permyriad = kPressureChangeStepPermyriad - 1;
  now.pressure_full_avg10_permyriad = kPressureChangeStepPermyriad;
  const auto changed = announceChanges(announced, now);
  CHECK(contains(changed, "NvmapAvailable"));
  CHECK(contains(changed, "PressureLevel"));
  CHECK(contains(changed, "ProcessCount"));
  CHECK_FALSE(contains(changed, "PressureSomeAvg10Permyriad"));
  CHECK(contains(changed, "PressureFullAvg10Permyriad"));
  CHECK_FALSE(contains(changed, "LastSampleUsec"));
  CHECK(announceChanges(announced, now).empty());
}
