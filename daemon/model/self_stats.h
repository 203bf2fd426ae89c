#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace jmem {

// The governor's own cost over its last ticks: how late each tick ran against its schedule and how
// much CPU it took. Fixed size: it must not grow over months of uptime.
class SelfStats {
 public:
  static constexpr std::size_t kWindow = 1024;

  void record(std::chrono::microseconds lateness, std::chrono::microseconds cpu, std::size_t rollup_reads);

  std::uint64_t ticks() const { return ticks_; }
  // Percentile (0-100) of lateness over the window, in usec; 0 before the first tick.
  std::uint64_t latenessPercentileUsec(unsigned percentile) const;
  std::uint64_t latenessMaxUsec() const;
  std::uint64_t cpuMeanUsec() const;
  std::size_t lastRollupReads() const { return last_rollup_reads_; }

 private:
  std::size_t filled() const { return ticks_ < kWindow ? static_cast<std::size_t>(ticks_) : kWindow; }

  std::array<std::uint64_t, kWindow> lateness_usec_{};
  std::array<std::uint64_t, kWindow> cpu_usec_{};
  std::uint64_t ticks_ = 0;
  std::size_t last_rollup_reads_ = 0;
};

}  // namespace jmem
