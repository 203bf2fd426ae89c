// Fuzzes parsePolicyText() with arbitrary text (policy files and drop-ins are written by people, and
// a policy path may be pointed at anything): it must never crash, whatever the nesting, and must
// return either a policy or problems. Every problem must print as one terminal-safe line.

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/text.h"
#include "fuzz_checks.h"
#include "policy/parser.h"

using jmem::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = jmem::fuzz::asText(data, size);
  // The file name is hostile too: the first line of the input, so that it mutates with the rest.
  const std::string source(text.substr(0, std::min<std::size_t>(text.find('\n'), 64)));
  const auto result = jmem::policy::parsePolicyText(text, source);
  require(result.policy.has_value() != !result.problems.empty());
  for (const auto& problem : result.problems) {
    const std::string line = jmem::policy::formatProblem(problem);
    require(line.find('\n') == std::string::npos);
    require(jmem::fuzz::isCleanText(line));
    require(jmem::terminalSafe(line) == line);  // no bidi or zero-width character either
  }
  return 0;
}
