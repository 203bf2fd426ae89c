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

namespace {

// Each PID's proportional share over every NvMap heap.
std::unordered_map<pid_t, std::uint64_t> nvmapByPid(const NvmapSnapshot& nvmap) {
  std::unordered_map<pid_t, std::uint64_t> by_pid;
  for (const NvmapHeap& heap : nvmap.heaps) {
    for (const NvmapClient& client : heap.clients) {
      by_pid[client.pid] = addSaturating(by_pid[client.pid], client.bytes);
    }
  }
  return by_pid;
}

// What the ledger's processes do not account for; rows of PIDs no process has stay in the maps.
struct Unmatched {
  std::unordered_map<pid_t, std::uint64_t> nvmap_by_pid;
  std::unordered_map<pid_t, GpuShare> gpu_by_pid;
};

// The process's NvMap and GPU rows, taken out of `unmatched`. PID 0 (the kernel's rows) is no process.
LedgerProcess joinShares(const ProcessSample& sample, Unmatched& unmatched) {
  LedgerProcess process;
  process.sample = sample;
  const pid_t pid = process.sample.pid;
  if (pid == 0) return process;
  if (auto found = unmatched.nvmap_by_pid.find(pid); found != unmatched.nvmap_by_pid.end()) {
    process.nvmap_bytes = found->second;
    unmatched.nvmap_by_pid.erase(found);
  }
  if (auto found = unmatched.gpu_by_pid.find(pid); found != unmatched.gpu_by_pid.end()) {
    process.gpu_bytes = found->second.bytes;
    process.gpu_shared_bytes = found->second.shared_bytes;
    unmatched.gpu_by_pid.erase(found);
  }
  return process;
}

// Each (manager, unit)'s sums and PIDs, ranked by cost.
std::vector<LedgerUnit> sumUnits(const std::vector<LedgerProcess>& processes) {
  std::map<std::pair<std::string_view, std::string_view>, LedgerUnit> by_unit;
  for (const LedgerProcess& process : processes) {
    const UnitPlacement& placement = process.sample.placement;
    LedgerUnit& unit = by_unit[{placement.manager, placement.unit}];
    if (unit.pids.empty()) {
      unit.unit = placement.unit;
      unit.manager = placement.manager;
    }
    unit.memory.add(process);
    unit.pids.push_back(process.sample.pid);
  }
  std::vector<LedgerUnit> units;
  units.reserve(by_unit.size());
  for (auto& [key, unit] : by_unit) units.push_back(std::move(unit));
  std::sort(units.begin(), units.end(),
            [](const auto& a, const auto& b) { return rankedBefore(a, b, SortKey::kCost); });
  return units;
}

// Used memory against what the processes, NvMap, zram and shared GPU memory account for.
void accountSystem(const SystemFigures& system, const std::vector<LedgerProcess>& processes,
                   std::uint64_t gpu_shared_total, LedgerTotals& totals) {
  std::uint64_t unreclaimable = 0;
  for (const LedgerProcess& process : processes) {
    totals.memory.add(process);
    unreclaimable = addSaturating(unreclaimable, unreclaimablePss(process.sample.rollup));
  }
  totals.used_bytes = system.meminfo.mem_total_bytes - system.meminfo.mem_available_bytes;
  const std::uint64_t accounted =
      addSaturating(addSaturating(addSaturating(unreclaimable, system.nvmap.total_bytes), gpu_shared_total),
                    system.zram.totals.mem_used_bytes);
  totals.unaccounted_bytes = clampToSigned(totals.used_bytes) - clampToSigned(accounted);
}

void addUnmatched(const Unmatched& unmatched, LedgerTotals& totals) {
  for (const auto& [pid, bytes] : unmatched.nvmap_by_pid) {
    totals.nvmap_unattributed_bytes = addSaturating(totals.nvmap_unattributed_bytes, bytes);
  }
  for (const auto& [pid, share] : unmatched.gpu_by_pid) {
    totals.gpu_unmatched_bytes = addSaturating(totals.gpu_unmatched_bytes, share.bytes);
  }
}

}  // namespace

Ledger buildLedger(SystemFigures system, const std::vector<const ProcessSample*>& processes,
                   const ProcessCounts& counts) {
  Ledger ledger;
  ledger.system = std::move(system);
  ledger.totals.counts = counts;
  std::uint64_t gpu_shared_total = 0;
  Unmatched unmatched{nvmapByPid(ledger.system.nvmap), gpuByPid(ledger.system, gpu_shared_total)};

  ledger.processes.reserve(processes.size());
  for (const ProcessSample* sample : processes) ledger.processes.push_back(joinShares(*sample, unmatched));
  std::sort(ledger.processes.begin(), ledger.processes.end(),
            [](const auto& a, const auto& b) { return a.sample.pid < b.sample.pid; });

  ledger.units = sumUnits(ledger.processes);
  accountSystem(ledger.system, ledger.processes, gpu_shared_total, ledger.totals);
  addUnmatched(unmatched, ledger.totals);
  return ledger;
}

Ledger buildLedger(SystemFigures system, const std::vector<ProcessSample>& processes,
                   const ProcessCounts& counts) {
  std::vector<const ProcessSample*> views;
  views.reserve(processes.size());
  for (const ProcessSample& sample : processes) views.push_back(&sample);
  return buildLedger(std::move(system), views, counts);
}

}  // namespace jmem
