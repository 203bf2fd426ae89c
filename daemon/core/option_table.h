#pragma once

#include <array>
#include <cstddef>
#include <string_view>

#include "core/result.h"

// Command-line options as tables, one row per option, so that adding an option is adding a row and
// the parser's loop stays the same.
namespace jmem {

// An option without a value: it sets one flag of Options.
template <typename Options>
struct Flag {
  std::string_view name;
  std::string_view alias;  // a short form ("-h"), or empty
  bool Options::*member;
};

// An option with a value, which `set` checks and stores; its error names the value.
template <typename Options>
struct ValueOption {
  std::string_view name;
  std::string_view alias;
  Status (*set)(std::string_view value, Options& options);
};

template <typename Option, std::size_t N>
const Option* findOption(const std::array<Option, N>& table, std::string_view name) {
  for (const Option& option : table) {
    if (name == option.name || (!option.alias.empty() && name == option.alias)) return &option;
  }
  return nullptr;
}

}  // namespace jmem
