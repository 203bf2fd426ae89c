#include "policy/unit_match.h"

#include <algorithm>

#include "policy/unit_pattern.h"

namespace jmem::policy {

const Workload* workloadFor(const Policy& policy, std::string_view unit_name) {
  for (const auto& workload : policy.workloads) {
    if (!workload.unit.is_glob && workload.unit.pattern == unit_name) return &workload;
  }
  for (const auto& workload : policy.workloads) {
    if (unitPatternMatches(workload.unit, unit_name)) return &workload;
  }
  return nullptr;
}

bool isKept(const Policy& policy, std::string_view unit_name) {
  return std::any_of(policy.keep.begin(), policy.keep.end(),
                     [&](const UnitPattern& kept) { return unitPatternMatches(kept, unit_name); });
}

bool isProtected(const Policy& policy, std::string_view unit_name) {
  return std::any_of(policy.workloads.begin(), policy.workloads.end(), [&](const Workload& workload) {
    return workload.is_protected.value && unitPatternMatches(workload.unit, unit_name);
  });
}

}  // namespace jmem::policy
