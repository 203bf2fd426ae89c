#include "bus/bus_figures.h"

namespace jmem {
namespace {

template <typename T>
bool movedBy(T before, T after, T step) {
  return (after > before ? after - before : before - after) >= step;
}

}  // namespace

std::string pressureLevel(const Pressure& pressure) {
  if (!pressure.available) return "none";
  const std::uint32_t some = pressure.some.avg10_permyriad;
  if (some < 100) return "none";
  if (some < 1000) return "low";
  if (some < 4000) return "medium";
  return "high";
}

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

}  // namespace jmem
