#include "throttle/headroom.h"

#include <algorithm>

#include "core/text.h"

namespace jmem::throttle {
namespace {

// zram's compression of the pages that take memory: same-filled pages (zeroed buffers) cost none and
// would promise a saving the next pages, real data, do not give.
std::optional<double> measuredRatio(const ZramTotals& zram) {
  const std::uint64_t stored =
      zram.orig_data_bytes > zram.same_bytes ? zram.orig_data_bytes - zram.same_bytes : 0;
  if (stored == 0 || zram.mem_used_bytes == 0) return std::nullopt;
  return static_cast<double>(stored) / static_cast<double>(zram.mem_used_bytes);
}

}  // namespace

std::uint64_t headroomBytes(std::uint64_t mem_available_bytes, std::optional<std::uint64_t> swap_free_bytes,
                            const ZramTotals& zram) {
  const std::uint64_t swap_free = swap_free_bytes.value_or(0);
  // zram's free capacity is uncompressed bytes; what of free swap is beyond it is on disk.
  const std::uint64_t zram_capacity =
      zram.disksize_bytes > zram.orig_data_bytes ? zram.disksize_bytes - zram.orig_data_bytes : 0;
  const std::uint64_t zram_free = std::min(swap_free, zram_capacity);
  const double ratio = measuredRatio(zram).value_or(kAssumedZramRatio);
  const double saved = ratio > 1.0 ? static_cast<double>(zram_free) * (1.0 - 1.0 / ratio) : 0.0;
  return addSaturating(addSaturating(mem_available_bytes, swap_free - zram_free),
                       static_cast<std::uint64_t>(saved));
}

Clock::duration headroomWindow(std::chrono::milliseconds sample_interval) {
  return std::max<Clock::duration>(kHeadroomWindow, sample_interval * kHeadroomMinSamples);
}

std::uint64_t headroomBasis(const ZramTotals& zram) {
  return zram.devices * 2 + (measuredRatio(zram) ? 1 : 0);
}

std::optional<double> secondsToExhaustion(const std::vector<HeadroomSample>& samples) {
  if (samples.size() < 2 || samples.back().at - samples.front().at < kHeadroomMinSpan) return std::nullopt;
  if (samples.back().bytes >= samples[samples.size() - 2].bytes) return std::nullopt;
  const Clock::time_point origin = samples.front().at;
  double mean_t = 0;
  double mean_b = 0;
  for (const HeadroomSample& s : samples) {
    mean_t += std::chrono::duration<double>(s.at - origin).count();
    mean_b += static_cast<double>(s.bytes);
  }
  const auto n = static_cast<double>(samples.size());
  mean_t /= n;
  mean_b /= n;
  double covariance = 0;
  double variance = 0;
  for (const HeadroomSample& s : samples) {
    const double dt = std::chrono::duration<double>(s.at - origin).count() - mean_t;
    covariance += dt * (static_cast<double>(s.bytes) - mean_b);
    variance += dt * dt;
  }
  if (variance <= 0) return std::nullopt;
  const double slope_bytes_per_s = covariance / variance;
  if (slope_bytes_per_s >= 0) return std::nullopt;
  return static_cast<double>(samples.back().bytes) / -slope_bytes_per_s;
}

}  // namespace jmem::throttle
