#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bus/compliance_records.h"
#include "bus/gpu_record.h"
#include "bus/reclaim_records.h"
#include "bus/records.h"
#include "bus/sdbus_compat.h"
#include "bus/throttle_records.h"
#include "generated/manager_proxy.h"
#include "ledger/ranking.h"

namespace jmem::ctl {

struct CheckView {
  std::string verdict;  // compliant, reboot-pending, unknown, drift
  std::vector<CheckItemRecord> items;
};
struct PlanView {
  std::vector<PlanChangeRecord> changes;
  std::vector<std::string> notes;
  std::vector<std::string> unknown;  // items that cannot be planned: "subject: why"
  bool reboot_needed;
};

struct ThrottleView {
  std::string phase;
  std::vector<std::string> triggers;
  std::string waiting;
  std::vector<std::string> would;
  std::vector<ThrottleUnitRecord> units;
  std::vector<ThrottleControlRecord> controls;
  std::vector<ThrottleActionRecord> recent;
  std::vector<RoomRequestRecord> rooms;  // requests for room: made or held first, then queued
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
  std::vector<std::string> policy_files{};           // in force, in the order merged
  std::string policy_fingerprint{};                  // of the effective policy; "" from an older jmemd
};

// What watch() calls: jmemd's signals, jmemd leaving and coming back, and the caller's own input
// and clock.
struct MonitorHandlers {
  std::function<void(const sdbus_compat::PropertyMap&)> properties_changed;
  std::function<void(const std::string& level, std::uint32_t some, std::uint32_t full)>
      pressure_level_changed;
  std::function<void(const std::string& unit, const std::string& action, const std::string& reason)>
      action_taken;
  std::function<void(const std::string& reason)> would_act;  // audit mode: what enforce would do
  std::function<void()> governor_gone;
  std::function<void()> governor_back;  // a jmemd took the name again
  bool wait_for_return = false;         // when jmemd leaves: wait for it, do not return
  int input_fd = -1;                    // watched too: input_ready() when readable
  std::function<bool()> input_ready;    // false ends the watch
  std::function<void()> resized;        // the terminal's size changed (SIGWINCH)
  std::chrono::milliseconds wake_every{0};
  std::function<bool()> wake;  // every wake_every; false ends the watch
};
// jmemd on the system bus. Calls throw sdbus::Error; describeError() turns one into a line and an
// exit code.
class GovernorClient {
 public:
  GovernorClient();
  ~GovernorClient();

  // How long each call waits for jmemd's answer; the bus's default (25 s) until set.
  void setCallTimeout(std::chrono::milliseconds timeout);

  GovernorInfo info();
  SystemRecord system();
  // truncated: the reply was cut short to stay under its size bound (ask for fewer).
  std::vector<LedgerProcess> processes(std::uint32_t limit, SortKey sort, bool* truncated = nullptr);
  std::vector<LedgerUnit> units(std::uint32_t limit, SortKey sort, bool* truncated = nullptr);
  // GetGpus: each GPU NVML reports, with the processes the caller may see.
  GpuSnapshot gpus();
  // GetHeadroom: what a new workload can take now, and what more throttling could give; nullopt from
  // a jmemd that does not say.
  std::optional<RoomRecord> headroom();
  ExplainRecord explain(const std::string& unit);
  void reload();
  CheckView check();
  PlanView plan();
  std::vector<ChangeResultRecord> apply();
  std::vector<ChangeResultRecord> revert();
  ThrottleView throttleState();
  std::vector<ThrottleActionRecord> throttle(const std::string& unit);
  std::vector<ThrottleActionRecord> release(const std::string& unit);
  // MakeRoom: waits for the answer (set the call timeout beyond timeout_s).
  RoomRequestRecord makeRoom(std::uint64_t bytes, const std::string& unit, std::uint32_t timeout_s,
                             std::uint32_t hold_s);
  // GetRoomRequests; none from a jmemd that has no such method.
  std::vector<RoomRequestRecord> roomRequests();
  // GetReclaim: what each knob of NVIDIA's guide would give back here.
  ReclaimRecord reclaim();
  // GetChanges: what jmemd's change journals hold, newest first; truncated: the oldest left out.
  std::vector<JournalChangeRecord> changes(bool* truncated = nullptr);
  // Runs until SIGINT or SIGTERM or a handler says stop (returns 0), or until jmemd leaves the bus
  // unless told to wait for it (returns kExitNotRunning).
  int watch(MonitorHandlers handlers);

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
