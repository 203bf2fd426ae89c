#include <algorithm>
#include <unordered_set>

#include "policy/sections.h"
#include "policy/unit_pattern.h"

namespace jmem::policy::detail {
namespace {

constexpr std::size_t kMaxClassNameBytes = 64;

bool isValidClassName(std::string_view name) {
  if (name.empty() || name.size() > kMaxClassNameBytes) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::optional<UnitPattern> toPattern(const Located<std::string>& text, const std::string& path,
                                     Problems& problems) {
  if (auto error = unitPatternError(text.value)) {
    problems.push_back(Problem{text.where, path + ": " + *error});
    return std::nullopt;
  }
  return UnitPattern{text.value, isUnitGlob(text.value), text.where};
}

// nullopt when the class has no valid action: it could act on nothing, and checking it against
// others would only repeat the problem.
std::optional<UnitClass> readClass(const std::string& name, const TableReader& reader) {
  reader.rejectUnknownKeys({"action", "scope", "units"});
  UnitClass unit_class;
  unit_class.name = name;
  unit_class.where = reader.where();
  bool has_action = false;
  if (auto action = reader.string("action")) {
    if (auto parsed = unitActionFromString(action->value)) {
      unit_class.action = {*parsed, action->where};
      has_action = true;
    } else {
      reader.reportAt("action", "\"" + action->value + "\" is not an action (mask, disable, stop, keep)");
    }
  } else if (!reader.has("action")) {
    reader.reportMissing("action");
  }
  if (auto scope = reader.string("scope")) {
    if (auto parsed = unitScopeFromString(scope->value)) {
      unit_class.scope = {*parsed, scope->where};
    } else {
      reader.reportAt("scope", "\"" + scope->value + "\" is not a scope (system, global-user)");
    }
  }
  unit_class.units = readUnitPatterns(reader, "units");
  if (!has_action) return std::nullopt;
  return unit_class;
}

}  // namespace

std::vector<UnitPattern> readUnitPatterns(const TableReader& reader, std::string_view key) {
  std::vector<UnitPattern> patterns;
  const auto texts = reader.strings(key);
  if (!texts) return patterns;
  std::unordered_set<std::string_view> seen;  // views into `texts`, which outlives the loop
  for (const auto& text : *texts) {
    if (seen.contains(text.value)) continue;
    if (auto pattern = toPattern(text, reader.keyPath(key), reader.problems())) {
      patterns.push_back(*pattern);
      seen.insert(text.value);
    }
  }
  return patterns;
}

std::optional<UnitPattern> readUnitPattern(const TableReader& reader, std::string_view key) {
  const auto text = reader.string(key);
  if (!text) return std::nullopt;
  return toPattern(*text, reader.keyPath(key), reader.problems());
}

std::vector<UnitClass> readClasses(const TableReader& classes) {
  std::vector<UnitClass> result;
  for (const auto& [key, node] : classes.table()) {
    const std::string name(key.str());
    if (!isValidClassName(name)) {
      report(classes.problems(), key.source(),
             "\"" + classes.keyPath(name) + "\": a class name is 1 to 64 of a-z, 0-9, '_' and '-'");
      continue;
    }
    const toml::table* table = classes.subtable(name);
    if (table == nullptr) continue;
    if (auto unit_class = readClass(name, TableReader(*table, classes.keyPath(name), classes.problems()))) {
      result.push_back(std::move(*unit_class));
    }
  }
  return result;
}

}  // namespace jmem::policy::detail
