#include <algorithm>
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
  observed.system_units["gdm3.service"] = {true, "enabled", "active", "loaded", "", ""};
  observed.system_units["avahi-daemon.service"] = {true, "enabled", "active", "loaded", "", ""};
  observed.system_units["avahi-daemon.socket"] = {true, "enabled", "active", "loaded", "", ""};
  observed.user_units["pulseaudio.service"] = {true, false, ""};
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

// kPolicy asking for swiotlb=65536 instead of no swiotlb=.
policy::Policy swiotlbSlabsPolicy() {
  std::string text = kPolicy;
  text.replace(text.find("swiotlb = { absent = true }"), 27, "swiotlb = { slabs = 65536 }");
  return parse(text);
}

// A device whose extlinux.conf has swiotlb=65536 for the next boot and whose this boot did not.
ObservedState nextBootHasSwiotlb() {
  ObservedState observed;
  observed.default_target = "multi-user.target";
  observed.boot.cmdline = "root=/dev/mmcblk0p1 rw quiet\n";
  observed.boot.next_append = "${cbootargs} root=/dev/mmcblk0p1 rw swiotlb=65536 quiet";
  return observed;
}

}  // namespace

TEST_CASE("a desktop Jetson drifts from a headless policy item by item", "[compliance]") {
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

TEST_CASE("each item points at the line of the policy that asks for it", "[compliance]") {
  const auto report = checkCompliance(parse(kPolicy), desktopJetson(), nullptr);
  const CheckItem* gdm = find(report, ItemKind::kUnitFile, "gdm3.service");
  REQUIRE(gdm);
  CHECK(gdm->where.file == "test.toml");
  CHECK(gdm->where.line == 6);
}

TEST_CASE("a drift costs what the unit's processes use now, user units priced apart", "[compliance]") {
  const Ledger gdm = ledgerWith("gdm3.service", "system", 700 << 20);
  auto report = checkCompliance(parse(kPolicy), desktopJetson(), &gdm);
  CHECK(find(report, ItemKind::kUnitActive, "gdm3.service")->cost_bytes == 700u << 20);
  const Ledger pulse = ledgerWith("pulseaudio.service", "user@1000.service", 9 << 20);
  report = checkCompliance(parse(kPolicy), desktopJetson(), &pulse);
  CHECK(find(report, ItemKind::kUserUnitMask, "pulseaudio.service")->cost_bytes == 9u << 20);
  CHECK(find(report, ItemKind::kUnitActive, "gdm3.service")->cost_bytes == 0);
}

TEST_CASE("a kept unit is never flagged, and masked counts as disabled", "[compliance]") {
  auto policy = parse(std::string(kPolicy) + "");
  ObservedState observed = desktopJetson();
  observed.system_units["avahi-daemon.service"] = {true, "masked", "inactive", "loaded", "", ""};
  const auto report = checkCompliance(policy, observed, nullptr);
  CHECK(find(report, ItemKind::kUnitFile, "avahi-daemon.service")->state == ItemState::kOk);
  CHECK(find(report, ItemKind::kUnitActive, "avahi-daemon.service")->state == ItemState::kOk);
}

TEST_CASE("unknown observations are unknown, not drift", "[compliance]") {
  ObservedState observed = desktopJetson();
  observed.default_target.reset();
  observed.default_target_error = "no bus";
  observed.boot.next_append.reset();
  observed.boot.next_error = "no extlinux.conf";
  const auto report = checkCompliance(parse(kPolicy), observed, nullptr);
  CHECK(find(report, ItemKind::kDefaultTarget, "default.target")->state == ItemState::kUnknown);
  CHECK(find(report, ItemKind::kBootNext, "swiotlb")->state == ItemState::kUnknown);
}

TEST_CASE("the plan sets the target first, masks before it stops, and edits the boot arguments last",
          "[compliance]") {
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

TEST_CASE("without edit_extlinux the boot drift is a note, not a change", "[compliance]") {
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

TEST_CASE("a compliant device plans nothing", "[compliance]") {
  const auto policy = parse(kPolicy);
  ObservedState observed;
  observed.default_target = "multi-user.target";
  observed.system_units["gdm3.service"] = {true, "masked", "inactive", "loaded", "", ""};
  observed.user_units["pulseaudio.service"] = {true, true, ""};
  observed.boot.cmdline = "root=/dev/mmcblk0p1";
  observed.boot.next_append = "root=/dev/mmcblk0p1";
  const auto report = checkCompliance(policy, observed, nullptr);
  CHECK(report.compliant());
  CHECK(planChanges(policy, report, observed).changes.empty());
}

TEST_CASE("a unit systemd could not be asked about is unknown, so the device is not compliant",
          "[compliance]") {
  ObservedState observed = desktopJetson();
  observed.default_target = "multi-user.target";
  observed.system_units.clear();
  observed.system_units["gdm3.service"] = {false, "", "", "", "Connection refused", "Connection refused"};
  observed.user_units["pulseaudio.service"] = {false, false, "cannot read /etc/systemd/user"};
  observed.boot.next_append = "${cbootargs} root=/dev/mmcblk0p1 rw quiet";
  const auto policy = parse(kPolicy);
  const auto report = checkCompliance(policy, observed, nullptr);
  const CheckItem* file = find(report, ItemKind::kUnitFile, "gdm3.service");
  REQUIRE(file);
  CHECK(file->state == ItemState::kUnknown);
  CHECK(file->actual == "unknown: Connection refused");
  CHECK(find(report, ItemKind::kUnitActive, "gdm3.service")->state == ItemState::kUnknown);
  CHECK(find(report, ItemKind::kUserUnitMask, "pulseaudio.service")->state == ItemState::kUnknown);
  CHECK(report.verdict() == Verdict::kUnknown);
  CHECK_FALSE(report.compliant());

  const Plan plan = planChanges(policy, report, observed);
  CHECK(plan.changes.empty());
  REQUIRE(plan.unknown.size() == 3);
  CHECK(std::count(plan.unknown.begin(), plan.unknown.end(),
                   "gdm3.service (unit-file): Connection refused") == 1);
}

TEST_CASE("a glob whose units could not be listed is one unknown item naming the glob", "[compliance]") {
  ObservedState observed = desktopJetson();
  observed.system_units.erase("avahi-daemon.service");
  observed.system_units.erase("avahi-daemon.socket");
  observed.unlisted_globs["avahi-*.service"] = "Access denied";
  const auto report = checkCompliance(parse(kPolicy), observed, nullptr);
  const CheckItem* glob = find(report, ItemKind::kUnitFile, "avahi-*.service");
  REQUIRE(glob);
  CHECK(glob->state == ItemState::kUnknown);
  CHECK(glob->actual.find("Access denied") != std::string::npos);
  CHECK(glob->policy_class == "network");
  CHECK(find(report, ItemKind::kUnitFile, "avahi-*.socket") == nullptr);
}

TEST_CASE("drift outweighs unknown: what is known to drift is reported as drift", "[compliance]") {
  ObservedState observed = desktopJetson();
  observed.default_target.reset();
  observed.default_target_error = "no bus";
  CHECK(checkCompliance(parse(kPolicy), observed, nullptr).verdict() == Verdict::kDrift);
}

TEST_CASE("a boot argument set for the next boot but not this one is reboot pending, not drift",
          "[compliance]") {
  const auto policy = swiotlbSlabsPolicy();
  ObservedState observed = nextBootHasSwiotlb();
  observed.boot.next_written_this_boot = true;
  const auto report = checkCompliance(policy, observed, nullptr);
  const CheckItem* now = find(report, ItemKind::kBootNow, "swiotlb");
  REQUIRE(now);
  CHECK(now->state == ItemState::kRebootPending);
  CHECK(now->actual.find("the next boot: 65536 slabs (128.0M)") != std::string::npos);
  CHECK(find(report, ItemKind::kBootNext, "swiotlb")->state == ItemState::kOk);
  CHECK(report.verdict() == Verdict::kRebootPending);
  CHECK_FALSE(report.compliant());
  const Plan plan = planChanges(policy, report, observed);
  CHECK(plan.changes.empty());
  CHECK(plan.notes.empty());

  // When the next boot drifts too, this boot's drift stays drift.
  observed.boot.next_append = "${cbootargs} root=/dev/mmcblk0p1 rw quiet";
  CHECK(find(checkCompliance(policy, observed, nullptr), ItemKind::kBootNow, "swiotlb")->state ==
        ItemState::kDrift);
}

TEST_CASE("swiotlb=noforce is not absent and meets no slab count: it sets no pool aside", "[compliance]") {
  ObservedState observed = desktopJetson();
  observed.boot.cmdline = "root=/dev/mmcblk0p1 swiotlb=noforce\n";
  const auto report = checkCompliance(parse(kPolicy), observed, nullptr);
  const CheckItem* now = find(report, ItemKind::kBootNow, "swiotlb");
  REQUIRE(now);
  CHECK(now->state == ItemState::kDrift);
  CHECK(now->actual == "noforce: never bounce, no pool set aside");

  policy::SwiotlbRule exact;
  exact.kind = policy::SwiotlbRule::Kind::kExact;
  exact.min_slabs = exact.max_slabs = 65536;
  Swiotlb both;
  both.given = true;
  both.slabs = 65536;
  CHECK(swiotlbRuleHolds(exact, both));
  both.noforce = true;
  CHECK_FALSE(swiotlbRuleHolds(exact, both));
}

TEST_CASE("a planned stop records the bare active state that revert starts the unit again from",
          "[compliance]") {
  const auto policy = parse(kPolicy);
  const ObservedState observed = desktopJetson();
  const Plan plan = planChanges(policy, checkCompliance(policy, observed, nullptr), observed);
  const auto stop = std::find_if(plan.changes.begin(), plan.changes.end(), [](const PlannedChange& c) {
    return c.kind == PlannedChange::Kind::kStopUnit && c.subject == "gdm3.service";
  });
  REQUIRE(stop != plan.changes.end());
  CHECK(stop->before == "active");
}

TEST_CASE("a unit with no unit file whose loaded state could not be read is not installed, not drift",
          "[compliance]") {
  ObservedState observed = desktopJetson();
  observed.system_units["gdm3.service"] = {false, "", "", "", "", "Connection timed out"};
  const auto report = checkCompliance(parse(kPolicy), observed, nullptr);
  CHECK(find(report, ItemKind::kUnitFile, "gdm3.service")->state == ItemState::kNotApplicable);
  CHECK(find(report, ItemKind::kUnitActive, "gdm3.service")->state == ItemState::kUnknown);
}

TEST_CASE("a linked unit is left for an operator: masking it would remove a link revert cannot make again",
          "[compliance]") {
  const auto policy = parse(kPolicy);
  ObservedState observed = desktopJetson();
  observed.system_units["gdm3.service"] = {true, "linked", "inactive", "loaded", "", ""};
  const Plan plan = planChanges(policy, checkCompliance(policy, observed, nullptr), observed);
  for (const auto& change : plan.changes) CHECK(change.subject != "gdm3.service");
  CHECK(std::any_of(plan.notes.begin(), plan.notes.end(),
                    [](const std::string& n) { return n.find("gdm3.service is linked") == 0; }));
}

TEST_CASE("a boot argument extlinux.conf already had when this boot began is drift: a reboot would not help",
          "[compliance]") {
  const auto policy = swiotlbSlabsPolicy();
  ObservedState observed = nextBootHasSwiotlb();
  observed.boot.next_written_this_boot = false;
  auto report = checkCompliance(policy, observed, nullptr);
  CHECK(find(report, ItemKind::kBootNow, "swiotlb")->state == ItemState::kDrift);
  CHECK(find(report, ItemKind::kBootNow, "swiotlb")->actual.find("the boot did not use it") !=
        std::string::npos);

  observed.boot.next_written_this_boot.reset();
  observed.boot.next_written_error = "no btime line in /proc/stat";
  report = checkCompliance(policy, observed, nullptr);
  CHECK(find(report, ItemKind::kBootNow, "swiotlb")->state == ItemState::kDrift);
  CHECK(find(report, ItemKind::kBootNow, "swiotlb")->actual.find("no btime line") != std::string::npos);
}
