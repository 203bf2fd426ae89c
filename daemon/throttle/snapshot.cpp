#include "throttle/snapshot.h"

namespace jmem::throttle {

Snapshot snapshotOf(const Ledger& ledger, Clock::time_point now) {
  Snapshot snapshot;
  snapshot.now = now;
  setSystemFigures(snapshot, ledger.system);
  snapshot.units.reserve(ledger.units.size());
  for (const auto& unit : ledger.units) {
    const PssParts& m = unit.memory;
    const bool split = m.pss_file_bytes && m.pss_anon_bytes && m.pss_shmem_bytes;
    SnapshotUnit figures;
    figures.unit = unit.unit;
    figures.manager = unit.manager;
    figures.cost_bytes = m.costBytes();
    figures.file_bytes = split ? *m.pss_file_bytes : 0;
    figures.anon_bytes = split ? *m.pss_anon_bytes + *m.pss_shmem_bytes : m.pss_bytes;
    snapshot.units.push_back(std::move(figures));
  }
  return snapshot;
}

void setSystemFigures(Snapshot& snapshot, const SystemFigures& system) {
  snapshot.mem_available_bytes = system.meminfo.mem_available_bytes;
  snapshot.swap_free_bytes = system.meminfo.swap_free_bytes;
  snapshot.zram = system.zram.totals;
  snapshot.pressure_available = system.pressure.available;
  snapshot.psi_some_avg10_permyriad = system.pressure.some.avg10_permyriad;
  snapshot.psi_full_avg10_permyriad = system.pressure.full.avg10_permyriad;
  snapshot.nvmap_available = system.nvmap.available;
  snapshot.nvmap_total_bytes = system.nvmap.total_bytes;
  snapshot.gpu_uses.clear();
  for (const GpuDevice& gpu : system.gpus.devices) {
    std::string name = "GPU " + std::to_string(gpu.index) + (gpu.name.empty() ? "" : " (" + gpu.name + ")");
    if (const auto used_bytes = gpuUsedBytes(gpu)) {
      snapshot.gpu_uses.push_back({std::move(name), *used_bytes, false});
    } else if (gpu.integrated && gpu.attributed_bytes > 0) {
      snapshot.gpu_uses.push_back({std::move(name), gpu.attributed_bytes, true});
    }
  }
}

}  // namespace jmem::throttle
