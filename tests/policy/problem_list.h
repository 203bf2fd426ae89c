#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "policy/parser.h"

namespace jmem::policy::test {

// Every problem of `result` as "FILE:LINE:COLUMN: message".
inline std::vector<std::string> formatted(const LoadResult& result) {
  std::vector<std::string> lines;
  for (const auto& problem : result.problems) lines.push_back(formatProblem(problem));
  return lines;
}

// The problems of a policy written as `text` in a file named "test.toml".
inline std::vector<std::string> problemsIn(std::string_view text) {
  return formatted(parsePolicyText(text, "test.toml"));
}

}  // namespace jmem::policy::test

namespace Catch {
template <>
struct StringMaker<jmem::policy::SourceLocation> {
  static std::string convert(const jmem::policy::SourceLocation& where) {
    return jmem::policy::formatLocation(where);
  }
};
}  // namespace Catch
