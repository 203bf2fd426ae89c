#include "policy/sections.h"

namespace jmem::policy::detail {
namespace {

constexpr std::int64_t kMaxPriority = 1000;
constexpr std::int64_t kMaxStepPercent = 90;

// The actions as written: the ladder that was valid, and whether "throttle" was written at all,
// in order or not, since a throttle setting's use depends on that and not on the order, which has
// a problem of its own.
struct WrittenActions {
  std::vector<Located<WorkloadAction>> ladder;
  bool readable = false;  // an array: false when absent or of another type
  bool names_throttle = false;
};

// A subset of the ladder, each rung at most once and in the ladder's order.
WrittenActions readActions(const TableReader& reader) {
  WrittenActions written;
  const auto texts = reader.strings("actions");
  if (!texts) return written;
  written.readable = true;
  auto& actions = written.ladder;
  const std::string path = reader.keyPath("actions");
  for (const auto& text : *texts) {
    const auto action = workloadActionFromString(text.value);
    if (!action) {
      reader.problems().push_back(Problem{
          text.where, path + ": \"" + text.value + "\" is not an action (" + workloadActionNames() + ")"});
      continue;
    }
    if (*action == WorkloadAction::kThrottle) written.names_throttle = true;
    if (!actions.empty() && *action <= actions.back().value) {
      reader.problems().push_back(
          Problem{text.where, path + ": \"" + text.value + "\" " +
                                  (*action == actions.back().value ? "is listed twice" : "is out of order") +
                                  "; the ladder is " + workloadActionNames()});
      continue;
    }
    actions.push_back(Located<WorkloadAction>{*action, text.where});
  }
  return written;
}

// The throttle acts on the units whose processes it counts (services, scopes), never on a slice,
// and a workload is matched against those units by name, so a slice reaches none of them.
void reportSlice(const TableReader& reader, const UnitPattern& unit) {
  const std::string quoted = "\"" + unit.pattern + "\"";
  const std::string what = unit.is_glob ? quoted + " matches only slices" : quoted + " is a slice";
  reader.problems().push_back(
      Problem{unit.where, reader.keyPath("unit") + ": " + what +
                              "; slices are never acted on, and a workload does not reach the units in "
                              "one: name its services or scopes instead"});
}

std::optional<Workload> readWorkload(const TableReader& reader, std::size_t index) {
  reader.rejectUnknownKeys(
      {"unit", "priority", "protected", "actions", "throttle_memory_high_mib", "throttle_step_percent"});
  Workload workload;
  workload.where = reader.where();
  workload.index = index;
  const auto unit = readUnitPattern(reader, "unit");
  if (!reader.has("unit")) reader.reportMissing("unit");
  if (auto priority = reader.integer("priority", 0, kMaxPriority)) workload.priority = *priority;
  if (auto is_protected = reader.boolean("protected")) workload.is_protected = *is_protected;
  const WrittenActions actions = readActions(reader);
  workload.actions = actions.ladder;
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
  // Actions of another type are already a problem: whether they name throttle is unknown.
  const bool without_throttle = !reader.has("actions") || (actions.readable && !actions.names_throttle);
  for (const auto key : {"throttle_memory_high_mib", "throttle_step_percent"}) {
    if (reader.has(key) && without_throttle) {
      reader.reportAt(key, "has no effect without \"throttle\" in actions");
    }
  }
  if (!unit) return std::nullopt;
  if (unit->pattern.ends_with(".slice")) {  // a glob's type suffix is literal (unitPatternError)
    reportSlice(reader, *unit);
    return std::nullopt;
  }
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
    if (auto workload = readWorkload(TableReader(*table, path, problems), i)) {
      result.push_back(std::move(*workload));
    }
  }
  return result;
}

}  // namespace jmem::policy::detail
