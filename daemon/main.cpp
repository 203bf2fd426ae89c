#include <malloc.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/options.h"
#include "ledger/ledger.h"
#include "ledger/ledger_json.h"
#include "policy/loader.h"
#include "policy/policy_json.h"
#include "service/governor.h"
#include "sources/process_sampler.h"
#include "sources/system_figures.h"

namespace {

// Under systemd stderr is the journal (JOURNAL_STREAM says so): log there with priorities.
void setUpLogging(const std::string& level) {
  std::shared_ptr<spdlog::logger> logger;
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    logger =
        std::make_shared<spdlog::logger>("jmemd", std::make_shared<spdlog::sinks::systemd_sink_mt>("jmemd"));
    logger->set_pattern("%v");
  } else {
    logger = spdlog::stderr_color_mt("jmemd");
    logger->set_pattern("%^%l%$: %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

// The sampler holds two descriptors per process; the soft limit of 1024 is too low for large hosts.
void raiseFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// GPU memory from NVML, loaded at the first sample and kept. A missing library is the normal case on
// most machines: a debug line; a failing call is a warning, each once.
std::shared_ptr<jmem::GpuSampler> gpuSampler(const std::string& library) {
  jmem::GpuSamplerOptions options;
  options.library = library;
  return std::make_shared<jmem::GpuSampler>(options, [](jmem::GpuNotice notice, const std::string& message) {
    if (notice == jmem::GpuNotice::kNoSource) {
      spdlog::debug("No GPU memory from NVML: {}", message);
    } else {
      spdlog::warn("{}", message);
    }
  });
}

jmem::SamplerOptions samplerOptions() {
  jmem::SamplerOptions options;
  options.page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return options;
}

int dump(const jmem::DaemonOptions& options) {
  jmem::Roots roots = options.roots;
  roots.gpu = gpuSampler(options.nvml_library);
  auto figures = jmem::readSystemFigures(roots);
  if (!figures) {
    spdlog::error("{}", figures.error().message);
    return 1;
  }
  if (!figures->nvmap.available) spdlog::debug("NvMap unavailable: {}", figures->nvmap.reason);
  auto sampler = jmem::ProcessSampler::open(options.roots.proc, samplerOptions());
  if (!sampler) {
    spdlog::error("{}", sampler.error().message);
    return 1;
  }
  (*sampler)->tick(jmem::SteadyClock::now());
  for (const auto& problem : (*sampler)->problems()) spdlog::warn("Skipped a process: {}", problem);
  jmem::Ledger ledger = jmem::buildLedger(std::move(*figures), (*sampler)->current(), (*sampler)->counts());
  ledger.unreadable = (*sampler)->unreadable();
  std::cout << jmem::ledgerToJson(ledger).dump(2, ' ', true, nlohmann::json::error_handler_t::replace)
            << '\n';
  return std::cout.good() ? 0 : 1;
}

jmem::policy::PolicyFiles policyFiles(const jmem::DaemonOptions& options) {
  jmem::policy::PolicyFiles files;
  if (options.policy_path) {
    files.main = *options.policy_path;
    files.dropin_dir.clear();
    files.main_required = true;
  }
  return files;
}

// Validates the policy the way a reload would (owner and mode included); every problem, then every
// warning, on stderr, one per line, terminal-safe (formatProblem). A warning does not fail the check.
int checkConfig(const jmem::DaemonOptions& options) {
  const auto loaded = jmem::policy::loadPolicy(policyFiles(options));
  for (const auto& problem : loaded.problems) std::cerr << jmem::policy::formatProblem(problem) << '\n';
  for (const auto& warning : loaded.warnings) std::cerr << jmem::policy::formatProblem(warning) << '\n';
  if (!loaded.policy) return 1;
  if (options.json) {
    // ensure_ascii: the policy's strings reach the terminal as \uXXXX escapes, never as controls.
    std::cout << jmem::policy::policyToJson(*loaded.policy)
                     .dump(2, ' ', true, nlohmann::json::error_handler_t::replace)
              << '\n';
  } else {
    std::cout << "The policy is valid: " << jmem::policy::toString(loaded.policy->mode.value) << " mode, "
              << loaded.policy->classes.size() << " unit classes, " << loaded.policy->workloads.size()
              << " workloads\n";
  }
  return 0;
}

int serve(const jmem::DaemonOptions& options) {
  jmem::GovernorOptions governor_options;
  governor_options.roots = options.roots;
  governor_options.roots.gpu = gpuSampler(options.nvml_library);
  governor_options.sample_interval = options.sample_interval;
  governor_options.policy_files = policyFiles(options);
  governor_options.state_dir = options.state_dir;
  governor_options.metrics_dir = options.metrics_dir;
  governor_options.sampler = samplerOptions();
  auto governor = jmem::Governor::start(governor_options);
  if (!governor) {
    spdlog::error("{}", governor.error().message);
    return 1;
  }
  const int status = (*governor)->run();
  governor->reset();
  if (jmem::Worker::abandoned()) {
    // A call to systemd still blocks the worker: end without waiting for it (and without the static
    // destructors it could race with).
    spdlog::default_logger()->flush();
    std::_Exit(status);
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // One malloc arena: the workers' threads would each get one of their own, resident for good, for the
  // little they allocate; the loop's thread does nearly all of it.
  mallopt(M_ARENA_MAX, 1);
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  auto options = jmem::parseDaemonOptions(args);
  setUpLogging(options ? options->log_level : "info");
  if (!options) {
    spdlog::error("{}", options.error().message);
    return 2;
  }
  if (options->help) {
    std::cout << jmem::daemonUsage();
    return 0;
  }
  if (options->version) {
    std::cout << "jmemd " << JMEM_VERSION << '\n';
    return 0;
  }
  raiseFileLimit();
  if (options->check_config) return checkConfig(*options);
  return options->dump ? dump(*options) : serve(*options);
}
