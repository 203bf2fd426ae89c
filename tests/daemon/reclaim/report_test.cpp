#include "reclaim/report.h"

#include <catch2/catch.hpp>

#include "support/policy_text.h"

using namespace jmem;
using namespace jmem::reclaim;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

const char* kPolicy = R"(default_target = "multi-user.target"
keep = ["ssh.service"]

[classes.gui]
action = "mask"
units = ["gdm3.service"]

[classes.audio]
action = "mask"
scope = "global-user"
units = ["pulseaudio.service"]

[classes.network]
action = "disable"
units = ["ModemManager.service", "avahi-daemon.service"]

[[workloads]]
unit = "inference.service"
protected = true
)";

LedgerProcess process(pid_t pid, const std::string& comm, const std::string& unit, std::uint64_t pss_mib,
                      std::uint64_t nvmap_mib = 0, const std::string& manager = "system") {
  LedgerProcess p;
  p.sample.pid = pid;
  p.sample.comm = comm;
  p.sample.placement = {unit, "system.slice", manager == "system" ? std::string(kSystemManager) : manager};
  p.sample.rollup.pss_bytes = pss_mib * kMiB;
  p.nvmap_bytes = nvmap_mib * kMiB;
  return p;
}

Ledger deviceLedger() {
  Ledger ledger;
  ledger.system.meminfo.mem_total_bytes = 7620 * kMiB;
  ledger.processes = {
      process(100, "gdm3", "gdm3.service", 30),
      process(200, "Xorg", "session-c1.scope", 60, 40),
      process(201, "gnome-shell", "user@1000.service", 180, 90, "user@1000.service"),
      process(300, "pulseaudio", "pulseaudio.service", 8, 0, "user@1000.service"),
      process(400, "ModemManager", "ModemManager.service", 6),
      process(401, "avahi-daemon", "avahi-daemon.service", 3),
      process(500, "dockerd", "docker.service", 45),
      process(501, "containerd", "containerd.service", 25),
      process(502, "containerd-shim", "containerd.service", 6),
      process(600, "python3", "inference.service", 900, 300),
      process(700, "sshd", "ssh.service", 4),
      process(810, "udisksd", "udisks2.service", 7),
  };
  return ledger;
}

compliance::CheckReport checked(compliance::ItemState gui, compliance::ItemState target) {
  compliance::CheckReport report;
  compliance::CheckItem item;
  item.kind = compliance::ItemKind::kUnitFile;
  item.subject = "gdm3.service";
  item.policy_class = "gui";
  item.state = gui;
  report.items.push_back(item);
  item.kind = compliance::ItemKind::kDefaultTarget;
  item.subject = "default.target";
  item.policy_class = "";
  item.state = target;
  report.items.push_back(item);
  // What systemd and logind said: graphical.target adds gdm3 and udisks2; uid 1000 has the desktop's
  // session and an ssh login, so its user manager stays and only its desktop programs count.
  report.desktop =
      DesktopUnits{{"gdm3.service", "udisks2.service"}, {"session-c1.scope"}, {}, {"user@1000.service"}};
  return report;
}

const Row& row(const Report& report, const std::string& knob) {
  for (const Row& r : report.rows) {
    if (r.knob == knob) return r;
  }
  FAIL("no row " << knob);
  return report.rows.front();
}

}  // namespace

TEST_CASE("the desktop is the display manager and what its sessions run, PSS plus NvMap", "[reclaim]") {
  const Ledger ledger = deviceLedger();
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const auto check = checked(compliance::ItemState::kDrift, compliance::ItemState::kDrift);
  const Report report = reclaimReport({&ledger, &policy, &check, {}, {}, {}});
  const Row& desktop = row(report, "desktop");
  CHECK(desktop.bytes == (30 + 60 + 40 + 180 + 90 + 7) * kMiB);
  CHECK(desktop.taken == Taken::kWouldTake);
  CHECK(desktop.way == Way::kPolicy);
  CHECK(desktop.guide == "865 MB");
  REQUIRE_FALSE(desktop.parts.empty());
  CHECK(desktop.parts.front().starts_with("user@1000.service"));  // the largest first
}

TEST_CASE("each class costs its units now, in their manager's scope, the keep list aside", "[reclaim]") {
  const Ledger ledger = deviceLedger();
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const Report report = reclaimReport({&ledger, &policy, nullptr, {}, {}, {}});
  CHECK(row(report, "class gui").bytes == 30 * kMiB);
  CHECK(row(report, "class audio").bytes == 8 * kMiB);  // a user unit, under user@1000.service
  CHECK(row(report, "class network").bytes == 9 * kMiB);
  // Never checked yet: whether the policy takes them is not known.
  CHECK(row(report, "class gui").taken == Taken::kUnknown);
}

TEST_CASE("without systemd's word on graphical.target the desktop is counted by names, and says so",
          "[reclaim]") {
  const Ledger ledger = deviceLedger();
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const Report unchecked = reclaimReport({&ledger, &policy, nullptr, {}, {}, {}});
  // gdm3 (the gui class), Xorg and gnome-shell by name: udisks2 is missed.
  CHECK(row(unchecked, "desktop").bytes == (30 + 60 + 40 + 180 + 90) * kMiB);
  REQUIRE(unchecked.notes.size() == 1);
  CHECK(unchecked.notes[0].find("has not been checked yet") != std::string::npos);

  auto failed = checked(compliance::ItemState::kDrift, compliance::ItemState::kDrift);
  failed.desktop.reset();
  failed.desktop_error = "Failed to list logind's sessions: Access denied";
  const Report refused = reclaimReport({&ledger, &policy, &failed, {}, {}, {}});
  REQUIRE(refused.notes.size() == 1);
  CHECK(refused.notes[0].find("Access denied") != std::string::npos);

  const auto seen = checked(compliance::ItemState::kDrift, compliance::ItemState::kDrift);
  CHECK(reclaimReport({&ledger, &policy, &seen, {}, {}, {}}).notes.empty());
}

TEST_CASE("a user whose every session is graphical gives the desktop their whole user manager", "[reclaim]") {
  const Ledger ledger = deviceLedger();
  const auto policy = test::parsePolicyOrFail(kPolicy);
  auto check = checked(compliance::ItemState::kDrift, compliance::ItemState::kDrift);
  check.desktop->shared_user_managers.clear();
  check.desktop->user_managers = {"user@1000.service"};
  const Report report = reclaimReport({&ledger, &policy, &check, {}, {}, {}});
  // pulseaudio, under the same user manager, goes with it.
  CHECK(row(report, "desktop").bytes == (30 + 60 + 40 + 180 + 90 + 7 + 8) * kMiB);
}

TEST_CASE("what the policy would take counts a process once, and drops to zero once taken", "[reclaim]") {
  Ledger ledger = deviceLedger();
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const auto drifting = checked(compliance::ItemState::kDrift, compliance::ItemState::kDrift);
  const Report before = reclaimReport({&ledger, &policy, &drifting, {}, {}, {}});
  // gdm3 is in the desktop row and the gui class row: once. Audio and network are unknown to this check.
  CHECK(before.policy_would_take_bytes == (30 + 60 + 40 + 180 + 90 + 7) * kMiB);

  // Applied and rebooted into multi-user.target: the desktop and gdm3 are gone, the check complies.
  std::erase_if(ledger.processes,
                [](const LedgerProcess& p) { return p.sample.pid < 300 || p.sample.comm == "udisksd"; });
  const auto complying = checked(compliance::ItemState::kOk, compliance::ItemState::kOk);
  const Report after = reclaimReport({&ledger, &policy, &complying, {}, {}, {}});
  CHECK(row(after, "desktop").bytes == 0);
  CHECK(row(after, "desktop").taken == Taken::kTaken);
  CHECK(row(after, "class gui").taken == Taken::kTaken);
  CHECK(after.policy_would_take_bytes == 0);
}

TEST_CASE("the container runtime, and GPU buffers held outside workloads", "[reclaim]") {
  const Ledger ledger = deviceLedger();
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const Report report = reclaimReport({&ledger, &policy, nullptr, {}, {}, {}});
  CHECK(row(report, "container runtime").bytes == (45 + 25 + 6) * kMiB);
  CHECK(row(report, "container runtime").taken == Taken::kReportOnly);
  Ledger with_container = ledger;
  with_container.processes.push_back(process(900, "python3", "docker-4f2a.scope", 200));
  const Report contained = reclaimReport({&with_container, &policy, nullptr, {}, {}, {}});
  CHECK(row(contained, "container runtime").bytes ==
        (45 + 25 + 6) * kMiB);  // the workload is not the runtime
  CHECK(row(contained, "container runtime").parts.back() ==
        "beside it, the workloads in 1 container(s): 200.0M");
  // Xorg's and gnome-shell's NvMap; not the protected inference's.
  CHECK(row(report, "GPU buffers outside workloads").bytes == (40 + 90) * kMiB);
}

TEST_CASE("swiotlb gives back down to its most used and half again, and nothing without a mark",
          "[reclaim]") {
  const Ledger ledger = deviceLedger();
  const auto policy = test::parsePolicyOrFail(kPolicy);
  SwiotlbPool marked{32768, 10, 1100, "debugfs"};
  const Report report = reclaimReport({&ledger, &policy, nullptr, marked, {}, {}});
  const Row& known = row(report, "swiotlb");
  CHECK(known.bytes == 64 * kMiB);
  CHECK(known.backBytes() == (32768 - 2048) * kSwiotlbSlabBytes);
  CHECK(known.how.starts_with("swiotlb=2048"));
  CHECK(known.way == Way::kBootArgument);
  CHECK(known.taken == Taken::kNotInPolicy);  // swiotlb = { any = true }, the default
  SwiotlbPool unmarked{32768, 10, std::nullopt, "debugfs"};
  CHECK(row(reclaimReport({&ledger, &policy, nullptr, unmarked, {}, {}}), "swiotlb").backBytes() == 0);
}

TEST_CASE("display and camera carveouts are reflash only, back where the policy says there is none of them",
          "[reclaim]") {
  Ledger ledger = deviceLedger();
  ledger.system.meminfo.cma_total_bytes = 256 * kMiB;
  ledger.system.meminfo.cma_free_bytes = 200 * kMiB;
  ReservedMemory reserved;
  reserved.available = true;
  reserved.dram_bytes = 8192 * kMiB;
  reserved.regions = {{"linux,cma", std::nullopt, 256 * kMiB, true, false, "shared-dma-pool"},
                      {"dce-carveout", 0xC0000000, 32 * kMiB, false, true, ""},
                      {"camera_tasklist", 0xC4000000, 2 * kMiB, false, true, ""},
                      {"vpr-carveout", 0xC6000000, 24 * kMiB, false, true, ""}};
  const auto with_both = test::parsePolicyOrFail(kPolicy);
  const Report kept = reclaimReport({&ledger, &with_both, nullptr, {}, reserved, {}});
  const Row& carveouts = row(kept, "carveouts");
  CHECK(carveouts.bytes == 34 * kMiB);  // CMA lent to the kernel and the VPR are not display or camera
  CHECK(carveouts.backBytes() == 0);    // the device has both, as the policy says by default
  CHECK(carveouts.way == Way::kReflash);
  CHECK(std::find(carveouts.parts.begin(), carveouts.parts.end(), "DRAM the kernel never sees: 572.0M") !=
        carveouts.parts.end());
  CHECK(carveouts.parts.front() == "CMA 256.0M, 200.0M free");
  const auto headless = test::parsePolicyOrFail(std::string(kPolicy) + "[reclaim]\ndisplay = false\n");
  const Report without_display = reclaimReport({&ledger, &headless, nullptr, {}, reserved, {}});
  CHECK(row(without_display, "carveouts").backBytes() == 32 * kMiB);
  CHECK(without_display.other_means_bytes >= kept.other_means_bytes + 32 * kMiB);
}

TEST_CASE("a desktop whose default target is set but which still runs is taken at the next boot",
          "[reclaim]") {
  const Ledger ledger = deviceLedger();
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const auto set = checked(compliance::ItemState::kOk, compliance::ItemState::kOk);
  const Report report = reclaimReport({&ledger, &policy, &set, {}, {}, {}});
  CHECK(row(report, "desktop").taken == Taken::kNextBoot);
  CHECK(toString(Taken::kNextBoot) == "at next boot");
}

TEST_CASE("a policy that sizes swiotlb gives back down to its size, as its own check item says",
          "[reclaim]") {
  const Ledger ledger = deviceLedger();
  const auto policy = test::parsePolicyOrFail(std::string(kPolicy) + "[boot]\nswiotlb = { slabs = 8192 }\n");
  compliance::CheckReport check;
  compliance::CheckItem required;  // another boot argument drifting says nothing of swiotlb
  required.kind = compliance::ItemKind::kBootNext;
  required.subject = "console=ttyTCU0";
  required.state = compliance::ItemState::kDrift;
  compliance::CheckItem swiotlb = required;
  swiotlb.subject = "swiotlb";
  swiotlb.state = compliance::ItemState::kOk;
  check.items = {required, swiotlb};
  SwiotlbPool pool{32768, 10, std::nullopt, "debugfs"};
  const Report report = reclaimReport({&ledger, &policy, &check, pool, {}, {}});
  const Row& r = row(report, "swiotlb");
  CHECK(r.taken == Taken::kTaken);
  CHECK(r.backBytes() == (32768 - 8192) * kSwiotlbSlabBytes);
}

TEST_CASE("a heavy process without CPU for the window is idle, outside protected and kept units",
          "[reclaim]") {
  Ledger ledger = deviceLedger();
  ledger.processes.push_back(process(800, "python3", "session-3.scope", 350));
  const auto policy = test::parsePolicyOrFail(kPolicy);
  const std::vector<IdleProcess> idle = {{800, 15 * 60'000'000ull}, {600, 20 * 60'000'000ull}, {999, 1}};
  const Report report = reclaimReport({&ledger, &policy, nullptr, {}, {}, idle});
  const Row& r = row(report, "idle processes");
  CHECK(r.bytes == 350 * kMiB);  // not the protected inference, and 999 is gone
  REQUIRE(r.parts.size() == 1);
  CHECK(r.parts[0] == "python3 (800) in session-3.scope 350.0M, no CPU for 15 min");
  CHECK(r.taken == Taken::kReportOnly);
}
