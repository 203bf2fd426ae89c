#include "policy/sections.h"

namespace jmem::policy::detail {
namespace {

constexpr std::int64_t kMaxPriority = 1000;
constexpr std::int64_t kMaxStepPercent = 90;

// A subset of the ladder, each rung at most once and in the ladder's order.
std::vector<Located<WorkloadAction>> readActions(const TableReader& reader) {
  std::vector<Located<WorkloadAction>> actions;
  const auto texts = reader.strings("actions");
  if (!texts) return actions;
  const std::string path = reader.keyPath("actions");
  for (const auto& text : *texts) {
    const auto action = workloadActionFromString(text.value);
    if (!action) {
      reader.problems().push_back(
          Problem{text.where, path + ": \"" + text.value + "\" is not an action (throttle, freeze, stop)"});
      continue;
    }
    if (!actions.empty() && *action <= actions.back().value) {
      reader.problems().push_back(
          Problem{text.where, path + ": \"" + text.value + "\" " +
                                  (*action == actions.back().value ? "is listed twice" : "is out of order") +
                                  "; the ladder is throttle, freeze, stop"});
      continue;
    }
    actions.push_back(Located<WorkloadAction>{*action, text.where});
  }
  return actions;
}

bool hasAction(const Workload& workload, WorkloadAction action) {
  for (const auto& candidate : workload.actions) {
    if (candidate.value == action) return true;
  }
  return false;
}

std::optional<Workload> readWorkload(const TableReader& reader) {
  reader.rejectUnknownKeys(
      {"unit", "priority", "protected", "actions", "throttle_memory_high_mib", "throttle_step_percent"});
  Workload workload;
  workload.where = reader.where();
  const auto unit = readUnitPattern(reader, "unit");
  if (!reader.has("unit")) reader.reportMissing("unit");
  if (auto priority = reader.integer("priority", 0, kMaxPriority)) workload.priority = *priority;
  if (auto is_protected = reader.boolean("protected")) workload.is_protected = *is_protected;
  workload.actions = readActions(reader);
  workload.throttle_memory_high_mib =
      narrowed<std::uint64_t>(reader.integer("throttle_memory_high_mib", 1, kMaxMib));
  workload.throttle_step_percent =
      narrowed<std::uint32_t>(reader.integer("throttle_step_percent", 1, kMaxStepPercent));

  if (workload.is_protected.value && !workload.actions.empty()) {
    reader.reportAt("actions", "a protected workload is never acted on; leave actions out");
  }
  if (reader.has("throttle_memory_high_mib") && reader.has("throttle_step_percent")) {
    reader.reportAt("throttle_step_percent",
                    "give throttle_memory_high_mib or throttle_step_percent, not both");
  }
  for (const auto key : {"throttle_memory_high_mib", "throttle_step_percent"}) {
    if (reader.has(key) && !hasAction(workload, WorkloadAction::kThrottle)) {
      reader.reportAt(key, "has no effect without \"throttle\" in actions");
    }
  }
  if (!unit) return std::nullopt;
  workload.unit = *unit;
  return workload;
}

}  // namespace

std::vector<Workload> readWorkloads(const toml::array& workloads, Problems& problems) {
  std::vector<Workload> result;
  for (std::size_t i = 0; i < workloads.size(); ++i) {
    const toml::node& node = *workloads.get(i);
    const std::string path = "workloads[" + std::to_string(i) + "]";
    const toml::table* table = node.as_table();
    if (table == nullptr) {
      report(problems, node.source(), path + ": expected a table, got " + std::string(typeName(node.type())));
      continue;
    }
    if (auto workload = readWorkload(TableReader(*table, path, problems))) {
      result.push_back(std::move(*workload));
    }
  }
  return result;
}

}  // namespace jmem::policy::detail
