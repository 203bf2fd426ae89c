#include "metrics/action_counters.h"

namespace jmem::metrics {
namespace {

constexpr std::string_view kThrottleSource = "throttle";
constexpr std::string_view kPolicySource = "policy";

using ChangeKind = compliance::PlannedChange::Kind;
constexpr ChangeKind kPolicyChanges[] = {
    ChangeKind::kSetDefaultTarget, ChangeKind::kMaskUnit,     ChangeKind::kDisableUnit,
    ChangeKind::kStopUnit,         ChangeKind::kMaskUserUnit, ChangeKind::kEditBootArguments,
};

}  // namespace

ActionCounters::ActionCounters() {
  for (const auto& rung : throttle::kRungs) {
    tallies_[{std::string(kThrottleSource), std::string(rung.climb_name)}] = {};
    tallies_[{std::string(kThrottleSource), std::string(rung.release_name)}] = {};
  }
  for (const auto kind : kPolicyChanges) {
    tallies_[{std::string(kPolicySource), std::string(compliance::toString(kind))}] = {};
  }
}

void ActionCounters::recordThrottle(throttle::ActionKind kind, bool ok) {
  record(kThrottleSource, throttle::toString(kind), ok);
}

void ActionCounters::recordPolicyChange(compliance::PlannedChange::Kind kind, bool ok) {
  record(kPolicySource, compliance::toString(kind), ok);
}

void ActionCounters::record(std::string_view source, std::string_view action, bool ok) {
  Tally& tally = tallies_[{std::string(source), std::string(action)}];
  ++tally.taken;
  if (!ok) ++tally.failed;
}

std::vector<ActionCount> ActionCounters::counts() const {
  std::vector<ActionCount> counts;
  counts.reserve(tallies_.size());
  for (const auto& [key, tally] : tallies_)
    counts.push_back({key.first, key.second, tally.taken, tally.failed});
  return counts;
}

}  // namespace jmem::metrics
