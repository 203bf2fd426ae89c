#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jmem::policy {

// Where an item was written: the file as it was named to the loader ("<built-in>" for the default
// policy), 1-based line and column. A value nobody wrote (a default) has an empty file and line 0.
struct SourceLocation {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  bool operator==(const SourceLocation&) const = default;
};

// A setting together with the place that set it, so that later checks can point back at the file.
template <typename T>
struct Located {
  T value{};
  SourceLocation where{};
};

// audit: report drift, change nothing. enforce: keep the device compliant.
enum class Mode { kAudit, kEnforce };

enum class UnitAction { kMask, kDisable, kStop, kKeep };

// kGlobalUser acts on user units for every user, the way `systemctl --global mask` does.
enum class UnitScope { kSystem, kGlobalUser };

// The throttling ladder of a workload, in the order the controller climbs it.
enum class WorkloadAction { kThrottle, kFreeze, kStop };

// A unit name ("gdm3.service") or a glob over unit names ("pipewire*.service"; * ? [ ] as fnmatch(3)).
struct UnitPattern {
  std::string pattern;
  bool is_glob = false;
  SourceLocation where{};
};

// A named group of units handled alike: gui, audio, journal, network, or one an operator defines.
struct UnitClass {
  std::string name;  // the key under [classes]
  Located<UnitAction> action{};
  Located<UnitScope> scope{};
  std::vector<UnitPattern> units;
  SourceLocation where{};
};

// What the kernel command line must say about swiotlb=, counted in 2 KiB slabs as the kernel does.
struct SwiotlbRule {
  enum class Kind { kAny, kAbsent, kExact, kRange };
  Kind kind = Kind::kAny;
  std::uint64_t min_slabs = 0;  // kExact: min_slabs == max_slabs
  std::uint64_t max_slabs = 0;
  SourceLocation where{};
};

struct BootPolicy {
  Located<std::string> extlinux{"/boot/extlinux/extlinux.conf"};
  Located<bool> edit_extlinux{false};
  SwiotlbRule swiotlb;
  // "quiet" or "key=value". A forbidden bare "key" also forbids every "key=...".
  std::vector<Located<std::string>> required_args;
  std::vector<Located<std::string>> forbidden_args;
};

// Triggers and limits of the throttling controller. The defaults suit an 8 GB Orin Nano and equal
// those written in default-policy.toml.
struct PressurePolicy {
  Located<std::uint64_t> available_low_mib{512};
  Located<std::uint64_t> available_high_mib{1024};  // release watermark, above the low one
  Located<std::uint32_t> release_hold_s{30};
  Located<double> psi_some_avg10_percent{40.0};
  Located<double> psi_full_avg10_percent{10.0};
  Located<std::uint64_t> nvmap_ceiling_mib{0};  // 0: no NvMap trigger
  Located<std::uint64_t> gpu_ceiling_mib{0};    // any GPU's used memory (NVML) above it; 0: no GPU trigger
  Located<std::uint32_t> min_action_interval_s{5};
  Located<std::uint32_t> max_actions_per_minute{6};
  Located<bool> allow_stop{false};
  // A PSI trigger on memory "some": this much stall within one second wakes the controller at once,
  // between ticks. 0: no trigger, the tick's avg10 only.
  Located<std::uint32_t> psi_trigger_some_ms{200};
  // Under a trigger, memory (available, with what swap and zram can still take) falling fast enough
  // to run out within this many seconds is an emergency: the controller escalates every 2 s while the
  // fall since its last action goes on, past the rate limits. 0: never.
  Located<std::uint32_t> exhaustion_horizon_s{15};
};

// What the reclaim report (jmemctl reclaim) counts that a policy decides: the defaults are those
// written in default-policy.toml.
struct ReclaimPolicy {
  // A process outside protected and kept units holding at least this much (PSS + NvMap) that used no
  // CPU for idle_window_s is reported idle. Report only: nothing is done to it.
  Located<std::uint64_t> idle_min_mib{100};
  Located<std::uint32_t> idle_window_s{600};
  // Whether the device drives a display, or a camera: without one its carveouts are reclaimable by
  // a reflash.
  Located<bool> display{true};
  Located<bool> camera{true};
};

// The step a throttle takes below a workload's current use when the policy names neither a
// MemoryHigh value nor a step.
inline constexpr std::uint32_t kDefaultThrottleStepPercent = 10;

struct Workload {
  UnitPattern unit;
  Located<std::int64_t> priority{};  // lower is throttled first; ties in the order written
  Located<bool> is_protected{};      // `protected` in the file: never acted on
  std::vector<Located<WorkloadAction>> actions;
  std::optional<Located<std::uint64_t>> throttle_memory_high_mib;
  std::optional<Located<std::uint32_t>> throttle_step_percent;
  SourceLocation where{};
  // Its place in the merged [[workloads]] array: messages call it workloads[index], as the reader
  // did, whatever invalid workloads before it were left out.
  std::size_t index = 0;
};

// The whole policy after merging and validation. Every item is valid on its own and together.
struct Policy {
  Located<Mode> mode{Mode::kAudit};
  Located<std::chrono::milliseconds> sample_interval{std::chrono::milliseconds{1000}};
  std::optional<Located<std::string>> default_target;  // nullopt: the default target is not managed
  std::vector<UnitClass> classes;                      // by name
  std::vector<UnitPattern> keep;
  BootPolicy boot;
  PressurePolicy pressure;
  ReclaimPolicy reclaim;
  std::vector<Workload> workloads;  // in the order written
};

// The names used in the policy file and in its JSON form.
std::string_view toString(Mode mode);
std::string_view toString(UnitAction action);
std::string_view toString(UnitScope scope);
std::string_view toString(WorkloadAction action);
std::optional<Mode> modeFromString(std::string_view text);
std::optional<UnitAction> unitActionFromString(std::string_view text);
std::optional<UnitScope> unitScopeFromString(std::string_view text);
std::optional<WorkloadAction> workloadActionFromString(std::string_view text);
// Every workload action, in the ladder's order: "throttle, freeze, stop".
std::string workloadActionNames();

}  // namespace jmem::policy
