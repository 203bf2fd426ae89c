// ledger_bench: ProcessSampler's steady tick against a full smaps_rollup pass, side by side in one run over a
// population it builds itself, and the sampler's accuracy against full passes taken around its tick.
//
// Goals (from the issue): steady tick CPU at most 10 % of a full pass; the sum of PSS within 1 % of a full
// pass taken at the same moment; each process within max(1 %, 1 MiB); the staleness bound (maximum age)
// enforced. CPU is the thread's own (CLOCK_THREAD_CPUTIME_ID): the kernel's work reading /proc counts.
// Only the accuracy and staleness goals fail the run unless --strict: timings are noisy on shared machines.
//
// Order of a run: build the population; the sampler's first tick (reads everything); the sharer unmaps the
// file (the staleness probe starts); baseline passes; then the steady ticks, `interval` of real time apart
// while the sampler's clock advances 1 s a tick, so its maximum age runs as at a 1 s tick. Every
// --check-every ticks and at the last, a checkpoint brackets the tick between two timed full passes and
// compares.

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <exception>
#include <optional>
#include <unordered_map>

#include "accuracy.h"
#include "bench_options.h"
#include "ledger/ledger.h"
#include "policy/builtin.h"
#include "population.h"
#include "proc_pass.h"
#include "reclaim/report.h"
#include "report.h"
#include "sources/process_sampler.h"

namespace jmem::bench {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitGoalFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSetup = 3;
constexpr int kExitInterrupted = 130;

volatile std::sig_atomic_t g_stop = 0;

void requestStop(int) {
  g_stop = 1;
}

void installStopHandlers() {
  struct sigaction action {};
  action.sa_handler = requestStop;  // no SA_RESTART: sleeps and polls return early
  sigemptyset(&action.sa_mask);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal, &action, nullptr);
}

// The sampler holds two descriptors per process (its directory and its statm).
void raiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Real time, cut short by a stop request.
bool sleepFor(std::chrono::milliseconds duration) {
  timespec left{static_cast<time_t>(duration.count() / 1000),
                static_cast<long>(duration.count() % 1000) * 1000000};
  while (::nanosleep(&left, &left) < 0) {
    if (errno != EINTR || g_stop) return false;
  }
  return !g_stop;
}

int fail(const Error& error) {
  std::fprintf(stderr, "ledger_bench: %s\n", error.message.c_str());
  return g_stop ? kExitInterrupted : kExitSetup;
}

std::uint64_t distance(std::uint64_t a, std::uint64_t b) {
  return a > b ? a - b : b - a;
}

std::optional<std::uint64_t> sampledPss(const std::vector<ProcessSample>& samples, pid_t pid) {
  for (const ProcessSample& sample : samples) {
    if (sample.pid == pid) return sample.rollup.pss_bytes;
  }
  return std::nullopt;
}

// Other processes the tick re-read because they moved: their readings changed. Reading them again estimates
// what they cost the tick; on a shared machine their churn is not the population's.
std::size_t foreignRereads(const std::vector<ProcessSample>& samples,
                           std::unordered_map<pid_t, SmapsRollup>& previous, const Population& population,
                           ProcScanner& scanner, std::chrono::nanoseconds& cpu) {
  std::size_t count = 0;
  std::unordered_map<pid_t, SmapsRollup> current;
  for (const ProcessSample& sample : samples) {
    current.emplace(sample.pid, sample.rollup);
    const auto was = previous.find(sample.pid);
    if (population.owns(sample.pid) || was == previous.end()) continue;
    if (was->second.pss_bytes == sample.rollup.pss_bytes &&
        was->second.rss_bytes == sample.rollup.rss_bytes &&
        was->second.swap_bytes == sample.rollup.swap_bytes) {
      continue;
    }
    ++count;
    std::chrono::nanoseconds one{};
    (void)scanner.rollupPss(sample.pid, one);
    cpu += one;
  }
  previous = std::move(current);
  return count;
}

// The reclaim report is counted when asked: over this population's ledger with the built-in policy,
// its CPU beside the sampler's tick, side by side in this run.
void printReclaimCost(const ProcessSampler& sampler, std::vector<double> tick_ms) {
  const auto policy = policy::builtInPolicy().policy;
  if (!policy || tick_ms.empty()) return;
  SystemFigures figures;
  const Ledger ledger = buildLedger(std::move(figures), sampler.current(), sampler.counts());
  constexpr int kReports = 200;
  std::vector<double> report_ms;
  for (int i = 0; i < kReports; ++i) {
    const auto start = threadCpuTime();
    const reclaim::Report report = reclaim::reclaimReport({&ledger, &*policy, nullptr, {}, {}, {}});
    report_ms.push_back(ms(threadCpuTime() - start));
    if (report.rows.empty()) return;
  }
  const auto median = [](std::vector<double> values) {
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    return values[values.size() / 2];
  };
  const double report = median(report_ms);
  const double tick = median(std::move(tick_ms));
  std::printf(
      "reclaim report over %zu processes: %.3f ms CPU (median of %d), %.3fx the median tick (%.3f ms); "
      "goal: at most 1x\n",
      ledger.processes.size(), report, kReports, tick > 0 ? report / tick : 0.0, tick);
}

int run(const BenchOptions& options) {
  raiseDescriptorLimit();
  std::printf("ledger_bench: ProcessSampler's tick against a full smaps_rollup pass, side by side\n");
  std::printf("building the population (%zu processes, anon %llu MiB, file %llu MiB in %s)...\n",
              options.processes, static_cast<unsigned long long>(options.anon_mib),
              static_cast<unsigned long long>(options.file_mib), options.dir.c_str());
  std::fflush(stdout);

  PopulationOptions population_options;
  population_options.target_processes = options.processes;
  population_options.anon_bytes = options.anon_mib * kMiB;
  population_options.file_bytes = options.file_mib * kMiB;
  population_options.churners = options.churners;
  population_options.file_dir = options.dir;
  auto built = Population::build(population_options, g_stop);
  if (!built) return fail(built.error());
  const std::unique_ptr<Population> population = std::move(*built);
  const PopulationShape& shape = population->shape();

  auto scanner_opened = ProcScanner::open("/proc");
  if (!scanner_opened) return fail(scanner_opened.error());
  SamplerOptions sampler_options;
  sampler_options.max_age = std::chrono::seconds(options.max_age_s);
  sampler_options.page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  auto sampler_opened = ProcessSampler::open("/proc", sampler_options);
  if (!sampler_opened) return fail(sampler_opened.error());
  ProcScanner& scanner = **scanner_opened;
  ProcessSampler& sampler = **sampler_opened;

  BenchResults results;
  results.shape = shape;
  const auto origin = SteadyClock::now();
  auto start = threadCpuTime();
  const TickStats first = sampler.tick(origin);
  results.first_ms = ms(threadCpuTime() - start);
  results.first_rollups = first.rollup_reads;

  StalenessProbe& probe = results.probe;
  if (shape.sharer_pid != 0) {
    const auto stale = sampledPss(sampler.samples(), shape.mapper_pid);
    if (auto unmapped = population->unmapSharer(std::chrono::seconds(60), g_stop); !unmapped) {
      return fail(unmapped.error());
    }
    std::chrono::nanoseconds unused{};
    const auto truth = scanner.rollupPss(shape.mapper_pid, unused);
    if (stale && truth) {
      probe.truth_bytes = *truth;
      probe.stale_bytes = *stale;
      probe.bound_ticks = options.max_age_s + 1;
      probe.running = probe.pending = distance(*truth, *stale) > toleranceBytes(*truth);
    }
  }

  // The baseline, and what the two big processes cost of it.
  for (std::size_t i = 0; i < options.passes; ++i) {
    results.full_ms.push_back(ms(scanner.fullPass().cpu));
    results.statm_ms.push_back(ms(scanner.statmPass().cpu));
    std::chrono::nanoseconds cpu{};
    if (shape.anon_pid && scanner.rollupPss(shape.anon_pid, cpu)) results.anon_ms.push_back(ms(cpu));
    if (shape.mapper_pid && scanner.rollupPss(shape.mapper_pid, cpu)) results.mapper_ms.push_back(ms(cpu));
  }

  std::printf("%zu steady ticks, %llu ms apart (the sampler's clock: 1 s), accuracy checkpoints:\n",
              options.ticks, static_cast<unsigned long long>(options.interval_ms));
  std::fflush(stdout);
  std::unordered_map<pid_t, SmapsRollup> previous;
  for (const ProcessSample& sample : sampler.samples()) previous.emplace(sample.pid, sample.rollup);
  for (std::size_t tick = 1; tick <= options.ticks; ++tick) {
    if (!sleepFor(std::chrono::milliseconds(options.interval_ms))) return kExitInterrupted;
    const bool checkpoint = tick % options.check_every == 0 || tick == options.ticks;
    PassResult before;
    if (checkpoint) {
      before = scanner.fullPass();
      results.full_ms.push_back(ms(before.cpu));
    }
    start = threadCpuTime();
    const TickStats stats = sampler.tick(origin + std::chrono::seconds(tick));
    const double tick_ms = ms(threadCpuTime() - start);
    PassResult after;
    if (checkpoint) {
      after = scanner.fullPass();
      results.full_ms.push_back(ms(after.cpu));
    }
    results.ticks.add(stats, tick_ms, checkpoint);
    if (options.verbose) printTick(tick, tick_ms, stats);

    const auto samples = sampler.samples();
    std::chrono::nanoseconds foreign_cpu{};
    results.ticks.foreign_rereads +=
        static_cast<double>(foreignRereads(samples, previous, *population, scanner, foreign_cpu));
    results.ticks.foreign_ms.push_back(ms(foreign_cpu));
    if (probe.pending) {
      const auto sampled = sampledPss(samples, shape.mapper_pid);
      if (sampled && distance(*sampled, probe.truth_bytes) <= toleranceBytes(probe.truth_bytes)) {
        probe.pending = false;
        probe.caught_up_tick = tick;
      }
    }
    if (checkpoint) {
      results.last = compare(samples, before, after, probe.pending ? shape.mapper_pid : 0,
                             [&](pid_t pid) { return population->owns(pid); });
      results.checkpoints.add(results.last);
      printCheckpoint(tick, results.last);
      std::fflush(stdout);
    }
  }
  results.counts = sampler.counts();

  const Verdicts verdicts = judge(results, options);
  printReport(results, options, verdicts);
  printReclaimCost(sampler, results.ticks.cpu_ms);
  if (!verdicts.accuracy()) return kExitGoalFailed;
  if (options.strict && !verdicts.timing) return kExitGoalFailed;
  return kExitOk;
}

}  // namespace
}  // namespace jmem::bench

int main(int argc, char** argv) {
  using namespace jmem::bench;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  auto options = parseBenchOptions(args);
  if (!options) {
    std::fprintf(stderr, "ledger_bench: %s\n", options.error().message.c_str());
    return kExitUsage;
  }
  if (options->help) {
    std::fputs(benchUsage().c_str(), stdout);
    return kExitOk;
  }
  installStopHandlers();
  try {
    return run(*options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ledger_bench: %s\n", error.what());
    return kExitSetup;
  }
}
