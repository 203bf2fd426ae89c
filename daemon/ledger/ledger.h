#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/record_fields.h"
#include "sources/process_reader.h"
#include "sources/process_sampler.h"
#include "sources/system_figures.h"

namespace jmem {

struct LedgerProcess {
  ProcessSample sample;
  std::uint64_t nvmap_bytes = 0;  // the process's proportional share over all nvmap heaps
  std::uint64_t gpu_bytes = 0;    // GPU memory NVML attributes to it, over every GPU
  // The part of gpu_bytes on integrated GPUs, which is system memory, where NvMap does not already
  // count it (NvMap unavailable). Part of the cost; discrete GPUs' memory is not system memory.
  std::uint64_t gpu_shared_bytes = 0;
  std::uint64_t costBytes() const { return sample.rollup.pss_bytes + nvmap_bytes + gpu_shared_bytes; }
};

template <FieldsOf<LedgerProcess> P, typename Visit>
void visitFields(P& p, Visit&& visit) {
  auto& s = p.sample;
  auto& r = s.rollup;
  visit("pid", s.pid);
  visit("comm", s.comm);
  visit("cmdline", s.cmdline);
  visit("uid", s.uid);
  visit("unit", s.placement.unit);
  visit("slice", s.placement.slice);
  visit("manager", s.placement.manager);
  visit("rss_bytes", r.rss_bytes);
  visit("pss_bytes", r.pss_bytes);
  visit("pss_anon_bytes", r.pss_anon_bytes);
  visit("pss_file_bytes", r.pss_file_bytes);
  visit("pss_shmem_bytes", r.pss_shmem_bytes);
  visit("swap_bytes", r.swap_bytes);
  visit("swap_pss_bytes", r.swap_pss_bytes);
  visit("nvmap_bytes", p.nvmap_bytes);
  visit("gpu_bytes", p.gpu_bytes);
  visit("gpu_shared_bytes", p.gpu_shared_bytes);
  if constexpr (std::is_const_v<P>) visit("cost_bytes", p.costBytes());
}

// PSS split into its parts. A part is unknown once one process's is (kernels before 5.8): the sum of
// the others would pass for the whole.
struct PssParts {
  std::uint64_t pss_bytes = 0;
  std::optional<std::uint64_t> pss_anon_bytes = 0;
  std::optional<std::uint64_t> pss_file_bytes = 0;
  std::optional<std::uint64_t> pss_shmem_bytes = 0;
  std::uint64_t swap_pss_bytes = 0;
  std::uint64_t nvmap_bytes = 0;
  std::uint64_t gpu_bytes = 0;
  std::uint64_t gpu_shared_bytes = 0;
  std::uint64_t costBytes() const { return pss_bytes + nvmap_bytes + gpu_shared_bytes; }
  void add(const LedgerProcess& process);
};

template <FieldsOf<PssParts> M, typename Visit>
void visitFields(M& m, Visit&& visit) {
  visit("pss_bytes", m.pss_bytes);
  visit("pss_anon_bytes", m.pss_anon_bytes);
  visit("pss_file_bytes", m.pss_file_bytes);
  visit("pss_shmem_bytes", m.pss_shmem_bytes);
  visit("swap_pss_bytes", m.swap_pss_bytes);
  visit("nvmap_bytes", m.nvmap_bytes);
  visit("gpu_bytes", m.gpu_bytes);
  visit("gpu_shared_bytes", m.gpu_shared_bytes);
  if constexpr (std::is_const_v<M>) visit("cost_bytes", m.costBytes());
}

struct LedgerUnit {
  std::string unit;
  std::string manager;  // kSystemManager or "user@UID.service"
  PssParts memory;
  std::vector<pid_t> pids;
};

// Its PIDs are not among the fields: the dump writes them all, the bus those the caller may see.
template <FieldsOf<LedgerUnit> U, typename Visit>
void visitFields(U& unit, Visit&& visit) {
  visit("unit", unit.unit);
  visit("manager", unit.manager);
  visitFields(unit.memory, visit);
}

struct LedgerTotals {
  ProcessCounts counts;
  PssParts memory;                             // summed over every process
  std::uint64_t nvmap_unattributed_bytes = 0;  // rows whose PID is no process of the ledger (pid 0: kernel)
  std::uint64_t gpu_unmatched_bytes = 0;       // NVML's process bytes whose PID is no process of the ledger
  std::uint64_t used_bytes = 0;                // MemTotal - MemAvailable
  // What the processes do not account for: used, minus their anonymous and shmem PSS, minus NvMap,
  // minus zram's memory, minus the processes' memory on integrated GPUs where NvMap is unavailable.
  // Kernel allocations, page tables, unreclaimable caches. Negative when file-backed pages that count
  // as available are mapped by processes on a kernel without the PSS split.
  std::int64_t unaccounted_bytes = 0;
};

template <FieldsOf<LedgerTotals> T, typename Visit>
void visitFields(T& t, Visit&& visit) {
  visit("processes_listed", t.counts.listed);
  visit("processes", t.counts.with_memory);
  visit("processes_without_memory", t.counts.without_memory);
  visit("processes_exited_mid_read", t.counts.exited);
  visit("processes_denied", t.counts.denied);
  visit("processes_invalid", t.counts.invalid);
  visitFields(t.memory, visit);
  visit("nvmap_unattributed_bytes", t.nvmap_unattributed_bytes);
  visit("gpu_unmatched_bytes", t.gpu_unmatched_bytes);
  visit("used_bytes", t.used_bytes);
  visit("unaccounted_bytes", t.unaccounted_bytes);
}

struct Ledger {
  SystemFigures system;
  std::vector<LedgerProcess> processes;  // by PID
  std::vector<LedgerUnit> units;         // ranked by cost (rankedBefore)
  LedgerTotals totals;
  std::vector<UnreadableProcess> unreadable;  // the first of totals.counts.denied, by PID
};

// Pure: joins processes with their NvMap rows and NVML's GPU processes by PID, sums units and the system.
// Each sample is copied once, into the ledger: the sampler's own stay where they are
// (ProcessSampler::current).
Ledger buildLedger(SystemFigures system, const std::vector<const ProcessSample*>& processes,
                   const ProcessCounts& counts);
// The same over samples held by value.
Ledger buildLedger(SystemFigures system, const std::vector<ProcessSample>& processes,
                   const ProcessCounts& counts);

}  // namespace jmem
