#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// An option with a value, which `set` checks and stores; its error names the value. One whose value
// is optional takes it only inline (--json=short) and is given "" alone (--json), as getopt_long's
// optional_argument: the next word stays a word.
template <typename Options>
struct ValueOption {
  std::string_view name;
  std::string_view alias;
  Status (*set)(std::string_view value, Options& options);
  bool value_optional = false;
};

template <typename Option, std::size_t N>
const Option* findOption(const std::array<Option, N>& table, std::string_view name) {
  for (const Option& option : table) {
    if (name == option.name || (!option.alias.empty() && name == option.alias)) return &option;
  }
  return nullptr;
}

// Walks `args` (without argv[0]): a flag or a value option (--name VALUE or --name=VALUE) through its
// row, any other word through `operand(word, literal)`, which returns a Status. After "--" every word
// is an operand, literal: "-" at its start is no option. The first error ends the walk.
template <typename Options, std::size_t F, std::size_t V, typename Operand>
Status parseOptionTable(const std::vector<std::string_view>& args, const std::array<Flag<Options>, F>& flags,
                        const std::array<ValueOption<Options>, V>& value_options, Options& options,
                        Operand&& operand) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      for (++i; i < args.size(); ++i) {
        if (Status taken = operand(args[i], true); !taken) return taken;
      }
      return ok();
    }
    std::string_view name = args[i];
    std::optional<std::string_view> inline_value;
    if (const auto equals = name.find('='); name.starts_with("--") && equals != std::string_view::npos) {
      inline_value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    if (const auto* flag = findOption(flags, name)) {
      if (inline_value) return Error{"Option " + std::string(name) + " takes no value"};
      options.*(flag->member) = true;
    } else if (const auto* option = findOption(value_options, name)) {
      if (!inline_value && option->value_optional) inline_value = std::string_view();
      if (!inline_value && i + 1 >= args.size())
        return Error{"Option " + std::string(name) + " needs a value"};
      if (Status set = option->set(inline_value ? *inline_value : args[++i], options); !set) return set;
    } else if (Status taken = operand(args[i], false); !taken) {
      return taken;
    }
  }
  return ok();
}

}  // namespace jmem
