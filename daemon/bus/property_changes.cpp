#include "bus/property_changes.h"

namespace jmem {
namespace {

template <typename T>
bool movedBy(T before, T after, T step) {
  return (after > before ? after - before : before - after) >= step;
}

}  // namespace

std::vector<std::string> announceChanges(LedgerFigures& announced, const LedgerFigures& now) {
  std::vector<std::string> names;
  auto announce = [&](const char* name, auto& field, const auto& value, bool moved) {
    if (!moved) return;
    field = value;
    names.emplace_back(name);
  };
  auto bytes = [&](const char* name, std::uint64_t& field, std::uint64_t value) {
    announce(name, field, value, movedBy(field, value, kBytesChangeStep));
  };
  auto pressure = [&](const char* name, std::uint32_t& field, std::uint32_t value) {
    announce(name, field, value, movedBy(field, value, kPressureChangeStepPermyriad));
  };
  auto exact = [&](const char* name, auto& field, const auto& value) {
    announce(name, field, value, field != value);
  };
  LedgerFigures& a = announced;
  bytes("MemTotalBytes", a.mem_total_bytes, now.mem_total_bytes);
  bytes("MemAvailableBytes", a.mem_available_bytes, now.mem_available_bytes);
  bytes("SwapTotalBytes", a.swap_total_bytes, now.swap_total_bytes);
  bytes("SwapFreeBytes", a.swap_free_bytes, now.swap_free_bytes);
  bytes("PssTotalBytes", a.pss_total_bytes, now.pss_total_bytes);
  exact("NvmapAvailable", a.nvmap_available, now.nvmap_available);
  bytes("NvmapTotalBytes", a.nvmap_total_bytes, now.nvmap_total_bytes);
  exact("PressureAvailable", a.pressure_available, now.pressure_available);
  pressure("PressureSomeAvg10Permyriad", a.pressure_some_avg10_permyriad, now.pressure_some_avg10_permyriad);
  pressure("PressureFullAvg10Permyriad", a.pressure_full_avg10_permyriad, now.pressure_full_avg10_permyriad);
  exact("PressureLevel", a.pressure_level, now.pressure_level);
  exact("ProcessCount", a.process_count, now.process_count);
  bytes("HeadroomBytes", a.headroom_bytes, now.headroom_bytes);
  a.last_sample_usec = now.last_sample_usec;
  return names;
}

std::vector<std::string> announceChanges(HealthFigures& announced, const HealthFigures& now) {
  std::vector<std::string> names;
  auto exact = [&](const char* name, auto& field, const auto& value) {
    if (field == value) return;
    field = value;
    names.emplace_back(name);
  };
  HealthFigures& a = announced;
  exact("SampleState", a.sample_state, now.sample_state);
  exact("SampleError", a.sample_error, now.sample_error);
  exact("PolicyVerdict", a.policy_verdict, now.policy_verdict);
  exact("PolicyDriftItems", a.policy_drift_items, now.policy_drift_items);
  exact("PolicyUnknownItems", a.policy_unknown_items, now.policy_unknown_items);
  exact("PolicyRebootPending", a.policy_reboot_pending, now.policy_reboot_pending);
  a.policy_check_usec = now.policy_check_usec;
  return names;
}

}  // namespace jmem
