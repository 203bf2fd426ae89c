#include "policy/merge.h"

#include <algorithm>
#include <type_traits>

namespace jmem::policy::detail {
namespace {

bool sameValue(const toml::node& a, const toml::node& b) {
  if (a.type() != b.type()) return false;
  return a.visit([&b](const auto& concrete) {
    using Concrete = std::remove_cvref_t<decltype(concrete)>;
    return concrete == *b.as<Concrete>();
  });
}

void appendNew(toml::array& base, toml::array&& later) {
  for (auto& item : later) {
    const bool present = std::any_of(base.begin(), base.end(),
                                     [&](const toml::node& earlier) { return sameValue(earlier, item); });
    if (!present) base.push_back(std::move(item));
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
