#include "policy/unit_pattern.h"

#include <fnmatch.h>

#include <array>

#include "sources/cgroup_unit.h"

namespace jmem::policy {
namespace {

constexpr std::array<std::string_view, 11> kEssentialUnits{
    "dbus.service",
    "dbus.socket",
    "dbus-broker.service",
    "systemd-journald.service",
    "systemd-journald.socket",
    "systemd-logind.service",
    "jmemd.service",
    "init.scope",
    "-.slice",
    "systemd-udevd.service",
    // It answers for jmemctl's users: frozen, an operator's release would hang in it.
    "polkit.service",
};

bool isUnitNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '_' ||
         c == '.' || c == '\\' || c == '@' || c == '-';
}

}  // namespace

bool isUnitGlob(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

std::optional<std::string> unitPatternError(std::string_view pattern) {
  const std::string quoted = "\"" + std::string(pattern) + "\"";
  if (!isUnitGlob(pattern)) {
    if (isValidUnitName(pattern)) return std::nullopt;
    return quoted +
           " is not a valid unit name (letters, digits and \":_.\\@-\", at most 255 bytes, a type suffix "
           "such as .service)";
  }
  // Each wildcard or bracket expression becomes one name character; what is left must be a name.
  std::string stand_in;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '*' || c == '?') {
      stand_in.push_back('x');
      continue;
    }
    if (c == ']') return quoted + " has a ']' without its '['";
    if (c != '[') {
      stand_in.push_back(c);
      continue;
    }
    std::size_t j = i + 1;
    if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) ++j;
    const std::size_t first = j;
    while (j < pattern.size() && pattern[j] != ']') {
      if (!isUnitNameCharacter(pattern[j])) {
        return quoted + " has a bracket expression with a character no unit name has";
      }
      ++j;
    }
    if (j == pattern.size()) return quoted + " has a '[' without its ']'";
    if (j == first) return quoted + " has an empty bracket expression";
    stand_in.push_back('x');
    i = j;
  }
  if (isValidUnitName(stand_in)) return std::nullopt;
  return quoted +
         " is not a valid unit glob (unit-name characters, the wildcards * ? [ ] and a literal type suffix "
         "such as .service)";
}

bool unitPatternMatches(const UnitPattern& pattern, std::string_view unit_name) {
  if (!pattern.is_glob) return pattern.pattern == unit_name;
  const std::string name(unit_name);
  return ::fnmatch(pattern.pattern.c_str(), name.c_str(), FNM_NOESCAPE) == 0;
}

bool unitPatternsOverlap(const UnitPattern& a, const UnitPattern& b) {
  if (a.pattern == b.pattern) return true;
  if (a.is_glob && b.is_glob) return false;
  return a.is_glob ? unitPatternMatches(a, b.pattern) : unitPatternMatches(b, a.pattern);
}

std::span<const std::string_view> essentialUnits() {
  return kEssentialUnits;
}

bool isEssentialUnit(std::string_view unit_name) {
  for (const auto essential : kEssentialUnits) {
    if (essential == unit_name) return true;
  }
  return false;
}

std::optional<std::string_view> essentialUnitMatchedBy(const UnitPattern& pattern) {
  for (const auto essential : kEssentialUnits) {
    if (unitPatternMatches(pattern, essential)) return essential;
  }
  return std::nullopt;
}

}  // namespace jmem::policy
