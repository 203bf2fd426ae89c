#include "compliance/plan.h"

#include "sources/kernel_cmdline.h"

namespace jmem::compliance {
namespace {

// The DEFAULT entry's APPEND with each drifting boot item put right.
Result<std::string> correctedAppend(const policy::BootPolicy& boot, const std::string& append) {
  std::string text = append;
  const auto& rule = boot.swiotlb;
  if (rule.kind == policy::SwiotlbRule::Kind::kAbsent) {
    auto edited = removeArgument(text, "swiotlb");
    if (!edited) return edited.error();
    text = *edited;
  } else if (rule.kind != policy::SwiotlbRule::Kind::kAny) {
    const auto parsed = parseKernelCmdline(text);
    if (!parsed) return parsed.error();
    const auto current = swiotlbOf(*parsed);
    if (!current || !swiotlbRuleHolds(rule, *current)) {
      const std::string slabs = std::to_string(rule.min_slabs);
      auto edited = setArgument(text, "swiotlb", slabs);
      if (!edited) return edited.error();
      text = *edited;
    }
  }
  for (const auto& required : boot.required_args) {
    const auto equals = required.value.find('=');
    auto edited = equals == std::string::npos ? setArgument(text, required.value, std::nullopt)
                                              : setArgument(text, required.value.substr(0, equals),
                                                            required.value.substr(equals + 1));
    if (!edited) return edited.error();
    text = *edited;
  }
  for (const auto& forbidden : boot.forbidden_args) {
    auto edited = removeArgument(text, forbidden.value.substr(0, forbidden.value.find('=')));
    if (!edited) return edited.error();
    text = *edited;
  }
  return text;
}

// The plan's order, which Apply follows: default.target, unit files, stops, user units; the boot
// arguments' edit comes last.
struct Order {
  std::vector<PlannedChange> default_target;
  std::vector<PlannedChange> unit_files;
  std::vector<PlannedChange> stops;
  std::vector<PlannedChange> user_units;
  bool boot_drift = false;
};

// "subject (kind): why", without the check's "unknown: " prefix.
std::string unknownEntry(const CheckItem& item) {
  const std::size_t skip = item.actual.starts_with(kUnknownPrefix) ? kUnknownPrefix.size() : 0;
  return item.subject + " (" + std::string(toString(item.kind)) + "): " + item.actual.substr(skip);
}

void planUnitFile(const CheckItem& item, Plan& plan, Order& order) {
  // Masking or disabling a linked unit removes the link, which revert could not make again.
  if (item.actual.starts_with("linked")) {
    plan.notes.push_back(item.subject + " is " + item.actual + " (a unit file linked from elsewhere); " +
                         std::string(policy::toString(item.action)) +
                         " would remove the link, which revert cannot restore: left for an operator");
    return;
  }
  const auto kind = item.action == policy::UnitAction::kMask ? PlannedChange::Kind::kMaskUnit
                                                             : PlannedChange::Kind::kDisableUnit;
  order.unit_files.push_back(PlannedChange{kind, item.subject, item.actual, item.expected, item.cost_bytes});
}

void planDrift(const CheckItem& item, const ObservedState& observed, Plan& plan, Order& order) {
  switch (item.kind) {
    case ItemKind::kDefaultTarget:
      order.default_target.push_back(PlannedChange{PlannedChange::Kind::kSetDefaultTarget, "default.target",
                                                   item.actual, item.expected, 0});
      break;
    case ItemKind::kUnitFile:
      planUnitFile(item, plan, order);
      break;
    case ItemKind::kUnitActive:
      // The bare active state, as revert reads it to decide whether to start the unit again.
      order.stops.push_back(PlannedChange{PlannedChange::Kind::kStopUnit, item.subject,
                                          observed.system_units.at(item.subject).active_state, "inactive",
                                          item.cost_bytes});
      break;
    case ItemKind::kUserUnitMask:
      order.user_units.push_back(PlannedChange{PlannedChange::Kind::kMaskUserUnit, item.subject, item.actual,
                                               item.expected, item.cost_bytes});
      break;
    case ItemKind::kBootNow:
      plan.notes.push_back(item.subject + ": this boot used " + item.actual + ", the policy wants " +
                           item.expected + "; only a reboot changes it");
      break;
    case ItemKind::kBootNext:
      order.boot_drift = true;
      break;
  }
}

// The next boot's arguments drift: edit extlinux.conf's DEFAULT APPEND, or say why it is left.
void planBootArguments(const policy::BootPolicy& boot, const BootObservation& observed, Plan& plan) {
  const std::string& path = boot.extlinux.value;
  if (!boot.edit_extlinux.value) {
    plan.notes.push_back("the next boot's arguments drift from the policy; edit_extlinux is off, so " + path +
                         " is left for an operator to edit");
  } else if (!observed.next_append) {
    plan.notes.push_back("cannot edit " + path + ": " + observed.next_error);
  } else if (auto append = correctedAppend(boot, *observed.next_append); !append) {
    plan.notes.push_back("cannot correct the boot arguments: " + append.error().message);
  } else if (*append != *observed.next_append) {
    plan.changes.push_back(
        PlannedChange{PlannedChange::Kind::kEditBootArguments, path, *observed.next_append, *append, 0});
    plan.reboot_needed = true;
  }
}

}  // namespace

std::string_view toString(PlannedChange::Kind kind) {
  switch (kind) {
    case PlannedChange::Kind::kSetDefaultTarget:
      return "set-default-target";
    case PlannedChange::Kind::kMaskUnit:
      return "mask";
    case PlannedChange::Kind::kDisableUnit:
      return "disable";
    case PlannedChange::Kind::kStopUnit:
      return "stop";
    case PlannedChange::Kind::kMaskUserUnit:
      return "mask-for-every-user";
    case PlannedChange::Kind::kEditBootArguments:
      return "edit-boot-arguments";
  }
  return "unknown";
}

std::uint64_t Plan::bytesBack() const {
  std::uint64_t bytes = 0;
  for (const PlannedChange& change : changes) {
    // A unit's mask and its stop give back the same memory: count the stop (or a user unit's mask).
    if (change.kind == PlannedChange::Kind::kStopUnit || change.kind == PlannedChange::Kind::kMaskUserUnit)
      bytes += change.bytes_back;
  }
  return bytes;
}

Plan planChanges(const policy::Policy& policy, const CheckReport& report, const ObservedState& observed) {
  Plan plan;
  Order order;
  for (const CheckItem& item : report.items) {
    if (item.state == ItemState::kUnknown) plan.unknown.push_back(unknownEntry(item));
    if (item.state == ItemState::kDrift) planDrift(item, observed, plan, order);
  }
  for (auto* bucket : {&order.default_target, &order.unit_files, &order.stops, &order.user_units})
    plan.changes.insert(plan.changes.end(), bucket->begin(), bucket->end());
  if (order.boot_drift) planBootArguments(policy.boot, observed.boot, plan);
  return plan;
}

}  // namespace jmem::compliance
