#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/text.h"

// How the throttle's reasons write figures: sizes as jmemctl prints them (core/text.h: "900.0M"),
// "40%", "2.5 s".
namespace jmem::throttle {

inline constexpr std::uint64_t kMiB = 1024 * 1024;

std::string percentText(double percent);
std::string secondsText(std::chrono::steady_clock::duration duration);

}  // namespace jmem::throttle
