#include "sources/process_sampler.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <map>

#include "sources/proc_fixture.h"

using namespace jmem;
using namespace jmem::test;
using std::chrono::seconds;
using Files = std::map<std::string, std::string>;

namespace {

SamplerOptions testOptions() {
  SamplerOptions options;
  options.max_age = seconds(30);
  options.page_bytes = 4096;
  return options;
}

std::unique_ptr<ProcessSampler> openSampler(const FixtureTree& tree, SamplerOptions options = testOptions()) {
  auto sampler = ProcessSampler::open(tree.path("proc"), options);
  REQUIRE(sampler.ok());
  return std::move(*sampler);
}

const ProcessSample& samplePid(const std::vector<ProcessSample>& samples, pid_t pid) {
  for (const auto& sample : samples) {
    if (sample.pid == pid) return sample;
  }
  FAIL("pid " << pid << " not sampled");
  throw;
}

}  // namespace

TEST_CASE("the first tick reads every process and counts kernel threads apart", "[sources]") {
  FixtureTree tree;
  writeProcess(tree, {.pid = 100, .comm = "gnome-shell", .pss_kib = 70000});
  writeProcess(tree, {.pid = 200, .comm = "Xorg", .pss_kib = 30000});
  writeKernelThread(tree, 2, "kthreadd");
  tree.write("proc/meminfo", "MemTotal: 1 kB\n");  // non-PID entries are ignored

  auto sampler = openSampler(tree);
  const TickStats stats = sampler->tick(SteadyClock::time_point{});
  const auto samples = sampler->samples();

  REQUIRE(samples.size() == 2);
  CHECK(samples[0].pid == 100);
  CHECK(samples[0].comm == "gnome-shell");
  CHECK(samples[0].cmdline == "/usr/bin/worker --flag");
  CHECK(samples[0].uid == 1000);
  CHECK(samples[0].placement.unit == "worker.service");
  CHECK(samples[0].rollup.pss_bytes == 70000u * 1024);
  CHECK(samples[1].rollup.pss_bytes == 30000u * 1024);
  CHECK(sampler->counts().listed == 3);
  CHECK(sampler->counts().with_memory == 2);
  CHECK(sampler->counts().without_memory == 1);
  CHECK(stats.new_processes == 3);
  CHECK(stats.rollup_reads == 2);
}

TEST_CASE("a process whose counters did not move keeps its reading until the maximum age", "[sources]") {
  FixtureTree tree;
  FakeProcess process{.pid = 300, .pss_kib = 6000};
  writeProcess(tree, process);
  auto sampler = openSampler(tree);
  const SteadyClock::time_point start{};
  (void)sampler->tick(start);

  // PSS changes without statm moving: another process started sharing its pages, say.
  process.pss_kib = 3000;
  tree.write("proc/300/smaps_rollup", smapsRollupText(process));

  const TickStats early = sampler->tick(start + seconds(1));
  CHECK(early.rollup_reads == 0);
  CHECK(early.statm_reads == 1);
  CHECK(samplePid(sampler->samples(), 300).rollup.pss_bytes == 6000u * 1024);

  // The first deadline is spread within (0, max_age]; by max_age it has passed for certain.
  const TickStats late = sampler->tick(start + seconds(30));
  CHECK(late.expired_refreshes == 1);
  CHECK(samplePid(sampler->samples(), 300).rollup.pss_bytes == 3000u * 1024);

  // From then on the bound is exactly max_age after the last reading.
  process.pss_kib = 2000;
  tree.write("proc/300/smaps_rollup", smapsRollupText(process));
  CHECK(sampler->tick(start + seconds(59)).rollup_reads == 0);
  CHECK(sampler->tick(start + seconds(60)).rollup_reads == 1);
  CHECK(samplePid(sampler->samples(), 300).rollup.pss_bytes == 2000u * 1024);
}

TEST_CASE("a resident set that moves past the threshold is re-read at the next tick", "[sources]") {
  FixtureTree tree;
  FakeProcess process{.pid = 400, .resident_pages = 2000, .pss_kib = 6000};
  writeProcess(tree, process);
  auto sampler = openSampler(tree);
  const SteadyClock::time_point start{};
  (void)sampler->tick(start);

  // 100 pages (400 KiB) is under the 512 KiB floor: not re-read.
  process.resident_pages += 100;
  process.pss_kib += 400;
  writeProcess(tree, process);
  CHECK(sampler->tick(start + seconds(1)).moved_refreshes == 0);

  // 1000 pages (about 4 MiB) is past it.
  process.resident_pages += 1000;
  process.pss_kib += 4000;
  writeProcess(tree, process);
  const TickStats moved = sampler->tick(start + seconds(2));
  CHECK(moved.moved_refreshes == 1);
  CHECK(samplePid(sampler->samples(), 400).rollup.pss_bytes == process.pss_kib * 1024);
}

TEST_CASE("a new process is read at once and an exited one leaves the ledger", "[sources]") {
  FixtureTree tree;
  writeProcess(tree, {.pid = 500});
  auto sampler = openSampler(tree);
  const SteadyClock::time_point start{};
  (void)sampler->tick(start);

  writeProcess(tree, {.pid = 501, .pss_kib = 1234});
  tree.remove("proc/500");
  const TickStats stats = sampler->tick(start + seconds(1));
  CHECK(stats.new_processes == 1);
  const auto samples = sampler->samples();
  REQUIRE(samples.size() == 1);
  CHECK(samples[0].pid == 501);
  CHECK(samples[0].rollup.pss_bytes == 1234u * 1024);
}

TEST_CASE("a process replaced under the same PID is never read through the old directory", "[sources]") {
  FixtureTree tree;
  writeProcess(tree, {.pid = 600, .comm = "old", .pss_kib = 6000});
  auto sampler = openSampler(tree);
  const SteadyClock::time_point start{};
  (void)sampler->tick(start);

  // The directory the sampler holds is gone; a new one with the same name is a new process. Through
  // descriptors of a dead process the kernel answers ESRCH; a fixture file cannot, so the statm the
  // sampler keeps open is emptied (unparsable) before its directory goes.
  tree.write("proc/600/statm", "");
  tree.remove("proc/600");
  writeProcess(tree, {.pid = 600, .comm = "new", .cmdline = std::string("new\0", 4), .pss_kib = 100});
  (void)sampler->tick(start + seconds(1));
  (void)sampler->tick(start + seconds(2));
  const auto samples = sampler->samples();
  REQUIRE(samples.size() == 1);
  CHECK(samples[0].comm == "new");
  CHECK(samples[0].cmdline == "new");
  CHECK(samples[0].rollup.pss_bytes == 100u * 1024);
}

TEST_CASE("a command line is read once per process, not again with each rollup", "[sources]") {
  FixtureTree tree;
  FakeProcess process{.pid = 650};
  writeProcess(tree, process);
  auto sampler = openSampler(tree);
  const SteadyClock::time_point start{};
  CHECK(sampler->tick(start).cmdline_reads == 1);

  // Only a fixture changes a command line under a living process without a new comm.
  tree.write("proc/650/cmdline", std::string("/usr/bin/other\0", 15));
  const TickStats expired = sampler->tick(start + seconds(30));
  CHECK(expired.rollup_reads == 1);
  CHECK(expired.cmdline_reads == 0);
  CHECK(samplePid(sampler->samples(), 650).cmdline == "/usr/bin/worker --flag");
}

TEST_CASE("a process that names itself anew, as exec does, has its command line read again", "[sources]") {
  FixtureTree tree;
  FakeProcess process{.pid = 660, .comm = "sh"};
  writeProcess(tree, process);
  auto sampler = openSampler(tree);
  const SteadyClock::time_point start{};
  (void)sampler->tick(start);

  process.comm = "python3";
  process.cmdline = std::string("python3\0serve.py\0", 18);
  writeProcess(tree, process);
  const TickStats expired = sampler->tick(start + seconds(30));
  CHECK(expired.cmdline_reads == 1);
  const auto samples = sampler->samples();
  const ProcessSample& sample = samplePid(samples, 660);
  CHECK(sample.comm == "python3");
  CHECK(sample.cmdline == "python3 serve.py");
}

TEST_CASE("a process whose files do not parse is skipped and counted, not guessed", "[sources]") {
  FixtureTree tree;
  writeProcess(tree, {.pid = 700});
  writeProcess(tree, {.pid = 701});
  tree.write("proc/701/smaps_rollup", "Rss: lots\nPss: \xff\xfe\n");
  auto sampler = openSampler(tree);
  (void)sampler->tick(SteadyClock::time_point{});
  CHECK(sampler->samples().size() == 1);
  CHECK(sampler->counts().invalid == 1);
}

TEST_CASE("a zero maximum age re-reads every process at every tick", "[sources]") {
  FixtureTree tree;
  writeProcess(tree, {.pid = 800});
  writeProcess(tree, {.pid = 801});
  SamplerOptions options = testOptions();
  options.max_age = seconds(0);
  auto sampler = openSampler(tree, options);
  (void)sampler->tick(SteadyClock::time_point{});
  CHECK(sampler->tick(SteadyClock::time_point{} + seconds(1)).rollup_reads == 2);
}

TEST_CASE("errors from the kernel map to skip reasons", "[sources]") {
  CHECK(outcomeFromErrno(ENOENT) == ReadOutcome::kExited);
  CHECK(outcomeFromErrno(ESRCH) == ReadOutcome::kExited);
  CHECK(outcomeFromErrno(EACCES) == ReadOutcome::kDenied);
  CHECK(outcomeFromErrno(EPERM) == ReadOutcome::kDenied);
  CHECK(outcomeFromErrno(EIO) == ReadOutcome::kInvalid);
}

TEST_CASE("opening a missing proc root is an error that names it", "[sources]") {
  auto sampler = ProcessSampler::open("/nonexistent-jmem-root", testOptions());
  REQUIRE_FALSE(sampler.ok());
  CHECK(sampler.error().message == "Failed to open /nonexistent-jmem-root: No such file or directory");
}

TEST_CASE("a FIFO among a process's files skips that process and names the file, without blocking",
          "[sources]") {
  const char* file = GENERATE("smaps_rollup", "cmdline", "status", "comm", "cgroup", "statm");
  FixtureTree tree;
  writeProcess(tree, {.pid = 900});
  writeProcess(tree, {.pid = 901});
  const auto fifo = tree.path("proc/901/" + std::string(file));
  std::filesystem::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto sampler = openSampler(tree);
  (void)sampler->tick(SteadyClock::time_point{});
  CHECK(sampler->samples().size() == 1);
  CHECK(sampler->counts().invalid == 1);
  REQUIRE(sampler->problems().size() == 1);
  CHECK(sampler->problems()[0] == "Failed to read " + fifo.string() + ": not a regular file (a FIFO)");
}

TEST_CASE("a process directory that is a symlink is not followed", "[sources]") {
  FixtureTree tree;
  writeProcess(tree, {.pid = 910});
  std::filesystem::create_directory_symlink(tree.path("proc/910"), tree.path("proc/911"));
  auto sampler = openSampler(tree);
  (void)sampler->tick(SteadyClock::time_point{});
  CHECK(sampler->samples().size() == 1);
  CHECK(sampler->counts().invalid == 1);
  REQUIRE(sampler->problems().size() == 1);
  CHECK(sampler->problems()[0].find(tree.path("proc/911").string()) != std::string::npos);
}

TEST_CASE("a process file that is a symlink is refused, not followed out of the tree", "[sources]") {
  FixtureTree tree(Files{{"elsewhere/cmdline", "secret"}});
  writeProcess(tree, {.pid = 920});
  std::filesystem::remove(tree.path("proc/920/cmdline"));
  std::filesystem::create_symlink(tree.path("elsewhere/cmdline"), tree.path("proc/920/cmdline"));
  auto sampler = openSampler(tree);
  (void)sampler->tick(SteadyClock::time_point{});
  CHECK(sampler->samples().empty());
  REQUIRE(sampler->problems().size() == 1);
  CHECK(sampler->problems()[0] == "Failed to open " + tree.path("proc/920/cmdline").string() +
                                      ": not a regular file (a symbolic link)");
}

TEST_CASE("a process whose smaps_rollup does not parse is named with the parser's reason", "[sources]") {
  FixtureTree tree;
  writeProcess(tree, {.pid = 930});
  tree.write("proc/930/smaps_rollup", "Rss: lots\n");
  auto sampler = openSampler(tree);
  (void)sampler->tick(SteadyClock::time_point{});
  REQUIRE(sampler->problems().size() == 1);
  CHECK(sampler->problems()[0].rfind(tree.path("proc/930/smaps_rollup").string() + ": ", 0) == 0);
}
