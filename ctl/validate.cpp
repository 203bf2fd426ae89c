// jmemctl validate: the verdict jmemd would give on policy files, without a daemon. Problems,
// warnings and notes go to stderr as FILE:LINE:COLUMN lines; the files found valid to stdout.
#include <iostream>
#include <set>

#include "core/text.h"
#include "ctl/options.h"
#include "policy/validate_files.h"

namespace jmem::ctl {
namespace {

void printAll(const policy::Problems& lines) {
  for (const auto& line : lines) std::cerr << policy::formatProblem(line) << '\n';
}

// Each file on its own, exactly as jmemd would read it with --policy.
bool validateMain(const std::string& file) {
  const auto loaded = policy::validateMainPolicy(file);
  printAll(loaded.problems);
  printAll(loaded.warnings);
  printAll(loaded.notes);
  if (loaded.policy) std::cout << terminalSafe(file) << ": valid\n";
  return loaded.policy.has_value();
}

// The base's own problems first, said to be the base's, then those the drop-ins bring.
bool validateDropins(const CtlOptions& options, const std::vector<std::string>& dropins) {
  policy::DropinSet set;
  set.dropins.assign(dropins.begin(), dropins.end());
  if (options.builtin_base) set.base.clear();
  if (!options.base.empty()) {
    set.base = options.base;
    set.base_required = true;
  }
  const auto verdict = policy::validateDropins(set);
  const std::string base = terminalSafe(verdict.base_name);
  std::set<std::string> printed;
  for (const auto& problem : verdict.base_problems) {
    if (printed.insert(policy::formatProblem(problem)).second)
      std::cerr << policy::formatProblem(problem) << '\n';
  }
  if (!printed.empty()) {
    std::cerr << base << ": the base policy has " << printed.size()
              << (printed.size() == 1 ? " problem" : " problems")
              << " of its own, above; the drop-ins are checked merged onto it, as jmemd would read them\n";
  }
  for (const auto& problem : verdict.merged.problems) {
    if (!printed.contains(policy::formatProblem(problem)))
      std::cerr << policy::formatProblem(problem) << '\n';
  }
  printAll(verdict.merged.warnings);
  printAll(verdict.merged.notes);
  if (!verdict.merged.policy) return false;
  const std::size_t count = verdict.in_order.size();
  for (std::size_t i = 0; i < count; ++i) {
    const std::string place =
        count == 1 ? "" : "drop-in " + std::to_string(i + 1) + " of " + std::to_string(count) + " by name, ";
    std::cout << terminalSafe(verdict.in_order[i].string()) << ": valid (" << place << "merged onto " << base
              << ")\n";
  }
  return true;
}

}  // namespace

int validate(const CtlOptions& options) {
  bool valid = true;
  std::vector<std::string> dropins = options.dropins;
  for (const std::string& file : options.files) {
    if (policy::isInDropinDirectory(file)) {
      dropins.push_back(file);
    } else {
      valid = validateMain(file) && valid;
    }
  }
  if (!dropins.empty()) valid = validateDropins(options, dropins) && valid;
  return valid ? kExitOk : kExitDrift;
}

}  // namespace jmem::ctl
