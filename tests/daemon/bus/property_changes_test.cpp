#include "bus/property_changes.h"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace jmem;

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

TEST_CASE("a move smaller than the step is not announced", "[bus]") {
  LedgerFigures announced;
  announced.mem_available_bytes = 100 * kBytesChangeStep;
  LedgerFigures now = announced;
  now.mem_available_bytes += kBytesChangeStep - 1;
  now.last_sample_usec = 42;
  CHECK(announceChanges(announced, now).empty());
  CHECK(announced.mem_available_bytes == 100 * kBytesChangeStep);
}

TEST_CASE("a slow drift is announced once it adds up to a step", "[bus]") {
  LedgerFigures announced;
  LedgerFigures now = announced;
  for (int tick = 0; tick < 3; ++tick) {
    now.pss_total_bytes += kBytesChangeStep / 2;
    const auto changed = announceChanges(announced, now);
    CHECK(contains(changed, "PssTotalBytes") == (tick == 1));
  }
  CHECK(announced.pss_total_bytes == kBytesChangeStep);
}

TEST_CASE("flags, levels and counts are announced on any change, pressure by its own step", "[bus]") {
  LedgerFigures announced;
  LedgerFigures now = announced;
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

TEST_CASE("health figures are announced exactly when they change, the check's time never", "[bus]") {
  HealthFigures announced;
  HealthFigures now = announced;
  now.policy_check_usec = 99;
  CHECK(announceChanges(announced, now).empty());
  now.sample_state = "stale";
  now.sample_error = "/proc/meminfo: meminfo: missing field MemTotal";
  now.policy_verdict = "unknown";
  now.policy_unknown_items = 2;
  now.policy_reboot_pending = {"swiotlb"};
  const auto changed = announceChanges(announced, now);
  for (const char* name :
       {"SampleState", "SampleError", "PolicyVerdict", "PolicyUnknownItems", "PolicyRebootPending"})
    CHECK(contains(changed, name));
  CHECK_FALSE(contains(changed, "PolicyDriftItems"));
  CHECK_FALSE(contains(changed, "PolicyCheckUsec"));
  CHECK(announceChanges(announced, now).empty());
  now.sample_state = "fresh";
  CHECK(announceChanges(announced, now) == std::vector<std::string>{"SampleState"});
}
