#include "ctl/options.h"

#include "core/text.h"
#include "ctl/verbs.h"
#include "sources/cgroup_unit.h"

namespace jmem::ctl {

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
  bool drop_in = false;  // the files after --drop-in are drop-ins
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    auto value = [&]() -> Result<std::string_view> {
      if (i + 1 >= args.size()) return Error{"Option " + std::string(arg) + " needs a value"};
      return args[++i];
    };
    if (arg == "--json") {
      options.json = true;
    } else if (arg == "--no-pager") {
      options.no_pager = true;
    } else if (arg == "--no-legend") {
      options.no_legend = true;
    } else if (arg == "-h" || arg == "--help") {
      options.help = true;
    } else if (arg == "--version") {
      options.version = true;
    } else if (arg == "--units") {
      options.units = true;
    } else if (arg == "-n" || arg == "--lines") {
      auto v = value();
      if (!v) return v.error();
      const auto n = parseUnsigned(*v);
      if (!n || *n > kMaxListLimit)
        return Error{"Invalid row count \"" + sanitizeName(*v) + "\": expected 0 to " +
                     std::to_string(kMaxListLimit)};
      options.limit = static_cast<std::uint32_t>(*n);
    } else if (arg == "--sort") {
      auto v = value();
      if (!v) return v.error();
      auto key = parseSortKey(*v);
      if (!key) return key.error();
      options.sort = *key;
    } else if (arg == "--drop-in") {
      drop_in = true;
    } else if (arg == "--base") {
      auto v = value();
      if (!v) return v.error();
      if (v->empty()) return Error{"Option --base needs a FILE"};
      options.base = std::string(*v);
    } else if (arg == "--builtin-base") {
      options.builtin_base = true;
    } else if (!arg.starts_with("-") && !verb) {
      verb = findVerb(arg);
      if (!verb) return Error{"Unknown command \"" + sanitizeName(arg) + "\"; see jmemctl --help"};
      options.verb = verb->verb;
    } else if (verb && verb->operands == Operands::kFiles && !arg.starts_with("-")) {
      (drop_in ? options.dropins : options.files).emplace_back(arg);
    } else if (verb && verb->operands == Operands::kUnit && options.unit.empty() && !arg.starts_with("-")) {
      if (!isValidUnitName(arg)) return Error{"Invalid unit name \"" + sanitizeName(arg) + "\""};
      options.unit = std::string(arg);
    } else {
      return Error{"Unknown argument \"" + sanitizeName(arg) + "\"; see jmemctl --help"};
    }
  }
  if ((drop_in || !options.base.empty() || options.builtin_base) && options.verb != Verb::kValidate)
    return Error{"--drop-in, --base and --builtin-base belong to the validate command"};
  if (!options.base.empty() && options.builtin_base)
    return Error{"Give --base FILE or --builtin-base, not both"};
  if (options.verb == Verb::kValidate && options.files.empty() && options.dropins.empty())
    return Error{"validate needs at least one FILE"};
  if (drop_in && options.dropins.empty()) return Error{"--drop-in needs a FILE after it"};
  if (verb && verb->operands == Operands::kUnit && options.unit.empty())
    return Error{std::string(verb->name) + " needs a UNIT"};
  if ((options.units || options.sort != SortKey::kCost || options.limit != 20) && options.verb != Verb::kTop)
    return Error{"--units, -n and --sort belong to the top command"};
  return options;
}

}  // namespace jmem::ctl
