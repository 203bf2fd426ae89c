#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bus/authorizer.h"
#include "bus/bus_figures.h"
#include "compliance/applier.h"
#include "compliance/check.h"
#include "compliance/plan.h"
#include "generated/manager_adaptor.h"
#include "ledger/ledger.h"
#include "service/self_stats.h"
#include "throttle/throttler.h"

namespace jmem {

inline constexpr const char* kBusName = "org.jmem.Governor1";
inline constexpr const char* kObjectPath = "/org/jmem/Governor1";
inline constexpr const char* kErrorPrefix = "org.jmem.Governor1.Error.";

// What the bus object shows; the governor owns it and updates it every tick.
struct GovernorState {
  std::optional<Ledger> ledger;  // none before the first sample
  BusFigures figures;
  std::string mode = "audit";
  std::chrono::microseconds sample_interval{std::chrono::seconds(1)};
  SelfStats self_stats;
  throttle::ThrottleStatus throttle;
  throttle::DeviceControls controls;
  std::string
      throttle_off;  // why the throttle cannot run at all (its journal cannot open); empty when it runs
};

// org.jmem.Governor1.Manager on /org/jmem/Governor1. Reads are open; mutating methods go through
// the Authorizer first.
// What the bus methods ask of the governor.
struct ManagerHandlers {
  std::function<Status()> reload;
  std::function<compliance::CheckReport()> check;
  std::function<compliance::Plan()> plan;
  std::function<Result<std::vector<compliance::ChangeResult>>()> apply;
  std::function<Result<std::vector<compliance::ChangeResult>>()> revert;
  std::function<Result<std::vector<throttle::ActionRecord>>(const std::string&)> throttle;
  std::function<Result<std::vector<throttle::ActionRecord>>(const std::string&)> release;
};

class ManagerObject final : public sdbus::AdaptorInterfaces<org::jmem::Governor1::Manager_adaptor> {
 public:
  ManagerObject(sdbus::IConnection& connection, const GovernorState& state, Authorizer& authorizer,
                ManagerHandlers handlers);
  ~ManagerObject();

  void announce(const std::vector<std::string>& properties);

 private:
  using SystemStruct = sdbus::Struct<uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                                     bool, uint64_t, bool, uint32_t, uint32_t, uint32_t, uint32_t, uint64_t,
                                     uint64_t, uint32_t, uint32_t, uint32_t, uint32_t>;
  using ProcessStruct =
      sdbus::Struct<uint32_t, std::string, uint32_t, std::string, std::string, std::string, uint64_t,
                    uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t>;
  using UnitStruct = sdbus::Struct<std::string, std::string, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                                   uint64_t, uint64_t, std::vector<uint32_t>, uint64_t, uint64_t>;
  using GpuStruct = sdbus::Struct<uint32_t, std::string, std::string, bool, bool, uint64_t, uint64_t,
                                  uint64_t, bool, uint64_t, uint64_t, uint32_t, std::vector<std::string>>;

  SystemStruct GetSystem() override;
  std::vector<ProcessStruct> ListProcesses(const uint32_t& limit, const std::string& sort) override;
  std::vector<UnitStruct> ListUnits(const uint32_t& limit, const std::string& sort) override;
  std::tuple<bool, std::string, std::vector<GpuStruct>> GetGpus() override;
  sdbus::Struct<uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t> GetSelfStats() override;
  void Reload() override;
  std::tuple<bool, std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, std::string,
                                             std::string, std::string, uint64_t>>>
  Check() override;
  std::tuple<std::vector<sdbus::Struct<std::string, std::string, std::string, std::string, uint64_t>>,
             std::vector<std::string>, bool>
  Plan() override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, bool>> Apply() override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, bool>> Revert() override;
  using ActionStruct = sdbus::Struct<std::string, std::string, uint64_t, bool, std::string>;
  std::tuple<std::string, std::vector<std::string>, std::string, std::vector<std::string>,
             std::vector<sdbus::Struct<std::string, uint64_t, uint64_t, bool, bool, bool>>,
             std::vector<sdbus::Struct<std::string, bool, std::string>>,
             std::vector<
                 sdbus::Struct<uint64_t, std::string, std::string, std::string, uint64_t, bool, std::string>>>
  GetThrottle() override;
  std::vector<ActionStruct> Throttle(const std::string& unit) override;
  std::vector<ActionStruct> Release(const std::string& unit) override;
  std::vector<ActionStruct> operatorActions(const char* method, const std::string& unit);

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

  const Ledger& ledgerOrThrow() const;
  void requireManage(const char* method);

  const GovernorState& state_;
  Authorizer& authorizer_;
  ManagerHandlers handlers_;
};

}  // namespace jmem
