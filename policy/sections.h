#pragma once

// Internal to the policy library: one reader per section of the document, and the checks that
// look across sections. Each reports every problem it finds and returns what was valid.

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "policy/policy.h"
#include "policy/problem.h"
#include "policy/toml_fields.h"

namespace jmem::policy::detail {

// The largest size setting in MiB: 1 TiB, far beyond any Jetson; a larger number is a typo.
inline constexpr std::int64_t kMaxMib = std::int64_t{1} << 20;

// An array of unit names or globs under `key`; a name listed twice counts once.
std::vector<UnitPattern> readUnitPatterns(const TableReader& reader, std::string_view key);
// One unit name or glob under `key`.
std::optional<UnitPattern> readUnitPattern(const TableReader& reader, std::string_view key);

std::vector<UnitClass> readClasses(const TableReader& classes);
BootPolicy readBoot(const TableReader& boot);
PressurePolicy readPressure(const TableReader& pressure);
ReclaimPolicy readReclaim(const TableReader& reclaim);
std::vector<Workload> readWorkloads(const toml::array& workloads, Problems& problems);

// Contradictions between items that are each valid: kept units in classes that act on them,
// essential units masked, protected workloads that a workload with actions also matches. Settings
// that are valid but can never take effect go to `warnings`.
void checkContradictions(const Policy& policy, Problems& problems, Problems& warnings);

// The policy a whole (possibly merged) document describes.
Policy policyFromDocument(const toml::table& document, Problems& problems, Problems& warnings);

}  // namespace jmem::policy::detail
