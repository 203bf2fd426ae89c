#include "core/log_limiter.h"

#include <catch2/catch.hpp>

using namespace jmem;

namespace {
constexpr std::uint64_t kWindowUsec = 10'000'000;
}

TEST_CASE("a key logs its burst, then is held back until its window ends", "[core]") {
  LogLimiter limiter(3, kWindowUsec);
  int logged = 0;
  for (int i = 0; i < 1000; ++i) logged += limiter.admit("uid 65534", 1000 + i) ? 1 : 0;
  CHECK(logged == 3);
  CHECK(limiter.expire(1000 + kWindowUsec - 1).empty());
  const auto summaries = limiter.expire(1000 + kWindowUsec);
  REQUIRE(summaries.size() == 1);
  CHECK(summaries[0].key == "uid 65534");
  CHECK(summaries[0].suppressed == 997u);
  CHECK(limiter.admit("uid 65534", 1000 + kWindowUsec + 1));
}

TEST_CASE("one caller's flood does not hold back another caller's lines", "[core]") {
  LogLimiter limiter(2, kWindowUsec);
  for (int i = 0; i < 100; ++i) (void)limiter.admit("uid 1000", 5);
  CHECK(limiter.admit("uid 0", 6));
  CHECK(limiter.admit("uid 0", 7));
  CHECK_FALSE(limiter.admit("uid 0", 8));
}

TEST_CASE("a window that held nothing back ends without a summary", "[core]") {
  LogLimiter limiter(5, kWindowUsec);
  CHECK(limiter.admit("uid 1000", 0));
  CHECK(limiter.expire(kWindowUsec).empty());
}

TEST_CASE("keys beyond the limit share one window, so memory stays bounded", "[core]") {
  LogLimiter limiter(1, kWindowUsec, 2);
  CHECK(limiter.admit("a", 0));
  CHECK(limiter.admit("b", 0));
  CHECK(limiter.admit("c", 0));
  CHECK_FALSE(limiter.admit("d", 0));
  const auto summaries = limiter.expire(kWindowUsec);
  REQUIRE(summaries.size() == 1);
  CHECK(summaries[0].key == LogLimiter::kOthers);
  CHECK(summaries[0].suppressed == 1u);
}
