#include <catch2/catch.hpp>

#include "compliance/check.h"
#include "compliance/plan.h"
#include "support/policy_text.h"

using namespace jmem;
using namespace jmem::compliance;

namespace {

policy::Policy parse(const std::string& text) {
  return test::parsePolicyOrFail(text);
}

const char* kPolicy = R"(mode = "audit"
default_target = "multi-user.target"
keep = ["ssh.service"]

[classes.gui]
action = "mask"
units = ["gdm3.service", "lightdm.service"]

[classes.network]
action = "disable"
units = ["avahi-*.service", "avahi-*.socket"]

[classes.audio]
action = "mask"
scope = "global-user"
units = ["pulseaudio.service"]

[boot]
swiotlb = { absent = true }
edit_extlinux = true
)";

ObservedState desktopJetson() {
  ObservedState observed;
  observed.default_target = "graphical.target";
  observed.system_units["gdm3.service"] = {true, "enabled", "active", "loaded"};
  observed.system_units["avahi-daemon.service"] = {true, "enabled", "active", "loaded"};
  observed.system_units["avahi-daemon.socket"] = {true, "enabled", "active", "loaded"};
  observed.user_units["pulseaudio.service"] = {true, false};
  observed.boot.cmdline = "root=/dev/mmcblk0p1 rw quiet\n";
  observed.boot.next_append = "${cbootargs} root=/dev/mmcblk0p1 rw swiotlb=65536 quiet";
  return observed;
}

const CheckItem* find(const CheckReport& report, ItemKind kind, const std::string& subject) {
  for (const auto& item : report.items) {
    if (item.kind == kind && item.subject == subject) return &item;
  }
  return nullptr;
}

Ledger ledgerWith(const std::string& unit, std::string manager, std::uint64_t bytes) {
  Ledger ledger;
  LedgerUnit u;
  u.unit = unit;
  u.manager = std::move(manager);
  u.memory.pss_bytes = bytes;
  ledger.units.push_back(u);
  return ledger;
}

}  // namespace

TEST_CASE("a desktop Jetson drifts from a headless policy item by item") {
  const auto policy = parse(kPolicy);
  const auto report = checkCompliance(policy, desktopJetson(), nullptr);
  CHECK_FALSE(report.compliant());
  REQUIRE(find(report, ItemKind::kDefaultTarget, "default.target"));
  CHECK(find(report, ItemKind::kDefaultTarget, "default.target")->actual == "graphical.target");
  CHECK(find(report, ItemKind::kUnitFile, "gdm3.service")->state == ItemState::kDrift);
  CHECK(find(report, ItemKind::kUnitActive, "gdm3.service")->state == ItemState::kDrift);
  CHECK(find(report, ItemKind::kUnitActive, "gdm3.service")->actual == "active (loaded)");
  // The glob reaches every installed avahi unit; a named unit that is not installed does not apply.
  CHECK(find(report, ItemKind::kUnitFile, "avahi-daemon.socket")->expected == "disabled");
  CHECK(find(report, ItemKind::kUnitFile, "lightdm.service")->state == ItemState::kNotApplicable);
  CHECK(find(report, ItemKind::kUserUnitMask, "pulseaudio.service")->state == ItemState::kDrift);
  CHECK(find(report, ItemKind::kBootNow, "swiotlb")->state == ItemState::kOk);
  CHECK(find(report, ItemKind::kBootNext, "swiotlb")->state == ItemState::kDrift);
}

TEST_CASE("each item points at the line of the policy that asks for it") {
  const auto report = checkCompliance(parse(kPolicy), desktopJetson(), nullptr);
  const CheckItem* gdm = find(report, ItemKind::kUnitFile, "gdm3.service");
  REQUIRE(gdm);
  CHECK(gdm->where.file == "test.toml");
  CHECK(gdm->where.line == 6);
}

TEST_CASE("a drift costs what the unit's processes use now, user units priced apart") {
  const Ledger gdm = ledgerWith("gdm3.service", "system", 700 << 20);
  auto report = checkCompliance(parse(kPolicy), desktopJetson(), &gdm);
  CHECK(find(report, ItemKind::kUnitActive, "gdm3.service")->cost_bytes == 700u << 20);
  const Ledger pulse = ledgerWith("pulseaudio.service", "user@1000.service", 9 << 20);
  report = checkCompliance(parse(kPolicy), desktopJetson(), &pulse);
  CHECK(find(report, ItemKind::kUserUnitMask, "pulseaudio.service")->cost_bytes == 9u << 20);
  CHECK(find(report, ItemKind::kUnitActive, "gdm3.service")->cost_bytes == 0);
}

TEST_CASE("a kept unit is never flagged, and masked counts as disabled") {
  auto policy = parse(std::string(kPolicy) + "");
  ObservedState observed = desktopJetson();
  observed.system_units["avahi-daemon.service"] = {true, "masked", "inactive", "loaded"};
  const auto report = checkCompliance(policy, observed, nullptr);
  CHECK(find(report, ItemKind::kUnitFile, "avahi-daemon.service")->state == ItemState::kOk);
  CHECK(find(report, ItemKind::kUnitActive, "avahi-daemon.service")->state == ItemState::kOk);
}

TEST_CASE("unknown observations are unknown, not drift") {
  ObservedState observed = desktopJetson();
  observed.default_target.reset();
  observed.default_target_error = "no bus";
  observed.boot.next_append.reset();
  observed.boot.next_error = "no extlinux.conf";
  const auto report = checkCompliance(parse(kPolicy), observed, nullptr);
  CHECK(find(report, ItemKind::kDefaultTarget, "default.target")->state == ItemState::kUnknown);
  CHECK(find(report, ItemKind::kBootNext, "swiotlb")->state == ItemState::kUnknown);
}

TEST_CASE("the plan sets the target first, masks before it stops, and edits the boot arguments last") {
  const auto policy = parse(kPolicy);
  const ObservedState observed = desktopJetson();
  const Plan plan = planChanges(policy, checkCompliance(policy, observed, nullptr), observed);
  REQUIRE(plan.changes.size() >= 6);
  CHECK(plan.changes.front().kind == PlannedChange::Kind::kSetDefaultTarget);
  CHECK(plan.changes.front().before == "graphical.target");
  std::size_t mask_gdm = 0, stop_gdm = 0;
  for (std::size_t i = 0; i < plan.changes.size(); ++i) {
    if (plan.changes[i].subject == "gdm3.service" && plan.changes[i].kind == PlannedChange::Kind::kMaskUnit)
      mask_gdm = i;
    if (plan.changes[i].subject == "gdm3.service" && plan.changes[i].kind == PlannedChange::Kind::kStopUnit)
      stop_gdm = i;
  }
  CHECK(mask_gdm < stop_gdm);
  CHECK(plan.changes.back().kind == PlannedChange::Kind::kEditBootArguments);
  CHECK(plan.changes.back().after == "${cbootargs} root=/dev/mmcblk0p1 rw quiet");
  CHECK(plan.reboot_needed);
}

TEST_CASE("without edit_extlinux the boot drift is a note, not a change") {
  std::string text = kPolicy;
  text.replace(text.find("edit_extlinux = true"), 20, "edit_extlinux = false");
  const auto policy = parse(text);
  const ObservedState observed = desktopJetson();
  const Plan plan = planChanges(policy, checkCompliance(policy, observed, nullptr), observed);
  for (const auto& change : plan.changes) CHECK(change.kind != PlannedChange::Kind::kEditBootArguments);
  CHECK_FALSE(plan.reboot_needed);
  REQUIRE_FALSE(plan.notes.empty());
  CHECK(plan.notes.back().find("edit_extlinux is off") != std::string::npos);
}

TEST_CASE("a compliant device plans nothing") {
  const auto policy = parse(kPolicy);
  ObservedState observed;
  observed.default_target = "multi-user.target";
  observed.system_units["gdm3.service"] = {true, "masked", "inactive", "loaded"};
  observed.user_units["pulseaudio.service"] = {true, true};
  observed.boot.cmdline = "root=/dev/mmcblk0p1";
  observed.boot.next_append = "root=/dev/mmcblk0p1";
  const auto report = checkCompliance(policy, observed, nullptr);
  CHECK(report.compliant());
  CHECK(planChanges(policy, report, observed).changes.empty());
}
