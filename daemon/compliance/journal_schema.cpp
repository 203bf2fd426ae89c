#include "compliance/journal_schema.h"

#include <initializer_list>

#include "core/text.h"
#include "policy/unit_pattern.h"

namespace jmem::compliance {
namespace {

using nlohmann::json;

enum class Type { kString, kBool };

struct Key {
  const char* name;
  Type type;
};

// Exactly these keys, of these types.
std::optional<std::string> whyNotShaped(const json& object, const char* which,
                                        std::initializer_list<Key> keys) {
  if (object.size() != keys.size())
    return std::string(which) + " has " + std::to_string(object.size()) + " keys, not " +
           std::to_string(keys.size());
  for (const Key& key : keys) {
    const auto it = object.find(key.name);
    const std::string where = std::string(which) + "." + key.name;
    if (it == object.end()) return "no " + where;
    if (key.type == Type::kString && !it->is_string()) return where + " is not a string";
    if (key.type == Type::kBool && !it->is_boolean()) return where + " is not true or false";
  }
  return std::nullopt;
}

// One of two shapes: an older jmem wrote `older`, this one writes `newer`; the size picks which.
std::optional<std::string> whyNotShaped(const json& object, const char* which,
                                        std::initializer_list<Key> older, std::initializer_list<Key> newer) {
  return whyNotShaped(object, which, object.size() == newer.size() ? newer : older);
}

std::optional<std::string> whyNotUnit(const std::string& name, bool essential_allowed) {
  if (policy::isUnitGlob(name)) return "the target is not a unit name";
  if (auto error = policy::unitPatternError(name)) return "the target is not a unit name: " + *error;
  if (!essential_allowed && policy::isEssentialUnit(name))
    return "the target " + name + " is essential: no policy may change it";
  return std::nullopt;
}

std::optional<std::string> whyNotTarget(const json& value, const char* which) {
  const auto& name = value.get_ref<const std::string&>();
  if (policy::isUnitGlob(name) || policy::unitPatternError(name) || !name.ends_with(".target"))
    return std::string(which) + " is not the name of a .target unit";
  return std::nullopt;
}

std::optional<std::string> check(const Change& c, const RecordRules& rules) {
  if (c.kind == "default_target") {
    if (c.target != "default.target") return "the target is not default.target";
    if (auto why = whyNotShaped(c.before, "before", {{"target", Type::kString}},
                                {{"target", Type::kString}, {"etc_link", Type::kString}}))
      return why;
    if (auto why = whyNotShaped(c.after, "after", {{"target", Type::kString}})) return why;
    if (auto why = whyNotTarget(c.before["target"], "before.target")) return why;
    if (c.before.contains("etc_link")) {
      // Read back only to choose between setting the target and removing the link: it names the target.
      const auto& link = c.before["etc_link"].get_ref<const std::string&>();
      const auto& target = c.before["target"].get_ref<const std::string&>();
      if (!link.empty() && !link.ends_with("/" + target))
        return "before.etc_link does not name before.target";
    }
    return whyNotTarget(c.after["target"], "after.target");
  }
  if (c.kind == "unit_file") {
    if (auto why = whyNotUnit(c.target, false)) return why;
    if (auto why = whyNotShaped(c.before, "before", {{"unit_file_state", Type::kString}},
                                {{"unit_file_state", Type::kString}, {"active_state", Type::kString}}))
      return why;
    if (auto why = whyNotShaped(c.after, "after", {{"action", Type::kString}})) return why;
    const auto& action = c.after["action"].get_ref<const std::string&>();
    if (action != "mask" && action != "disable") return "after.action is not mask or disable";
    return std::nullopt;
  }
  if (c.kind == "unit_active") {
    if (auto why = whyNotUnit(c.target, false)) return why;
    if (auto why = whyNotShaped(c.before, "before", {{"active_state", Type::kString}})) return why;
    if (auto why = whyNotShaped(c.after, "after", {{"active_state", Type::kString}})) return why;
    if (c.after["active_state"] != "inactive") return "after.active_state is not inactive";
    return std::nullopt;
  }
  if (c.kind == "global_user_mask") {
    if (auto why = whyNotUnit(c.target, true)) return why;
    if (auto why = whyNotShaped(c.before, "before", {{"masked", Type::kBool}})) return why;
    return whyNotShaped(c.after, "after", {{"masked", Type::kBool}});
  }
  if (c.kind == "file") {
    if (c.target != rules.extlinux)
      return "the file " + c.target + " is not the policy's extlinux.conf (" + rules.extlinux + ")";
    if (auto why = whyNotShaped(c.before, "before", {{"backup", Type::kString}, {"append", Type::kString}}))
      return why;
    if (auto why = whyNotShaped(c.after, "after", {{"append", Type::kString}},
                                {{"append", Type::kString}, {"label", Type::kString}}))
      return why;
    const auto expected = (rules.backup_dir / backupName(c.txn)).string();
    if (c.before["backup"] != expected)
      return "before.backup " + c.before["backup"].get<std::string>() + " is not " + expected;
    return std::nullopt;
  }
  return "an unknown kind " + c.kind;
}

}  // namespace

std::string backupName(const std::string& txn) {
  return "extlinux.conf." + txn;
}

std::optional<std::string> whyRejected(const Change& change, const RecordRules& rules) {
  auto why = check(change, rules);
  // Names come from the file: printable before they reach a log or a terminal.
  if (why) return "rejected a record of kind " + sanitizeName(change.kind) + ": " + sanitizeName(*why);
  return std::nullopt;
}

}  // namespace jmem::compliance
