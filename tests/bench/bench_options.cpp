#include "bench_options.h"

#include <chrono>
#include <cstdlib>
#include <optional>

#include "core/text.h"
#include "sources/process_sampler.h"

namespace jmem::bench {
namespace {

struct NumberFlag {
  std::string_view name;
  std::uint64_t minimum;
  std::uint64_t maximum;
  std::uint64_t* uint_target;
  std::size_t* size_target;
};

}  // namespace

std::string benchUsage() {
  return "Usage: ledger_bench [OPTION]...\n"
         "Builds a process population, then measures ProcessSampler's tick against a full smaps_rollup\n"
         "pass, side by side in one run, and checks its accuracy against full passes.\n"
         "\n"
         "  --processes N     processes in /proc in total, those already there included (300)\n"
         "  --anon-mib N      touched anonymous memory of one child, 0 for none (2048)\n"
         "  --file-mib N      file mapped and read by one child, 0 for none (3072)\n"
         "  --churners N      children that keep growing and freeing their memory (4)\n"
         "  --ticks N         steady ticks after the first one (60)\n"
         "  --max-age-s N     the sampler's maximum age of a reading (the sampler's default)\n"
         "  --interval-ms N   real time between ticks; the sampler's clock advances 1 s a tick (200)\n"
         "  --check-every N   an accuracy checkpoint every N ticks; the last tick is always one (10)\n"
         "  --passes N        full and statm passes measured before the ticks (5)\n"
         "  --dir PATH        where the mapped file is created, unnamed ($TMPDIR, else /var/tmp)\n"
         "  --strict          fail on the timing goal too\n"
         "  --verbose         print what every tick cost and read\n"
         "  --help            show this help\n"
         "\n"
         "Exit status: 0 every accuracy goal met; 1 an accuracy goal failed (or, with --strict, the\n"
         "timing goal); 2 bad arguments; 3 the population or /proc could not be set up; 130 interrupted.\n";
}

Result<BenchOptions> parseBenchOptions(const std::vector<std::string_view>& args) {
  BenchOptions options;
  options.max_age_s = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(SamplerOptions{}.max_age).count());
  const char* tmpdir = std::getenv("TMPDIR");
  options.dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/var/tmp";

  const NumberFlag numbers[] = {
      {"--processes", 1, 100000, nullptr, &options.processes},
      {"--anon-mib", 0, 1 << 20, &options.anon_mib, nullptr},
      {"--file-mib", 0, 1 << 20, &options.file_mib, nullptr},
      {"--churners", 0, 1000, nullptr, &options.churners},
      {"--ticks", 1, 100000, nullptr, &options.ticks},
      {"--max-age-s", 0, 86400, &options.max_age_s, nullptr},
      {"--interval-ms", 0, 60000, &options.interval_ms, nullptr},
      {"--check-every", 1, 100000, nullptr, &options.check_every},
      {"--passes", 1, 1000, nullptr, &options.passes},
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view name = args[i];
    std::optional<std::string_view> value;
    if (const auto equals = name.find('='); name.starts_with("--") && equals != std::string_view::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    auto takeValue = [&]() -> Result<std::string_view> {
      if (value) return *value;
      if (i + 1 >= args.size()) return Error{"Option " + std::string(name) + " needs a value"};
      return args[++i];
    };

    if (name == "--help" || name == "-h") {
      options.help = true;
      continue;
    }
    if (name == "--strict" || name == "--verbose") {
      if (value) return Error{"Option " + std::string(name) + " takes no value"};
      (name == "--strict" ? options.strict : options.verbose) = true;
      continue;
    }
    if (name == "--dir") {
      auto dir = takeValue();
      if (!dir) return dir.error();
      if (dir->empty()) return Error{"Option --dir needs a directory"};
      options.dir = std::string(*dir);
      continue;
    }
    bool matched = false;
    for (const NumberFlag& flag : numbers) {
      if (name != flag.name) continue;
      auto text = takeValue();
      if (!text) return text.error();
      const auto parsed = parseUnsigned(*text);
      if (!parsed || *parsed < flag.minimum || *parsed > flag.maximum) {
        return Error{"Invalid value \"" + sanitizeName(*text) + "\" for " + std::string(flag.name) +
                     ": expected a whole number from " + std::to_string(flag.minimum) + " to " +
                     std::to_string(flag.maximum)};
      }
      if (flag.uint_target) *flag.uint_target = *parsed;
      if (flag.size_target) *flag.size_target = static_cast<std::size_t>(*parsed);
      matched = true;
      break;
    }
    if (!matched) return Error{"Unknown option \"" + sanitizeName(args[i]) + "\"; see --help"};
  }
  return options;
}

}  // namespace jmem::bench
