#pragma once

#include <nlohmann/json.hpp>

#include "policy/policy.h"

namespace jmem::policy {

// The effective policy in the file's own vocabulary: the same snake_case keys and values, with
// every default filled in. For `jmemd --check-config --json` and the bus. Locations are left out.
nlohmann::ordered_json policyToJson(const Policy& policy);

}  // namespace jmem::policy
