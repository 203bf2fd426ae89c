#pragma once

#include <string_view>

#include "policy/problem.h"

namespace jmem::policy {

// Parses and validates one complete policy. `source_name` is the file name that locations carry.
// Pure: no file is read. Never throws; every problem is in the result.
LoadResult parsePolicyText(std::string_view toml_text, std::string_view source_name);

}  // namespace jmem::policy
