#include "ctl/options.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/clock.h"
#include "core/option_table.h"
#include "core/text.h"
#include "ctl/time_spec.h"
#include "ctl/verbs.h"
#include "sources/cgroup_unit.h"

namespace jmem::ctl {
namespace {

using CtlFlag = Flag<CtlOptions>;
using CtlValueOption = ValueOption<CtlOptions>;

constexpr std::array kFlags{
    CtlFlag{"--no-pager", "", &CtlOptions::no_pager},
    CtlFlag{"--no-legend", "", &CtlOptions::no_legend},
    CtlFlag{"--help", "-h", &CtlOptions::help},
    CtlFlag{"--version", "", &CtlOptions::version},
    CtlFlag{"--units", "", &CtlOptions::units},
    CtlFlag{"--builtin-base", "", &CtlOptions::builtin_base},
    CtlFlag{"--drop-in", "", &CtlOptions::drop_in},  // the files after it are drop-ins
    CtlFlag{"--full", "", &CtlOptions::full},
    CtlFlag{"--batch", "-b", &CtlOptions::batch},
};

Status setJson(std::string_view value, CtlOptions& options) {
  if (value != "" && value != "pretty" && value != "short")
    return Error{"Invalid JSON format \"" + sanitizeName(value) + "\": expected pretty or short"};
  options.json = true;
  options.json_short = value == "short";
  return ok();
}

Status setLimit(std::string_view value, CtlOptions& options) {
  const auto rows = parseUnsigned(value);
  if (!rows || *rows > kMaxListLimit)
    return Error{"Invalid row count \"" + sanitizeName(value) + "\": expected 0 to " +
                 std::to_string(kMaxListLimit)};
  options.limit = static_cast<std::uint32_t>(*rows);
  options.limit_given = true;
  return ok();
}

Status setIterations(std::string_view value, CtlOptions& options) {
  const auto count = parseUnsigned(value);
  if (!count || *count > 1000000)
    return Error{"Invalid iteration count \"" + sanitizeName(value) +
                 "\": expected 0 (until interrupted) to 1000000"};
  options.iterations = static_cast<std::uint32_t>(*count);
  return ok();
}

Status setSort(std::string_view value, CtlOptions& options) {
  auto key = parseSortKey(value);
  if (!key) return key.error();
  options.sort = *key;
  return ok();
}

Status setBase(std::string_view value, CtlOptions& options) {
  if (value.empty()) return Error{"Option --base needs a FILE"};
  options.base = std::string(value);
  return ok();
}

Status setSince(std::string_view value, CtlOptions& options) {
  auto since = parseSince(value, realtimeUsec());
  if (!since) return since.error();
  options.since_usec = *since;
  return ok();
}

Status setUnit(std::string_view value, CtlOptions& options) {
  if (!isValidUnitName(value)) return Error{"Invalid unit name \"" + sanitizeName(value) + "\""};
  options.log_unit = std::string(value);
  return ok();
}

Status setRoomFor(std::string_view value, CtlOptions& options) {
  if (!isValidUnitName(value)) return Error{"Invalid unit name \"" + sanitizeName(value) + "\""};
  options.room_for = std::string(value);
  options.room_option = true;
  return ok();
}

Status setSeconds(std::string_view value, std::uint32_t low, std::uint32_t high, const char* what,
                  std::uint32_t& into) {
  const auto seconds = parseUnsigned(value);
  if (!seconds || *seconds < low || *seconds > high)
    return Error{"Invalid " + std::string(what) + " \"" + sanitizeName(value) + "\": expected " +
                 std::to_string(low) + " to " + std::to_string(high) + " seconds"};
  into = static_cast<std::uint32_t>(*seconds);
  return ok();
}

Status setRoomTimeout(std::string_view value, CtlOptions& options) {
  options.room_option = true;
  return setSeconds(value, 1, 600, "--timeout", options.room_timeout_s);
}

Status setRoomHold(std::string_view value, CtlOptions& options) {
  options.room_option = true;
  return setSeconds(value, 0, 3600, "--hold", options.room_hold_s);
}

constexpr std::array kValueOptions{
    CtlValueOption{"--for", "", &setRoomFor},   CtlValueOption{"--timeout", "", &setRoomTimeout},
    CtlValueOption{"--hold", "", &setRoomHold}, CtlValueOption{"--json", "", &setJson, true},
    CtlValueOption{"--lines", "", &setLimit},   CtlValueOption{"--iterations", "-n", &setIterations},
    CtlValueOption{"--sort", "", &setSort},     CtlValueOption{"--base", "", &setBase},
    CtlValueOption{"--since", "", &setSince},   CtlValueOption{"--unit", "", &setUnit},
};

// A word that is no option: the command, then its files, its unit or the verb it explains. After
// "--" (literal), a word starting with "-" is a file's name.
Status takeOperand(std::string_view arg, bool literal, const VerbEntry*& verb, CtlOptions& options) {
  const bool full = verb && ((verb->operands == Operands::kNone) ||
                             (verb->operands == Operands::kUnit && !options.unit.empty()) ||
                             (verb->operands == Operands::kSize && options.room_bytes != 0) ||
                             (verb->operands == Operands::kVerb && !options.help_verb.empty()));
  if ((arg.starts_with("-") && !literal) || full)
    return Error{"Unknown argument \"" + sanitizeName(arg) + "\"; see jmemctl --help"};
  if (!verb) {
    verb = findVerb(arg);
    if (!verb) return Error{"Unknown command \"" + sanitizeName(arg) + "\"; see jmemctl --help"};
    options.verb = verb->verb;
    if (verb->verb == Verb::kHelp) options.help = true;
  } else if (verb->operands == Operands::kVerb) {
    if (!findVerb(arg)) return Error{"Unknown command \"" + sanitizeName(arg) + "\"; see jmemctl help"};
    options.help_verb = std::string(arg);
  } else if (verb->operands == Operands::kSize) {
    const auto bytes = parseSize(arg);
    if (!bytes || *bytes == 0)
      return Error{"Invalid size \"" + sanitizeName(arg) + "\": expected bytes, or a number with K, M or G"};
    options.room_bytes = *bytes;
  } else if (verb->operands == Operands::kFiles) {
    (options.drop_in ? options.dropins : options.files).emplace_back(arg);
  } else {
    if (!isValidUnitName(arg)) return Error{"Invalid unit name \"" + sanitizeName(arg) + "\""};
    options.unit = std::string(arg);
  }
  return ok();
}

// Options that belong to another command, or that contradict each other.
Status checkCombination(const CtlOptions& options, const VerbEntry* verb) {
  if ((options.drop_in || !options.base.empty() || options.builtin_base) && options.verb != Verb::kValidate)
    return Error{"--drop-in, --base and --builtin-base belong to the validate command"};
  if (!options.base.empty() && options.builtin_base)
    return Error{"Give --base FILE or --builtin-base, not both"};
  if (options.verb == Verb::kValidate && options.files.empty() && options.dropins.empty())
    return Error{"validate needs at least one FILE"};
  if (options.drop_in && options.dropins.empty()) return Error{"--drop-in needs a FILE after it"};
  if (verb && verb->operands == Operands::kUnit && options.unit.empty())
    return Error{std::string(verb->name) + " needs a UNIT"};
  if (verb && verb->operands == Operands::kSize && options.room_bytes == 0)
    return Error{std::string(verb->name) + " needs a SIZE"};
  if (options.room_option && options.verb != Verb::kMakeRoom)
    return Error{"--for, --timeout and --hold belong to the make-room command"};
  const bool top_option =
      options.units || options.sort != SortKey::kCost || options.full || options.batch || options.iterations;
  if (top_option && options.verb != Verb::kTop)
    return Error{"--units, --sort, --full, -b and -n belong to the top command"};
  if (options.limit_given && options.verb != Verb::kTop && options.verb != Verb::kLog)
    return Error{"--lines belongs to the top and log commands"};
  if ((options.since_usec != 0 || !options.log_unit.empty()) && options.verb != Verb::kLog)
    return Error{"--since and --unit belong to the log command"};
  // -n once gave rows: a script's `top -n 5 --json` must not quietly become five documents over time.
  if (options.iterations && options.json && !options.batch)
    return Error{"-n counts snapshots, as top -b -n does: give -b with it, or --lines N for rows"};
  return ok();
}

constexpr const char* kCommonOptions = R"(
Options:
  --json[=pretty|short]  One JSON document with stable keys, indented or on one line (monitor: one
                         per line)
  --no-pager             Do not pipe output into a pager
  --no-legend            Omit column headers and footers
  -h, --help             Show this help (COMMAND --help: that command's)
  --                     The words after it are operands, even those starting with -
)";

}  // namespace

std::optional<std::uint64_t> parseSize(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
    ++digits;
  const std::string_view number = text.substr(0, digits);
  std::string_view unit = text.substr(digits);
  if (number.empty() || number.front() == '.' || number.back() == '.' ||
      std::count(number.begin(), number.end(), '.') > 1)
    return std::nullopt;
  if (unit.ends_with("iB")) unit.remove_suffix(2);
  if (unit.size() == 2 && (unit.back() == 'B' || unit.back() == 'b')) unit.remove_suffix(1);
  int shift = 0;
  if (unit == "K" || unit == "k") {
    shift = 10;
  } else if (unit == "M" || unit == "m") {
    shift = 20;
  } else if (unit == "G" || unit == "g") {
    shift = 30;
  } else if (!unit.empty() && unit != "B") {
    return std::nullopt;
  }
  constexpr std::uint64_t kMaxBytes = 1ULL << 40;
  const auto dot = number.find('.');
  const auto whole = parseUnsigned(number.substr(0, dot));
  if (!whole || *whole > (kMaxBytes >> shift)) return std::nullopt;
  std::uint64_t bytes = *whole << shift;
  if (dot != std::string_view::npos) {
    // No fraction of a byte, and no more digits than a KiB of a GiB can use.
    if (shift == 0 || number.size() - dot - 1 > 6) return std::nullopt;
    std::uint64_t scale = 1;
    std::uint64_t fraction = 0;
    for (const char c : number.substr(dot + 1)) {
      fraction = fraction * 10 + static_cast<std::uint64_t>(c - '0');
      scale *= 10;
    }
    bytes += (fraction << shift) / scale;
  }
  if (bytes > kMaxBytes) return std::nullopt;
  return bytes;
}

std::string verbUsage(std::string_view name) {
  const VerbEntry* verb = findVerb(name);
  if (!verb) return ctlUsage();
  return "Usage: jmemctl [OPTIONS] " + std::string(verb->synopsis) + "\n\n" + std::string(verb->help) +
         kCommonOptions + "\nSee jmemctl --help for every command and the exit status.\n";
}

std::string ctlUsage() {
  std::string text = R"(Usage: jmemctl [OPTIONS] COMMAND

Ask the jmem governor (jmemd, org.jmem.Governor1 on the system bus) about this device's memory.

Commands:
)";
  for (const VerbEntry& verb : verbTable()) text += verb.help;
  return text + kCommonOptions + R"(  --version              Show the version

Exit status:
  0  success
  1  failure (status: also a stale ledger)
  2  invalid arguments
  3  jmemd is not running, or the system bus cannot be reached
  4  not allowed
  5  check: the device drifts from the policy (validate: the files have problems)
  6  check, plan: some item could not be observed, so compliance is unknown
  7  check: compliant once the device reboots (boot arguments wait for the next boot)
  8  make-room: the room could not be made (in audit mode: it is not there)
)";
}

Result<CtlOptions> parseCtlOptions(const std::vector<std::string_view>& args) {
  CtlOptions options;
  const VerbEntry* verb = nullptr;
  const Status parsed = parseOptionTable(
      args, kFlags, kValueOptions, options,
      [&](std::string_view arg, bool literal) { return takeOperand(arg, literal, verb, options); });
  if (!parsed) return parsed.error();
  // COMMAND --help shows that command's help, without checking what else it was given.
  if (options.help && verb && options.help_verb.empty() && verb->verb != Verb::kHelp)
    options.help_verb = std::string(verb->name);
  if (options.help) return options;
  if (Status fits = checkCombination(options, verb); !fits) return fits.error();
  return options;
}

}  // namespace jmem::ctl
