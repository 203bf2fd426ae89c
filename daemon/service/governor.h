#pragma once

#include <sdbus-c++/IConnection.h>
#include <spdlog/common.h>
#include <systemd/sd-event.h>

#include <chrono>
#include <map>
#include <memory>

#include "bus/authorizer.h"
#include "bus/bus_bridge.h"
#include "bus/manager_object.h"
#include "compliance/enforcer.h"
#include "core/log_limiter.h"
#include "core/result.h"
#include "metrics/action_counters.h"
#include "metrics/metrics_input.h"
#include "reclaim/report.h"
#include "service/sample_health.h"
#include "service/worker.h"
#include "sources/l4t_release.h"
#include "sources/process_sampler.h"
#include "sources/system_figures.h"
#include "state/event_log.h"
#include "system/systemd_manager.h"
#include "system/unit_runtime.h"
#include "throttle/psi_trigger.h"
#include "throttle/room.h"
#include "throttle/throttler.h"

namespace jmem {

// What the worker's jobs use and nothing else touches: a bus connection of their own (to systemd and
// polkit) and the enforcer of the policy on it. Remade when the connection is found lost.
struct WorkerSide {
  compliance::EnforcerPaths paths;
  policy::Policy policy;
  std::unique_ptr<sdbus::IConnection> bus;
  std::unique_ptr<compliance::PolicyEnforcer> enforcer;

  // Connects (again) when there is no live connection.
  Status ensureConnected();
};

// What the throttle's worker uses and nothing else touches: the throttler with its actuator and
// journal, over a bus connection of its own (found again when lost).
struct ThrottleSide {
  std::unique_ptr<sdbus::IConnection> bus;
  std::unique_ptr<SystemdManager> systemd;
  std::unique_ptr<UnitRuntime> units;
  std::unique_ptr<throttle::Throttler> throttler;
  std::shared_ptr<JournalView> journal_view =
      std::make_shared<JournalView>();  // the throttler's, for the loop

  Status ensureConnected();
};

// Answers to Check or Plan: one job at a time for every caller, its answer shared by all who asked
// while it ran and reused for a moment after, so that callers cannot queue work for systemd.
template <typename T>
struct SharedAnswer {
  std::vector<std::pair<std::string, Reply<T>>> waiting;  // sender, reply
  bool running = false;
  std::optional<Result<T>> last;
  std::uint64_t last_usec = 0;
};

// What one caller (a uid) may make jmemd log: a burst per window, then one summary line.
inline constexpr std::size_t kCallerLogBurst = 5;
inline constexpr std::uint64_t kCallerLogWindowUsec = 10'000'000;

// The served connection (org.jmem.Governor1) and who calls on it (governor_bus.cpp).
struct BusEnd {
  std::unique_ptr<sdbus::IConnection> connection;
  std::unique_ptr<BusBridge> bridge;
  std::unique_ptr<ManagerObject> object;
  sd_event_source* reconnect = nullptr;
  std::string lost;  // why the connection is down; empty while it is up
  LogLimiter caller_log{kCallerLogBurst, kCallerLogWindowUsec};
  std::map<std::string, uid_t> caller_uids;
  ProcVisibility proc_visibility;  // bus name -> uid, for privacy (unique names never repeat)
};

// The policy's jobs on the worker and their answers (governor_compliance.cpp).
struct PolicyJobs {
  std::shared_ptr<WorkerSide> side;
  std::unique_ptr<Worker> worker;
  SharedAnswer<compliance::CheckReport> check_answer;
  SharedAnswer<compliance::Plan> plan_answer;
  std::map<std::string, std::size_t> queued_by_sender;  // mutating calls waiting, per caller
  bool enforcing = false;
  std::uint64_t answers_generation = 0;  // moves on whenever a shared answer may have gone stale
  std::uint64_t checked_generation = 0;  // answers_generation when the policy was last checked
  std::optional<metrics::ComplianceMetrics> metrics;
  std::optional<compliance::CheckReport> last_report;  // of the policy in force; none before its first check
};

// What the reclaim report reads that does not change while the machine runs, read once at start.
struct BootFigures {
  ReservedMemory reserved;
  std::string swiotlb_boot_line;  // the kernel's "software IO TLB: mapped ..." from the journal
  std::optional<L4tRelease> l4t;  // /etc/nv_tegra_release
};

// The throttle's jobs on its worker and what they last answered (governor_throttle.cpp).
struct ThrottleJobs {
  std::shared_ptr<ThrottleSide> side;  // none: the throttle is off (GovernorState::throttle_off says why)
  std::unique_ptr<Worker> worker;
  std::shared_ptr<const policy::Policy> policy;  // the running policy, as the throttle's jobs read it
  bool stepping = false;
  std::optional<std::string> pending_trigger;  // a PSI trigger that came during a step
  std::unique_ptr<throttle::PsiTrigger> psi_trigger;
  sd_event_source* psi_source = nullptr;
  std::string self_unit;  // the unit jmemd runs in, which the throttle never picks
  // MakeRoom's callers waiting for their answer, by request id.
  std::map<std::uint64_t, Reply<throttle::RoomOutcome>> room_replies;
  std::uint64_t next_room_id = 1;
};

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
  explicit Governor(const GovernorOptions& options);
  Status init();
  Status sample();
  // The headroom on the sample just taken (state_.figures.headroom_bytes).
  void measureHeadroom();
  // The headroom with what the throttle ladder left could give, on the last sample (GetHeadroom).
  throttle::Room room() const;
  // Follows the CPU time of the processes over the policy's idle threshold (one stat read each).
  void followIdle();
  // What each knob of NVIDIA's guide would give back now (GetReclaim).
  reclaim::Report reclaimReport() const;
  // The last ledger as the throttle sees it (with jmemd's own unit), and what the throttle holds now.
  throttle::Snapshot throttleSnapshot() const;
  throttle::ControllerState throttleInEffect() const;
  Status reload();
  Status loadPolicy();
  // An event about the policy in force (started, policy_loaded), with its mode, fingerprint and files.
  Event policyEvent(std::string_view kind, std::string message) const;
  void enforce();
  static int onTick(sd_event_source* source, uint64_t usec, void* userdata);
  void tick();  // sample, throttle, report, and the periodic jobs of tickJobs()
  void announceFigures(const std::string& previous_level);
  int scheduleNextTick(sd_event_source* source, std::uint64_t now);
  static int onSignal(sd_event_source* source, const struct signalfd_siginfo* info, void* userdata);
  std::uint64_t loopNowUsec() const;  // CLOCK_MONOTONIC of this iteration of the loop
  // After each sample: whether the ledger is current, on the bus, in the log and in the metrics.
  void updateSampleHealth();
  void announceHealth();
  void notifyStatus() const;

  // The throttle (governor_throttle.cpp).
  void startThrottle();
  void armPsiTrigger();
  // One step of the controller over the last ledger; a PSI trigger brings fresher system figures.
  void throttleStep(std::optional<std::string> psi_trigger, std::optional<SystemFigures> fresh_system);
  void releaseThrottleForShutdown();
  void operatorAction(bool throttle, const std::string& unit,
                      Reply<std::vector<throttle::ActionRecord>> reply);
  void throttleAnswered(const std::vector<throttle::ActionRecord>& records,
                        const throttle::ThrottleStatus& status);
  void announceActions(const std::vector<throttle::ActionRecord>& records);
  void makeRoom(uid_t caller, throttle::RoomRequest request, Reply<throttle::RoomOutcome> reply);
  void roomAnswered(const std::vector<throttle::RoomOutcome>& outcomes);
  void stepOnTrigger(std::string trigger);
  static int onPsiTrigger(sd_event_source* source, int fd, uint32_t events, void* userdata);

  // The bus (governor_bus.cpp): the served connection, its loss and reconnection, the handlers of the
  // bus object and who may call them.
  Status connectBus();
  void busLost(const std::string& why);
  static int onReconnect(sd_event_source* source, uint64_t usec, void* userdata);
  ManagerHandlers busHandlers();
  // Runs `then` with the caller's uid once root or polkit allowed it, off the loop; else replies the refusal.
  template <typename T>
  void whenAuthorized(const std::string& sender, const char* method, Reply<T> reply,
                      std::function<void(uid_t, Reply<T>)> then);
  void logLimited(const std::string& key, spdlog::level::level_enum level, const std::string& line);
  void logAuthorized(uid_t uid, const char* method, const std::string& sender);
  void logRefusal(const Authorization& who, const char* method, const std::string& sender,
                  const std::string& why);
  void logSuppressed();
  void emitAction(const std::string& target, const std::string& action, const std::string& detail);
  // Audit mode: what enforce mode would do now (the WouldAct signal).
  void emitWouldAct(const std::string& reason);
  void readProcPrivacy();
  Viewer viewerOf(const std::string& sender);

  // The policy's side off the loop (governor_compliance.cpp): check, plan, apply, revert and
  // enforcement as jobs on the worker, with the ledger as it was when asked.
  Status startWorker();
  void setWorkerPolicy();
  template <typename T>
  void askShared(SharedAnswer<T>& answer, const std::string& sender, Reply<T> reply,
                 std::function<T(compliance::PolicyEnforcer&, const Ledger*)> compute);
  void forgetSharedAnswers();
  void applyOrRevert(const std::string& sender, bool apply,
                     Reply<std::vector<compliance::ChangeResult>> reply);
  void enforceOffLoop();
  void enforced(const Result<compliance::Enforcement>& outcome);
  // The ledger for a worker's job: shared, not copied, as no one changes a built ledger.
  std::shared_ptr<const Ledger> sharedLedger() const;
  bool mayQueue(const std::string& sender);
  void unqueue(const std::string& sender);

  // The periodic check of the policy, whose verdict the bus, status and the metrics show.
  void checkCompliance();
  void policyChecked(const Result<compliance::CheckReport>& report);

  // Metrics for node_exporter (metrics_publisher.cpp).
  void publishMetrics();

  GovernorOptions options_;
  sd_event* event_ = nullptr;
  sd_event_source* tick_ = nullptr;
  sd_event_source* signals_[3] = {};
  std::unique_ptr<ProcessSampler> sampler_;
  BusEnd bus_;
  PolicyJobs policy_jobs_;
  BootFigures boot_figures_;
  reclaim::IdleTracker idle_;  // heavy processes' CPU time, for the reclaim report
  ThrottleJobs throttle_;
  bool stopping_ = false;
  metrics::ActionCounters action_counters_;
  std::string metrics_problem_;  // why the last metrics were not written, as logged; empty: written
  policy::Policy policy_;
  GovernorState state_;
  LedgerFigures announced_;
  SampleHealth sample_health_;
  HealthFigures announced_health_;
  std::chrono::milliseconds interval_{1000};
  uint64_t next_tick_usec_ = 0;
  std::size_t last_rollup_reads_ = 0;
};

}  // namespace jmem
