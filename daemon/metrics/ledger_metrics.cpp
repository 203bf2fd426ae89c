#include "metrics/ledger_metrics.h"

#include <algorithm>

#include "core/text.h"
#include "ledger/ranking.h"

namespace jmem::metrics {

SystemMetrics systemMetricsOf(const Ledger& ledger, std::uint64_t sample_usec) {
  const SystemFigures& system = ledger.system;
  SystemMetrics m;
  m.sample_usec = sample_usec;
  m.mem_total_bytes = system.meminfo.mem_total_bytes;
  m.mem_available_bytes = system.meminfo.mem_available_bytes;
  m.swap_total_bytes = system.meminfo.swap_total_bytes;
  m.swap_free_bytes = system.meminfo.swap_free_bytes;
  m.pss_bytes = ledger.totals.memory.pss_bytes;
  m.process_count = ledger.processes.size();
  if (system.nvmap.available) m.nvmap_bytes = system.nvmap.total_bytes;
  if (system.pressure.available) {
    m.pressure_some_avg10_permyriad = system.pressure.some.avg10_permyriad;
    m.pressure_full_avg10_permyriad = system.pressure.full.avg10_permyriad;
  }
  m.zram = system.zram.devices;
  for (const GpuDevice& device : system.gpus.devices) {
    m.gpus.push_back(GpuMetrics{device.index, device.uuid, device.total_bytes, gpuUsedBytes(device)});
  }
  return m;
}

UnitMetrics unitMetricsOf(const Ledger& ledger, std::size_t top_units) {
  const std::size_t wanted = std::min({top_units, kMaxTopUnits, ledger.units.size()});
  std::vector<const LedgerUnit*> order;
  order.reserve(ledger.units.size());
  for (const LedgerUnit& unit : ledger.units) order.push_back(&unit);
  std::partial_sort(
      order.begin(), order.begin() + static_cast<std::ptrdiff_t>(wanted), order.end(),
      [](const LedgerUnit* a, const LedgerUnit* b) { return rankedBefore(*a, *b, SortKey::kCost); });
  UnitMetrics m;
  m.unit_count = ledger.units.size();
  m.gpu_available = ledger.system.gpus.available;
  m.top.reserve(wanted);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const LedgerUnit& unit = *order[i];
    if (i < wanted) {
      m.top.push_back(UnitCost{unit.unit, unit.manager, unit.memory.costBytes(), unit.memory.gpu_bytes});
    } else {
      m.other_cost_bytes = addSaturating(m.other_cost_bytes, unit.memory.costBytes());
      m.other_gpu_bytes = addSaturating(m.other_gpu_bytes, unit.memory.gpu_bytes);
    }
  }
  return m;
}

}  // namespace jmem::metrics
