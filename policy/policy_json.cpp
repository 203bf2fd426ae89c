#include "policy/policy_json.h"

#include <cstdio>

namespace jmem::policy {
namespace {

using Json = nlohmann::ordered_json;

Json patternsToJson(const std::vector<UnitPattern>& patterns) {
  Json list = Json::array();
  for (const auto& pattern : patterns) list.push_back(pattern.pattern);
  return list;
}

Json stringsToJson(const std::vector<Located<std::string>>& strings) {
  Json list = Json::array();
  for (const auto& text : strings) list.push_back(text.value);
  return list;
}

Json swiotlbToJson(const SwiotlbRule& rule) {
  switch (rule.kind) {
    case SwiotlbRule::Kind::kAny:
      return Json{{"any", true}};
    case SwiotlbRule::Kind::kAbsent:
      return Json{{"absent", true}};
    case SwiotlbRule::Kind::kExact:
      return Json{{"slabs", rule.min_slabs}};
    case SwiotlbRule::Kind::kRange:
      return Json{{"min_slabs", rule.min_slabs}, {"max_slabs", rule.max_slabs}};
  }
  return Json::object();
}

Json bootToJson(const BootPolicy& boot) {
  Json json = Json::object();
  json["extlinux"] = boot.extlinux.value;
  json["edit_extlinux"] = boot.edit_extlinux.value;
  json["swiotlb"] = swiotlbToJson(boot.swiotlb);
  json["required_args"] = stringsToJson(boot.required_args);
  json["forbidden_args"] = stringsToJson(boot.forbidden_args);
  return json;
}

Json pressureToJson(const PressurePolicy& pressure) {
  Json json = Json::object();
  json["available_low_mib"] = pressure.available_low_mib.value;
  json["available_high_mib"] = pressure.available_high_mib.value;
  json["release_hold_s"] = pressure.release_hold_s.value;
  json["psi_some_avg10_percent"] = pressure.psi_some_avg10_percent.value;
  json["psi_full_avg10_percent"] = pressure.psi_full_avg10_percent.value;
  json["nvmap_ceiling_mib"] = pressure.nvmap_ceiling_mib.value;
  json["gpu_ceiling_mib"] = pressure.gpu_ceiling_mib.value;
  json["min_action_interval_s"] = pressure.min_action_interval_s.value;
  json["max_actions_per_minute"] = pressure.max_actions_per_minute.value;
  json["allow_stop"] = pressure.allow_stop.value;
  json["psi_trigger_some_ms"] = pressure.psi_trigger_some_ms.value;
  json["exhaustion_horizon_s"] = pressure.exhaustion_horizon_s.value;
  return json;
}

Json reclaimToJson(const ReclaimPolicy& reclaim) {
  Json json = Json::object();
  json["idle_min_mib"] = reclaim.idle_min_mib.value;
  json["idle_window_s"] = reclaim.idle_window_s.value;
  json["display"] = reclaim.display.value;
  json["camera"] = reclaim.camera.value;
  return json;
}

Json workloadToJson(const Workload& workload) {
  Json json = Json::object();
  json["unit"] = workload.unit.pattern;
  json["priority"] = workload.priority.value;
  json["protected"] = workload.is_protected.value;
  json["actions"] = Json::array();
  for (const auto& action : workload.actions) json["actions"].push_back(toString(action.value));
  json["throttle_memory_high_mib"] =
      workload.throttle_memory_high_mib ? Json(workload.throttle_memory_high_mib->value) : Json(nullptr);
  json["throttle_step_percent"] =
      workload.throttle_step_percent ? Json(workload.throttle_step_percent->value) : Json(nullptr);
  return json;
}

}  // namespace

Json policyToJson(const Policy& policy) {
  Json json = Json::object();
  json["mode"] = toString(policy.mode.value);
  json["sample_interval_ms"] = policy.sample_interval.value.count();
  json["default_target"] = policy.default_target ? Json(policy.default_target->value) : Json(nullptr);
  json["keep"] = patternsToJson(policy.keep);
  json["classes"] = Json::object();
  for (const auto& unit_class : policy.classes) {
    json["classes"][unit_class.name] = Json{{"action", toString(unit_class.action.value)},
                                            {"scope", toString(unit_class.scope.value)},
                                            {"units", patternsToJson(unit_class.units)}};
  }
  json["boot"] = bootToJson(policy.boot);
  json["pressure"] = pressureToJson(policy.pressure);
  json["reclaim"] = reclaimToJson(policy.reclaim);
  json["workloads"] = Json::array();
  for (const auto& workload : policy.workloads) json["workloads"].push_back(workloadToJson(workload));
  return json;
}

std::string policyFingerprint(const Policy& policy) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : policyToJson(policy).dump()) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

}  // namespace jmem::policy
