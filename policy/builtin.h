#pragma once

#include <string_view>

#include "policy/problem.h"

namespace jmem::policy {

// The file name that locations in the built-in default carry.
inline constexpr std::string_view kBuiltInSourceName = "<built-in>";

// policy/default-policy.toml as it was when the library was built: audit mode and the Jetson
// profile. The same file is shipped as /etc/jmem/policy.toml.
std::string_view builtInPolicyText();

// The built-in default, parsed and validated.
LoadResult builtInPolicy();

}  // namespace jmem::policy
