#include "ctl/options.h"

#include <array>

#include "core/option_table.h"
#include "core/text.h"
#include "ctl/verbs.h"
#include "sources/cgroup_unit.h"

namespace jmem::ctl {
namespace {

using CtlFlag = Flag<CtlOptions>;
using CtlValueOption = ValueOption<CtlOptions>;

constexpr std::array kFlags{
    CtlFlag{"--json", "", &CtlOptions::json},
    CtlFlag{"--no-pager", "", &CtlOptions::no_pager},
    CtlFlag{"--no-legend", "", &CtlOptions::no_legend},
    CtlFlag{"--help", "-h", &CtlOptions::help},
    CtlFlag{"--version", "", &CtlOptions::version},
    CtlFlag{"--units", "", &CtlOptions::units},
    CtlFlag{"--builtin-base", "", &CtlOptions::builtin_base},
    CtlFlag{"--drop-in", "", &CtlOptions::drop_in},  // the files after it are drop-ins
};

Status setLimit(std::string_view value, CtlOptions& options) {
  const auto rows = parseUnsigned(value);
  if (!rows || *rows > kMaxListLimit)
    return Error{"Invalid row count \"" + sanitizeName(value) + "\": expected 0 to " +
                 std::to_string(kMaxListLimit)};
  options.limit = static_cast<std::uint32_t>(*rows);
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

constexpr std::array kValueOptions{
    CtlValueOption{"--lines", "-n", &setLimit},
    CtlValueOption{"--sort", "", &setSort},
    CtlValueOption{"--base", "", &setBase},
};

// A word that is no option: the command, then its files or its unit.
Status takeOperand(std::string_view arg, const VerbEntry*& verb, CtlOptions& options) {
  if (arg.starts_with("-") || (verb && verb->operands == Operands::kNone) ||
      (verb && verb->operands == Operands::kUnit && !options.unit.empty()))
    return Error{"Unknown argument \"" + sanitizeName(arg) + "\"; see jmemctl --help"};
  if (!verb) {
    verb = findVerb(arg);
    if (!verb) return Error{"Unknown command \"" + sanitizeName(arg) + "\"; see jmemctl --help"};
    options.verb = verb->verb;
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
  if ((options.units || options.sort != SortKey::kCost || options.limit != 20) && options.verb != Verb::kTop)
    return Error{"--units, -n and --sort belong to the top command"};
  return ok();
}

}  // namespace

std::string ctlUsage() {
  std::string text = R"(Usage: jmemctl [OPTIONS] COMMAND

Ask the jmem governor (jmemd, org.jmem.Governor1 on the system bus) about this device's memory.

Commands:
)";
  for (const VerbEntry& verb : verbTable()) text += verb.help;
  return text + R"(
Options:
  --json                 One JSON document (monitor: one per line) with stable keys
  --no-pager             Do not pipe output into a pager
  --no-legend            Omit column headers and footers
  -h, --help             Show this help
  --version              Show the version

Exit status:
  0  success
  1  failure (status: also a stale ledger)
  2  invalid arguments
  3  jmemd is not running, or the system bus cannot be reached
  4  not allowed
  5  check: the device drifts from the policy (validate: the files have problems)
  6  check, plan: some item could not be observed, so compliance is unknown
  7  check: compliant once the device reboots (boot arguments wait for the next boot)
)";
}

Result<CtlOptions> parseCtlOptions(const std::vector<std::string_view>& args) {
  CtlOptions options;
  const VerbEntry* verb = nullptr;
  const Status parsed = parseOptionTable(args, kFlags, kValueOptions, options, [&](std::string_view arg) {
    return takeOperand(arg, verb, options);
  });
  if (!parsed) return parsed.error();
  if (Status fits = checkCombination(options, verb); !fits) return fits.error();
  return options;
}

}  // namespace jmem::ctl
