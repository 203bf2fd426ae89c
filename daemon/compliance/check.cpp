#include "compliance/check.h"

#include <algorithm>

#include "policy/policy_json.h"
#include "policy/unit_match.h"
#include "policy/unit_pattern.h"
#include "sources/cgroup_unit.h"
#include "sources/kernel_cmdline.h"

namespace jmem::compliance {
namespace {

using policy::UnitAction;
using policy::UnitScope;

std::uint64_t unitCost(const Ledger* ledger, const std::string& unit, bool user_scope) {
  if (ledger == nullptr) return 0;
  std::uint64_t bytes = 0;
  for (const LedgerUnit& u : ledger->units) {
    const bool user_manager = !isSystemManager(u.manager);
    if (u.unit == unit && user_manager == user_scope) bytes += u.memory.costBytes();
  }
  return bytes;
}

bool isActive(const std::string& active_state) {
  return active_state == "active" || active_state == "activating" || active_state == "reloading" ||
         active_state == "deactivating";
}

void checkSystemUnit(const policy::Policy& policy, const policy::UnitClass& c, const std::string& unit,
                     const ObservedState& observed, const Ledger* ledger, std::vector<CheckItem>& items) {
  const auto found = observed.system_units.find(unit);
  const UnitObservation seen = found == observed.system_units.end() ? UnitObservation{} : found->second;
  CheckItem base;
  base.subject = unit;
  base.policy_class = c.name;
  base.action = c.action.value;
  base.where = c.action.where;
  const bool kept = policy::isKept(policy, unit);
  if (kept || (!seen.found && seen.file_error.empty() && seen.state_error.empty())) {
    CheckItem item = base;
    item.kind = ItemKind::kUnitFile;
    item.expected = std::string(policy::toString(c.action.value));
    item.actual = kept ? "kept by the keep list" : "not installed";
    item.state = ItemState::kNotApplicable;
    items.push_back(item);
    return;
  }
  if (c.action.value == UnitAction::kMask || c.action.value == UnitAction::kDisable) {
    CheckItem item = base;
    item.kind = ItemKind::kUnitFile;
    item.actual = seen.unit_file_state;
    if (c.action.value == UnitAction::kMask) {
      item.expected = "masked";
      item.state = seen.unit_file_state == "masked" ? ItemState::kOk : ItemState::kDrift;
    } else {
      item.expected = "disabled";
      // Masked is stronger than disabled; static and indirect units cannot be enabled at all.
      const bool ok = seen.unit_file_state == "disabled" || seen.unit_file_state == "masked" ||
                      seen.unit_file_state == "static" || seen.unit_file_state == "indirect";
      item.state = ok ? ItemState::kOk : ItemState::kDrift;
    }
    if (!seen.file_error.empty()) {
      item.actual = std::string(kUnknownPrefix) + seen.file_error;
      item.state = ItemState::kUnknown;
    } else if (!seen.found) {
      // No unit file, and the loaded unit could not be asked about: nothing to mask or disable.
      item.actual = "not installed";
      item.state = ItemState::kNotApplicable;
    }
    if (item.state == ItemState::kDrift) item.cost_bytes = unitCost(ledger, unit, false);
    items.push_back(item);
  }
  CheckItem active = base;
  active.kind = ItemKind::kUnitActive;
  active.expected = "inactive";
  active.actual = seen.active_state;
  // The unit as systemd has it loaded now: a unit masked on disk can still be loaded and running.
  if (!seen.load_state.empty()) active.actual += " (" + seen.load_state + ")";
  active.state = isActive(seen.active_state) ? ItemState::kDrift : ItemState::kOk;
  if (!seen.state_error.empty() || seen.active_state.empty()) {
    active.actual =
        std::string(kUnknownPrefix) + (seen.state_error.empty() ? "systemd gave no state" : seen.state_error);
    active.state = ItemState::kUnknown;
  }
  if (active.state == ItemState::kDrift) active.cost_bytes = unitCost(ledger, unit, false);
  items.push_back(active);
}

void checkUserUnit(const policy::Policy& policy, const policy::UnitClass& c, const std::string& unit,
                   const ObservedState& observed, const Ledger* ledger, std::vector<CheckItem>& items) {
  const auto found = observed.user_units.find(unit);
  const UserUnitObservation seen = found == observed.user_units.end() ? UserUnitObservation{} : found->second;
  CheckItem item;
  item.kind = ItemKind::kUserUnitMask;
  item.subject = unit;
  item.policy_class = c.name;
  item.action = c.action.value;
  item.where = c.action.where;
  item.expected = c.action.value == UnitAction::kMask ? "masked for every user"
                                                      : std::string(policy::toString(c.action.value));
  if (policy::isKept(policy, unit)) {
    item.actual = "kept by the keep list";
    item.state = ItemState::kNotApplicable;
  } else if (!seen.error.empty()) {
    item.actual = std::string(kUnknownPrefix) + seen.error;
    item.state = ItemState::kUnknown;
  } else if (!seen.found) {
    item.actual = "not installed";
    item.state = ItemState::kNotApplicable;
  } else if (c.action.value != UnitAction::kMask) {
    // Only the global mask has a place to live; disable and stop are per-user-manager matters.
    item.actual = seen.masked ? "masked for every user" : "not masked";
    item.state = ItemState::kNotApplicable;
  } else {
    item.actual = seen.masked ? "masked for every user" : "not masked";
    item.state = seen.masked ? ItemState::kOk : ItemState::kDrift;
    if (!seen.masked) item.cost_bytes = unitCost(ledger, unit, true);
  }
  items.push_back(item);
}

std::string describeSwiotlb(const Result<Swiotlb>& swiotlb) {
  if (!swiotlb) return "unreadable: " + swiotlb.error().message;
  return describeSwiotlb(*swiotlb);
}

std::string describeRule(const policy::SwiotlbRule& rule) {
  switch (rule.kind) {
    case policy::SwiotlbRule::Kind::kAny:
      return "any";
    case policy::SwiotlbRule::Kind::kAbsent:
      return "absent";
    case policy::SwiotlbRule::Kind::kExact:
      return std::to_string(rule.min_slabs) + " slabs";
    case policy::SwiotlbRule::Kind::kRange:
      return std::to_string(rule.min_slabs) + " to " + std::to_string(rule.max_slabs) + " slabs";
  }
  return "any";
}

// "quiet" is present when the key is; "key=value" when the value matches.
bool argumentPresent(const KernelCmdline& cmdline, const std::string& argument) {
  const auto equals = argument.find('=');
  if (equals == std::string::npos) return cmdline.has(argument);
  const auto value = cmdline.value(argument.substr(0, equals));
  return value && *value == argument.substr(equals + 1);
}

void checkBootLine(const policy::BootPolicy& boot, ItemKind kind, const std::optional<std::string>& text,
                   const std::string& error, std::vector<CheckItem>& items) {
  auto add = [&](std::string subject, std::string expected, std::string actual, ItemState state,
                 policy::SourceLocation where) {
    items.push_back(CheckItem{kind, std::move(subject), "", policy::UnitAction::kKeep, std::move(expected),
                              std::move(actual), state, 0, std::move(where)});
  };
  const auto cmdline = text ? parseKernelCmdline(*text) : Result<KernelCmdline>(Error{error});
  if (boot.swiotlb.kind != policy::SwiotlbRule::Kind::kAny) {
    if (!cmdline) {
      add("swiotlb", describeRule(boot.swiotlb), std::string(kUnknownPrefix) + cmdline.error().message,
          ItemState::kUnknown, boot.swiotlb.where);
    } else {
      const auto swiotlb = swiotlbOf(*cmdline);
      add("swiotlb", describeRule(boot.swiotlb), describeSwiotlb(swiotlb),
          !swiotlb                                   ? ItemState::kUnknown
          : swiotlbRuleHolds(boot.swiotlb, *swiotlb) ? ItemState::kOk
                                                     : ItemState::kDrift,
          boot.swiotlb.where);
    }
  }
  for (const auto& required : boot.required_args) {
    if (!cmdline) {
      add(required.value, "present", "unknown", ItemState::kUnknown, required.where);
      continue;
    }
    const bool present = argumentPresent(*cmdline, required.value);
    add(required.value, "present", present ? "present" : "absent",
        present ? ItemState::kOk : ItemState::kDrift, required.where);
  }
  for (const auto& forbidden : boot.forbidden_args) {
    if (!cmdline) {
      add(forbidden.value, "absent", "unknown", ItemState::kUnknown, forbidden.where);
      continue;
    }
    const bool present = argumentPresent(*cmdline, forbidden.value);
    add(forbidden.value, "absent", present ? "present" : "absent",
        present ? ItemState::kDrift : ItemState::kOk, forbidden.where);
  }
}

// A boot argument this boot lacks but the next boot has is done, pending the reboot: if extlinux.conf
// was written since this boot began. Written before, the boot did not take it (another entry, slot
// or bootloader), and a reboot would not change that.
void markRebootPending(const BootObservation& boot, std::vector<CheckItem>& items) {
  for (CheckItem& now : items) {
    if (now.kind != ItemKind::kBootNow || now.state != ItemState::kDrift) continue;
    const auto next = std::find_if(items.begin(), items.end(), [&](const CheckItem& i) {
      return i.kind == ItemKind::kBootNext && i.subject == now.subject;
    });
    if (next == items.end() || next->state != ItemState::kOk) continue;
    if (!boot.next_written_this_boot) {
      now.actual += "; the next boot: " + next->actual + ", but whether a reboot is pending is unknown (" +
                    boot.next_written_error + ")";
    } else if (!*boot.next_written_this_boot) {
      now.actual +=
          "; extlinux.conf had " + next->actual + " before this boot began, and the boot did not use it";
    } else {
      now.state = ItemState::kRebootPending;
      now.actual += "; the next boot: " + next->actual;
    }
  }
}

}  // namespace

bool swiotlbRuleHolds(const policy::SwiotlbRule& rule, const Swiotlb& swiotlb) {
  switch (rule.kind) {
    case policy::SwiotlbRule::Kind::kAny:
      return true;
    case policy::SwiotlbRule::Kind::kAbsent:
      return !swiotlb.given;
    case policy::SwiotlbRule::Kind::kExact:
    case policy::SwiotlbRule::Kind::kRange:
      return !swiotlb.noforce && swiotlb.slabs && *swiotlb.slabs >= rule.min_slabs &&
             *swiotlb.slabs <= rule.max_slabs;
  }
  return true;
}

std::string_view toString(ItemState state) {
  switch (state) {
    case ItemState::kOk:
      return "ok";
    case ItemState::kDrift:
      return "drift";
    case ItemState::kUnknown:
      return "unknown";
    case ItemState::kNotApplicable:
      return "not applicable";
    case ItemState::kRebootPending:
      return "reboot pending";
  }
  return "unknown";
}

std::string_view toString(Verdict verdict) {
  switch (verdict) {
    case Verdict::kCompliant:
      return "compliant";
    case Verdict::kRebootPending:
      return "reboot-pending";
    case Verdict::kUnknown:
      return "unknown";
    case Verdict::kDrift:
      return "drift";
  }
  return "unknown";
}

std::string_view toString(ItemKind kind) {
  switch (kind) {
    case ItemKind::kDefaultTarget:
      return "default-target";
    case ItemKind::kUnitFile:
      return "unit-file";
    case ItemKind::kUnitActive:
      return "unit-active";
    case ItemKind::kUserUnitMask:
      return "user-unit-mask";
    case ItemKind::kBootNow:
      return "boot-now";
    case ItemKind::kBootNext:
      return "boot-next";
  }
  return "unknown";
}

std::size_t CheckReport::count(ItemState state) const {
  return static_cast<std::size_t>(
      std::count_if(items.begin(), items.end(), [&](const CheckItem& i) { return i.state == state; }));
}

Verdict CheckReport::verdict() const {
  if (count(ItemState::kDrift)) return Verdict::kDrift;
  if (count(ItemState::kUnknown)) return Verdict::kUnknown;
  if (count(ItemState::kRebootPending)) return Verdict::kRebootPending;
  return Verdict::kCompliant;
}

std::uint64_t CheckReport::driftCostBytes() const {
  std::uint64_t bytes = 0;
  for (const CheckItem& item : items) {
    // A unit's file and its running state share one cost; count it once.
    if (item.state == ItemState::kDrift && item.kind != ItemKind::kUnitFile) bytes += item.cost_bytes;
  }
  return bytes;
}

std::vector<std::string> unitsOfClass(const policy::UnitClass& unit_class, const ObservedState& observed) {
  std::vector<std::string> units;
  auto add = [&](const std::string& name) {
    if (std::find(units.begin(), units.end(), name) == units.end()) units.push_back(name);
  };
  for (const policy::UnitPattern& pattern : unit_class.units) {
    if (!pattern.is_glob) {
      add(pattern.pattern);
      continue;
    }
    if (unit_class.scope.value == UnitScope::kSystem) {
      for (const auto& [name, seen] : observed.system_units)
        if (policy::unitPatternMatches(pattern, name)) add(name);
    } else {
      for (const auto& [name, seen] : observed.user_units)
        if (policy::unitPatternMatches(pattern, name)) add(name);
    }
  }
  return units;
}

CheckReport checkCompliance(const policy::Policy& policy, const ObservedState& observed,
                            const Ledger* ledger) {
  CheckReport report;
  report.policy_fingerprint = policy::policyFingerprint(policy);
  auto& items = report.items;
  if (policy.default_target) {
    CheckItem item;
    item.kind = ItemKind::kDefaultTarget;
    item.subject = "default.target";
    item.expected = policy.default_target->value;
    item.where = policy.default_target->where;
    if (!observed.default_target) {
      item.actual = std::string(kUnknownPrefix) + observed.default_target_error;
      item.state = ItemState::kUnknown;
    } else {
      item.actual = *observed.default_target;
      item.state = item.actual == item.expected ? ItemState::kOk : ItemState::kDrift;
    }
    items.push_back(item);
  }
  for (const policy::UnitClass& c : policy.classes) {
    if (c.action.value == UnitAction::kKeep) continue;
    for (const policy::UnitPattern& pattern : c.units) {
      const auto unlisted = observed.unlisted_globs.find(pattern.pattern);
      if (!pattern.is_glob || unlisted == observed.unlisted_globs.end()) continue;
      items.push_back(
          CheckItem{c.scope.value == UnitScope::kSystem ? ItemKind::kUnitFile : ItemKind::kUserUnitMask,
                    pattern.pattern, c.name, c.action.value, std::string(policy::toString(c.action.value)),
                    "unknown: cannot list the installed units: " + unlisted->second, ItemState::kUnknown, 0,
                    c.action.where});
    }
    for (const std::string& unit : unitsOfClass(c, observed)) {
      if (c.scope.value == UnitScope::kSystem) {
        checkSystemUnit(policy, c, unit, observed, ledger, items);
      } else {
        checkUserUnit(policy, c, unit, observed, ledger, items);
      }
    }
  }
  checkBootLine(policy.boot, ItemKind::kBootNow, observed.boot.cmdline, observed.boot.cmdline_error, items);
  checkBootLine(policy.boot, ItemKind::kBootNext, observed.boot.next_append, observed.boot.next_error, items);
  markRebootPending(observed.boot, items);
  return report;
}

}  // namespace jmem::compliance
