#include "throttle/journal_schema.h"

#include <algorithm>

#include "core/text.h"
#include "policy/unit_match.h"
#include "policy/unit_pattern.h"
#include "throttle/cgroup_features.h"
#include "throttle/controller.h"

namespace jmem::throttle {
namespace {

using nlohmann::json;

// What a rung's own keys (Rung::journal_before, journal_after) may hold; each key a rung names has a
// rule here, or no record of it is accepted.
struct KeyRule {
  std::string_view key;
  bool (*valid)(const json& value);
  std::string_view problem;
};

const KeyRule kKeyRules[] = {
    {"memory_high_bytes", [](const json& v) { return v.is_null() || v.is_number_unsigned(); },
     "memory_high_bytes is not a whole number or null"},
    {"method",
     [](const json& v) {
       return v.is_string() && parseFreezeMethod(v.get_ref<const std::string&>()).has_value();
     },
     "after.method is not a freeze method"},
};

// The rung's keys, each present with a value its rule accepts.
std::optional<std::string> whyBadValue(const json& object, const std::array<std::string_view, 1>& keys) {
  for (const std::string_view key : keys) {
    if (key.empty()) continue;
    const auto rule = std::find_if(std::begin(kKeyRules), std::end(kKeyRules),
                                   [&](const KeyRule& r) { return r.key == key; });
    if (rule == std::end(kKeyRules)) return "no rule for the key " + std::string(key);
    const auto it = object.find(std::string(key));
    if (it == object.end() || !rule->valid(*it)) return std::string(rule->problem);
  }
  return std::nullopt;
}

// No key but the rung's and `common`.
std::optional<std::string> whyExtraKey(const json& object, const char* which,
                                       const std::array<std::string_view, 1>& keys,
                                       std::initializer_list<std::string_view> common) {
  for (const auto& [key, value] : object.items()) {
    const bool known = (!key.empty() && std::find(keys.begin(), keys.end(), key) != keys.end()) ||
                       std::find(common.begin(), common.end(), key) != common.end();
    if (!known) return std::string(which) + " has an unknown key " + key;
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
  if (origin == c.after.end() || (*origin != "pressure" && *origin != "operator" && *origin != "make-room"))
    return "after.origin is not pressure, make-room or operator";
  const policy::Workload* workload = policy::workloadFor(policy, c.target);
  // The controller's own actions, for pressure or for a request for room, climb a workload's ladder.
  if (*origin != "operator" && (workload == nullptr || workload->actions.empty()))
    return c.target + " is no workload of the policy";
  if (const auto boot = c.after.find("boot_id"); boot != c.after.end() && !boot->is_string())
    return "after.boot_id is not a string";

  if (auto why = whyBadValue(c.before, rung->journal_before)) return why;
  if (auto why = whyBadValue(c.after, rung->journal_after)) return why;
  if (auto why = whyExtraKey(c.before, "before", rung->journal_before, {})) return why;
  if (rung->journal_needs_ladder &&
      (!rung->allowed(policy) || workload == nullptr || !onLadder(*workload, *rung))) {
    return "the policy does not let jmemd " + std::string(rung->climb_name) + " " + c.target;
  }
  return whyExtraKey(c.after, "after", rung->journal_after, {"origin", "boot_id"});
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
