#pragma once

// Internal to the policy library: one file's text as a TOML document.

#include <toml++/toml.h>

#include <optional>
#include <string_view>

#include "policy/problem.h"

namespace jmem::policy::detail {

// The document in `text`, or nullopt with the syntax problem reported (toml++ stops at the first).
// Every node remembers `source_name` as its file.
std::optional<toml::table> parseDocument(std::string_view text, std::string_view source_name,
                                         Problems& problems);

}  // namespace jmem::policy::detail
