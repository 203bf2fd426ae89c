#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bus/bus_name.h"
#include "bus/compliance_records.h"
#include "bus/gpu_record.h"
#include "bus/records.h"
#include "bus/sdbus_compat.h"
#include "bus/self_stats_record.h"
#include "bus/throttle_records.h"
#include "compliance/applier.h"
#include "compliance/check.h"
#include "compliance/plan.h"
#include "generated/manager_adaptor.h"
#include "ledger/ledger.h"
#include "ledger/process_privacy.h"
#include "model/governor_state.h"
#include "reclaim/report.h"
#include "throttle/explain.h"
#include "throttle/throttler.h"

namespace jmem {

inline constexpr const char* kErrorPrefix = "org.jmem.Governor1.Error.";

// A caller of the list methods and what /proc lets it see.
struct Viewer {
  ProcVisibility visibility;
  Caller caller;
};

// Answers one bus call, exactly once, on the loop's thread; maybe later, after a job on the worker.
// An answer for a caller whose connection has been replaced since is dropped.
template <typename T>
using Reply = std::function<void(Result<T>)>;

// What the bus methods ask of the governor. Errors map to bus errors by errno: EACCES AccessDenied,
// EBUSY Busy, ENOENT or EPERM (throttle, release) Refused; any other the method's own failure.
struct ManagerHandlers {
  std::function<void(const std::string& sender, Reply<Done>)> reload;
  std::function<void(const std::string& sender, Reply<compliance::CheckReport>)> check;
  std::function<void(const std::string& sender, Reply<compliance::Plan>)> plan;
  std::function<void(const std::string& sender, Reply<std::vector<compliance::ChangeResult>>)> apply;
  std::function<void(const std::string& sender, Reply<std::vector<compliance::ChangeResult>>)> revert;
  std::function<void(const std::string& sender, const std::string& unit,
                     Reply<std::vector<throttle::ActionRecord>>)>
      throttle;
  std::function<void(const std::string& sender, const std::string& unit,
                     Reply<std::vector<throttle::ActionRecord>>)>
      release;
  // MakeRoom (throttle/make_room.h): answered once the room is made, or cannot be.
  std::function<void(const std::string& sender, throttle::RoomRequest request, Reply<throttle::RoomOutcome>)>
      make_room;
  // GetHeadroom: the headroom and what the ladder could add, counted when asked.
  std::function<throttle::Room()> room;
  // `jmemctl explain UNIT`: answered at once from the last sample and the policy in force.
  std::function<Result<throttle::Explanation>(const std::string& unit)> explain;
  // What a caller may see of each process, as /proc's mount would let it (hidepid=).
  std::function<Viewer(const std::string& sender)> viewer;
  // GetReclaim: what each knob would give back, counted when asked.
  std::function<::jmem::reclaim::Report()> reclaim;
  // GetChanges: what each journal holds ("compliance", "throttle"), as last published by its thread.
  std::function<std::vector<std::pair<std::string_view, std::shared_ptr<const std::vector<Change>>>>()>
      changes;
  // What is wrong with jmemd's journals (StateProblems), read when asked.
  std::function<std::vector<std::string>()> state_problems;
};

// Bounds on what one reply may carry, well under dbus-daemon's message limit (which drops the sender
// of a larger one from the bus), and on the calls that may wait for an answer at once.
inline constexpr std::size_t kMaxReplyBytes = 4 << 20;
inline constexpr std::size_t kMaxPendingReplies = 256;

// org.jmem.Governor1.Manager on /org/jmem/Governor1. Reads are answered at once from the last
// sample; Check, Plan and the mutating methods are answered when the governor has the answer.
class ManagerObject final : public sdbus::AdaptorInterfaces<org::jmem::Governor1::Manager_adaptor> {
 public:
  ManagerObject(sdbus::IConnection& connection, const GovernorState& state, ManagerHandlers handlers);
  ~ManagerObject();

  void announce(const std::vector<std::string>& properties);

 private:
  BusRecord GetSystem() override;
  std::tuple<std::vector<BusRecord>, bool> ListProcesses(const uint32_t& limit,
                                                         const std::string& sort) override;
  std::tuple<std::vector<BusRecord>, bool> ListUnits(const uint32_t& limit, const std::string& sort) override;
  std::tuple<bool, std::string, std::vector<BusRecord>> GetGpus() override;
  BusRecord GetSelfStats() override;
  BusRecord GetHeadroom() override;
  BusRecord Explain(const std::string& unit) override;
  std::tuple<std::vector<BusRecord>, bool> GetChanges() override;
  BusRecord GetReclaim() override;
  void Reload(sdbus::Result<>&& result) override;
  void Check(sdbus::Result<std::string, std::vector<BusRecord>>&& result) override;
  void Plan(sdbus::Result<std::vector<BusRecord>, std::vector<std::string>, std::vector<std::string>, bool>&&
                result) override;
  void Apply(sdbus::Result<std::vector<BusRecord>>&& result) override;
  void Revert(sdbus::Result<std::vector<BusRecord>>&& result) override;
  std::tuple<std::string, std::vector<std::string>, std::string, std::vector<std::string>,
             std::vector<BusRecord>, std::vector<BusRecord>, std::vector<BusRecord>>
  GetThrottle() override;
  void Throttle(sdbus::Result<std::vector<BusRecord>>&& result, std::string unit) override;
  void Release(sdbus::Result<std::vector<BusRecord>>&& result, std::string unit) override;
  void MakeRoom(sdbus::Result<BusRecord>&& result, uint64_t bytes, std::string unit, uint32_t timeout_sec,
                uint32_t hold_sec) override;
  std::vector<BusRecord> GetRoomRequests() override;

  std::string Version() override;
  std::string Mode() override { return state_.mode; }
  uint64_t SampleIntervalUsec() override { return static_cast<uint64_t>(state_.sample_interval.count()); }
  uint64_t LastSampleUsec() override { return state_.figures.last_sample_usec; }
  uint64_t MemTotalBytes() override { return state_.figures.mem_total_bytes; }
  uint64_t MemAvailableBytes() override { return state_.figures.mem_available_bytes; }
  uint64_t SwapTotalBytes() override { return state_.figures.swap_total_bytes; }
  uint64_t SwapFreeBytes() override { return state_.figures.swap_free_bytes; }
  uint64_t PssTotalBytes() override { return state_.figures.pss_total_bytes; }
  bool NvmapAvailable() override { return state_.figures.nvmap_available; }
  uint64_t NvmapTotalBytes() override { return state_.figures.nvmap_total_bytes; }
  bool PressureAvailable() override { return state_.figures.pressure_available; }
  uint32_t PressureSomeAvg10Permyriad() override { return state_.figures.pressure_some_avg10_permyriad; }
  uint32_t PressureFullAvg10Permyriad() override { return state_.figures.pressure_full_avg10_permyriad; }
  std::string PressureLevel() override { return state_.figures.pressure_level; }
  uint32_t ProcessCount() override { return state_.figures.process_count; }
  uint64_t HeadroomBytes() override { return state_.figures.headroom_bytes; }
  std::string SampleState() override { return state_.health.sample_state; }
  std::string SampleError() override { return state_.health.sample_error; }
  std::string PolicyVerdict() override { return state_.health.policy_verdict; }
  uint32_t PolicyDriftItems() override { return state_.health.policy_drift_items; }
  uint32_t PolicyUnknownItems() override { return state_.health.policy_unknown_items; }
  std::vector<std::string> PolicyRebootPending() override { return state_.health.policy_reboot_pending; }
  uint64_t PolicyCheckUsec() override { return state_.health.policy_check_usec; }
  std::vector<std::string> PolicyFiles() override { return state_.policy_files; }
  std::string PolicyFingerprint() override { return state_.policy_fingerprint; }
  std::vector<std::string> StateProblems() override {
    return handlers_.state_problems ? handlers_.state_problems() : std::vector<std::string>{};
  }

  const Ledger& ledgerOrThrow() const;
  std::string sender();
  // Keeps the call's result until `send` answers it with the outcome; the returned Reply does that.
  template <typename T, typename Call, typename Send>
  Reply<T> defer(Call&& call, Send send);

  const GovernorState& state_;
  ManagerHandlers handlers_;
  // The calls waiting for an answer. Destroyed with this object, before the connection they belong to.
  std::map<std::uint64_t, std::shared_ptr<void>> pending_;
  std::uint64_t next_pending_ = 0;
};

}  // namespace jmem
