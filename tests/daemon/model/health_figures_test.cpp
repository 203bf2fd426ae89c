#include "model/health_figures.h"

#include <catch2/catch.hpp>

using namespace jmem;

namespace {

compliance::CheckItem checkItem(compliance::ItemKind kind, std::string subject, compliance::ItemState state) {
  compliance::CheckItem item;
  item.kind = kind;
  item.subject = std::move(subject);
  item.state = state;
  return item;
}

}  // namespace

TEST_CASE(
    "the policy's figures give the verdict, count drift and unknown items and name each pending subject "
    "once",
    "[model]") {
  using compliance::ItemKind;
  using compliance::ItemState;
  compliance::CheckReport report;
  report.items = {checkItem(ItemKind::kUnitFile, "gdm3.service", ItemState::kDrift),
                  checkItem(ItemKind::kUnitActive, "gdm3.service", ItemState::kDrift),
                  checkItem(ItemKind::kUnitActive, "cups.service", ItemState::kUnknown),
                  checkItem(ItemKind::kBootNow, "swiotlb", ItemState::kRebootPending),
                  checkItem(ItemKind::kBootNext, "swiotlb", ItemState::kRebootPending),
                  checkItem(ItemKind::kBootNow, "quiet", ItemState::kRebootPending)};
  HealthFigures health;
  setPolicyFigures(health, report, 1234);
  CHECK(health.policy_verdict == "drift");
  CHECK(health.policy_drift_items == 2);
  CHECK(health.policy_unknown_items == 1);
  CHECK(health.policy_reboot_pending == std::vector<std::string>{"swiotlb", "quiet"});
  CHECK(health.policy_check_usec == 1234);

  report.items.erase(report.items.begin(), report.items.begin() + 3);
  setPolicyFigures(health, report, 1300);
  CHECK(health.policy_verdict == "reboot-pending");
  CHECK(health.policy_drift_items == 0);
  CHECK(health.policy_unknown_items == 0);
}

TEST_CASE("a check that could not run is unknown, never the verdict before it", "[model]") {
  HealthFigures health;
  setPolicyFigures(health, compliance::CheckReport{}, 1);
  CHECK(health.policy_verdict == "compliant");
  setPolicyUnchecked(health, 2);
  CHECK(health.policy_verdict == "unknown");
  CHECK(health.policy_check_usec == 2);
}
