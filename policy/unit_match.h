#pragma once

// Which parts of a policy a unit falls under: the answers the controller, the compliance check and
// the throttle journal's reader all ask of a policy by unit name.

#include <string_view>

#include "policy/policy.h"

namespace jmem::policy {

// The workload that governs `unit_name`: the first written with exactly that name, else the first
// whose glob matches it; null when none does. An exact name wins so that one unit can be singled out
// of a glob written before it.
const Workload* workloadFor(const Policy& policy, std::string_view unit_name);

// Whether the keep list names or matches `unit_name`: no class acts on it.
bool isKept(const Policy& policy, std::string_view unit_name);

// Whether any workload marked protected names or matches `unit_name`, governing it or not.
bool isProtected(const Policy& policy, std::string_view unit_name);

}  // namespace jmem::policy
