#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "sources/zram.h"

// How long until memory runs out, from how fast it is falling: a workload that grows by 100 MiB/s
// crosses a level trigger and exhausts what is left before the next rung a rate limit allows.
namespace jmem::throttle {

using Clock = std::chrono::steady_clock;

// zram's compression until it has stored anything to measure: the kernel's documentation expects 2:1.
inline constexpr double kAssumedZramRatio = 2.0;
// The window the fall is measured over, and the shortest span of samples that measures it.
inline constexpr std::chrono::seconds kHeadroomWindow{10};
inline constexpr std::chrono::seconds kHeadroomMinSpan{2};
// The samples a window holds at least: a longer sampling interval widens it.
inline constexpr int kHeadroomMinSamples = 4;

// The window for a sampling interval: kHeadroomWindow, or kHeadroomMinSamples intervals if longer.
Clock::duration headroomWindow(std::chrono::milliseconds sample_interval);

// The memory left before the device runs out: MemAvailable, free swap on disk whole, and of free zram
// swap only what compression saves, since its compressed pages take RAM (at the ratio zram measures
// over the pages that take memory: same-filled ones take none).
// Swap unknown (a kernel without the line) counts as none.
std::uint64_t headroomBytes(std::uint64_t mem_available_bytes, std::optional<std::uint64_t> swap_free_bytes,
                            const ZramTotals& zram);

// What a headroom figure is made of: zram's devices, and whether its ratio is measured or assumed. A
// change of basis moves headroom at once without memory being used: the fall is measured anew.
std::uint64_t headroomBasis(const ZramTotals& zram);

struct HeadroomSample {
  Clock::time_point at;
  std::uint64_t bytes = 0;
  std::uint64_t basis = 0;
};

// Seconds until the headroom of the last sample reaches 0 at the rate it fell over `samples` (a least
// squares line; oldest first), or nullopt when it is not falling, has stopped falling (the last
// sample is not below the one before), or the samples span less than kHeadroomMinSpan.
std::optional<double> secondsToExhaustion(const std::vector<HeadroomSample>& samples);

}  // namespace jmem::throttle
