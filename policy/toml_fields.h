#pragma once

// Internal to the policy library: typed reading of one TOML table, each problem reported at the
// key or value it is about, and reading goes on after a problem so that all of them are found.

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/policy.h"
#include "policy/problem.h"

namespace jmem::policy::detail {

SourceLocation locationOf(const toml::source_region& region);

// "an integer", "a string", ... for messages.
std::string_view typeName(toml::node_type type);

void report(Problems& problems, const toml::source_region& at, std::string message);

class TableReader {
 public:
  // `path` names the table in messages ("boot.swiotlb"); empty for the document's root.
  TableReader(const toml::table& table, std::string path, Problems& problems);

  const toml::table& table() const { return table_; }
  Problems& problems() const { return problems_; }
  SourceLocation where() const { return locationOf(table_.source()); }
  std::string keyPath(std::string_view key) const;
  bool has(std::string_view key) const { return table_.contains(key); }

  void rejectUnknownKeys(std::initializer_list<std::string_view> known) const;
  void reportMissing(std::string_view key) const;
  // "<path.key>: <message>" at the value of `key`.
  void reportAt(std::string_view key, std::string message) const;

  // Each returns nullopt when the key is absent, or present but of the wrong type or out of range
  // (then with a problem reported).
  std::optional<Located<bool>> boolean(std::string_view key) const;
  std::optional<Located<std::int64_t>> integer(std::string_view key, std::int64_t min,
                                               std::int64_t max) const;
  std::optional<Located<double>> number(std::string_view key, double min, double max) const;  // int or float
  std::optional<Located<std::string>> string(std::string_view key) const;
  const toml::table* subtable(std::string_view key) const;
  const toml::array* array(std::string_view key) const;
  // An array of strings; elements of another type are reported and left out.
  std::optional<std::vector<Located<std::string>>> strings(std::string_view key) const;

 private:
  const toml::node* typed(std::string_view key, toml::node_type type) const;

  const toml::table& table_;
  std::string path_;
  Problems& problems_;
};

// An integer already range-checked to fit T.
template <typename T>
std::optional<Located<T>> narrowed(const std::optional<Located<std::int64_t>>& value) {
  if (!value) return std::nullopt;
  return Located<T>{static_cast<T>(value->value), value->where};
}

}  // namespace jmem::policy::detail
