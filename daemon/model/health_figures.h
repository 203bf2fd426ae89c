#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compliance/check.h"

namespace jmem {

// How the governor is doing: whether its ledger is current and the verdict of the policy's last
// check. They change rarely and every change is announced on the bus.
struct HealthFigures {
  std::string sample_state = "fresh";  // fresh, or stale: no sample has succeeded for three intervals
  std::string sample_error;            // why the last sample failed, terminal-safe; "" after a success
  std::string policy_verdict;          // "" before the first check; compliant, reboot-pending, unknown, drift
  std::uint32_t policy_drift_items = 0;
  std::uint32_t policy_unknown_items = 0;          // items whose state could not be observed
  std::vector<std::string> policy_reboot_pending;  // subjects set for the next boot, not for this one
  std::uint64_t policy_check_usec = 0;             // CLOCK_REALTIME of the last check; not announced
};

// The verdict of a check, made at `check_usec`, into the policy's fields of `health`.
void setPolicyFigures(HealthFigures& health, const compliance::CheckReport& report, std::uint64_t check_usec);
// A check that could not run at all (no connection to the bus): nothing was observed, so unknown.
void setPolicyUnchecked(HealthFigures& health, std::uint64_t check_usec);

}  // namespace jmem
