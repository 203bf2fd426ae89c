#pragma once

// Internal to the policy library: the unit patterns of one list, indexed so that finding those
// that overlap another pattern costs a hash lookup plus one match per glob, not a pass over the
// list. Validation stays linear in the size of the policy (a keep list of 60,000 names was
// quadratic: 12 s).

#include <cstddef>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/policy.h"

namespace jmem::policy::detail {

// The most globs one policy may hold: each glob is matched against every name of a list, so
// their number bounds the cost of validation. A policy needs a handful.
inline constexpr std::size_t kMaxUnitGlobs = 256;

class PatternIndex {
 public:
  // `patterns` must outlive the index.
  explicit PatternIndex(const std::vector<const UnitPattern*>& patterns);

  // The positions in the list of the patterns that overlap `pattern` (unitPatternsOverlap), ascending.
  std::vector<std::size_t> overlapping(const UnitPattern& pattern) const;

  // The position of the first pattern written exactly as `text`, or the list's size.
  std::size_t firstWritten(std::string_view text) const;

 private:
  std::vector<const UnitPattern*> patterns_;
  std::unordered_map<std::string_view, std::vector<std::size_t>> by_text_;
  std::vector<std::size_t> names_;
  std::vector<std::size_t> globs_;
};

// Pointers to each pattern of `list`, for an index over it.
std::vector<const UnitPattern*> pointersTo(const std::vector<UnitPattern>& list);

}  // namespace jmem::policy::detail
