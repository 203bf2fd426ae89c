#include "accuracy.h"

#include <algorithm>
#include <unordered_set>

#include "population.h"

namespace jmem::bench {
namespace {

constexpr std::size_t kListed = 5;

std::uint64_t distance(std::uint64_t a, std::uint64_t b) {
  return a > b ? a - b : b - a;
}

double percentOff(std::uint64_t value, std::uint64_t truth) {
  if (truth == 0) return value == 0 ? 0.0 : 100.0;
  return 100.0 * static_cast<double>(distance(value, truth)) / static_cast<double>(truth);
}

}  // namespace

std::uint64_t toleranceBytes(std::uint64_t pss_bytes) {
  return std::max(pss_bytes / 100, kMiB);
}

std::uint64_t ProcessError::errorBytes() const {
  return distance(sampled_bytes, after.pss_bytes);
}

double ProcessError::errorInTolerances() const {
  return static_cast<double>(errorBytes()) / static_cast<double>(toleranceBytes(after.pss_bytes));
}

bool ProcessError::sharingChange() const {
  return distance(sampled_rss_bytes, after.rss_bytes) <= toleranceBytes(after.pss_bytes) / 2;
}

double Comparison::sumErrorPercent() const {
  return percentOff(sampled_sum_bytes, truth_sum_bytes);
}

double Comparison::rawSumErrorPercent() const {
  return percentOff(raw_sampled_sum_bytes, raw_truth_sum_bytes);
}

Comparison compare(const std::vector<ProcessSample>& samples, const PassResult& before,
                   const PassResult& after, pid_t probed_pid, const std::function<bool(pid_t)>& is_own) {
  Comparison result;
  std::unordered_set<pid_t> sampled;
  for (const ProcessSample& sample : samples) {
    sampled.insert(sample.pid);
    const auto truth = after.readings.find(sample.pid);
    const auto earlier = before.readings.find(sample.pid);
    if (truth == after.readings.end()) {
      ++result.came_or_went;
      continue;
    }
    result.raw_sampled_sum_bytes += sample.rollup.pss_bytes;
    result.raw_truth_sum_bytes += truth->second.pss_bytes;
    if (earlier == before.readings.end()) {
      ++result.came_or_went;
      continue;
    }
    if (sample.pid == probed_pid) {
      ++result.probed;
      continue;
    }
    const ProcessError error{
        sample.pid,      sample.comm,  is_own(sample.pid), sample.rollup.pss_bytes, sample.rollup.rss_bytes,
        earlier->second, truth->second};
    if (distance(earlier->second.pss_bytes, truth->second.pss_bytes) >
        toleranceBytes(truth->second.pss_bytes)) {
      ++result.moving;
      result.movers.push_back(error);
      continue;
    }
    ++result.compared;
    result.sampled_sum_bytes += sample.rollup.pss_bytes;
    result.truth_sum_bytes += truth->second.pss_bytes;
    if (!result.worst || error.errorInTolerances() > result.worst->errorInTolerances()) result.worst = error;
    if (error.errorBytes() > toleranceBytes(truth->second.pss_bytes)) {
      ++result.violations;
      if (error.own) ++result.own_violations;
      if (!error.sharingChange()) {
        ++result.missed_moves;
      } else if (!error.own) {
        ++result.foreign_sharing;
      }
      if (result.violators.size() < kListed) result.violators.push_back(error);
    }
  }
  for (const auto& [pid, reading] : after.readings) {
    if (sampled.contains(pid)) continue;
    if (before.readings.contains(pid)) {
      ++result.missing;
      if (result.missing_pids.size() < kListed) result.missing_pids.push_back(pid);
    } else {
      ++result.came_or_went;
    }
  }
  std::sort(result.movers.begin(), result.movers.end(),
            [](const auto& a, const auto& b) { return a.after.pss_bytes > b.after.pss_bytes; });
  if (result.movers.size() > kListed) result.movers.resize(kListed);
  return result;
}

}  // namespace jmem::bench
