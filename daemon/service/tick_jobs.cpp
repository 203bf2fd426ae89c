#include "service/tick_jobs.h"

namespace jmem {

TickJobs tickJobs(std::uint64_t tick, bool enforce_mode, bool verdict_outdated) {
  const bool policy_tick = tick % kPolicyEveryTicks == kPolicyEveryTicks - 1;
  TickJobs jobs;
  jobs.enforce = policy_tick && enforce_mode;
  // An enforcement reports the verdict it observed: a second look in the same tick would only repeat it.
  jobs.check = !jobs.enforce && (tick == 0 || policy_tick || verdict_outdated);
  jobs.metrics = tick % kMetricsEveryTicks == 0;
  return jobs;
}

}  // namespace jmem
