#include "cli/options.h"

#include <algorithm>
#include <array>

#include "core/option_table.h"
#include "core/text.h"

namespace jmem {
namespace {

constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug",    "info", "warning",
                                                     "error", "critical", "off"};

using DaemonFlag = Flag<DaemonOptions>;
using DaemonValueOption = ValueOption<DaemonOptions>;

constexpr std::array kFlags{
    DaemonFlag{"--dump", "", &DaemonOptions::dump},
    DaemonFlag{"--check-config", "", &DaemonOptions::check_config},
    DaemonFlag{"--json", "", &DaemonOptions::json},
    DaemonFlag{"--help", "-h", &DaemonOptions::help},
    DaemonFlag{"--version", "", &DaemonOptions::version},
};

Status nonEmpty(std::string_view name, std::string_view value) {
  if (value.empty()) return Error{"Option " + std::string(name) + " needs a non-empty value"};
  return ok();
}

Status setInterval(std::string_view value, DaemonOptions& options) {
  const auto ms = parseUnsigned(value);
  if (!ms || *ms < static_cast<std::uint64_t>(kMinSampleInterval.count()) ||
      *ms > static_cast<std::uint64_t>(kMaxSampleInterval.count()))
    return Error{"Invalid interval " + inQuotes(value) + ": expected milliseconds from 100 to 60000"};
  options.sample_interval = std::chrono::milliseconds(*ms);
  return ok();
}

Status setMetricsDir(std::string_view value, DaemonOptions& options) {
  options.metrics_dir = value;  // "" turns the metrics off
  return ok();
}

Status setNvmlLibrary(std::string_view value, DaemonOptions& options) {
  options.nvml_library = value;  // "" turns GPU figures off
  return ok();
}

Status setPolicy(std::string_view value, DaemonOptions& options) {
  if (Status given = nonEmpty("--policy", value); !given) return given;
  options.policy_path = std::string(value);
  return ok();
}

Status setStateDir(std::string_view value, DaemonOptions& options) {
  if (Status given = nonEmpty("--state-dir", value); !given) return given;
  options.state_dir = value;
  return ok();
}

Status setProcRoot(std::string_view value, DaemonOptions& options) {
  if (Status given = nonEmpty("--proc-root", value); !given) return given;
  options.roots.proc = value;
  return ok();
}

Status setDebugfsRoot(std::string_view value, DaemonOptions& options) {
  if (Status given = nonEmpty("--debugfs-root", value); !given) return given;
  options.roots.debugfs = value;
  return ok();
}

Status setSysRoot(std::string_view value, DaemonOptions& options) {
  if (Status given = nonEmpty("--sys-root", value); !given) return given;
  options.roots.sys = value;
  return ok();
}

Status setLogLevel(std::string_view value, DaemonOptions& options) {
  if (Status given = nonEmpty("--log-level", value); !given) return given;
  if (std::find(kLogLevels.begin(), kLogLevels.end(), value) == kLogLevels.end())
    return Error{"Invalid log level " + inQuotes(value) +
                 ": expected trace, debug, info, warning, error, critical or off"};
  options.log_level = value;
  return ok();
}

constexpr std::array kValueOptions{
    DaemonValueOption{"--interval-ms", "", &setInterval},
    DaemonValueOption{"--metrics-dir", "", &setMetricsDir},
    DaemonValueOption{"--nvml-library", "", &setNvmlLibrary},
    DaemonValueOption{"--policy", "", &setPolicy},
    DaemonValueOption{"--state-dir", "", &setStateDir},
    DaemonValueOption{"--proc-root", "", &setProcRoot},
    DaemonValueOption{"--debugfs-root", "", &setDebugfsRoot},
    DaemonValueOption{"--sys-root", "", &setSysRoot},
    DaemonValueOption{"--log-level", "", &setLogLevel},
};

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
  --sys-root DIR         Read DIR instead of /sys (zram's devices)
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
  const Status parsed =
      parseOptionTable(args, kFlags, kValueOptions, options, [](std::string_view arg, bool) -> Status {
        return Error{"Unknown argument " + inQuotes(arg) + "; see jmemd --help"};
      });
  if (!parsed) return parsed.error();
  return options;
}

}  // namespace jmem
