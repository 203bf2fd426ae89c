#include "bus/bus_figures.h"

#include <algorithm>

namespace jmem {
namespace {

template <typename T>
bool movedBy(T before, T after, T step) {
  return (after > before ? after - before : before - after) >= step;
}

}  // namespace

BusFigures busFigures(const Ledger& ledger, std::uint64_t sample_usec) {
  const Meminfo& m = ledger.system.meminfo;
  BusFigures f;
  f.last_sample_usec = sample_usec;
  f.mem_total_bytes = m.mem_total_bytes;
  f.mem_available_bytes = m.mem_available_bytes;
  f.swap_total_bytes = m.swap_total_bytes.value_or(0);
  f.swap_free_bytes = m.swap_free_bytes.value_or(0);
  f.pss_total_bytes = ledger.totals.memory.pss_bytes;
  f.nvmap_available = ledger.system.nvmap.available;
  f.nvmap_total_bytes = ledger.system.nvmap.total_bytes;
  f.pressure_available = ledger.system.pressure.available;
  f.pressure_some_avg10_permyriad = ledger.system.pressure.some.avg10_permyriad;
  f.pressure_full_avg10_permyriad = ledger.system.pressure.full.avg10_permyriad;
  f.pressure_level = pressureLevel(ledger.system.pressure);
  f.process_count = static_cast<std::uint32_t>(ledger.processes.size());
  return f;
}

std::vector<std::string> announceChanges(BusFigures& announced, const BusFigures& now) {
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
  BusFigures& a = announced;
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
  a.last_sample_usec = now.last_sample_usec;
  return names;
}

void setPolicyFigures(HealthFigures& health, const compliance::CheckReport& report,
                      std::uint64_t check_usec) {
  using compliance::ItemState;
  health.policy_verdict = std::string(compliance::toString(report.verdict()));
  health.policy_drift_items = static_cast<std::uint32_t>(report.count(ItemState::kDrift));
  health.policy_unknown_items = static_cast<std::uint32_t>(report.count(ItemState::kUnknown));
  health.policy_reboot_pending.clear();
  for (const compliance::CheckItem& item : report.items) {
    auto& pending = health.policy_reboot_pending;
    // Each subject once: this boot's and the next boot's item of an argument share it.
    if (item.state == ItemState::kRebootPending &&
        std::find(pending.begin(), pending.end(), item.subject) == pending.end())
      pending.push_back(item.subject);
  }
  health.policy_check_usec = check_usec;
}

void setPolicyUnchecked(HealthFigures& health, std::uint64_t check_usec) {
  health.policy_verdict = std::string(compliance::toString(compliance::Verdict::kUnknown));
  health.policy_drift_items = 0;
  health.policy_unknown_items = 0;
  health.policy_reboot_pending.clear();
  health.policy_check_usec = check_usec;
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
