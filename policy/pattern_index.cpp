#include "policy/pattern_index.h"

#include <algorithm>

#include "policy/unit_pattern.h"

namespace jmem::policy::detail {

PatternIndex::PatternIndex(const std::vector<const UnitPattern*>& patterns) : patterns_(patterns) {
  by_text_.reserve(patterns_.size());
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    by_text_[patterns_[i]->pattern].push_back(i);
    (patterns_[i]->is_glob ? globs_ : names_).push_back(i);
  }
}

std::vector<std::size_t> PatternIndex::overlapping(const UnitPattern& pattern) const {
  std::vector<std::size_t> found;
  if (const auto same = by_text_.find(pattern.pattern); same != by_text_.end()) found = same->second;
  // Two different globs never overlap (unitPatternsOverlap); a glob's text is never a name's.
  if (pattern.is_glob) {
    for (const std::size_t i : names_) {
      if (unitPatternMatches(pattern, patterns_[i]->pattern)) found.push_back(i);
    }
  } else {
    for (const std::size_t i : globs_) {
      if (patterns_[i]->pattern != pattern.pattern && unitPatternMatches(*patterns_[i], pattern.pattern)) {
        found.push_back(i);
      }
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::size_t PatternIndex::firstWritten(std::string_view text) const {
  const auto same = by_text_.find(text);
  return same == by_text_.end() ? patterns_.size() : same->second.front();
}

std::vector<const UnitPattern*> pointersTo(const std::vector<UnitPattern>& list) {
  std::vector<const UnitPattern*> pointers;
  pointers.reserve(list.size());
  for (const auto& pattern : list) pointers.push_back(&pattern);
  return pointers;
}

}  // namespace jmem::policy::detail
