#include "ledger/ledger.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <utility>

#include "core/text.h"
#include "ledger/ranking.h"

namespace jmem {

namespace {

void addPart(std::optional<std::uint64_t>& sum, const std::optional<std::uint64_t>& part) {
  sum = sum && part ? std::optional(addSaturating(*sum, *part)) : std::nullopt;
}

}  // namespace

void PssParts::add(const LedgerProcess& process) {
  const SmapsRollup& rollup = process.sample.rollup;
  pss_bytes = addSaturating(pss_bytes, rollup.pss_bytes);
  addPart(pss_anon_bytes, rollup.pss_anon_bytes);
  addPart(pss_file_bytes, rollup.pss_file_bytes);
  addPart(pss_shmem_bytes, rollup.pss_shmem_bytes);
  swap_pss_bytes = addSaturating(swap_pss_bytes, rollup.swap_pss_bytes);
  nvmap_bytes = addSaturating(nvmap_bytes, process.nvmap_bytes);
  gpu_bytes = addSaturating(gpu_bytes, process.gpu_bytes);
  gpu_shared_bytes = addSaturating(gpu_shared_bytes, process.gpu_shared_bytes);
}

namespace {

// Memory that MemAvailable cannot give back: anonymous and shmem PSS, or all of PSS without the split.
std::uint64_t unreclaimablePss(const SmapsRollup& rollup) {
  if (!rollup.pss_anon_bytes || !rollup.pss_shmem_bytes) return rollup.pss_bytes;
  return *rollup.pss_anon_bytes + *rollup.pss_shmem_bytes;
}

std::int64_t clampToSigned(std::uint64_t value) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(value, INT64_MAX));
}

struct GpuShare {
  std::uint64_t bytes = 0;
  std::uint64_t shared_bytes = 0;
};

// Each PID's GPU memory over every device. An integrated GPU's memory is system memory: it counts in
// the cost unless NvMap, which sees the same buffers on Jetson, already counts it.
std::unordered_map<pid_t, GpuShare> gpuByPid(const SystemFigures& system, std::uint64_t& shared_total) {
  std::unordered_map<pid_t, GpuShare> by_pid;
  const bool count_shared = !system.nvmap.available;
  for (const GpuDevice& device : system.gpus.devices) {
    const bool shared = count_shared && device.integrated;
    if (shared) shared_total = addSaturating(shared_total, device.attributed_bytes);
    for (const GpuProcess& process : device.processes) {
      if (!process.bytes) continue;
      GpuShare& share = by_pid[process.pid];
      share.bytes = addSaturating(share.bytes, *process.bytes);
      if (shared) share.shared_bytes = addSaturating(share.shared_bytes, *process.bytes);
    }
  }
  return by_pid;
}

}  // namespace

Ledger buildLedger(SystemFigures system, std::vector<ProcessSample> processes, const ProcessCounts& counts) {
  Ledger ledger;
  ledger.system = std::move(system);
  ledger.totals.counts = counts;

  std::unordered_map<pid_t, std::uint64_t> nvmap_by_pid;
  for (const NvmapHeap& heap : ledger.system.nvmap.heaps) {
    for (const NvmapClient& client : heap.clients) {
      nvmap_by_pid[client.pid] = addSaturating(nvmap_by_pid[client.pid], client.bytes);
    }
  }

  std::uint64_t gpu_shared_total = 0;
  auto gpu_by_pid = gpuByPid(ledger.system, gpu_shared_total);

  std::uint64_t unreclaimable = 0;
  std::map<std::pair<std::string, std::string>, LedgerUnit> units;
  ledger.processes.reserve(processes.size());
  for (ProcessSample& sample : processes) {
    LedgerProcess process;
    process.sample = std::move(sample);
    if (auto found = nvmap_by_pid.find(process.sample.pid);
        found != nvmap_by_pid.end() && process.sample.pid) {
      process.nvmap_bytes = found->second;
      nvmap_by_pid.erase(found);
    }
    if (auto found = gpu_by_pid.find(process.sample.pid); found != gpu_by_pid.end() && process.sample.pid) {
      process.gpu_bytes = found->second.bytes;
      process.gpu_shared_bytes = found->second.shared_bytes;
      gpu_by_pid.erase(found);
    }
    ledger.totals.memory.add(process);
    unreclaimable = addSaturating(unreclaimable, unreclaimablePss(process.sample.rollup));
    const UnitPlacement& placement = process.sample.placement;
    LedgerUnit& unit = units[{placement.manager, placement.unit}];
    unit.unit = placement.unit;
    unit.manager = placement.manager;
    unit.memory.add(process);
    unit.pids.push_back(process.sample.pid);
    ledger.processes.push_back(std::move(process));
  }
  std::sort(ledger.processes.begin(), ledger.processes.end(),
            [](const auto& a, const auto& b) { return a.sample.pid < b.sample.pid; });

  for (const auto& [pid, bytes] : nvmap_by_pid) {
    ledger.totals.nvmap_unattributed_bytes = addSaturating(ledger.totals.nvmap_unattributed_bytes, bytes);
  }
  for (const auto& [pid, share] : gpu_by_pid) {
    ledger.totals.gpu_unmatched_bytes = addSaturating(ledger.totals.gpu_unmatched_bytes, share.bytes);
  }

  for (auto& [key, unit] : units) ledger.units.push_back(std::move(unit));
  std::sort(ledger.units.begin(), ledger.units.end(),
            [](const auto& a, const auto& b) { return rankedBefore(a, b, SortKey::kCost); });

  const Meminfo& meminfo = ledger.system.meminfo;
  ledger.totals.used_bytes = meminfo.mem_total_bytes - meminfo.mem_available_bytes;
  const std::uint64_t accounted =
      addSaturating(addSaturating(unreclaimable, ledger.system.nvmap.total_bytes), gpu_shared_total);
  ledger.totals.unaccounted_bytes = clampToSigned(ledger.totals.used_bytes) - clampToSigned(accounted);
  return ledger;
}

}  // namespace jmem
