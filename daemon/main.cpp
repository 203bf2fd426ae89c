#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/options.h"
#include "ledger/ledger.h"
#include "ledger/ledger_json.h"
#include "ledger/process_sampler.h"
#include "ledger/system_figures.h"

namespace {

// The sampler holds one descriptor per process; the soft limit of 1024 is too low for large hosts.
void raiseFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int dump(const jmem::DaemonOptions& options) {
  auto figures = jmem::readSystemFigures(options.roots);
  if (!figures) {
    spdlog::error("{}", figures.error().message);
    return 1;
  }
  if (!figures->nvmap.available) spdlog::debug("NvMap unavailable: {}", figures->nvmap.reason);
  jmem::SamplerOptions sampler_options;
  sampler_options.page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  auto sampler = jmem::ProcessSampler::open(options.roots.proc, sampler_options);
  if (!sampler) {
    spdlog::error("{}", sampler.error().message);
    return 1;
  }
  (*sampler)->tick(jmem::SteadyClock::now());
  const jmem::Ledger ledger =
      jmem::buildLedger(std::move(*figures), (*sampler)->samples(), (*sampler)->counts());
  std::cout << jmem::ledgerToJson(ledger).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  return std::cout.good() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("jmemd");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^%l%$: %v");

  const std::vector<std::string_view> args(argv + 1, argv + argc);
  auto options = jmem::parseDaemonOptions(args);
  if (!options) {
    spdlog::error("{}", options.error().message);
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(options->log_level));
  if (options->help) {
    std::cout << jmem::daemonUsage();
    return 0;
  }
  if (options->version) {
    std::cout << "jmemd " << JMEM_VERSION << '\n';
    return 0;
  }
  raiseFileLimit();
  if (options->dump) return dump(*options);
  spdlog::error("Nothing to do: the service mode is not built yet; use --dump");
  return 2;
}
