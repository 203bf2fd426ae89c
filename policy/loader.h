#pragma once

#include <filesystem>

#include "policy/problem.h"

namespace jmem::policy {

// Where the policy lives. The drop-ins (*.toml, lexical order) are merged after the main file:
// tables merge key by key, a later scalar or inline table replaces the earlier one, and arrays
// append (an element equal to an earlier one is left out). See policy/README.md.
struct PolicyFiles {
  std::filesystem::path main = "/etc/jmem/policy.toml";
  std::filesystem::path dropin_dir = "/etc/jmem/policy.d";  // empty: no drop-ins
  // A missing main file is the built-in default unless the caller named the file itself
  // (`--policy PATH`, `jmemctl validate FILE`): then it is a problem.
  bool main_required = false;
};

// Reads, merges and validates. A present main file replaces the built-in default entirely; a
// missing drop-in directory is no drop-ins. Every problem in every file is reported at once.
// Never throws.
LoadResult loadPolicy(const PolicyFiles& files);

}  // namespace jmem::policy
