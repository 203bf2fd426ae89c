#include "throttle/explain.h"

#include <algorithm>

#include "core/text.h"
#include "policy/problem.h"
#include "policy/unit_match.h"
#include "policy/unit_pattern.h"
#include "throttle/rung.h"

namespace jmem::throttle {
namespace {

std::string actionsText(const policy::Workload& workload) {
  std::string text;
  for (const auto& action : workload.actions) text += ", " + std::string(policy::toString(action.value));
  return text;
}

void addMatches(const std::string& unit, const policy::Policy& policy, Explanation& out) {
  for (const auto& unit_class : policy.classes) {
    for (const auto& pattern : unit_class.units) {
      if (!policy::unitPatternMatches(pattern, unit)) continue;
      out.matches.push_back({"class", unit_class.name, pattern.pattern, policy::formatLocation(pattern.where),
                             std::string(policy::toString(unit_class.action.value)) + " (" +
                                 std::string(policy::toString(unit_class.scope.value)) + ")",
                             false});
    }
  }
  for (const auto& pattern : policy.keep) {
    if (policy::unitPatternMatches(pattern, unit))
      out.matches.push_back({"keep", pattern.pattern, pattern.pattern, policy::formatLocation(pattern.where),
                             "no class acts on it", false});
  }
  const policy::Workload* governing = policy::workloadFor(policy, unit);
  for (const auto& workload : policy.workloads) {
    if (!policy::unitPatternMatches(workload.unit, unit)) continue;
    std::string detail = workload.is_protected.value
                             ? std::string("protected")
                             : "priority " + std::to_string(workload.priority.value) + actionsText(workload);
    const bool governs = &workload == governing;
    detail += governs ? "; governs it" : "; does not govern it (an earlier or exact rule does)";
    out.matches.push_back({"workload", workload.unit.pattern, workload.unit.pattern,
                           policy::formatLocation(workload.where), detail, governs});
  }
}

std::string rungNow(const UnitState* unit) {
  const int top = topRank(unit);
  return top < 0 ? "none" : std::string(kRungs[static_cast<std::size_t>(top)].climb_name);
}

}  // namespace

std::vector<LadderStep> ladderSequence(const Snapshot& snapshot, const ControllerState& state,
                                       const policy::Policy& policy, const Capabilities& capabilities) {
  SwapBudget swap = SwapBudget::of(snapshot);
  std::vector<LadderStep> steps;
  for (const Climbable& entry : climbable(snapshot, state, policy, capabilities)) {
    std::uint64_t given = 0;
    for (const Rung* rung : entry.rungs) {
      LadderStep step{entry.unit->unit, std::string(rung->climb_name), 0};
      if (rung->climb == ActionKind::kThrottle) {
        step.bytes = throttleYield(*entry.unit, *entry.workload, swap);
      } else if (rung->climb == ActionKind::kStop) {
        step.bytes = entry.unit->cost_bytes > given ? entry.unit->cost_bytes - given : 0;
      }
      given += step.bytes;
      steps.push_back(std::move(step));
    }
  }
  return steps;
}

Explanation explainUnit(const std::string& unit, const Snapshot& snapshot, const ControllerState& state,
                        const policy::Policy& policy, const Capabilities& capabilities,
                        const std::string& throttle_off) {
  Explanation out;
  out.unit = unit;
  std::string manager{kSystemManager};
  for (const auto& figures : snapshot.units) {
    if (figures.unit != unit || !isSystemManager(figures.manager)) continue;
    out.in_ledger = true;
    out.cost_bytes = figures.cost_bytes;
  }
  addMatches(unit, policy, out);
  out.is_protected = policy::isProtected(policy, unit);
  out.kept = policy::isKept(policy, unit);
  out.essential = policy::isEssentialUnit(unit);
  out.never_acted_on = whyNotActedOn(unit, manager, policy, snapshot.self_unit);
  out.rung_now = rungNow(state.find(unit));
  if (!throttle_off.empty()) {
    if (!out.never_acted_on) out.never_acted_on = throttle_off;
    return out;
  }
  out.sequence = ladderSequence(snapshot, state, policy, capabilities);
  if (out.sequence.size() > kMaxExplainedSteps) out.sequence.resize(kMaxExplainedSteps);
  const auto first = std::find_if(out.sequence.begin(), out.sequence.end(),
                                  [&](const LadderStep& s) { return s.unit == unit; });
  if (first != out.sequence.end()) out.next = *first;
  return out;
}

}  // namespace jmem::throttle
