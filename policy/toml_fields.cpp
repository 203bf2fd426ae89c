#include "policy/toml_fields.h"

#include <algorithm>

#include "core/number_text.h"

namespace jmem::policy::detail {
namespace {}  // namespace

SourceLocation locationOf(const toml::source_region& region) {
  return SourceLocation{region.path ? *region.path : std::string(), region.begin.line, region.begin.column};
}

std::string_view typeName(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

void report(Problems& problems, const toml::source_region& at, std::string message) {
  problems.push_back(Problem{locationOf(at), std::move(message)});
}

TableReader::TableReader(const toml::table& table, std::string path, Problems& problems)
    : table_(table), path_(std::move(path)), problems_(problems) {}

std::string TableReader::keyPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void TableReader::rejectUnknownKeys(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, node] : table_) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    report(problems_, key.source(), "unknown key \"" + keyPath(key.str()) + "\"");
  }
}

void TableReader::reportMissing(std::string_view key) const {
  problems_.push_back(Problem{where(), "missing required key \"" + keyPath(key) + "\""});
}

void TableReader::reportAt(std::string_view key, std::string message) const {
  const toml::node* node = table_.get(key);
  const auto location = node ? locationOf(node->source()) : where();
  problems_.push_back(Problem{location, keyPath(key) + ": " + std::move(message)});
}

const toml::node* TableReader::typed(std::string_view key, toml::node_type type) const {
  const toml::node* node = table_.get(key);
  if (node == nullptr) return nullptr;
  if (node->type() != type) {
    reportAt(key, "expected " + std::string(typeName(type)) + ", got " + std::string(typeName(node->type())));
    return nullptr;
  }
  return node;
}

std::optional<Located<bool>> TableReader::boolean(std::string_view key) const {
  const toml::node* node = typed(key, toml::node_type::boolean);
  if (node == nullptr) return std::nullopt;
  return Located<bool>{node->as_boolean()->get(), locationOf(node->source())};
}

std::optional<Located<std::int64_t>> TableReader::integer(std::string_view key, std::int64_t min,
                                                          std::int64_t max) const {
  const toml::node* node = typed(key, toml::node_type::integer);
  if (node == nullptr) return std::nullopt;
  const std::int64_t value = node->as_integer()->get();
  if (value < min || value > max) {
    reportAt(key, std::to_string(value) + " is out of range (" + std::to_string(min) + ".." +
                      std::to_string(max) + ")");
    return std::nullopt;
  }
  return Located<std::int64_t>{value, locationOf(node->source())};
}

std::optional<Located<double>> TableReader::number(std::string_view key, double min, double max) const {
  const toml::node* node = table_.get(key);
  if (node == nullptr) return std::nullopt;
  double value = 0;
  if (const auto* as_float = node->as_floating_point()) {
    value = as_float->get();
  } else if (const auto* as_integer = node->as_integer()) {
    value = static_cast<double>(as_integer->get());
  } else {
    reportAt(key, "expected a number, got " + std::string(typeName(node->type())));
    return std::nullopt;
  }
  if (!(value >= min && value <= max)) {  // also rejects nan
    reportAt(key, shortestDouble(value) + " is out of range (" + shortestDouble(min) + ".." +
                      shortestDouble(max) + ")");
    return std::nullopt;
  }
  return Located<double>{value, locationOf(node->source())};
}

std::optional<Located<std::string>> TableReader::string(std::string_view key) const {
  const toml::node* node = typed(key, toml::node_type::string);
  if (node == nullptr) return std::nullopt;
  return Located<std::string>{node->as_string()->get(), locationOf(node->source())};
}

const toml::table* TableReader::subtable(std::string_view key) const {
  const toml::node* node = typed(key, toml::node_type::table);
  return node ? node->as_table() : nullptr;
}

const toml::array* TableReader::array(std::string_view key) const {
  const toml::node* node = typed(key, toml::node_type::array);
  return node ? node->as_array() : nullptr;
}

std::optional<std::vector<Located<std::string>>> TableReader::strings(std::string_view key) const {
  const toml::array* items = array(key);
  if (items == nullptr) return std::nullopt;
  std::vector<Located<std::string>> result;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const toml::node& item = *items->get(i);
    if (const auto* text = item.as_string()) {
      result.push_back(Located<std::string>{text->get(), locationOf(item.source())});
      continue;
    }
    report(problems_, item.source(),
           keyPath(key) + "[" + std::to_string(i) + "]: expected a string, got " +
               std::string(typeName(item.type())));
  }
  return result;
}

}  // namespace jmem::policy::detail
