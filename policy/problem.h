#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/policy.h"

namespace jmem::policy {

// One thing wrong with a policy, at the place it was written.
struct Problem {
  SourceLocation where;
  std::string message;
};

using Problems = std::vector<Problem>;

// "FILE:LINE:COLUMN", or "FILE" for a whole file (line 0). The file name is made terminal-safe.
std::string formatLocation(const SourceLocation& where);

// "FILE:LINE:COLUMN: message"; "FILE: message" for a problem with a whole file. File names and
// messages quote what the policy's author wrote, so both are made terminal-safe (core/text.h): the
// result is one line that is safe to print, whatever the file held or was named.
std::string formatProblem(const Problem& problem);

// Orders problems as a reader meets them: by file (in `file_order`, others after), then line and
// column. Problems at the same place keep their order.
void sortByPlace(Problems& problems, const std::vector<std::string>& file_order);

// Either a policy and no problems, or every problem found and no policy: a policy with any problem
// is never returned, so a caller keeps the one it runs.
struct LoadResult {
  std::optional<Policy> policy;
  Problems problems;
  // Remarks that do not make the policy invalid: an untrusted file, when the caller asked only to
  // hear of it (PolicyFiles::Untrusted::kNote).
  Problems notes;
  // Settings that are valid but will never be used (a workload's stop rung while allow_stop is
  // false): they do not make the policy invalid either. Each message starts with "warning: ".
  Problems warnings;
  // What was read, in the order merged: the main file (or the built-in default's name), then the
  // drop-ins.
  std::vector<std::string> files{};
};

}  // namespace jmem::policy
