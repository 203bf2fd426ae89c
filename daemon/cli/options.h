#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "gpu/nvml_library.h"
#include "sources/system_figures.h"

namespace jmem {

struct DaemonOptions {
  bool dump = false;
  bool check_config = false;
  bool json = false;
  std::optional<std::string> policy_path;  // --policy: this file alone, no drop-ins
  std::string state_dir = "/var/lib/jmem";
  // Where node_exporter's textfile collector reads; "" turns the metrics off.
  std::string metrics_dir = "/var/lib/prometheus/node-exporter";
  bool help = false;
  bool version = false;
  Roots roots;
  std::string nvml_library = kNvmlLibrary;  // "" turns GPU figures off
  std::string log_level = "info";
  std::optional<std::chrono::milliseconds> sample_interval;  // overrides the policy's
};

inline constexpr std::chrono::milliseconds kMinSampleInterval{100};
inline constexpr std::chrono::milliseconds kMaxSampleInterval{60000};

// Parses jmemd's arguments (without argv[0]); errors name the offending argument.
Result<DaemonOptions> parseDaemonOptions(const std::vector<std::string_view>& args);

std::string daemonUsage();

}  // namespace jmem
