#pragma once

#include <cstdint>

// What a tick does besides sampling, decided from the tick's number alone so that the schedule can be
// read (and tested) in one place.
namespace jmem {

// In enforce mode the policy is enforced this often; drift is corrected and announced.
inline constexpr std::uint64_t kPolicyEveryTicks = 30;
// A common scrape interval; every tick would mean two fsyncs a second on the device's eMMC.
inline constexpr std::uint64_t kMetricsEveryTicks = 15;

struct TickJobs {
  bool enforce = false;  // observe the device once, correct drift, and report the verdict seen
  bool check = false;    // observe the device and report the verdict
  bool metrics = false;  // write the metrics file
};

// Pure. The policy is looked at every kPolicyEveryTicks ticks (enforced in enforce mode, only checked
// in audit mode), at the first tick (so that status has a verdict early), and at the tick after
// anything that may have changed the verdict (`verdict_outdated`): an apply, a revert, a reload.
TickJobs tickJobs(std::uint64_t tick, bool enforce_mode, bool verdict_outdated);

}  // namespace jmem
