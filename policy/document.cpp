#include "policy/document.h"

#include "policy/nesting.h"
#include "policy/toml_fields.h"

namespace jmem::policy::detail {

std::optional<toml::table> parseDocument(std::string_view text, std::string_view source_name,
                                         Problems& problems) {
  // toml++ reads a NUL as the end of the text; say plainly that this is not a policy file at all.
  if (text.find('\0') != std::string_view::npos) {
    problems.push_back(
        Problem{SourceLocation{std::string(source_name), 0, 0}, "not a text file (it contains NUL bytes)"});
    return std::nullopt;
  }
  // Before toml++ sees the text: it recurses per dotted key part and per nested table.
  if (auto too_deep = nestingProblem(text, source_name)) {
    problems.push_back(std::move(*too_deep));
    return std::nullopt;
  }
  try {
    return toml::parse(text, std::string(source_name));
  } catch (const toml::parse_error& error) {
    auto where = locationOf(error.source());
    if (where.file.empty()) where.file = std::string(source_name);
    problems.push_back(Problem{std::move(where), std::string(error.description())});
    return std::nullopt;
  }
}

}  // namespace jmem::policy::detail
