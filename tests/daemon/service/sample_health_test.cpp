#include "service/sample_health.h"

#include <catch2/catch.hpp>

using namespace jmem;
using std::chrono::microseconds;

namespace {

constexpr std::uint64_t kSecond = 1'000'000;
constexpr microseconds kInterval{kSecond};

}  // namespace

TEST_CASE("a ledger is stale only once its last good sample is more than three intervals old", "[service]") {
  CHECK(sampleState(10 * kSecond, 10 * kSecond, kInterval) == SampleState::kFresh);
  CHECK(sampleState(10 * kSecond, 13 * kSecond, kInterval) == SampleState::kFresh);
  CHECK(sampleState(10 * kSecond, 13 * kSecond + 1, kInterval) == SampleState::kStale);
  CHECK(sampleState(10 * kSecond, 13 * kSecond + 1, microseconds(2 * kSecond)) == SampleState::kFresh);
  // A clock read before the sample's own time is no age at all.
  CHECK(sampleState(10 * kSecond, 9 * kSecond, kInterval) == SampleState::kFresh);
  CHECK(toString(SampleState::kFresh) == "fresh");
  CHECK(toString(SampleState::kStale) == "stale");
}

TEST_CASE("failed samples age the ledger from the last success and keep the last error until the next one",
          "[service]") {
  SampleHealth health;
  health.succeeded(100 * kSecond);
  health.failed("/proc/meminfo: meminfo line 1: invalid value \"x\" for MemTotal");
  health.failed("/proc/meminfo: meminfo: missing field MemTotal");
  CHECK(health.lastError() == "/proc/meminfo: meminfo: missing field MemTotal");
  CHECK(health.failures() == 2);
  CHECK(health.ageUsec(102 * kSecond) == 2 * kSecond);
  CHECK(health.state(102 * kSecond, kInterval) == SampleState::kFresh);
  CHECK(health.state(104 * kSecond, kInterval) == SampleState::kStale);

  health.succeeded(104 * kSecond);
  CHECK(health.lastError().empty());
  CHECK(health.failures() == 2);  // since start
  CHECK(health.state(104 * kSecond, kInterval) == SampleState::kFresh);
}

TEST_CASE("a sampling error is kept safe for a terminal and bounded, and never empty", "[service]") {
  SampleHealth health;
  health.failed("/proc/meminfo: bad\nREADY=1\x1b[31m");
  CHECK(health.lastError().find('\n') == std::string::npos);
  CHECK(health.lastError().find('\x1b') == std::string::npos);
  CHECK(health.lastError().find("READY=1") != std::string::npos);

  // A long value of multi-byte characters is cut between characters, not inside one.
  std::string long_error = "/proc/meminfo: ";
  for (int i = 0; i < 400; ++i) long_error += "\xc3\xa9";  // é
  health.failed(long_error);
  CHECK(health.lastError().size() <= kMaxSampleErrorBytes);
  CHECK(health.lastError().ends_with("..."));
  const std::string kept = health.lastError().substr(0, health.lastError().size() - 3);
  CHECK((static_cast<unsigned char>(kept.back()) & 0xC0) == 0x80);  // a whole é's last byte
  CHECK(kept.size() % 2 == 1);                                      // the prefix, then whole characters

  health.failed("");
  CHECK_FALSE(health.lastError().empty());
}
