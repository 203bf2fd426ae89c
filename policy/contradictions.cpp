#include <algorithm>
#include <unordered_map>

#include "policy/pattern_index.h"
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

// At most this many overlaps are listed for one item, then how many more there are: a list that
// overlaps another whole would otherwise give problems in the square of the policy's size.
constexpr std::size_t kMaxListedOverlaps = 8;

template <typename Message>
void reportOverlaps(Problems& problems, const UnitPattern& unit, const std::string& path, std::size_t count,
                    Message message) {
  for (std::size_t n = 0; n < std::min(count, kMaxListedOverlaps); ++n) {
    problems.push_back(Problem{unit.where, path + ": " + message(n)});
  }
  if (count > kMaxListedOverlaps) {
    problems.push_back(Problem{unit.where, path + ": " + quoted(unit.pattern) + ": " +
                                               std::to_string(count - kMaxListedOverlaps) +
                                               " more like the above, not listed"});
  }
}

// Kept units in classes that act on them, and essential units a class would mask, disable or stop.
void checkClassesAgainstKeep(const Policy& policy, const PatternIndex& kept_index, Problems& problems) {
  for (const auto& unit_class : policy.classes) {
    if (unit_class.action.value == UnitAction::kKeep) continue;
    const std::string path = "classes." + unit_class.name + ".units";
    for (const auto& unit : unit_class.units) {
      const auto kept = kept_index.overlapping(unit);
      reportOverlaps(problems, unit, path, kept.size(), [&](std::size_t n) {
        const UnitPattern& other = policy.keep[kept[n]];
        return quoted(unit.pattern) + " would be " + verbFor(unit_class.action.value) + ", but keep has " +
               quoted(other.pattern) + " (" + formatLocation(other.where) + ")";
      });
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

// One unit named by two classes of the same scope that would do different things to it. Globs are
// not compared: which names two globs share depends on the units installed.
void checkClassesAgainstEachOther(const Policy& policy, Problems& problems) {
  struct Listed {
    std::size_t class_index;
    const UnitPattern* unit;
  };
  std::unordered_map<std::string_view, std::vector<Listed>> by_name;
  for (std::size_t i = 0; i < policy.classes.size(); ++i) {
    for (const auto& unit : policy.classes[i].units) {
      if (!unit.is_glob) by_name[unit.pattern].push_back(Listed{i, &unit});
    }
  }
  for (std::size_t i = 0; i < policy.classes.size(); ++i) {
    const auto& later = policy.classes[i];
    for (const auto& unit : later.units) {
      if (unit.is_glob) continue;
      std::vector<const Listed*> conflicts;
      for (const Listed& listed : by_name[unit.pattern]) {
        if (listed.class_index >= i) break;  // listed in class order
        const auto& earlier = policy.classes[listed.class_index];
        if (earlier.scope.value == later.scope.value && earlier.action.value != later.action.value) {
          conflicts.push_back(&listed);
        }
      }
      reportOverlaps(problems, unit, "classes." + later.name + ".units", conflicts.size(),
                     [&](std::size_t n) {
                       const auto& earlier = policy.classes[conflicts[n]->class_index];
                       return quoted(unit.pattern) + " is also in class " + earlier.name + " (" +
                              formatLocation(conflicts[n]->unit->where) + ") with action " +
                              std::string(toString(earlier.action.value));
                     });
    }
  }
}

// "throttle, freeze": what a workload does, said as its actions, since "throttled" would name one rung.
std::string actionList(const Workload& workload) {
  std::string list;
  for (const auto& rung : workload.actions) {
    list += (list.empty() ? "" : ", ") + std::string(toString(rung.value));
  }
  return list;
}

// A stop rung the controller skips while allow_stop is false, as an operator's throttle does: valid,
// but it will never be used.
void warnUnusedStops(const Policy& policy, Problems& warnings) {
  const auto& allow_stop = policy.pressure.allow_stop;
  if (allow_stop.value) return;
  const std::string why = allow_stop.where.line > 0
                              ? "pressure.allow_stop is false (" + formatLocation(allow_stop.where) + ")"
                              : "pressure.allow_stop is false by default";
  for (const auto& workload : policy.workloads) {
    if (workload.is_protected.value) continue;  // its actions are a problem already
    for (const auto& rung : workload.actions) {
      if (rung.value != WorkloadAction::kStop) continue;
      warnings.push_back(Problem{rung.where, "warning: workloads[" + std::to_string(workload.index) +
                                                 "].actions: \"stop\" will never be used: " + why +
                                                 "; set it to true, or leave \"stop\" out"});
    }
  }
}

void checkWorkloads(const Policy& policy, const PatternIndex& kept_index, Problems& problems) {
  std::vector<const UnitPattern*> units;
  for (const auto& workload : policy.workloads) units.push_back(&workload.unit);
  const PatternIndex workload_index(units);
  for (std::size_t i = 0; i < policy.workloads.size(); ++i) {
    const auto& workload = policy.workloads[i];
    const std::string path = "workloads[" + std::to_string(workload.index) + "].unit";
    const bool acts = !workload.actions.empty();
    if (acts && !workload.unit.is_glob) {
      // A glob is narrowed at run time instead: the controller skips kept and essential units.
      if (isEssentialUnit(workload.unit.pattern)) {
        problems.push_back(
            Problem{workload.unit.where, path + ": " + quoted(workload.unit.pattern) +
                                             " is needed to run the system and is never acted on"});
      }
      const auto kept = kept_index.overlapping(workload.unit);
      reportOverlaps(problems, workload.unit, path, kept.size(), [&](std::size_t n) {
        const UnitPattern& other = policy.keep[kept[n]];
        return quoted(workload.unit.pattern) + " has actions, but keep has " + quoted(other.pattern) + " (" +
               formatLocation(other.where) + ")";
      });
    }
    if (workload.is_protected.value) {
      std::vector<std::size_t> acting;
      for (const std::size_t j : workload_index.overlapping(workload.unit)) {
        const auto& other = policy.workloads[j];
        if (j != i && !other.is_protected.value && !other.actions.empty()) acting.push_back(j);
      }
      reportOverlaps(problems, workload.unit, path, acting.size(), [&](std::size_t n) {
        const auto& other = policy.workloads[acting[n]];
        return "the protected " + quoted(workload.unit.pattern) + " is also matched by the workload " +
               quoted(other.unit.pattern) + " (" + formatLocation(other.unit.where) +
               "), whose actions are " + actionList(other);
      });
    }
    if (!workload.unit.is_glob) {
      const std::size_t first = workload_index.firstWritten(workload.unit.pattern);
      if (first < i) {
        problems.push_back(
            Problem{workload.unit.where, path + ": a second workload for " + quoted(workload.unit.pattern) +
                                             " (the first at " +
                                             formatLocation(policy.workloads[first].unit.where) + ")"});
      }
    }
  }
}

}  // namespace

void checkContradictions(const Policy& policy, Problems& problems, Problems& warnings) {
  const PatternIndex kept_index(pointersTo(policy.keep));
  checkClassesAgainstKeep(policy, kept_index, problems);
  checkClassesAgainstEachOther(policy, problems);
  checkWorkloads(policy, kept_index, problems);
  warnUnusedStops(policy, warnings);
}

}  // namespace jmem::policy::detail
