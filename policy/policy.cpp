#include "policy/policy.h"

#include <array>
#include <utility>

namespace jmem::policy {
namespace {

// One table per enum keeps the names and their parsing from drifting apart.
constexpr std::array<std::pair<Mode, std::string_view>, 2> kModes{{
    {Mode::kAudit, "audit"},
    {Mode::kEnforce, "enforce"},
}};
constexpr std::array<std::pair<UnitAction, std::string_view>, 4> kUnitActions{{
    {UnitAction::kMask, "mask"},
    {UnitAction::kDisable, "disable"},
    {UnitAction::kStop, "stop"},
    {UnitAction::kKeep, "keep"},
}};
constexpr std::array<std::pair<UnitScope, std::string_view>, 2> kUnitScopes{{
    {UnitScope::kSystem, "system"},
    {UnitScope::kGlobalUser, "global-user"},
}};
constexpr std::array<std::pair<WorkloadAction, std::string_view>, 3> kWorkloadActions{{
    {WorkloadAction::kThrottle, "throttle"},
    {WorkloadAction::kFreeze, "freeze"},
    {WorkloadAction::kStop, "stop"},
}};

template <typename Enum, std::size_t N>
std::string_view nameOf(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [candidate, name] : table) {
    if (candidate == value) return name;
  }
  return "?";
}

template <typename Enum, std::size_t N>
std::optional<Enum> valueOf(const std::array<std::pair<Enum, std::string_view>, N>& table,
                            std::string_view text) {
  for (const auto& [value, name] : table) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view toString(Mode mode) {
  return nameOf(kModes, mode);
}
std::string_view toString(UnitAction action) {
  return nameOf(kUnitActions, action);
}
std::string_view toString(UnitScope scope) {
  return nameOf(kUnitScopes, scope);
}
std::string_view toString(WorkloadAction action) {
  return nameOf(kWorkloadActions, action);
}

std::optional<Mode> modeFromString(std::string_view text) {
  return valueOf(kModes, text);
}
std::optional<UnitAction> unitActionFromString(std::string_view text) {
  return valueOf(kUnitActions, text);
}
std::optional<UnitScope> unitScopeFromString(std::string_view text) {
  return valueOf(kUnitScopes, text);
}
std::optional<WorkloadAction> workloadActionFromString(std::string_view text) {
  return valueOf(kWorkloadActions, text);
}

std::string workloadActionNames() {
  std::string names;
  for (const auto& [action, name] : kWorkloadActions)
    names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

}  // namespace jmem::policy
