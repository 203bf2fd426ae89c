#include "policy/sections.h"
#include "policy/unit_pattern.h"

namespace jmem::policy::detail {
namespace {

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string verbFor(UnitAction action) {
  switch (action) {
    case UnitAction::kMask:
      return "masked";
    case UnitAction::kDisable:
      return "disabled";
    case UnitAction::kStop:
      return "stopped";
    case UnitAction::kKeep:
      break;
  }
  return "kept";
}

// Kept units in classes that act on them, and essential units a class would mask, disable or stop.
void checkClassesAgainstKeep(const Policy& policy, Problems& problems) {
  for (const auto& unit_class : policy.classes) {
    if (unit_class.action.value == UnitAction::kKeep) continue;
    const std::string path = "classes." + unit_class.name + ".units";
    for (const auto& unit : unit_class.units) {
      for (const auto& kept : policy.keep) {
        if (!unitPatternsOverlap(unit, kept)) continue;
        problems.push_back(Problem{unit.where, path + ": " + quoted(unit.pattern) + " would be " +
                                                   verbFor(unit_class.action.value) + ", but keep has " +
                                                   quoted(kept.pattern) + " (" + formatLocation(kept.where) +
                                                   ")"});
      }
      if (const auto essential = essentialUnitMatchedBy(unit)) {
        const std::string what =
            unit.is_glob ? quoted(unit.pattern) + " matches " + std::string(*essential) + ", which"
                         : quoted(unit.pattern);
        problems.push_back(Problem{unit.where, path + ": " + what +
                                                   " is needed to run the system and cannot be " +
                                                   verbFor(unit_class.action.value)});
      }
    }
  }
}

// One unit named by two classes of the same scope that would do different things to it.
void checkClassesAgainstEachOther(const Policy& policy, Problems& problems) {
  for (std::size_t i = 0; i < policy.classes.size(); ++i) {
    const auto& later = policy.classes[i];
    for (std::size_t j = 0; j < i; ++j) {
      const auto& earlier = policy.classes[j];
      if (earlier.scope.value != later.scope.value || earlier.action.value == later.action.value) continue;
      for (const auto& unit : later.units) {
        for (const auto& other : earlier.units) {
          if (unit.is_glob || other.pattern != unit.pattern) continue;
          problems.push_back(Problem{unit.where, "classes." + later.name + ".units: " + quoted(unit.pattern) +
                                                     " is also in class " + earlier.name + " (" +
                                                     formatLocation(other.where) + ") with action " +
                                                     std::string(toString(earlier.action.value))});
        }
      }
    }
  }
}

void checkWorkloads(const Policy& policy, Problems& problems) {
  for (std::size_t i = 0; i < policy.workloads.size(); ++i) {
    const auto& workload = policy.workloads[i];
    const std::string path = "workloads[" + std::to_string(i) + "].unit";
    const bool acts = !workload.actions.empty();
    if (acts && !workload.unit.is_glob) {
      // A glob is narrowed at run time instead: the controller skips kept and essential units.
      if (isEssentialUnit(workload.unit.pattern)) {
        problems.push_back(
            Problem{workload.unit.where, path + ": " + quoted(workload.unit.pattern) +
                                             " is needed to run the system and is never acted on"});
      }
      for (const auto& kept : policy.keep) {
        if (!unitPatternsOverlap(workload.unit, kept)) continue;
        problems.push_back(Problem{
            workload.unit.where, path + ": " + quoted(workload.unit.pattern) + " has actions, but keep has " +
                                     quoted(kept.pattern) + " (" + formatLocation(kept.where) + ")"});
      }
    }
    for (std::size_t j = 0; j < policy.workloads.size(); ++j) {
      const auto& other = policy.workloads[j];
      if (j == i || !unitPatternsOverlap(workload.unit, other.unit)) continue;
      if (workload.is_protected.value && !other.is_protected.value && !other.actions.empty()) {
        problems.push_back(Problem{workload.unit.where, path + ": the protected " +
                                                            quoted(workload.unit.pattern) +
                                                            " is also matched by the throttled workload " +
                                                            quoted(other.unit.pattern) + " (" +
                                                            formatLocation(other.unit.where) + ")"});
      }
      if (j < i && !workload.unit.is_glob && workload.unit.pattern == other.unit.pattern) {
        problems.push_back(
            Problem{workload.unit.where, path + ": a second workload for " + quoted(workload.unit.pattern) +
                                             " (the first at " + formatLocation(other.unit.where) + ")"});
      }
    }
  }
}

}  // namespace

void checkContradictions(const Policy& policy, Problems& problems) {
  checkClassesAgainstKeep(policy, problems);
  checkClassesAgainstEachOther(policy, problems);
  checkWorkloads(policy, problems);
}

}  // namespace jmem::policy::detail
