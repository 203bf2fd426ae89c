#include "bus/state_records.h"

#include <catch2/catch.hpp>

using namespace jmem;

namespace {

LedgerProcess owned(pid_t pid, uid_t uid) {
  LedgerProcess p;
  p.sample.pid = pid;
  p.sample.uid = uid;
  return p;
}

GpuDevice gpuWith(std::vector<pid_t> pids) {
  GpuDevice device;
  for (const pid_t pid : pids) device.processes.push_back(GpuProcess{pid, 1 << 20, true, false});
  return device;
}

}  // namespace

TEST_CASE(
    "a GPU's processes on the bus are those /proc lets the caller see, an unknown owner's only to all-seeing "
    "callers",
    "[bus]") {
  Ledger ledger;
  ledger.processes = {owned(10, 1000), owned(11, 0)};  // in PID order, as the ledger keeps them
  const GpuDevice device = gpuWith({10, 11, 99});      // 99: no process of the ledger
  ProcVisibility hidden;
  hidden.hides_others = true;
  CHECK(visibleGpuPids(device, ledger, hidden, Caller{1000, false}) == std::vector<pid_t>{10});
  CHECK(visibleGpuPids(device, ledger, hidden, Caller{0, false}) == std::vector<pid_t>{10, 11, 99});
  CHECK(visibleGpuPids(device, ledger, hidden, Caller{1000, true}) == std::vector<pid_t>{10, 11, 99});
  CHECK(visibleGpuPids(device, ledger, ProcVisibility{}, Caller{1000, false}) ==
        std::vector<pid_t>{10, 11, 99});
}

TEST_CASE("a check item names where the policy asks for it as file:line:column, or the file alone", "[bus]") {
  compliance::CheckItem item;
  item.kind = compliance::ItemKind::kDefaultTarget;
  item.subject = "default.target";
  item.state = compliance::ItemState::kRebootPending;
  item.where = {"/etc/jmem/policy.toml", 4, 1};
  const CheckItemRecord record = checkItemRecord(item);
  CHECK(record.kind == "default-target");
  CHECK(record.state == "reboot pending");
  CHECK(record.where == "/etc/jmem/policy.toml:4:1");
  item.where = {"built-in", 0, 0};
  CHECK(checkItemRecord(item).where == "built-in");
}

TEST_CASE("the throttle's controls say for throttle and freeze whether the device can take them, and why not",
          "[bus]") {
  throttle::CgroupFeatures controls;
  controls.memory_high = true;
  controls.freeze_note = "no cgroup.freeze and no systemd to stop the unit";
  const auto records = throttleControlRecords(controls);
  REQUIRE(records.size() == 2);
  CHECK(records[0] == ThrottleControlRecord{"throttle", true, "MemoryHigh="});
  CHECK(records[1] == ThrottleControlRecord{"freeze", false, controls.freeze_note});
}

TEST_CASE("a throttle action on the bus carries its reason when done and its error when not", "[bus]") {
  throttle::ActionRecord done;
  done.action = {"batch.service", throttle::ActionKind::kThrottle, 512u << 20, "PSI some avg10 40% > 30%"};
  done.origin = "pressure";
  done.ok = true;
  done.time_usec = 1'700'000'000'000'000;
  const ThrottleActionRecord record = throttleActionRecord(done);
  CHECK(record.action == "throttle");
  CHECK(record.memory_high_bytes == 512u << 20);
  CHECK(record.detail == done.action.reason);
  throttle::ActionRecord failed = done;
  failed.ok = false;
  failed.error = "Failed to set MemoryHigh: Access denied";
  CHECK(throttleActionRecord(failed).detail == failed.error);
}
