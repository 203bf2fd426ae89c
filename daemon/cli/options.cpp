#include "cli/options.h"

#include <algorithm>
#include <array>

#include "core/text.h"

namespace jmem {
namespace {

constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug",    "info", "warning",
                                                     "error", "critical", "off"};

}  // namespace

std::string daemonUsage() {
  return R"(Usage: jmemd [OPTIONS]

The jmem memory governor.

Without --dump it runs as the governor: it samples the ledger every interval and serves it on the
system bus as org.jmem.Governor1 (DBUS_SYSTEM_BUS_ADDRESS selects another bus).

  --dump                 Print one snapshot of the memory ledger as JSON and exit
  --check-config         Validate the policy, print every problem and warning (FILE:LINE:COLUMN),
                         and exit; a warning does not fail it
  --json                 With --check-config: print the merged policy as JSON
  --policy FILE          Use FILE alone instead of /etc/jmem/policy.toml and /etc/jmem/policy.d/*.toml
                         (without either file the built-in default applies: audit mode, Jetson profile)
  --state-dir DIR        Where the record of changes is kept (default: /var/lib/jmem)
  --metrics-dir DIR      Write jmem.prom there for node_exporter's textfile collector, every 15 s and
                         after each action; off when DIR does not exist or is "" (default:
                         /var/lib/prometheus/node-exporter)
  --interval-ms MS       Sampling interval in milliseconds, 100 to 60000 (default: the policy's)
  --proc-root DIR        Read DIR instead of /proc (a captured tree)
  --debugfs-root DIR     Read DIR instead of /sys/kernel/debug
  --nvml-library FILE    Load NVML (GPU memory) from FILE instead of libnvidia-ml.so.1; "" turns it off
  --log-level LEVEL      trace, debug, info, warning, error, critical or off (default: info)
  -h, --help             Show this help
  --version              Show the version

Exit status: 0 on success (the service: stopped by SIGTERM or SIGINT), 1 when the ledger could not
be read, the policy has problems or the bus could not be served, 2 on invalid arguments.
)";
}

Result<DaemonOptions> parseDaemonOptions(const std::vector<std::string_view>& args) {
  DaemonOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (const auto equals = arg.find('='); arg.starts_with("--") && equals != std::string_view::npos) {
      name = arg.substr(0, equals);
      inline_value = arg.substr(equals + 1);
    }
    auto value = [&]() -> Result<std::string> {
      if (inline_value) return std::string(*inline_value);
      if (i + 1 >= args.size()) return Error{"Option " + std::string(name) + " needs a value"};
      return std::string(args[++i]);
    };
    if (name == "--dump") {
      options.dump = true;
    } else if (name == "--check-config") {
      options.check_config = true;
    } else if (name == "--json") {
      options.json = true;
    } else if (name == "-h" || name == "--help") {
      options.help = true;
    } else if (name == "--version") {
      options.version = true;
    } else if (name == "--interval-ms") {
      auto v = value();
      if (!v) return v.error();
      const auto ms = parseUnsigned(*v);
      if (!ms || *ms < static_cast<std::uint64_t>(kMinSampleInterval.count()) ||
          *ms > static_cast<std::uint64_t>(kMaxSampleInterval.count()))
        return Error{"Invalid interval \"" + *v + "\": expected milliseconds from 100 to 60000"};
      options.sample_interval = std::chrono::milliseconds(*ms);
    } else if (name == "--metrics-dir") {
      auto v = value();
      if (!v) return v.error();
      options.metrics_dir = *v;
    } else if (name == "--nvml-library") {
      auto v = value();
      if (!v) return v.error();
      options.nvml_library = *v;
    } else if (name == "--policy" || name == "--state-dir") {
      auto v = value();
      if (!v) return v.error();
      if (v->empty()) return Error{"Option " + std::string(name) + " needs a non-empty value"};
      if (name == "--policy") options.policy_path = *v;
      if (name == "--state-dir") options.state_dir = *v;
    } else if (name == "--proc-root" || name == "--debugfs-root" || name == "--log-level") {
      auto v = value();
      if (!v) return v.error();
      if (v->empty()) return Error{"Option " + std::string(name) + " needs a non-empty value"};
      if (name == "--proc-root") options.roots.proc = *v;
      if (name == "--debugfs-root") options.roots.debugfs = *v;
      if (name == "--log-level") {
        if (std::find(kLogLevels.begin(), kLogLevels.end(), std::string_view(*v)) == kLogLevels.end())
          return Error{"Invalid log level \"" + *v +
                       "\": expected trace, debug, info, warning, error, critical or off"};
        options.log_level = *v;
      }
    } else {
      return Error{"Unknown argument \"" + std::string(arg) + "\"; see jmemd --help"};
    }
    if (inline_value && (name == "--dump" || name == "--check-config" || name == "--json" || name == "-h" ||
                         name == "--help" || name == "--version"))
      return Error{"Option " + std::string(name) + " takes no value"};
  }
  return options;
}

}  // namespace jmem
