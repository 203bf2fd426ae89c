#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "policy/parser.h"

namespace jmem::test {

// A policy written inline in a test; its problems are shown when it does not parse.
inline policy::Policy parsePolicyOrFail(const std::string& text) {
  auto loaded = policy::parsePolicyText(text, "test.toml");
  if (!loaded.policy) {
    for (const auto& problem : loaded.problems) UNSCOPED_INFO(policy::formatProblem(problem));
  }
  REQUIRE(loaded.policy);
  return *loaded.policy;
}

}  // namespace jmem::test
