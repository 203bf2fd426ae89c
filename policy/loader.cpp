#include "policy/loader.h"

#include <algorithm>
#include <exception>
#include <system_error>
#include <vector>

#include "policy/builtin.h"
#include "policy/document.h"
#include "policy/merge.h"
#include "policy/policy_file.h"
#include "policy/sections.h"

namespace jmem::policy {
namespace {

void reportFile(Problems& problems, const std::filesystem::path& path, std::string message) {
  problems.push_back(Problem{SourceLocation{path.string(), 0, 0}, std::move(message)});
}

bool isMissing(const std::filesystem::path& path) {
  std::error_code ignored;
  return std::filesystem::status(path, ignored).type() == std::filesystem::file_type::not_found;
}

bool refuses(const PolicyFiles& files) {
  return files.untrusted == PolicyFiles::Untrusted::kRefuse;
}

void noteUntrusted(LoadResult& result, const std::filesystem::path& path,
                   const detail::OpenedPolicyFile& opened) {
  if (!opened.untrusted) return;
  result.notes.push_back(
      Problem{SourceLocation{path.string(), 0, 0}, "note: jmemd would refuse it: " + *opened.untrusted});
}

// The file's text, or nullopt with a problem naming the file.
std::optional<std::string> readFile(const std::filesystem::path& path, const PolicyFiles& files,
                                    LoadResult& result) {
  auto opened = detail::readPolicyFile(path, refuses(files));
  if (!opened) {
    reportFile(result.problems, path, opened.error().message);
    return std::nullopt;
  }
  noteUntrusted(result, path, *opened);
  return std::move(opened->text);
}

// The drop-ins of the directory. A missing directory has none; one that is not a directory, or that
// another user could write to, is a problem and its drop-ins are not read.
std::vector<std::filesystem::path> listDropinDirectory(const PolicyFiles& files, LoadResult& result) {
  Problems& problems = result.problems;
  const auto& dir = files.dropin_dir;
  std::vector<std::filesystem::path> paths;
  if (dir.empty() || isMissing(dir)) return paths;
  const auto checked = detail::checkPolicyDirectory(dir, refuses(files));
  if (!checked) {
    reportFile(problems, dir, checked.error().message);
    return paths;
  }
  noteUntrusted(result, dir, *checked);
  std::error_code error;
  std::filesystem::directory_iterator entries(dir, error);
  if (error == std::errc::no_such_file_or_directory) return paths;
  if (error) {
    reportFile(problems, dir, "Failed to list the drop-in directory: " + error.message());
    return paths;
  }
  for (; entries != std::filesystem::directory_iterator(); entries.increment(error)) {
    const auto& path = entries->path();
    if (path.extension() != ".toml" || entries->is_directory(error)) continue;
    paths.push_back(path);
  }
  if (error) reportFile(problems, dir, "Failed to list the drop-in directory: " + error.message());
  return paths;
}

// The directory's drop-ins and those named one by one, in the order they merge.
std::vector<std::filesystem::path> listDropins(const PolicyFiles& files, LoadResult& result) {
  auto paths = listDropinDirectory(files, result);
  paths.insert(paths.end(), files.dropins.begin(), files.dropins.end());
  sortDropins(paths);
  return paths;
}

LoadResult load(const PolicyFiles& files) {
  LoadResult result;
  Problems& problems = result.problems;
  // A file that cannot be read or parsed is left out and the rest still checked, so that one run
  // shows every problem (a key only the broken file supplied may then be reported missing too).
  toml::table merged;
  std::vector<std::string> file_order{files.main.string(), std::string(kBuiltInSourceName)};
  if (files.main.empty() || (isMissing(files.main) && !files.main_required)) {
    result.files.emplace_back(kBuiltInSourceName);
    if (auto document = detail::parseDocument(builtInPolicyText(), kBuiltInSourceName, problems)) {
      merged = std::move(*document);
    }
  } else if (result.files.push_back(files.main.string()); auto text = readFile(files.main, files, result)) {
    if (auto document = detail::parseDocument(*text, files.main.string(), problems)) {
      merged = std::move(*document);
    }
  }
  const auto dropins = listDropins(files, result);
  file_order.push_back(files.dropin_dir.string());
  for (const auto& path : dropins) file_order.push_back(path.string());
  for (const auto& path : dropins) {
    result.files.push_back(path.string());
    const auto text = readFile(path, files, result);
    if (!text) continue;
    if (auto document = detail::parseDocument(*text, path.string(), problems)) {
      detail::mergeInto(merged, std::move(*document));
    }
  }
  auto policy = detail::policyFromDocument(merged, problems, result.warnings);
  sortByPlace(problems, file_order);
  sortByPlace(result.warnings, file_order);
  sortByPlace(result.notes, file_order);
  if (problems.empty()) result.policy = std::move(policy);
  return result;
}

}  // namespace

void sortDropins(std::vector<std::filesystem::path>& paths) {
  std::stable_sort(paths.begin(), paths.end(), [](const auto& a, const auto& b) {
    return a.filename().string() < b.filename().string();
  });
}

LoadResult loadPolicy(const PolicyFiles& files) {
  try {
    return load(files);
  } catch (const std::exception& error) {  // allocation failure: still an answer, not an escape
    LoadResult failed;
    failed.problems.push_back(Problem{SourceLocation{files.main.string(), 0, 0}, error.what()});
    return failed;
  }
}

}  // namespace jmem::policy
