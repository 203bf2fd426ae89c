#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "policy/policy.h"

namespace jmem::policy {

// The effective policy in the file's own vocabulary: the same snake_case keys and values, with
// every default filled in. For `jmemd --check-config --json` and the bus. Locations are left out.
nlohmann::ordered_json policyToJson(const Policy& policy);

// A fingerprint of the effective policy, 16 hex digits (FNV-1a, 64 bits, of policyToJson): equal
// policies give equal fingerprints whatever their files' comments, order or split into drop-ins,
// so that a fleet can group its devices by the policy they run. Not a security checksum.
std::string policyFingerprint(const Policy& policy);

}  // namespace jmem::policy
