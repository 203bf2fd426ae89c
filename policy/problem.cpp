#include "policy/problem.h"

#include <algorithm>
#include <tuple>

#include "core/text.h"

namespace jmem::policy {

std::string formatLocation(const SourceLocation& where) {
  std::string text = where.file.empty() ? std::string("<unknown>") : terminalSafe(where.file);
  if (where.line > 0) {
    text.append(":").append(std::to_string(where.line));
    text.append(":").append(std::to_string(where.column));
  }
  return text;
}

std::string formatProblem(const Problem& problem) {
  // A message may quote another location (already safe: escaping twice changes nothing).
  return formatLocation(problem.where) + ": " + terminalSafe(problem.message);
}

void sortByPlace(Problems& problems, const std::vector<std::string>& file_order) {
  const auto rank = [&](const Problem& problem) {
    const auto found = std::find(file_order.begin(), file_order.end(), problem.where.file);
    return std::make_tuple(found - file_order.begin(), problem.where.line, problem.where.column);
  };
  std::stable_sort(problems.begin(), problems.end(),
                   [&](const Problem& a, const Problem& b) { return rank(a) < rank(b); });
}

}  // namespace jmem::policy
