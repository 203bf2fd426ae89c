// daemon_bench: the whole jmemd against a full smaps_rollup pass, side by side in one run over a population
// it builds itself, beside ProcessSampler's tick alone.
//
// Goals (from the issue): jmemd at a 1 s tick costs at most 10 % of a full pass per tick, measured from its
// own /proc/PID/stat (every thread, user and system time) over 60 s after a 40 s warm-up (past the
// sampler's maximum age: every process has been read and re-read once); its anonymous memory (RssAnon)
// stays under 1 MiB. The full passes and the sampler's ticks run here once a second during the same 60 s,
// so the three figures share the machine's noise.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "core/file_reader.h"
#include "core/text.h"
#include "population.h"
#include "proc_pass.h"
#include "sources/kib_fields.h"
#include "sources/process_sampler.h"

namespace jmem::bench {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitGoalFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSetup = 3;
constexpr int kExitInterrupted = 130;

constexpr double kDaemonGoalPercent = 10.0;
constexpr std::uint64_t kRssAnonGoalBytes = kMiB;

volatile std::sig_atomic_t g_stop = 0;

void requestStop(int) {
  g_stop = 1;
}

void installStopHandlers() {
  struct sigaction action {};
  action.sa_handler = requestStop;  // no SA_RESTART: sleeps return early
  sigemptyset(&action.sa_mask);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal, &action, nullptr);
}

struct Options {
  std::string jmemd;
  std::string bus_script;  // packaging/private-bus.sh
  std::string policy;
  std::size_t processes = 300;
  std::uint64_t anon_mib = 2048;
  std::uint64_t file_mib = 3072;
  std::size_t churners = 4;
  std::uint64_t warm_up_s = 40;
  std::uint64_t seconds = 60;
  std::string dir = "/var/tmp";  // where the mapped file is created
  bool strict = false;           // a goal not met fails the run
};

std::string usage() {
  return "Usage: daemon_bench --jmemd FILE --bus-script FILE --policy FILE [OPTION]...\n"
         "Builds a process population, starts jmemd on a private bus at a 1 s tick, and measures its whole\n"
         "CPU (from /proc/PID/stat) and RssAnon against full smaps_rollup passes and ProcessSampler's tick\n"
         "alone, side by side in one run.\n"
         "\n"
         "  --processes N   processes in /proc in total, those already there included (300)\n"
         "  --anon-mib N    touched anonymous memory of one child (2048)\n"
         "  --file-mib N    file mapped and read by one child (3072)\n"
         "  --churners N    children that keep growing and freeing their memory (4)\n"
         "  --warm-up-s N   seconds before the measurement (40)\n"
         "  --seconds N     seconds measured (60)\n"
         "  --dir PATH      where the mapped file is created, unnamed ($TMPDIR, else /var/tmp)\n"
         "  --strict        fail the run when a goal is not met (timings are noisy on shared machines)\n"
         "\n"
         "Exit status: 0 measured (with --strict: both goals met); 1 a goal failed under --strict; 2 bad\n"
         "arguments; 3 setup failed; 130 interrupted.\n";
}

Result<Options> parseOptions(int argc, char** argv) {
  Options options;
  if (const char* tmpdir = std::getenv("TMPDIR"); tmpdir != nullptr && *tmpdir != '\0') options.dir = tmpdir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (name == "--strict") {
      options.strict = true;
      continue;
    }
    if (i + 1 >= argc) return Error{"Option " + sanitizeName(name) + " needs a value; see --help"};
    const std::string_view value = argv[++i];
    std::string* text = name == "--jmemd"        ? &options.jmemd
                        : name == "--bus-script" ? &options.bus_script
                        : name == "--policy"     ? &options.policy
                        : name == "--dir"        ? &options.dir
                                                 : nullptr;
    if (text != nullptr) {
      *text = std::string(value);
      continue;
    }
    const auto number = parseUnsigned(value);
    if (!number) return Error{"Invalid value \"" + sanitizeName(value) + "\" for " + sanitizeName(name)};
    if (name == "--processes") {
      options.processes = static_cast<std::size_t>(*number);
    } else if (name == "--anon-mib") {
      options.anon_mib = *number;
    } else if (name == "--file-mib") {
      options.file_mib = *number;
    } else if (name == "--churners") {
      options.churners = static_cast<std::size_t>(*number);
    } else if (name == "--warm-up-s") {
      options.warm_up_s = *number;
    } else if (name == "--seconds" && *number > 0) {
      options.seconds = *number;
    } else {
      return Error{"Unknown option or value \"" + sanitizeName(name) + "\"; see --help"};
    }
  }
  if (options.jmemd.empty() || options.bus_script.empty() || options.policy.empty())
    return Error{"--jmemd, --bus-script and --policy are needed; see --help"};
  return options;
}

// The sampler here and jmemd each hold two descriptors per process.
void raiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

bool sleepUntil(SteadyClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - SteadyClock::now());
  if (left.count() <= 0) return !g_stop;
  timespec rest{static_cast<time_t>(left.count() / 1'000'000'000),
                static_cast<long>(left.count() % 1'000'000'000)};
  while (::nanosleep(&rest, &rest) < 0) {
    if (errno != EINTR || g_stop) return false;
  }
  return !g_stop;
}

// A private dbus-daemon with the system bus's rules and jmem's policy, stopped with this object.
class PrivateBus {
 public:
  static Result<std::unique_ptr<PrivateBus>> start(const std::string& script) {
    char dir_template[] = "/tmp/jmem-daemon-bench-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) return systemError("create", dir_template, errno);
    std::unique_ptr<PrivateBus> bus(new PrivateBus(dir_template));
    const std::string command = script + " " + bus->dir_.string() + "/bus";
    FILE* out = ::popen(command.c_str(), "r");
    if (out == nullptr) return systemError("run", script, errno);
    char address[512] = {};
    char pid[32] = {};
    const bool read = std::fgets(address, sizeof address, out) && std::fgets(pid, sizeof pid, out);
    const int status = ::pclose(out);
    const auto bus_pid = parseUnsigned(trim(pid));
    if (!read || status != 0 || !bus_pid) return Error{"Failed to start a private bus with " + script};
    bus->pid_ = static_cast<pid_t>(*bus_pid);
    bus->address_ = std::string(trim(address));
    return bus;
  }
  ~PrivateBus() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  const std::string& address() const { return address_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit PrivateBus(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
  std::string address_;
  pid_t pid_ = 0;
};

// jmemd at a 1 s tick in audit mode on the private bus, writing metrics as it would for node_exporter.
Result<pid_t> startJmemd(const Options& options, const PrivateBus& bus) {
  const std::string state_dir = (bus.dir() / "state").string();
  const std::string metrics_dir = (bus.dir() / "metrics").string();
  std::error_code error;
  std::filesystem::create_directories(metrics_dir, error);
  if (error) return Error{"Failed to create " + metrics_dir + ": " + error.message()};
  std::vector<std::string> args = {options.jmemd,  "--interval-ms", "1000",    "--policy",
                                   options.policy, "--state-dir",   state_dir, "--metrics-dir",
                                   metrics_dir,    "--log-level",   "warning"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return systemError("fork", "jmemd", errno);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address().c_str(), 1);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "daemon_bench: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  return pid;
}

bool exited(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

// utime + stime of every thread, live or gone, from /proc/PID/stat.
std::optional<std::chrono::nanoseconds> processCpu(pid_t pid) {
  auto stat = readKernelFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  std::string_view rest(*stat);
  const auto close = rest.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  rest.remove_prefix(close + 1);
  // After the name: state is field 3, utime 14 and stime 15.
  std::vector<std::string_view> fields;
  while (!rest.empty() && fields.size() < 13) {
    rest = rest.substr(std::min(rest.find_first_not_of(' '), rest.size()));
    const auto end = std::min(rest.find(' '), rest.size());
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  if (fields.size() < 13) return std::nullopt;
  const auto utime = parseUnsigned(fields[11]);
  const auto stime = parseUnsigned(fields[12]);
  if (!utime || !stime) return std::nullopt;
  const auto ticks_per_second = static_cast<std::uint64_t>(::sysconf(_SC_CLK_TCK));
  return std::chrono::nanoseconds((*utime + *stime) * 1'000'000'000 / ticks_per_second);
}

std::optional<std::uint64_t> rssAnonBytes(pid_t pid) {
  auto status = readKernelFile("/proc/" + std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  std::string_view text(*status);
  std::string_view line;
  while (nextLine(text, line)) {
    const auto field = splitField(line);
    if (field && field->key == "RssAnon") return kibValueToBytes(field->value);
  }
  return std::nullopt;
}

double ms(std::chrono::nanoseconds cpu) {
  return static_cast<double>(cpu.count()) / 1e6;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (const double value : values) sum += value;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

double percentOf(double part, double whole) {
  return whole > 0 ? 100.0 * part / whole : 0;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "daemon_bench: %s\n", message.c_str());
  return g_stop ? kExitInterrupted : kExitSetup;
}

int run(const Options& options) {
  raiseDescriptorLimit();
  std::printf("daemon_bench: the whole jmemd against a full smaps_rollup pass, beside the sampler alone\n");
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
  auto population = Population::build(population_options, g_stop);
  if (!population) return fail(population.error().message);
  // The same steady population as ledger_bench's: the file mapped by one process only.
  if (auto unmapped = (*population)->unmapSharer(std::chrono::seconds(60), g_stop); !unmapped)
    return fail(unmapped.error().message);

  auto scanner = ProcScanner::open("/proc");
  if (!scanner) return fail(scanner.error().message);
  SamplerOptions sampler_options;
  sampler_options.page_bytes = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  auto sampler = ProcessSampler::open("/proc", sampler_options);
  if (!sampler) return fail(sampler.error().message);

  auto bus = PrivateBus::start(options.bus_script);
  if (!bus) return fail(bus.error().message);
  auto jmemd = startJmemd(options, **bus);
  if (!jmemd) return fail(jmemd.error().message);
  const pid_t pid = *jmemd;
  std::printf("jmemd (pid %d) at a 1 s tick; %llu s of warm-up, then %llu s measured...\n", pid,
              static_cast<unsigned long long>(options.warm_up_s),
              static_cast<unsigned long long>(options.seconds));
  std::fflush(stdout);

  // The sampler here ticks at 1 Hz from the start too, so that it is as warm as jmemd's when measured.
  const auto origin = SteadyClock::now();
  auto next = origin;
  const auto measured_from = origin + std::chrono::seconds(options.warm_up_s);
  const auto measured_until = measured_from + std::chrono::seconds(options.seconds);
  std::vector<double> full_ms, tick_ms;
  std::optional<std::chrono::nanoseconds> cpu_start, cpu_end;
  std::optional<std::uint64_t> rss_anon_start, rss_anon_end;
  SteadyClock::time_point wall_start;
  while (next < measured_until) {
    if (!sleepUntil(next)) return kExitInterrupted;
    if (exited(pid)) return fail("jmemd exited during the run");
    const bool measuring = next >= measured_from;
    if (measuring && !cpu_start) {
      wall_start = SteadyClock::now();
      cpu_start = processCpu(pid);
      rss_anon_start = rssAnonBytes(pid);
    }
    if (measuring) full_ms.push_back(ms((*scanner)->fullPass().cpu));
    const auto start = threadCpuTime();
    (*sampler)->tick(SteadyClock::now());
    if (measuring) tick_ms.push_back(ms(threadCpuTime() - start));
    // As jmemd does: after a stall (this machine is shared), skip what was missed instead of bursting.
    next = std::max(next + std::chrono::seconds(1), SteadyClock::now());
  }
  if (!sleepUntil(measured_until)) return kExitInterrupted;
  cpu_end = processCpu(pid);
  rss_anon_end = rssAnonBytes(pid);
  const double wall_s = std::chrono::duration<double>(SteadyClock::now() - wall_start).count();
  if (!cpu_start || !cpu_end || !rss_anon_end) return fail("Failed to read jmemd's /proc/PID/stat or status");

  const double full = median(full_ms);
  const double sampler_tick = mean(tick_ms);
  const double daemon_tick = ms(*cpu_end - *cpu_start) / wall_s;  // a tick a second
  const double sampler_percent = percentOf(sampler_tick, full);
  const double daemon_percent = percentOf(daemon_tick, full);
  const bool cpu_ok = daemon_percent <= kDaemonGoalPercent;
  const bool memory_ok = *rss_anon_end <= kRssAnonGoalBytes;
  const PopulationShape& shape = (*population)->shape();
  std::printf("\n  population in /proc: %zu (%zu already there, %zu forked)\n",
              shape.already_there + shape.children(), shape.already_there, shape.children());
  std::printf("  full pass CPU, median of %zu: %.2f ms\n", full_ms.size(), full);
  std::printf("  sampler tick CPU, mean of %zu: %.2f ms\n", tick_ms.size(), sampler_tick);
  std::printf("  jmemd CPU over %.0f s: %.2f ms a tick (%.3f %% of a core)\n", wall_s, daemon_tick,
              daemon_tick / 10.0);
  std::printf(
      "  ratios, %% of a full pass per tick: sampler alone %.1f %%, whole daemon %.1f %%"
      " (goal <= %.0f %%): %s\n",
      sampler_percent, daemon_percent, kDaemonGoalPercent, cpu_ok ? "PASS" : "FAIL");
  std::printf("  jmemd RssAnon: %llu KiB (%llu KiB when measuring began; goal <= %llu KiB): %s\n",
              static_cast<unsigned long long>(*rss_anon_end / 1024),
              static_cast<unsigned long long>(rss_anon_start.value_or(0) / 1024),
              static_cast<unsigned long long>(kRssAnonGoalBytes / 1024), memory_ok ? "PASS" : "FAIL");
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // Timings are noisy on a shared machine: the goals are reported, and fail the run only under --strict.
  return options.strict && !(cpu_ok && memory_ok) ? kExitGoalFailed : kExitOk;
}

}  // namespace
}  // namespace jmem::bench

int main(int argc, char** argv) {
  using namespace jmem::bench;
  if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
    std::fputs(usage().c_str(), stdout);
    return kExitOk;
  }
  auto options = parseOptions(argc, argv);
  if (!options) {
    std::fprintf(stderr, "daemon_bench: %s\n", options.error().message.c_str());
    return kExitUsage;
  }
  installStopHandlers();
  try {
    return run(*options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "daemon_bench: %s\n", error.what());
    return kExitSetup;
  }
}
