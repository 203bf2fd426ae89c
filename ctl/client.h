#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bus/records.h"
#include "bus/sdbus_compat.h"
#include "generated/manager_proxy.h"
#include "ledger/ranking.h"

namespace jmem::ctl {

// GetGpus: each GPU NVML reports; figures it does not know are false/0 with their flag.
struct GpuView {
  std::uint32_t index;
  std::string name, uuid;
  bool integrated, memory_known;
  std::uint64_t total_bytes, reserved_bytes, used_bytes;
  bool processes_complete;
  std::uint64_t attributed_bytes, unattributed_bytes;
  std::uint32_t processes;
  std::vector<std::string> problems;
};
struct GpusView {
  bool available;
  std::string reason;  // why not available
  std::vector<GpuView> gpus;
};

struct CheckItemView {
  std::string kind, subject, policy_class, expected, actual, state, where;
  std::uint64_t cost_bytes;
};
struct CheckView {
  std::string verdict;  // compliant, reboot-pending, unknown, drift
  std::vector<CheckItemView> items;
};
struct ChangeView {
  std::string action, subject, before, after;
  std::uint64_t bytes_back;
};
struct PlanView {
  std::vector<ChangeView> changes;
  std::vector<std::string> notes;
  std::vector<std::string> unknown;  // items that cannot be planned: "subject: why"
  bool reboot_needed;
};
struct ResultView {
  std::string kind, target, detail;
  bool ok;
};

struct ThrottleUnitView {
  std::string unit;
  std::uint64_t memory_high_bytes, prior_memory_high_bytes;  // 0: none / infinity
  bool frozen, stopped, by_operator;
};
struct ThrottleControlView {
  std::string action;
  bool available;
  std::string note;
};
struct ThrottleActionView {
  std::uint64_t time_usec;
  std::string unit, action, origin;
  std::uint64_t memory_high_bytes;
  bool ok;
  std::string detail;
};
struct ThrottleView {
  std::string phase;
  std::vector<std::string> triggers;
  std::string waiting;
  std::vector<std::string> would;
  std::vector<ThrottleUnitView> units;
  std::vector<ThrottleControlView> controls;
  std::vector<ThrottleActionView> recent;
};

struct GovernorInfo {
  std::string version, mode, pressure_level;
  std::uint64_t sample_interval_usec;
  std::vector<std::string> state_problems;  // what is wrong with jmemd's journals; empty when all is well
  // fresh, or stale: no sample has succeeded for three intervals ("" from a jmemd that does not say).
  std::string sample_state{};
  std::string sample_error{};    // why the last sample failed; "" when it succeeded
  std::string policy_verdict{};  // of the last check: compliant, reboot-pending, unknown, drift; "" before
  std::uint32_t policy_drift_items = 0;
  std::uint32_t policy_unknown_items = 0;
  std::vector<std::string> policy_reboot_pending{};  // set for the next boot, not in effect in this one
  std::uint64_t policy_check_usec = 0;               // CLOCK_REALTIME of the last check; 0 before
};

// Events `monitor` prints.
struct MonitorHandlers {
  std::function<void(const sdbus_compat::PropertyMap&)> properties_changed;
  std::function<void(const std::string& level, std::uint32_t some, std::uint32_t full)>
      pressure_level_changed;
  std::function<void(const std::string& unit, const std::string& action, const std::string& reason)>
      action_taken;
  std::function<void()> governor_gone;
};

// jmemd on the system bus. Calls throw sdbus::Error; describeError() turns one into a line and an
// exit code.
class GovernorClient {
 public:
  GovernorClient();
  ~GovernorClient();

  GovernorInfo info();
  SystemRecord system();
  // truncated: the reply was cut short to stay under its size bound (ask for fewer).
  std::vector<LedgerProcess> processes(std::uint32_t limit, SortKey sort, bool* truncated = nullptr);
  std::vector<LedgerUnit> units(std::uint32_t limit, SortKey sort, bool* truncated = nullptr);
  GpusView gpus();
  void reload();
  CheckView check();
  PlanView plan();
  std::vector<ResultView> apply();
  std::vector<ResultView> revert();
  ThrottleView throttleState();
  std::vector<ThrottleActionView> throttle(const std::string& unit);
  std::vector<ThrottleActionView> release(const std::string& unit);
  // Runs until SIGINT or SIGTERM (returns 0) or until jmemd leaves the bus (returns kExitNotRunning).
  int monitor(MonitorHandlers handlers);

 private:
  class Proxy;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<Proxy> proxy_;
};

struct DescribedError {
  std::string message;
  int exit_code;
};
DescribedError describeError(const sdbus::Error& error);

}  // namespace jmem::ctl
