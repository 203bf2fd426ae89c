#include "compliance/change_events.h"

#include <catch2/catch.hpp>

using namespace jmem;
using namespace jmem::compliance;

namespace {

std::string fieldOf(const Event& e, std::string_view name) {
  for (const auto& [key, value] : e.fields) {
    if (key == name) return value;
  }
  return "(absent)";
}

}  // namespace

TEST_CASE("an operator's apply leaves one event per change and one for the whole, with the caller's uid",
          "[compliance]") {
  const std::vector<ChangeResult> results = {
      {"unit_file", "gdm3.service", "mask", true, std::nullopt},
      {"file", "/boot/extlinux/extlinux.conf", "swiotlb=65536 set", true, std::nullopt},
      {"unit_active", "avahi-daemon.service", "Failed to stop: timeout", false, std::nullopt}};
  const auto events = changeEvents(true, {"operator", 1000u}, results);
  REQUIRE(events.size() == 4);
  CHECK(events[0].kind == event::kChange);
  CHECK(fieldOf(events[0], "UNIT") == "gdm3.service");
  CHECK(fieldOf(events[0], "RESULT") == "done");
  CHECK(fieldOf(events[0], "CALLER_UID") == "1000");
  // A path is a target, not a unit.
  CHECK(fieldOf(events[1], "TARGET") == "/boot/extlinux/extlinux.conf");
  CHECK(fieldOf(events[1], "UNIT").empty());
  CHECK(fieldOf(events[2], "RESULT") == "failed");
  CHECK(events[2].priority == 3);
  CHECK(events[3].kind == event::kApply);
  CHECK(events[3].message == "Apply by uid 1000: 2 changes made, 1 failed");
  CHECK(fieldOf(events[3], "RESULT") == "failed");
}

TEST_CASE("a revert says reverted; enforce mode names itself and no caller", "[compliance]") {
  const std::vector<ChangeResult> one = {{"unit_file", "gdm3.service", "unmasked", true, std::nullopt}};
  const auto reverted = changeEvents(false, {"operator", 0u}, one);
  CHECK(fieldOf(reverted[0], "RESULT") == "reverted");
  CHECK(reverted.back().message == "Revert by uid 0: 1 change reverted");
  const auto enforced = changeEvents(true, {"enforce", std::nullopt}, one);
  CHECK(fieldOf(enforced.back(), "ORIGIN") == "enforce");
  CHECK(fieldOf(enforced.back(), "CALLER_UID").empty());
  CHECK(enforced.back().message.starts_with("Enforce mode"));
}

TEST_CASE("an apply that failed as a whole is one failed event with the error", "[compliance]") {
  const Result<std::vector<ChangeResult>> failed = Error{"the journal has lines set aside"};
  const auto events = changeEvents(true, {"operator", 0u}, failed);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == event::kApply);
  CHECK(events[0].message.ends_with("failed: the journal has lines set aside"));
  const auto empty = changeEvents(true, {"operator", 0u}, std::vector<ChangeResult>{});
  CHECK(empty.back().message == "Apply by uid 0: nothing to change");
}
