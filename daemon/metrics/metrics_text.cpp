#include "metrics/metrics_text.h"

#include <algorithm>
#include <array>
#include <map>

#include "core/text.h"
#include "metrics/exposition.h"

namespace jmem::metrics {
namespace {

constexpr std::array kModes = {policy::Mode::kAudit, policy::Mode::kEnforce};
constexpr std::array kPhases = {throttle::Phase::kCalm, throttle::Phase::kPressure, throttle::Phase::kHolding,
                                throttle::Phase::kReleasing};
// Check's verdicts (compliance::toString), spelled out: this library does not link the check.
constexpr std::array<std::string_view, 4> kVerdicts = {"compliant", "reboot-pending", "unknown", "drift"};

double seconds(std::uint64_t usec) {
  return static_cast<double>(usec) / 1e6;
}
double ratio(std::uint32_t permyriad) {
  return static_cast<double>(permyriad) / 1e4;
}
std::uint64_t flag(bool value) {
  return value ? 1 : 0;
}

void gauge(Exposition& out, std::string_view name, std::string_view help, std::uint64_t value) {
  out.family(name, MetricType::kGauge, help);
  out.sample({}, value);
}

void gauge(Exposition& out, std::string_view name, std::string_view help, double value) {
  out.family(name, MetricType::kGauge, help);
  out.sample({}, value);
}

// A family of one series per GPU that has the figure; no family when none has it.
template <typename Figure>
void gpuFamily(Exposition& out, std::string_view name, std::string_view help,
               const std::vector<GpuMetrics>& gpus, Figure figure) {
  bool any = false;
  for (const GpuMetrics& gpu : gpus) {
    const std::optional<std::uint64_t> value = figure(gpu);
    if (!value) continue;
    if (!any) out.family(name, MetricType::kGauge, help);
    any = true;
    const std::string index = std::to_string(gpu.index);
    out.sample({{"gpu", index}, {"uuid", gpu.uuid}}, *value);
  }
}

void writeGpus(Exposition& out, const std::vector<GpuMetrics>& gpus) {
  gpuFamily(out, "jmem_gpu_memory_total_bytes", "A GPU's own memory (NVML); absent for integrated GPUs.",
            gpus, [](const GpuMetrics& gpu) { return gpu.total_bytes; });
  gpuFamily(out, "jmem_gpu_memory_used_bytes",
            "GPU memory held by allocations (NVML); for an integrated GPU, what its processes hold.", gpus,
            [](const GpuMetrics& gpu) { return gpu.used_bytes; });
}

// One series per zram device; no family without zram.
void zramFamily(Exposition& out, std::string_view name, std::string_view help,
                const std::vector<ZramDevice>& devices, std::uint64_t ZramDevice::*figure) {
  if (devices.empty()) return;
  out.family(name, MetricType::kGauge, help);
  for (const ZramDevice& device : devices) out.sample({{"device", device.name}}, device.*figure);
}

void writeZram(Exposition& out, const std::vector<ZramDevice>& devices) {
  zramFamily(out, "jmem_zram_disksize_bytes", "A zram device's capacity, uncompressed.", devices,
             &ZramDevice::disksize_bytes);
  zramFamily(out, "jmem_zram_orig_data_bytes", "What a zram device holds, uncompressed.", devices,
             &ZramDevice::orig_data_bytes);
  zramFamily(out, "jmem_zram_compr_data_bytes", "What a zram device holds, compressed.", devices,
             &ZramDevice::compr_data_bytes);
  zramFamily(out, "jmem_zram_mem_used_bytes",
             "The RAM a zram device takes: its compressed data and the allocator's overhead.", devices,
             &ZramDevice::mem_used_bytes);
}

void writeSystem(Exposition& out, const SystemMetrics& s) {
  gauge(out, "jmem_sample_timestamp_seconds", "When the ledger behind these figures was sampled (Unix time).",
        seconds(s.sample_usec));
  gauge(out, "jmem_memory_total_bytes", "MemTotal of /proc/meminfo.", s.mem_total_bytes);
  gauge(out, "jmem_memory_available_bytes", "MemAvailable of /proc/meminfo.", s.mem_available_bytes);
  if (s.swap_total_bytes)
    gauge(out, "jmem_swap_total_bytes", "SwapTotal of /proc/meminfo.", *s.swap_total_bytes);
  if (s.swap_free_bytes) gauge(out, "jmem_swap_free_bytes", "SwapFree of /proc/meminfo.", *s.swap_free_bytes);
  gauge(out, "jmem_pss_bytes", "Proportional set size summed over every process.", s.pss_bytes);
  gauge(out, "jmem_processes", "Processes in the ledger (kernel threads and zombies left out).",
        s.process_count);
  if (s.nvmap_bytes) {
    gauge(out, "jmem_nvmap_bytes", "GPU and multimedia buffers NvMap reports, each handle once.",
          *s.nvmap_bytes);
  }
  if (s.pressure_some_avg10_permyriad) {
    gauge(out, "jmem_pressure_some_avg10_ratio",
          "Share of the last 10 s in which some task stalled on memory (PSI).",
          ratio(*s.pressure_some_avg10_permyriad));
  }
  if (s.pressure_full_avg10_permyriad) {
    gauge(out, "jmem_pressure_full_avg10_ratio",
          "Share of the last 10 s in which every non-idle task stalled on memory (PSI).",
          ratio(*s.pressure_full_avg10_permyriad));
  }
  writeZram(out, s.zram);
  writeGpus(out, s.gpus);
}

// Two units render alike only when their names hold invalid UTF-8, or an empty manager makes one look
// like the other series: their costs then add up, so the file never holds a duplicate series.
void writeUnits(Exposition& out, const UnitMetrics& units) {
  out.family(
      "jmem_unit_cost_bytes", MetricType::kGauge,
      "Cost of a systemd unit: PSS plus NvMap share of its processes, plus their integrated GPU memory where "
      "NvMap does not count it. The costliest units one by one, "
      "the rest summed under unit=\"other\".");
  struct Series {
    std::string labels;
    std::uint64_t cost_bytes = 0;
    std::uint64_t gpu_bytes = 0;
  };
  std::vector<Series> series;
  std::map<std::string, std::size_t, std::less<>> index;
  const auto add = [&](std::string labels, std::uint64_t cost_bytes, std::uint64_t gpu_bytes) {
    const auto [at, added] = index.try_emplace(std::move(labels), series.size());
    if (added) {
      series.push_back(Series{at->first, cost_bytes, gpu_bytes});
    } else {
      Series& same = series[at->second];
      same.cost_bytes = addSaturating(same.cost_bytes, cost_bytes);
      same.gpu_bytes = addSaturating(same.gpu_bytes, gpu_bytes);
    }
  };
  for (const UnitCost& unit : units.top) {
    add(renderLabels({{"manager", unit.manager}, {"unit", unit.unit}}), unit.cost_bytes, unit.gpu_bytes);
  }
  add(renderLabels({{"unit", "other"}}), units.other_cost_bytes, units.other_gpu_bytes);
  for (const Series& each : series) out.renderedSample(each.labels, formatValue(each.cost_bytes));
  if (units.gpu_available) {
    out.family("jmem_unit_gpu_bytes", MetricType::kGauge,
               "GPU memory of a systemd unit's processes on every GPU (NVML), for the units of "
               "jmem_unit_cost_bytes and the rest summed under unit=\"other\"; absent without NVML.");
    for (const Series& each : series) out.renderedSample(each.labels, formatValue(each.gpu_bytes));
  }
  gauge(out, "jmem_units", "Units in the ledger, published one by one or summed in the other series.",
        units.unit_count);
}

void writePolicy(Exposition& out, policy::Mode mode, const std::optional<ComplianceMetrics>& compliance) {
  out.family("jmem_policy_mode", MetricType::kGauge, "The policy's mode: 1 for the one in force.");
  for (const policy::Mode each : kModes) out.sample({{"mode", policy::toString(each)}}, flag(each == mode));
  if (!compliance) return;
  gauge(out, "jmem_policy_check_timestamp_seconds", "When the device was last checked against the policy.",
        seconds(compliance->checked_usec));
  gauge(out, "jmem_policy_compliant",
        "1 only when the last check found the device compliant: no drift, nothing unknown, nothing waiting "
        "for a reboot.",
        flag(compliance->compliant));
  out.family("jmem_policy_verdict", MetricType::kGauge,
             "The verdict of the last check: 1 for the current one.");
  for (const std::string_view each : kVerdicts)
    out.sample({{"verdict", each}}, flag(each == compliance->verdict));
  // A verdict this jmemd has no name for yet is published rather than lost.
  const bool known = std::find(kVerdicts.begin(), kVerdicts.end(), compliance->verdict) != kVerdicts.end();
  if (!known && !compliance->verdict.empty())
    out.sample({{"verdict", compliance->verdict}}, std::uint64_t{1});
  gauge(out, "jmem_policy_drift_items", "Items of the last check in drift from the policy.",
        compliance->drift_items);
  gauge(out, "jmem_policy_unknown_items", "Items of the last check whose state could not be read.",
        compliance->unknown_items);
  gauge(out, "jmem_policy_reboot_pending_items",
        "Items of the last check set for the next boot and not in effect until the device reboots.",
        compliance->reboot_pending_items);
  gauge(out, "jmem_policy_drift_cost_bytes", "What the drift costs: PSS plus NvMap of the units in drift.",
        compliance->drift_cost_bytes);
}

void writeSampling(Exposition& out, const SampleMetrics& sampling) {
  gauge(out, "jmem_sample_stale",
        "1 when no sample has succeeded for more than three sampling intervals: the figures are those of "
        "jmem_sample_timestamp_seconds.",
        flag(sampling.stale));
  out.family(
      "jmem_sample_failures_total", MetricType::kCounter,
      "Samples that failed since jmemd started (a file every sample needs could not be read or parsed).");
  out.sample({}, sampling.failures);
}

void writeThrottle(Exposition& out, const ThrottleMetrics& throttle) {
  out.family("jmem_throttle_phase", MetricType::kGauge,
             "The throttling controller's phase: 1 for the current one.");
  for (const throttle::Phase each : kPhases) {
    out.sample({{"phase", throttle::toString(each)}}, flag(each == throttle.phase));
  }
  gauge(out, "jmem_throttle_units_acted_on",
        "Units with a throttle, freeze or stop of the controller in place.", throttle.units_acted_on);
}

void writeHeadroom(Exposition& out, const HeadroomMetrics& headroom) {
  gauge(out, "jmem_headroom_bytes",
        "What a new workload can take now without crossing the policy's low watermark (MemAvailable "
        "minus available_low_mib; 0 at or below it).",
        headroom.headroom_bytes);
  gauge(out, "jmem_headroom_throttle_bytes",
        "What more throttling could give back on the workloads the policy lets jmemd act on.",
        headroom.throttle_bytes);
}

void writeReclaim(Exposition& out, const ReclaimMetrics& reclaim) {
  out.family("jmem_reclaim_bytes", MetricType::kGauge,
             "What each knob of NVIDIA's memory guide costs on this device now (jmemctl reclaim).");
  for (const ReclaimRowMetrics& r : reclaim.rows) out.sample({{"knob", r.knob}}, r.bytes);
  out.family("jmem_reclaim_back_bytes", MetricType::kGauge,
             "What taking each knob would give back (swiotlb keeps what is used; carveouts only where the "
             "policy says the device has no display or camera).");
  for (const ReclaimRowMetrics& r : reclaim.rows) out.sample({{"knob", r.knob}}, r.back_bytes);
  gauge(out, "jmem_reclaim_policy_would_take_bytes",
        "What the policy would still take (apply, or enforce mode), each process counted once.",
        reclaim.policy_would_take_bytes);
  gauge(out, "jmem_reclaim_other_means_bytes",
        "What only other means give: boot arguments the policy does not set, reflash, a person's decision.",
        reclaim.other_means_bytes);
}

void writeActions(Exposition& out, const std::vector<ActionCount>& actions) {
  if (actions.empty()) return;
  out.family(
      "jmem_actions_total", MetricType::kCounter,
      "Actions jmemd attempted since it started, by the throttling controller or in enforcing the policy "
      "(failures included).");
  for (const ActionCount& a : actions) out.sample({{"source", a.source}, {"action", a.action}}, a.taken);
  out.family("jmem_action_failures_total", MetricType::kCounter,
             "Actions of jmem_actions_total that failed.");
  for (const ActionCount& a : actions) out.sample({{"source", a.source}, {"action", a.action}}, a.failed);
}

void writeSelf(Exposition& out, const SelfMetrics& self) {
  out.family("jmem_self_ticks_total", MetricType::kCounter, "Sampling ticks since jmemd started.");
  out.sample({}, self.ticks);
  gauge(out, "jmem_self_tick_lateness_p99_seconds",
        "99th percentile of how late a tick ran, over the last ticks.", seconds(self.tick_lateness_p99_usec));
  gauge(out, "jmem_self_tick_lateness_max_seconds",
        "Latest start of a tick against its schedule, over the last ticks.",
        seconds(self.tick_lateness_max_usec));
  gauge(out, "jmem_self_tick_cpu_mean_seconds", "Mean CPU time of a tick, over the last ticks.",
        seconds(self.tick_cpu_mean_usec));
  gauge(out, "jmem_self_rollup_reads", "smaps_rollup files the last tick read.", self.rollup_reads);
}

}  // namespace

std::string formatMetrics(const MetricsInput& input) {
  Exposition out;
  out.family("jmem_build_info", MetricType::kGauge, "jmemd's version, as a label; the value is always 1.");
  out.sample({{"version", input.version}}, std::uint64_t{1});
  out.family("jmem_device_info", MetricType::kGauge,
             "The device's L4T release and JetPack, as labels (none when it is not a Jetson); always 1.");
  out.sample({{"l4t", input.l4t}, {"jetpack", input.jetpack}}, std::uint64_t{1});
  if (!input.policy_fingerprint.empty()) {
    out.family("jmem_policy_info", MetricType::kGauge,
               "The fingerprint of the policy in force (jmemctl status), as a label; always 1.");
    out.sample({{"fingerprint", input.policy_fingerprint}}, std::uint64_t{1});
  }
  writeSystem(out, input.system);
  if (input.sampling) writeSampling(out, *input.sampling);
  writeUnits(out, input.units);
  writePolicy(out, input.mode, input.compliance);
  if (input.throttle) writeThrottle(out, *input.throttle);
  if (input.headroom) writeHeadroom(out, *input.headroom);
  if (input.reclaim) writeReclaim(out, *input.reclaim);
  writeActions(out, input.actions);
  if (input.self) writeSelf(out, *input.self);
  return std::move(out).take();
}

}  // namespace jmem::metrics
