#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compliance/check.h"
#include "ledger/ledger.h"

namespace jmem {

// The values of the bus properties that follow the ledger.
struct BusFigures {
  std::uint64_t last_sample_usec = 0;
  std::uint64_t mem_total_bytes = 0;
  std::uint64_t mem_available_bytes = 0;
  std::uint64_t swap_total_bytes = 0;
  std::uint64_t swap_free_bytes = 0;
  std::uint64_t pss_total_bytes = 0;
  bool nvmap_available = false;
  std::uint64_t nvmap_total_bytes = 0;
  bool pressure_available = false;
  std::uint32_t pressure_some_avg10_permyriad = 0;
  std::uint32_t pressure_full_avg10_permyriad = 0;
  std::string pressure_level = "none";
  std::uint32_t process_count = 0;
};

// What counts as a change worth a PropertiesChanged signal: smaller moves are not announced, so a
// ledger that breathes by a few pages each second does not flood the bus.
inline constexpr std::uint64_t kBytesChangeStep = 1024 * 1024;
inline constexpr std::uint32_t kPressureChangeStepPermyriad = 50;

BusFigures busFigures(const Ledger& ledger, std::uint64_t sample_usec);

// Names of the properties whose value moved past its step since it was last announced; those
// fields of `announced` take the new values. A slow drift is announced once it adds up to a step.
std::vector<std::string> announceChanges(BusFigures& announced, const BusFigures& now);

// The values of the bus properties that say how the governor is doing: whether its ledger is current
// and the verdict of the policy's last check. They change rarely and every change is announced.
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

// Names of the properties of `now` that differ from `announced`, which takes their values.
std::vector<std::string> announceChanges(HealthFigures& announced, const HealthFigures& now);

}  // namespace jmem
