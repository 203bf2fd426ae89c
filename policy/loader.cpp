#include "policy/loader.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <system_error>
#include <vector>

#include "core/file_reader.h"
#include "policy/builtin.h"
#include "policy/document.h"
#include "policy/merge.h"
#include "policy/sections.h"

namespace jmem::policy {
namespace {

constexpr std::size_t kMaxPolicyFileBytes = 1 << 20;

void reportFile(Problems& problems, const std::filesystem::path& path, std::string message) {
  problems.push_back(Problem{SourceLocation{path.string(), 0, 0}, std::move(message)});
}

bool isMissing(const std::filesystem::path& path) {
  std::error_code ignored;
  return std::filesystem::status(path, ignored).type() == std::filesystem::file_type::not_found;
}

// The file's text, or nullopt with a problem naming the file.
std::optional<std::string> readPolicyFile(const std::filesystem::path& path, Problems& problems) {
  std::error_code error;
  const auto type = std::filesystem::status(path, error).type();
  // A FIFO would block the reader, a directory cannot be a policy.
  if (!error && type != std::filesystem::file_type::regular) {
    reportFile(problems, path, "Failed to read the file: not a regular file");
    return std::nullopt;
  }
  auto text = readWholeFile(path, kMaxPolicyFileBytes);
  if (!text) {
    const int errno_value = text.error().errno_value;
    reportFile(problems, path,
               "Failed to read the file: " +
                   (errno_value != 0 ? std::string(std::strerror(errno_value))
                                     : "larger than " + std::to_string(kMaxPolicyFileBytes) + " bytes"));
    return std::nullopt;
  }
  return std::move(*text);
}

// The drop-ins, in lexical (byte) order of their names. A missing directory has none.
std::vector<std::filesystem::path> listDropins(const std::filesystem::path& dir, Problems& problems) {
  std::vector<std::filesystem::path> paths;
  if (dir.empty()) return paths;
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
  std::sort(paths.begin(), paths.end(),
            [](const auto& a, const auto& b) { return a.filename().string() < b.filename().string(); });
  return paths;
}

LoadResult load(const PolicyFiles& files) {
  LoadResult result;
  Problems& problems = result.problems;
  // A file that cannot be read or parsed is left out and the rest still checked, so that one run
  // shows every problem (a key only the broken file supplied may then be reported missing too).
  toml::table merged;
  std::vector<std::string> file_order{files.main.string(), std::string(kBuiltInSourceName)};
  if (isMissing(files.main) && !files.main_required) {
    if (auto document = detail::parseDocument(builtInPolicyText(), kBuiltInSourceName, problems)) {
      merged = std::move(*document);
    }
  } else if (auto text = readPolicyFile(files.main, problems)) {
    if (auto document = detail::parseDocument(*text, files.main.string(), problems)) {
      merged = std::move(*document);
    }
  }
  const auto dropins = listDropins(files.dropin_dir, problems);
  file_order.push_back(files.dropin_dir.string());
  for (const auto& path : dropins) file_order.push_back(path.string());
  for (const auto& path : dropins) {
    const auto text = readPolicyFile(path, problems);
    if (!text) continue;
    if (auto document = detail::parseDocument(*text, path.string(), problems)) {
      detail::mergeInto(merged, std::move(*document));
    }
  }
  auto policy = detail::policyFromDocument(merged, problems);
  sortByPlace(problems, file_order);
  if (problems.empty()) result.policy = std::move(policy);
  return result;
}

}  // namespace

LoadResult loadPolicy(const PolicyFiles& files) {
  try {
    return load(files);
  } catch (const std::exception& error) {  // allocation failure: still an answer, not an escape
    return LoadResult{std::nullopt, {Problem{SourceLocation{files.main.string(), 0, 0}, error.what()}}};
  }
}

}  // namespace jmem::policy
