#pragma once

// Internal to the policy library: how a drop-in changes the policy before it.

#include <toml++/toml.h>

namespace jmem::policy::detail {

// Merges `later` into `base`:
// - tables merge key by key, recursively;
// - an inline table (swiotlb = { slabs = 65536 }) is one value and replaces what was there;
// - arrays append the later elements, leaving out any equal to one already present (the first
//   position is kept);
// - any other value, or a value of another type, replaces the earlier one.
// Nodes are moved, not copied: toml++ keeps a node's source only on move, and each item must still
// name the file it came from.
void mergeInto(toml::table& base, toml::table&& later);

}  // namespace jmem::policy::detail
