#pragma once

// Internal to the policy library: bounds on how deep a policy's text nests, checked before toml++
// sees it. toml++ 3.3 recurses once per part of a dotted key and per nested table, so a header of
// ~31,000 dotted keys (a 100 KB file) overflows the stack; a policy needs three levels at most.

#include <cstddef>
#include <optional>
#include <string_view>

#include "policy/problem.h"

namespace jmem::policy::detail {

// Parts of one dotted key, in a table header or before '=' ("boot.swiotlb.slabs" has 3).
inline constexpr std::size_t kMaxKeyParts = 16;
// Arrays and inline tables open at once, table headers' brackets included.
inline constexpr std::size_t kMaxNesting = 16;

// The first place where `text` goes past either bound, as a problem in `source_name`; nullopt
// when it stays within both. A lexical scan only (strings and comments are skipped, since brackets
// and dots in them nest nothing): whether the text is valid TOML is left to the parser. Linear.
std::optional<Problem> nestingProblem(std::string_view text, std::string_view source_name);

}  // namespace jmem::policy::detail
