#include "policy/validate_files.h"

#include <system_error>
#include <unordered_map>

#include "policy/builtin.h"
#include "policy/loader.h"

namespace jmem::policy {
namespace {

// That jmemd would refuse a file's owner or mode is said, but is no reason to fail: jmemd, which
// reads the file as root, is where it is enforced.
PolicyFiles linted(const std::filesystem::path& main, bool main_required) {
  PolicyFiles files;
  files.main = main;
  files.dropin_dir.clear();
  files.main_required = main_required;
  files.untrusted = PolicyFiles::Untrusted::kNote;
  return files;
}

// The base jmemd would read: the file where it exists or was required, else the built-in default.
bool baseIsFile(const DropinSet& set) {
  if (set.base.empty()) return false;
  std::error_code ignored;
  return set.base_required ||
         std::filesystem::status(set.base, ignored).type() != std::filesystem::file_type::not_found;
}

void reportSameNames(const std::vector<std::filesystem::path>& in_order, Problems& problems) {
  std::unordered_map<std::string, const std::filesystem::path*> first_of;
  for (const auto& path : in_order) {
    const auto [first, added] = first_of.try_emplace(path.filename().string(), &path);
    if (added) continue;
    problems.push_back(Problem{SourceLocation{path.string(), 0, 0},
                               "a second drop-in named " + path.filename().string() + " (the first: " +
                                   first->second->string() + "); policy.d holds one file of a name"});
  }
}

}  // namespace

bool isInDropinDirectory(const std::filesystem::path& file) {
  std::error_code ignored;
  const auto absolute = std::filesystem::absolute(file, ignored);
  return (absolute.empty() ? file : absolute).parent_path().filename() == "policy.d";
}

LoadResult validateMainPolicy(const std::filesystem::path& file) {
  return loadPolicy(linted(file, true));
}

DropinVerdict validateDropins(const DropinSet& set) {
  DropinVerdict verdict;
  const bool base_is_file = baseIsFile(set);
  verdict.base_name = base_is_file ? set.base.string() : std::string(kBuiltInSourceName);
  verdict.in_order = set.dropins;
  sortDropins(verdict.in_order);

  PolicyFiles files = linted(base_is_file ? set.base : std::filesystem::path(), set.base_required);
  if (base_is_file) verdict.base_problems = loadPolicy(files).problems;
  files.dropins = set.dropins;
  verdict.merged = loadPolicy(files);
  reportSameNames(verdict.in_order, verdict.merged.problems);
  if (!verdict.merged.problems.empty()) verdict.merged.policy.reset();
  return verdict;
}

}  // namespace jmem::policy
