#pragma once

#include <chrono>
#include <cstdint>
#include <string>

// How the throttle's reasons write figures: "900 MiB", "40%", "2.5 s".
namespace jmem::throttle {

inline constexpr std::uint64_t kMiB = 1024 * 1024;

std::string mibText(std::uint64_t bytes);
std::string percentText(double percent);
std::string secondsText(std::chrono::steady_clock::duration duration);

}  // namespace jmem::throttle
