#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

// Whether the ledger jmemd serves is current. A sample that fails keeps the last ledger; once the
// last good sample is older than kStaleAfterIntervals intervals the ledger is stale, a failed state
// that jmemctl status, the bus, the metrics and STATUS= all report. Times are CLOCK_MONOTONIC, passed
// in, so that a clock set at boot (a Jetson without a battery) makes nothing stale.
namespace jmem {

inline constexpr std::uint64_t kStaleAfterIntervals = 3;
// What one error may add to a bus property and to STATUS=; a malformed file can make it long.
inline constexpr std::size_t kMaxSampleErrorBytes = 512;

enum class SampleState { kFresh, kStale };
std::string_view toString(SampleState state);  // fresh, stale

// Pure: stale once the last good sample is more than kStaleAfterIntervals intervals older than now.
SampleState sampleState(std::uint64_t last_good_usec, std::uint64_t now_usec,
                        std::chrono::microseconds interval);

// The outcome of every sample, as the governor records it.
class SampleHealth {
 public:
  void succeeded(std::uint64_t now_usec);
  // `error` is kept terminal-safe (it goes to the bus, STATUS= and terminals) and bounded.
  void failed(std::string_view error);

  SampleState state(std::uint64_t now_usec, std::chrono::microseconds interval) const {
    return sampleState(last_good_usec_, now_usec, interval);
  }
  std::uint64_t ageUsec(std::uint64_t now_usec) const {
    return now_usec > last_good_usec_ ? now_usec - last_good_usec_ : 0;
  }
  const std::string& lastError() const { return last_error_; }  // "" since the last success
  std::uint64_t failures() const { return failures_; }          // failed samples since start

 private:
  std::uint64_t last_good_usec_ = 0;
  std::string last_error_;
  std::uint64_t failures_ = 0;
};

}  // namespace jmem
