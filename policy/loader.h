#pragma once

#include <filesystem>
#include <vector>

#include "policy/problem.h"

namespace jmem::policy {

// Where the policy lives. The drop-ins (*.toml, lexical order) are merged after the main file:
// tables merge key by key, a later scalar or inline table replaces the earlier one, and arrays
// append (an element equal to an earlier one is left out). See policy/README.md.
struct PolicyFiles {
  std::filesystem::path main = "/etc/jmem/policy.toml";     // empty: the built-in default
  std::filesystem::path dropin_dir = "/etc/jmem/policy.d";  // empty: no drop-ins
  // A missing main file is the built-in default unless the caller named the file itself
  // (`--policy PATH`, `jmemctl validate FILE`): then it is a problem.
  bool main_required = false;
  // A file or directory that another user could have written (not owned by root or by this
  // process's user, or writable by its group or by everyone): jmemd refuses it, as sshd's
  // StrictModes does; `jmemctl validate`, a linter for files being drafted, only notes it.
  enum class Untrusted { kRefuse, kNote };
  Untrusted untrusted = Untrusted::kRefuse;
  // Drop-ins named one by one (`jmemctl validate`), merged with those of dropin_dir in the same
  // order: by file name, as a directory would hold them.
  std::vector<std::filesystem::path> dropins{};
};

// Drop-ins in the order they merge: by file name, byte by byte, so "10-site.toml" comes before
// "9-local.toml"; two of one name keep the order they came in.
void sortDropins(std::vector<std::filesystem::path>& paths);

// Reads, merges and validates. A present main file replaces the built-in default entirely; a
// missing drop-in directory is no drop-ins. Every problem in every file is reported at once. A path
// that is not a regular file (a FIFO, a device, a directory) is refused by its type without
// blocking. Never throws.
LoadResult loadPolicy(const PolicyFiles& files);

}  // namespace jmem::policy
