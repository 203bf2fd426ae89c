#include "throttle/journal_schema.h"

#include <algorithm>

#include "core/text.h"
#include "policy/unit_match.h"
#include "policy/unit_pattern.h"
#include "throttle/controller.h"
#include "throttle/device_controls.h"

namespace jmem::throttle {
namespace {

using nlohmann::json;

bool bytesOrNull(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && (it->is_null() || it->is_number_unsigned());
}

// No key but these.
std::optional<std::string> whyExtraKey(const json& object, const char* which,
                                       std::initializer_list<std::string_view> keys) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      return std::string(which) + " has an unknown key " + key;
  }
  return std::nullopt;
}

std::optional<std::string> check(const Change& c, const policy::Policy& policy, std::string_view self_unit) {
  const Rung* rung = rungOfJournalKind(c.kind);
  if (rung == nullptr) return "an unknown kind " + c.kind;
  if (policy::isUnitGlob(c.target) || policy::unitPatternError(c.target))
    return "the target is not a unit name";
  if (!c.target.ends_with(".service") && !c.target.ends_with(".scope"))
    return "the target " + c.target + " is not a service or a scope";
  if (auto why = whyNotActedOn(c.target, kSystemManager, policy, self_unit)) return *why;

  const auto origin = c.after.find("origin");
  if (origin == c.after.end() || (*origin != "pressure" && *origin != "operator"))
    return "after.origin is not pressure or operator";
  const policy::Workload* workload = policy::workloadFor(policy, c.target);
  if (*origin == "pressure" && (workload == nullptr || workload->actions.empty()))
    return c.target + " is no workload of the policy";
  if (const auto boot = c.after.find("boot_id"); boot != c.after.end() && !boot->is_string())
    return "after.boot_id is not a string";

  if (rung->action == policy::WorkloadAction::kThrottle) {
    if (!bytesOrNull(c.before, "memory_high_bytes") || !bytesOrNull(c.after, "memory_high_bytes"))
      return "memory_high_bytes is not a whole number or null";
    if (auto why = whyExtraKey(c.before, "before", {"memory_high_bytes"})) return why;
    return whyExtraKey(c.after, "after", {"origin", "boot_id", "memory_high_bytes"});
  }
  if (auto why = whyExtraKey(c.before, "before", {})) return why;
  if (rung->action == policy::WorkloadAction::kFreeze) {
    const auto method = c.after.find("method");
    if (method == c.after.end() || !method->is_string() ||
        !parseFreezeMethod(method->get_ref<const std::string&>()))
      return "after.method is not a freeze method";
    return whyExtraKey(c.after, "after", {"origin", "boot_id", "method"});
  }
  // A stop's release starts the unit: only where the policy lets jmemd stop it.
  const bool stops = workload != nullptr &&
                     std::any_of(workload->actions.begin(), workload->actions.end(), [](const auto& action) {
                       return action.value == policy::WorkloadAction::kStop;
                     });
  if (!policy.pressure.allow_stop.value || !stops) return "the policy does not let jmemd stop " + c.target;
  return whyExtraKey(c.after, "after", {"origin", "boot_id"});
}

}  // namespace

std::optional<std::string> whyRejected(const Change& change, const policy::Policy& policy,
                                       std::string_view self_unit) {
  auto why = check(change, policy, self_unit);
  // Names come from the file: printable before they reach a log or a terminal.
  if (why) return "rejected a record of kind " + sanitizeName(change.kind) + ": " + sanitizeName(*why);
  return std::nullopt;
}

}  // namespace jmem::throttle
