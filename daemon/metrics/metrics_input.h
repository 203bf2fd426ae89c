#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/policy.h"
#include "sources/zram.h"
#include "throttle/controller.h"

// What jmemd publishes for Prometheus, as plain data: filled from the ledger, the compliance check,
// the throttling controller and the governor's own cost (ledger_metrics.h, governor_metrics.h), and
// turned into text by formatMetrics (metrics_text.h).
namespace jmem::metrics {

// The units published one by one; the rest are summed into one series. Bounded so a device with
// thousands of transient units cannot flood the fleet's Prometheus.
inline constexpr std::size_t kDefaultTopUnits = 20;
inline constexpr std::size_t kMaxTopUnits = 200;

// One GPU NVML reports. A figure it does not give is nullopt, never 0.
struct GpuMetrics {
  std::uint32_t index = 0;
  std::string uuid;
  std::optional<std::uint64_t> total_bytes;  // none for an integrated GPU: its memory is system memory
  std::optional<std::uint64_t> used_bytes;   // allocations; an integrated GPU's processes' sum
};

struct SystemMetrics {
  std::uint64_t sample_usec = 0;  // CLOCK_REALTIME of the ledger's sample
  std::uint64_t mem_total_bytes = 0;
  std::uint64_t mem_available_bytes = 0;
  std::optional<std::uint64_t> swap_total_bytes;  // absent from some kernels' meminfo
  std::optional<std::uint64_t> swap_free_bytes;
  std::uint64_t pss_bytes = 0;  // summed over every process
  std::uint64_t process_count = 0;
  std::optional<std::uint64_t> nvmap_bytes;                    // nullopt: NvMap unreadable, not zero
  std::optional<std::uint32_t> pressure_some_avg10_permyriad;  // nullopt: the kernel has no PSI
  std::optional<std::uint32_t> pressure_full_avg10_permyriad;
  std::vector<GpuMetrics> gpus;  // empty without NVML
  std::vector<ZramDevice> zram;  // empty without zram
};

struct UnitCost {
  std::string unit;
  std::string manager;  // kSystemManager or "user@UID.service"
  std::uint64_t cost_bytes = 0;
  std::uint64_t gpu_bytes = 0;  // GPU memory of its processes, every GPU (NVML)
};

struct UnitMetrics {
  std::vector<UnitCost> top;           // the costliest units, largest first
  std::uint64_t other_cost_bytes = 0;  // every other unit together
  std::uint64_t other_gpu_bytes = 0;
  std::uint64_t unit_count = 0;  // units in the ledger, top and other
  bool gpu_available = false;    // NVML gave GPU figures: the units' GPU bytes are published
};

struct ComplianceMetrics {
  std::uint64_t checked_usec = 0;  // CLOCK_REALTIME of the check
  bool compliant = false;          // the verdict is compliant
  std::uint64_t drift_items = 0;
  std::uint64_t unknown_items = 0;
  std::uint64_t drift_cost_bytes = 0;
  std::uint64_t reboot_pending_items = 0;  // set for the next boot, not in effect in this one
  std::string verdict{};                   // compliant, reboot-pending, unknown or drift (Check's)
};

// How the sampling goes: a ledger no sample has renewed for three intervals is stale.
struct SampleMetrics {
  bool stale = false;
  std::uint64_t failures = 0;  // samples that failed since jmemd started
};

struct ThrottleMetrics {
  throttle::Phase phase = throttle::Phase::kCalm;
  std::uint64_t units_acted_on = 0;  // units with a throttle, freeze or stop in place
};

// throttle/room.h: what a new workload can take now, and what the ladder left could give back.
struct HeadroomMetrics {
  std::uint64_t headroom_bytes = 0;
  std::uint64_t throttle_bytes = 0;
};

// reclaim/report.h: what each knob of NVIDIA's guide costs and would give back.
struct ReclaimRowMetrics {
  std::string knob;  // desktop, class gui, swiotlb, ...
  std::uint64_t bytes = 0;
  std::uint64_t back_bytes = 0;
};
struct ReclaimMetrics {
  std::vector<ReclaimRowMetrics> rows;
  std::uint64_t policy_would_take_bytes = 0;
  std::uint64_t other_means_bytes = 0;
};

// Cumulative since jmemd started (ActionCounters keeps them).
struct ActionCount {
  std::string source;  // "throttle" or "policy"
  std::string action;  // throttle::toString(ActionKind) or compliance::toString(PlannedChange::Kind)
  std::uint64_t taken = 0;
  std::uint64_t failed = 0;
};

struct SelfMetrics {
  std::uint64_t ticks = 0;
  std::uint64_t tick_lateness_p99_usec = 0;
  std::uint64_t tick_lateness_max_usec = 0;
  std::uint64_t tick_cpu_mean_usec = 0;
  std::uint64_t rollup_reads = 0;  // smaps_rollup reads of the last tick
};

struct MetricsInput {
  std::string version = JMEM_VERSION;
  std::string policy_fingerprint;  // of the policy in force; "" outside the governor
  std::string l4t;                 // the device's L4T release and JetPack ("" when not a Jetson)
  std::string jetpack;
  SystemMetrics system;
  std::optional<SampleMetrics> sampling;  // nullopt outside the governor
  UnitMetrics units;
  policy::Mode mode = policy::Mode::kAudit;
  std::optional<ComplianceMetrics> compliance;  // nullopt until the first check
  std::optional<ThrottleMetrics> throttle;      // nullopt while no controller runs
  std::optional<HeadroomMetrics> headroom;      // nullopt outside the governor
  std::optional<ReclaimMetrics> reclaim;        // nullopt outside the governor
  std::vector<ActionCount> actions;             // every known action, also those never taken
  std::optional<SelfMetrics> self;              // nullopt outside the governor
};

}  // namespace jmem::metrics
