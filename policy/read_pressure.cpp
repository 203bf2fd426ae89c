#include "policy/sections.h"

namespace jmem::policy::detail {
namespace {

constexpr std::int64_t kMaxSeconds = 3600;
constexpr std::int64_t kMaxActionsPerMinute = 600;
// The kernel takes a stall of at most the window, which jmem sets to one second.
constexpr std::int64_t kMaxTriggerStallMs = 1000;
// Beyond a few minutes a fall measured over 10 s predicts nothing.
constexpr std::int64_t kMaxHorizonSeconds = 600;

template <typename T>
void assign(Located<T>& target, const std::optional<Located<T>>& value) {
  if (value) target = *value;
}

}  // namespace

PressurePolicy readPressure(const TableReader& pressure) {
  pressure.rejectUnknownKeys({"available_low_mib", "available_high_mib", "release_hold_s",
                              "psi_some_avg10_percent", "psi_full_avg10_percent", "nvmap_ceiling_mib",
                              "gpu_ceiling_mib", "min_action_interval_s", "max_actions_per_minute",
                              "allow_stop", "psi_trigger_some_ms", "exhaustion_horizon_s"});
  PressurePolicy policy;
  const auto low = narrowed<std::uint64_t>(pressure.integer("available_low_mib", 0, kMaxMib));
  const auto high = narrowed<std::uint64_t>(pressure.integer("available_high_mib", 1, kMaxMib));
  assign(policy.available_low_mib, low);
  assign(policy.available_high_mib, high);
  assign(policy.release_hold_s, narrowed<std::uint32_t>(pressure.integer("release_hold_s", 0, kMaxSeconds)));
  assign(policy.psi_some_avg10_percent, pressure.number("psi_some_avg10_percent", 0, 100));
  assign(policy.psi_full_avg10_percent, pressure.number("psi_full_avg10_percent", 0, 100));
  assign(policy.nvmap_ceiling_mib,
         narrowed<std::uint64_t>(pressure.integer("nvmap_ceiling_mib", 0, kMaxMib)));
  assign(policy.gpu_ceiling_mib, narrowed<std::uint64_t>(pressure.integer("gpu_ceiling_mib", 0, kMaxMib)));
  assign(policy.min_action_interval_s,
         narrowed<std::uint32_t>(pressure.integer("min_action_interval_s", 0, kMaxSeconds)));
  assign(policy.max_actions_per_minute,
         narrowed<std::uint32_t>(pressure.integer("max_actions_per_minute", 1, kMaxActionsPerMinute)));
  assign(policy.allow_stop, pressure.boolean("allow_stop"));
  assign(policy.psi_trigger_some_ms,
         narrowed<std::uint32_t>(pressure.integer("psi_trigger_some_ms", 0, kMaxTriggerStallMs)));
  assign(policy.exhaustion_horizon_s,
         narrowed<std::uint32_t>(pressure.integer("exhaustion_horizon_s", 0, kMaxHorizonSeconds)));

  // Only values that were read are compared: a bad one is already reported. The problem sits at
  // the watermark this file wrote; a default has no place.
  const bool low_ok = low || !pressure.has("available_low_mib");
  const bool high_ok = high || !pressure.has("available_high_mib");
  if (low_ok && high_ok && policy.available_high_mib.value <= policy.available_low_mib.value) {
    const auto& at = high ? policy.available_high_mib.where : policy.available_low_mib.where;
    pressure.problems().push_back(Problem{
        at, pressure.keyPath("available_high_mib") + " (" + std::to_string(policy.available_high_mib.value) +
                ") must be above available_low_mib (" + std::to_string(policy.available_low_mib.value) +
                "): it is the release watermark"});
  }
  return policy;
}

}  // namespace jmem::policy::detail
