// Produces jmem's node_exporter textfile from a real ledger of this machine, the way the governor
// does each tick, for metrics_textfile_test.py: samples the processes (several ticks, timed into
// SelfStats), runs the throttling controller's decision under the built-in policy, formats and writes.
// Prints one JSON document with what went into the file; exit status 0 when written or when the
// directory is missing (metrics off), 1 on failure, 2 on invalid arguments.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/clock.h"
#include "ledger/ledger_json.h"
#include "metrics/action_counters.h"
#include "metrics/governor_metrics.h"
#include "metrics/ledger_metrics.h"
#include "metrics/metrics_text.h"
#include "metrics/textfile.h"
#include "policy/builtin.h"
#include "sources/process_sampler.h"
#include "sources/system_figures.h"

using namespace jmem;
using nlohmann::ordered_json;

namespace {

constexpr const char* kUsage =
    "usage: metrics_driver --textfile-dir DIR [--name NAME] [--top-units N] [--ticks N] [--repeat N]\n"
    "                      [--proc-root DIR] [--debugfs-root DIR]\n";

struct Options {
  std::filesystem::path textfile_dir;
  std::string name = std::string(metrics::kDefaultTextfileName);
  std::size_t top_units = metrics::kDefaultTopUnits;
  unsigned ticks = 2;
  unsigned repeat = 1;  // format and write this many times, to time them
  Roots roots;
};

bool parseOptions(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    if (arg == "--textfile-dir") {
      options.textfile_dir = value;
    } else if (arg == "--name") {
      options.name = value;
    } else if (arg == "--top-units") {
      options.top_units = std::stoul(value);
    } else if (arg == "--ticks") {
      options.ticks = static_cast<unsigned>(std::stoul(value));
    } else if (arg == "--repeat") {
      options.repeat = static_cast<unsigned>(std::stoul(value));
    } else if (arg == "--proc-root") {
      options.roots.proc = value;
    } else if (arg == "--debugfs-root") {
      options.roots.debugfs = value;
    } else {
      return false;
    }
  }
  return !options.textfile_dir.empty() && options.ticks > 0 && options.repeat > 0;
}

std::chrono::microseconds threadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) +
         std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(ts.tv_nsec));
}

int fail(const std::string& message) {
  std::cout << ordered_json{{"error", message}}.dump() << '\n';
  return 1;
}

}  // namespace

int main(int argc, char** argv) try {
  Options options;
  if (!parseOptions(argc, argv, options)) {
    std::cerr << kUsage;
    return 2;
  }
  const auto loaded = policy::builtInPolicy();
  if (!loaded.policy) return fail("the built-in policy does not load");
  const policy::Policy& policy = *loaded.policy;

  SamplerOptions sampler_options;
  sampler_options.page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  auto sampler = ProcessSampler::open(options.roots.proc, sampler_options);
  if (!sampler) return fail(sampler.error().message);
  SelfStats self_stats;
  std::optional<Ledger> ledger;
  std::uint64_t sample_usec = 0;
  for (unsigned i = 0; i < options.ticks; ++i) {
    const auto cpu_before = threadCpu();
    auto figures = readSystemFigures(options.roots);
    if (!figures) return fail(figures.error().message);
    const std::size_t rollup_reads = (*sampler)->tick(SteadyClock::now()).rollup_reads;
    ledger = buildLedger(std::move(*figures), (*sampler)->current(), (*sampler)->counts());
    sample_usec = realtimeUsec();
    // Ticks here run back to back, not on a schedule: no lateness.
    self_stats.record(std::chrono::microseconds(0), threadCpu() - cpu_before, rollup_reads);
  }

  const throttle::Decision decision = throttle::decide(throttle::snapshotOf(*ledger, throttle::Clock::now()),
                                                       {}, policy, throttle::Capabilities{});

  // What the governor fills each tick; no compliance check here (it needs systemd's bus).
  metrics::MetricsInput input;
  input.system = metrics::systemMetricsOf(*ledger, sample_usec);
  input.units = metrics::unitMetricsOf(*ledger, options.top_units);
  input.mode = policy.mode.value;
  input.throttle = metrics::throttleMetricsOf(decision);
  input.actions = metrics::ActionCounters().counts();
  input.self = metrics::selfMetricsOf(self_stats);

  std::chrono::nanoseconds format_time{0};
  std::chrono::nanoseconds write_time{0};
  std::string text;
  Result<metrics::TextfileWrite> written = metrics::TextfileWrite::kDirectoryMissing;
  for (unsigned i = 0; i < options.repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    text = metrics::formatMetrics(input);
    const auto formatted = std::chrono::steady_clock::now();
    written = metrics::writeTextfile(options.textfile_dir, options.name, text);
    write_time += std::chrono::steady_clock::now() - formatted;
    format_time += formatted - start;
    if (!written) return fail(written.error().message);
  }
  const auto mean_usec = [&](std::chrono::nanoseconds total) {
    return std::chrono::duration<double, std::micro>(total).count() / options.repeat;
  };

  ordered_json out;
  out["write"] = *written == metrics::TextfileWrite::kWritten ? "written" : "directory_missing";
  out["path"] = (options.textfile_dir / options.name).string();
  out["bytes"] = text.size();
  out["format_usec"] = mean_usec(format_time);
  out["write_usec"] = mean_usec(write_time);
  out["sample_usec"] = sample_usec;
  out["version"] = input.version;
  out["mode"] = policy::toString(input.mode);
  out["throttle_phase"] = throttle::toString(input.throttle->phase);
  out["throttle_units_acted_on"] = input.throttle->units_acted_on;
  out["self"] = {{"ticks", input.self->ticks},
                 {"tick_lateness_p99_usec", input.self->tick_lateness_p99_usec},
                 {"tick_lateness_max_usec", input.self->tick_lateness_max_usec},
                 {"tick_cpu_mean_usec", input.self->tick_cpu_mean_usec},
                 {"rollup_reads", input.self->rollup_reads}};
  out["ledger"] = ledgerToJson(*ledger);
  std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  return std::cout.good() ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "metrics_driver: " << e.what() << '\n';
  return 2;
}
