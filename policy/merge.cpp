#include "policy/merge.h"

#include <algorithm>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

namespace jmem::policy::detail {
namespace {

bool sameValue(const toml::node& a, const toml::node& b) {
  if (a.type() != b.type()) return false;
  return a.visit([&b](const auto& concrete) {
    using Concrete = std::remove_cvref_t<decltype(concrete)>;
    return concrete == *b.as<Concrete>();
  });
}

// Strings (unit names, boot arguments: the long lists) are found by hash, so that a drop-in's list
// costs its length and not its length times the earlier one's; other values are compared in turn.
void appendNew(toml::array& base, toml::array&& later) {
  std::unordered_set<std::string> strings;
  std::vector<const toml::node*> others;
  const auto remember = [&](const toml::node& node) {
    if (const auto* text = node.as_string()) {
      strings.insert(text->get());
    } else {
      others.push_back(&node);
    }
  };
  for (const auto& earlier : base) remember(earlier);
  for (auto& item : later) {
    const bool present =
        item.is_string() ? strings.contains(item.as_string()->get())
                         : std::any_of(others.begin(), others.end(),
                                       [&](const toml::node* earlier) { return sameValue(*earlier, item); });
    if (present) continue;
    base.push_back(std::move(item));
    remember(base.back());
  }
}

}  // namespace

void mergeInto(toml::table& base, toml::table&& later) {
  for (auto&& [key, node] : later) {
    toml::node* earlier = base.get(key.str());
    if (earlier != nullptr) {
      toml::table* later_table = node.as_table();
      if (later_table != nullptr && !later_table->is_inline() && earlier->is_table()) {
        mergeInto(*earlier->as_table(), std::move(*later_table));
        continue;
      }
      if (node.is_array() && earlier->is_array()) {
        appendNew(*earlier->as_array(), std::move(*node.as_array()));
        continue;
      }
    }
    base.insert_or_assign(key, std::move(node));
  }
}

}  // namespace jmem::policy::detail
