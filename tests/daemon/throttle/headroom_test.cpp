#include "throttle/headroom.h"

#include <catch2/catch.hpp>

using namespace jmem;
using namespace jmem::throttle;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

Clock::time_point at(double seconds) {
  return Clock::time_point{} + std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

}  // namespace

TEST_CASE("headroom is MemAvailable and free disk swap whole, free zram swap by what compression saves",
          "[throttle]") {
  CHECK(headroomBytes(500 * kMiB, std::nullopt, {}) == 500 * kMiB);
  // 1 GiB of swap on disk, no zram: all of it.
  CHECK(headroomBytes(500 * kMiB, 1024 * kMiB, {}) == 1524 * kMiB);
  // zram holding 400 MiB in 100 MiB of RAM (4:1), 1600 MiB of its capacity free and all swap zram's:
  // swapping 1600 MiB more takes 400 MiB of RAM, saving 1200.
  const ZramTotals zram{6, 2000 * kMiB, 400 * kMiB, 90 * kMiB, 100 * kMiB};
  CHECK(headroomBytes(500 * kMiB, 1600 * kMiB, zram) == (500 + 1200) * kMiB);
  // Free swap beyond zram's free capacity is on disk: counted whole.
  CHECK(headroomBytes(500 * kMiB, 2600 * kMiB, zram) == (500 + 1200 + 1000) * kMiB);
  // An empty zram has measured nothing: the kernel's expected 2:1 is assumed.
  const ZramTotals empty{1, 1000 * kMiB, 0, 0, 0};
  CHECK(headroomBytes(0, 1000 * kMiB, empty) ==
        static_cast<std::uint64_t>(1000 * kMiB * (1.0 - 1.0 / kAssumedZramRatio)));
  // Incompressible data (a ratio of 1 or less) saves nothing.
  const ZramTotals incompressible{1, 1000 * kMiB, 100 * kMiB, 100 * kMiB, 110 * kMiB};
  CHECK(headroomBytes(0, 900 * kMiB, incompressible) == 0);
}

TEST_CASE("same-filled pages in zram take no memory and promise no saving for the pages to come",
          "[throttle]") {
  // 400 MiB stored in 100 MiB of RAM, but 200 MiB of it zeroed pages: the rest compressed 2:1, not 4:1.
  const ZramTotals zram{1, 2000 * kMiB, 400 * kMiB, 100 * kMiB, 100 * kMiB, 200 * kMiB};
  const ZramTotals without_same{1, 2000 * kMiB, 400 * kMiB, 100 * kMiB, 100 * kMiB, 0};
  CHECK(headroomBytes(0, 1600 * kMiB, zram) == 800 * kMiB);
  CHECK(headroomBytes(0, 1600 * kMiB, without_same) == 1200 * kMiB);
  // Only same-filled pages stored: nothing measured, the assumed ratio holds, and the basis says so.
  const ZramTotals only_same{1, 2000 * kMiB, 400 * kMiB, 0, 4096, 400 * kMiB};
  CHECK(headroomBytes(0, 1600 * kMiB, only_same) ==
        static_cast<std::uint64_t>(1600 * kMiB * (1.0 - 1.0 / kAssumedZramRatio)));
  CHECK(headroomBasis(only_same) == headroomBasis(ZramTotals{1, 2000 * kMiB, 0, 0, 0, 0}));
  CHECK(headroomBasis(zram) != headroomBasis(only_same));
}

TEST_CASE("the window is 10 s, or four sampling intervals where they are longer", "[throttle]") {
  using std::chrono::milliseconds;
  CHECK(headroomWindow(milliseconds{200}) == kHeadroomWindow);
  CHECK(headroomWindow(milliseconds{2500}) == kHeadroomWindow);
  CHECK(headroomWindow(milliseconds{15000}) == std::chrono::seconds{60});
}

TEST_CASE("a steady fall gives the time until headroom reaches 0 at that rate", "[throttle]") {
  std::vector<HeadroomSample> samples;
  for (int i = 0; i <= 4; ++i)
    samples.push_back({at(i), (1000 - 100 * static_cast<std::uint64_t>(i)) * kMiB});
  const auto seconds = secondsToExhaustion(samples);
  REQUIRE(seconds);
  // 600 MiB left, falling 100 MiB a second.
  CHECK(*seconds == Approx(6.0));
}

TEST_CASE("headroom that holds, rises, or is measured over too short a span gives no time", "[throttle]") {
  CHECK_FALSE(secondsToExhaustion({}));
  CHECK_FALSE(secondsToExhaustion({{at(0), kMiB}}));
  CHECK_FALSE(secondsToExhaustion({{at(0), 900 * kMiB}, {at(1), 500 * kMiB}}));  // 1 s < kHeadroomMinSpan
  CHECK_FALSE(secondsToExhaustion({{at(0), 500 * kMiB}, {at(1), 500 * kMiB}, {at(2), 500 * kMiB}}));
  CHECK_FALSE(secondsToExhaustion({{at(0), 500 * kMiB}, {at(1), 600 * kMiB}, {at(2), 700 * kMiB}}));
  CHECK_FALSE(secondsToExhaustion({{at(3), 500 * kMiB}, {at(3), 100 * kMiB}, {at(3), 50 * kMiB}}));
  // A fall that has stopped: the last sample is not below the one before.
  CHECK_FALSE(secondsToExhaustion(
      {{at(0), 900 * kMiB}, {at(1), 700 * kMiB}, {at(2), 500 * kMiB}, {at(3), 500 * kMiB}}));
}

TEST_CASE("one noisy sample bends the line, it does not decide it", "[throttle]") {
  // Flat at 800 MiB with one dip to 700: the fitted fall is far slower than the dip's 100 MiB/s.
  const auto seconds = secondsToExhaustion({{at(0), 800 * kMiB},
                                            {at(1), 800 * kMiB},
                                            {at(2), 700 * kMiB},
                                            {at(3), 800 * kMiB},
                                            {at(4), 790 * kMiB}});
  CHECK((!seconds || *seconds > 60.0));
}
