#pragma once

#include <sdbus-c++/IConnection.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <memory>

#include "bus/authorizer.h"
#include "bus/bus_bridge.h"
#include "bus/manager_object.h"
#include "compliance/keeper.h"
#include "core/result.h"
#include "ledger/process_sampler.h"
#include "ledger/system_figures.h"
#include "metrics/action_counters.h"
#include "metrics/metrics_input.h"
#include "system/systemd_manager.h"
#include "system/unit_control.h"
#include "throttle/psi_trigger.h"
#include "throttle/throttler.h"

namespace jmem {

struct GovernorOptions {
  Roots roots;
  std::optional<std::chrono::milliseconds> sample_interval;  // overrides the policy's
  SamplerOptions sampler;
  policy::PolicyFiles policy_files;
  std::filesystem::path state_dir = kDefaultStateDir;
  std::filesystem::path metrics_dir;  // empty: no metrics
};

// The running governor: one thread, one sd-event loop with the sampling tick, the signals and the
// bus. Startup order: first sample, bus object, bus name, then READY=1.
class Governor {
 public:
  static Result<std::unique_ptr<Governor>> start(const GovernorOptions& options);
  ~Governor();
  Governor(const Governor&) = delete;
  Governor& operator=(const Governor&) = delete;

  // Runs until SIGTERM or SIGINT (exit status 0) or a fatal loop error (non-zero).
  int run();

 private:
  explicit Governor(const GovernorOptions& options) : options_(options) {}
  Status init();
  Status sample();
  Status reload();
  Status loadPolicy();
  void enforce();
  static int onTick(sd_event_source* source, uint64_t usec, void* userdata);
  static int onSignal(sd_event_source* source, const struct signalfd_siginfo* info, void* userdata);
  void notifyStatus() const;

  // The throttle (governor_throttle.cpp).
  void startThrottle();
  void armPsiTrigger();
  void throttleStep(std::optional<std::string> psi_trigger);
  void releaseThrottleForShutdown();
  Result<std::vector<throttle::ActionRecord>> operatorThrottle(const std::string& unit);
  Result<std::vector<throttle::ActionRecord>> operatorRelease(const std::string& unit);
  void announceActions(const std::vector<throttle::ActionRecord>& records);
  static int onPsiTrigger(sd_event_source* source, int fd, uint32_t events, void* userdata);

  // Metrics for node_exporter (metrics_publisher.cpp).
  void checkCompliance();
  void publishMetrics();

  GovernorOptions options_;
  sd_event* event_ = nullptr;
  sd_event_source* tick_ = nullptr;
  sd_event_source* signals_[3] = {};
  std::unique_ptr<ProcessSampler> sampler_;
  std::unique_ptr<sdbus::IConnection> bus_;
  std::unique_ptr<BusBridge> bridge_;
  std::unique_ptr<Authorizer> authorizer_;
  std::unique_ptr<ManagerObject> object_;
  std::unique_ptr<compliance::PolicyKeeper> keeper_;
  std::unique_ptr<SystemdManager> systemd_;
  std::unique_ptr<UnitControl> unit_control_;
  std::unique_ptr<throttle::Throttler> throttler_;
  std::unique_ptr<throttle::PsiTrigger> psi_trigger_;
  sd_event_source* psi_source_ = nullptr;
  std::string self_unit_;
  metrics::ActionCounters action_counters_;
  std::optional<metrics::ComplianceMetrics> compliance_metrics_;
  std::string metrics_problem_;  // why the last metrics were not written, as logged; empty: written
  policy::Policy policy_;
  GovernorState state_;
  BusFigures announced_;
  std::chrono::milliseconds interval_{1000};
  uint64_t next_tick_usec_ = 0;
  std::size_t last_rollup_reads_ = 0;
};

}  // namespace jmem
