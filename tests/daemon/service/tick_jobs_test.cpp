#include "service/tick_jobs.h"

#include <catch2/catch.hpp>

using namespace jmem;

namespace {

// The ticks, out of the first `ticks`, on which `job` of tickJobs is set.
template <typename Job>
std::uint64_t countTicks(std::uint64_t ticks, bool enforce_mode, Job job) {
  std::uint64_t count = 0;
  for (std::uint64_t tick = 0; tick < ticks; ++tick)
    count += job(tickJobs(tick, enforce_mode, false)) ? 1 : 0;
  return count;
}

}  // namespace

TEST_CASE("An audit-mode governor checks the policy at its first tick and then once per policy period",
          "[service]") {
  CHECK(tickJobs(0, false, false).check);
  CHECK_FALSE(tickJobs(1, false, false).check);
  CHECK(tickJobs(kPolicyEveryTicks - 1, false, false).check);
  CHECK(countTicks(10 * kPolicyEveryTicks, false, [](TickJobs j) { return j.check; }) == 11);
  CHECK(countTicks(10 * kPolicyEveryTicks, false, [](TickJobs j) { return j.enforce; }) == 0);
}

TEST_CASE("An enforcing governor enforces once per policy period and does not check again in that tick",
          "[service]") {
  const TickJobs jobs = tickJobs(kPolicyEveryTicks - 1, true, true);
  CHECK(jobs.enforce);
  CHECK_FALSE(jobs.check);
  CHECK(countTicks(10 * kPolicyEveryTicks, true, [](TickJobs j) { return j.enforce; }) == 10);
  // Only the first tick's check is left: every other verdict comes from an enforcement's observation.
  CHECK(countTicks(10 * kPolicyEveryTicks, true, [](TickJobs j) { return j.check; }) == 1);
}

TEST_CASE("A verdict that may be outdated is checked at the next tick whatever the period", "[service]") {
  CHECK(tickJobs(7, false, true).check);
  CHECK(tickJobs(7, true, true).check);
  CHECK_FALSE(tickJobs(7, true, true).enforce);
}

TEST_CASE("Metrics are written at the first tick and then once per metrics period", "[service]") {
  CHECK(tickJobs(0, false, false).metrics);
  CHECK_FALSE(tickJobs(1, false, false).metrics);
  CHECK(tickJobs(kMetricsEveryTicks, false, false).metrics);
  CHECK(countTicks(4 * kMetricsEveryTicks, true, [](TickJobs j) { return j.metrics; }) == 4);
}
