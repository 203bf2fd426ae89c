#include "policy/parser.h"

#include <exception>

#include "policy/document.h"
#include "policy/pattern_index.h"
#include "policy/sections.h"
#include "policy/unit_pattern.h"

namespace jmem::policy {
namespace detail {
namespace {

constexpr std::int64_t kMinSampleIntervalMs = 100;
constexpr std::int64_t kMaxSampleIntervalMs = 60000;

void readDefaultTarget(const TableReader& root, Policy& policy) {
  const auto target = root.string("default_target");
  if (!target) return;
  if (target->value.empty()) return;  // written empty: the default target is left alone
  if (!target->value.ends_with(".target") || isUnitGlob(target->value) || unitPatternError(target->value)) {
    root.reportAt("default_target", "\"" + target->value + "\" is not a valid .target unit name");
    return;
  }
  policy.default_target = *target;
}

// The glob past kMaxUnitGlobs, if the policy has one: keep, classes, then workloads.
const UnitPattern* globPastTheLimit(const Policy& policy) {
  std::size_t globs = 0;
  const auto past = [&globs](const UnitPattern& unit) { return unit.is_glob && ++globs > kMaxUnitGlobs; };
  for (const auto& unit : policy.keep) {
    if (past(unit)) return &unit;
  }
  for (const auto& unit_class : policy.classes) {
    for (const auto& unit : unit_class.units) {
      if (past(unit)) return &unit;
    }
  }
  for (const auto& workload : policy.workloads) {
    if (past(workload.unit)) return &workload.unit;
  }
  return nullptr;
}

}  // namespace

Policy policyFromDocument(const toml::table& document, Problems& problems, Problems& warnings) {
  const TableReader root(document, "", problems);
  root.rejectUnknownKeys({"mode", "sample_interval_ms", "default_target", "keep", "classes", "boot",
                          "pressure", "reclaim", "workloads"});
  Policy policy;
  if (auto mode = root.string("mode")) {
    if (auto parsed = modeFromString(mode->value)) {
      policy.mode = {*parsed, mode->where};
    } else {
      root.reportAt("mode", "\"" + mode->value + "\" is not a mode (audit, enforce)");
    }
  }
  if (auto interval = root.integer("sample_interval_ms", kMinSampleIntervalMs, kMaxSampleIntervalMs)) {
    policy.sample_interval = {std::chrono::milliseconds{interval->value}, interval->where};
  }
  readDefaultTarget(root, policy);
  policy.keep = readUnitPatterns(root, "keep");
  if (const toml::table* classes = root.subtable("classes")) {
    policy.classes = readClasses(TableReader(*classes, "classes", problems));
  }
  if (const toml::table* boot = root.subtable("boot")) {
    policy.boot = readBoot(TableReader(*boot, "boot", problems));
  }
  if (const toml::table* pressure = root.subtable("pressure")) {
    policy.pressure = readPressure(TableReader(*pressure, "pressure", problems));
  }
  if (const toml::table* reclaim = root.subtable("reclaim")) {
    policy.reclaim = readReclaim(TableReader(*reclaim, "reclaim", problems));
  }
  if (const toml::array* workloads = root.array("workloads")) {
    policy.workloads = readWorkloads(*workloads, problems);
  }
  // Each glob is matched against whole lists: their number bounds the cost of the checks.
  if (const UnitPattern* glob = globPastTheLimit(policy)) {
    problems.push_back(Problem{
        glob->where, "\"" + glob->pattern + "\" is glob number " + std::to_string(kMaxUnitGlobs + 1) +
                         ": a policy holds at most " + std::to_string(kMaxUnitGlobs) + " unit globs"});
    return policy;
  }
  checkContradictions(policy, problems, warnings);
  return policy;
}

}  // namespace detail

LoadResult parsePolicyText(std::string_view toml_text, std::string_view source_name) {
  LoadResult result;
  try {
    const auto document = detail::parseDocument(toml_text, source_name, result.problems);
    if (!document) return result;
    auto policy = detail::policyFromDocument(*document, result.problems, result.warnings);
    sortByPlace(result.problems, {std::string(source_name)});
    sortByPlace(result.warnings, {std::string(source_name)});
    if (result.problems.empty()) result.policy = std::move(policy);
  } catch (const std::exception& error) {  // allocation failure: still an answer, not an escape
    result.policy.reset();
    result.problems.push_back(Problem{SourceLocation{std::string(source_name), 0, 0}, error.what()});
  }
  return result;
}

}  // namespace jmem::policy
