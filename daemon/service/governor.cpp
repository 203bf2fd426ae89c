#include "service/governor.h"

#include <sdbus-c++/Error.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstring>

#include "bus/property_changes.h"
#include "core/clock.h"
#include "core/file_reader.h"
#include "policy/policy_json.h"
#include "policy/unit_match.h"
#include "service/status_line.h"
#include "service/tick_jobs.h"
#include "system/boot_log.h"
#include "throttle/snapshot.h"

namespace jmem {
namespace {

std::string problemList(const policy::Problems& problems) {
  std::string text =
      std::to_string(problems.size()) + " problem" + (problems.size() == 1 ? "" : "s") + " in the policy:";
  for (const auto& problem : problems) text += "\n" + policy::formatProblem(problem);
  return text;
}

Error loopError(const char* what, int negative_errno) {
  return Error{std::string("Failed to ") + what + ": " + std::strerror(-negative_errno), -negative_errno};
}

std::chrono::microseconds threadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) +
         std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(ts.tv_nsec));
}

}  // namespace

Result<std::unique_ptr<Governor>> Governor::start(const GovernorOptions& options) {
  std::unique_ptr<Governor> governor(new Governor(options));
  if (auto started = governor->init(); !started) return started.error();
  return governor;
}

Governor::~Governor() {
  throttle_.psi_source = sd_event_source_disable_unref(throttle_.psi_source);
  // The worker first (its answers are for the bus object), then the calls waiting, then their connection.
  throttle_.worker.reset();
  policy_jobs_.worker.reset();
  bus_.object.reset();
  bus_.bridge.reset();
  bus_.reconnect = sd_event_source_disable_unref(bus_.reconnect);
  sd_event_source_disable_unref(tick_);
  for (auto* source : signals_) sd_event_source_disable_unref(source);
  sd_event_unref(event_);
}

Event Governor::policyEvent(std::string_view kind, std::string message) const {
  std::string files;
  for (const auto& file : state_.policy_files) files += (files.empty() ? "" : " ") + file;
  return {kind,
          6,
          std::move(message),
          {{"MODE", state_.mode},
           {"POLICY_FINGERPRINT", state_.policy_fingerprint},
           {"POLICY_FILES", files.empty() ? "built-in" : files}}};
}

Status Governor::loadPolicy() {
  auto loaded = policy::loadPolicy(options_.policy_files);
  if (!loaded.policy) return Error{problemList(loaded.problems)};
  // Valid, but a setting will never be used: once per start or reload, one line each.
  for (const auto& warning : loaded.warnings) spdlog::warn("{}", policy::formatProblem(warning));
  policy_ = std::move(*loaded.policy);
  const std::string mode_before = state_.mode;
  const std::vector<std::string> files_before = state_.policy_files;
  const std::string fingerprint_before = state_.policy_fingerprint;
  state_.mode = std::string(policy::toString(policy_.mode.value));
  state_.policy_files = std::move(loaded.files);
  state_.policy_fingerprint = policy::policyFingerprint(policy_);
  std::vector<std::string> changed;
  if (state_.mode != mode_before) changed.push_back("Mode");
  if (state_.policy_files != files_before) changed.push_back("PolicyFiles");
  if (state_.policy_fingerprint != fingerprint_before) changed.push_back("PolicyFingerprint");
  // A reload that changes them is news to every watcher (jmemctl monitor says so).
  if (bus_.object && !changed.empty()) {
    try {
      bus_.object->announce(changed);
    } catch (const sdbus::Error& e) {
      spdlog::warn("Failed to announce the mode: {}", e.getMessage());
    }
  }
  // --interval-ms wins over the policy; otherwise a reload can change the tick.
  interval_ = options_.sample_interval.value_or(policy_.sample_interval.value);
  state_.sample_interval = interval_;
  setWorkerPolicy();
  throttle_.policy = std::make_shared<const policy::Policy>(policy_);
  readProcPrivacy();
  if (event_) armPsiTrigger();
  return ok();
}

Status Governor::init() {
  if (auto loaded = loadPolicy(); !loaded) return loaded;
  auto sampler = ProcessSampler::open(options_.roots.proc, options_.sampler);
  if (!sampler) return sampler.error();
  sampler_ = std::move(*sampler);

  if (int r = sd_event_default(&event_); r < 0) return loopError("create the event loop", r);
  sigset_t mask;
  sigemptyset(&mask);
  for (int signal : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, signal);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int handled[] = {SIGTERM, SIGINT, SIGHUP};
  for (int i = 0; i < 3; ++i) {
    if (int r = sd_event_add_signal(event_, &signals_[i], handled[i], onSignal, this); r < 0)
      return loopError("watch signals", r);
  }
  // Keeps systemd's watchdog fed from the loop itself: a stuck loop stops the pings.
  sd_event_set_watchdog(event_, 1);

  if (auto sampled = sample(); !sampled) return sampled.error();
  boot_figures_ = {readReservedMemory(options_.roots.sys / "firmware/devicetree/base"),
                   kernelBootLines("software IO TLB"), readL4tRelease("/")};
  announced_ = state_.figures;
  announced_health_ = state_.health;

  if (auto started = startWorker(); !started) return started;
  startThrottle();
  if (int r = sd_event_add_time(event_, &bus_.reconnect, CLOCK_MONOTONIC, UINT64_MAX, 0, onReconnect, this);
      r < 0)
    return loopError("add the reconnection timer", r);
  sd_event_source_set_enabled(bus_.reconnect, SD_EVENT_OFF);
  if (auto connected = connectBus(); !connected) return connected;
  armPsiTrigger();

  uint64_t now = 0;
  sd_event_now(event_, CLOCK_MONOTONIC, &now);
  next_tick_usec_ = now + static_cast<uint64_t>(std::chrono::microseconds(interval_).count());
  // Accuracy of 1 ms: systemd's default coalescing (250 ms) would show up as lateness.
  if (int r = sd_event_add_time(event_, &tick_, CLOCK_MONOTONIC, next_tick_usec_, 1000, onTick, this); r < 0)
    return loopError("add the sampling timer", r);
  sd_event_source_set_description(tick_, "sampling-tick");
  // The tick runs before queued bus requests when both are ready.
  sd_event_source_set_priority(tick_, SD_EVENT_PRIORITY_IMPORTANT);
  return ok();
}

// Only the system figures can fail a sample (a process that cannot be read is counted, not fatal); the
// last ledger then stays, and sample_health_ says how old it is.
Status Governor::sample() {
  auto figures = readSystemFigures(options_.roots);
  if (!figures) {
    sample_health_.failed(figures.error().message);
    return figures.error();
  }
  last_rollup_reads_ = sampler_->tick(SteadyClock::now()).rollup_reads;
  // The last ledger is let go before the next is built, so that the heap holds two at once only while
  // a worker's job still reads the last one.
  state_.ledger.reset();
  Ledger ledger = buildLedger(std::move(*figures), sampler_->current(), sampler_->counts());
  ledger.unreadable = sampler_->unreadable();
  state_.ledger = std::make_shared<const Ledger>(std::move(ledger));
  state_.figures = ledgerFigures(*state_.ledger, realtimeUsec());
  measureHeadroom();
  sample_health_.succeeded(loopNowUsec());
  return ok();
}

// Each tick only the headroom itself; what the ladder could add is counted when asked (room()).
void Governor::measureHeadroom() {
  state_.figures.headroom_bytes =
      throttle::headroomAboveLowBytes(state_.figures.mem_available_bytes, policy_.pressure);
}

throttle::Snapshot Governor::throttleSnapshot() const {
  throttle::Snapshot snapshot = throttle::snapshotOf(*state_.ledger, throttle::Clock::now());
  snapshot.self_unit = throttle_.self_unit;
  return snapshot;
}

throttle::ControllerState Governor::throttleInEffect() const {
  throttle::ControllerState in_effect;
  in_effect.units = state_.throttle.units;
  return in_effect;
}

throttle::Room Governor::room() const {
  if (!state_.ledger) return {};
  throttle::Snapshot snapshot = throttleSnapshot();
  if (!throttle_.side) snapshot.units.clear();  // the throttle is off: it would take no step
  return throttle::roomOf(snapshot, throttleInEffect(), policy_, state_.cgroup_features.capabilities());
}

std::uint64_t Governor::loopNowUsec() const {
  uint64_t now = 0;
  // Before the loop's first iteration this is the time now.
  sd_event_now(event_, CLOCK_MONOTONIC, &now);
  return now;
}

void Governor::updateSampleHealth() {
  const std::uint64_t now = loopNowUsec();
  HealthFigures& health = state_.health;
  const std::string was_state = health.sample_state;
  const std::string was_error = health.sample_error;
  const SampleState state = sample_health_.state(now, interval_);
  health.sample_state = std::string(toString(state));
  health.sample_error = sample_health_.lastError();
  // Each change once, not at every tick of a failure that lasts.
  if (!health.sample_error.empty() && health.sample_error != was_error)
    spdlog::warn("Sampling failed, keeping the last ledger: {}", health.sample_error);
  if (health.sample_state != was_state && state == SampleState::kStale) {
    spdlog::error("The ledger is stale: no sample has succeeded for {} s",
                  sample_health_.ageUsec(now) / 1'000'000);
  }
  if (health.sample_error.empty() && !was_error.empty())
    spdlog::info("Sampling works again; the ledger is current");
  announceHealth();
  // Prometheus should not wait for the next regular write to learn of it.
  if (health.sample_state != was_state) publishMetrics();
}

void Governor::announceHealth() {
  const auto changed = announceChanges(announced_health_, state_.health);
  try {
    if (bus_.object) bus_.object->announce(changed);
  } catch (const sdbus::Error& e) {
    spdlog::warn("Failed to announce changes: {}", e.getMessage());
  }
}

void Governor::followIdle() {
  const auto& rule = policy_.reclaim;
  const std::uint64_t threshold = rule.idle_min_mib.value << 20;
  std::vector<reclaim::CpuReading> heavy;
  for (const LedgerProcess& p : state_.ledger->processes) {
    if (p.costBytes() < threshold) continue;
    const std::string& unit = p.sample.placement.unit;
    if (policy::isProtected(policy_, unit) || policy::isKept(policy_, unit)) continue;
    const auto stat = readKernelFile(options_.roots.proc / std::to_string(p.sample.pid) / "stat", 4096);
    if (!stat) continue;  // gone since the sample
    if (auto reading = reclaim::parseStatCpu(p.sample.pid, *stat)) heavy.push_back(*reading);
  }
  idle_.update(heavy, loopNowUsec());
}

reclaim::Report Governor::reclaimReport() const {
  reclaim::Inputs inputs;
  inputs.ledger = state_.ledger.get();
  inputs.policy = &policy_;
  // A check that ran under the policy a reload replaced says nothing of this one.
  const auto& last = policy_jobs_.last_report;
  inputs.check = last && last->policy_fingerprint == state_.policy_fingerprint ? &*last : nullptr;
  // Three small debugfs files: read when asked, as the kernel's own figures change.
  inputs.swiotlb = readSwiotlbPool(options_.roots.debugfs, boot_figures_.swiotlb_boot_line);
  inputs.reserved = boot_figures_.reserved;
  inputs.idle = idle_.idleFor(std::uint64_t{policy_.reclaim.idle_window_s.value} * 1'000'000, loopNowUsec());
  return reclaim::reclaimReport(inputs);
}

Status Governor::reload() {
  sd_notify(0, "RELOADING=1\nSTATUS=Reloading");
  spdlog::info("Reloading");
  const std::string mode_before = state_.mode;
  // A policy with problems is refused whole: the running one stays in force.
  if (auto loaded = loadPolicy(); !loaded) {
    logEvent({event::kPolicyRefused,
              3,
              "Reload refused: " + loaded.error().message,
              {{"MODE", state_.mode}, {"POLICY_FINGERPRINT", state_.policy_fingerprint}}});
    sd_notify(0, "READY=1");
    notifyStatus();
    return loaded;
  }
  logEvent(policyEvent(event::kPolicyLoaded,
                       mode_before == state_.mode
                           ? "Policy reloaded, " + state_.mode + " mode"
                           : "Policy reloaded, " + state_.mode + " mode (was " + mode_before + ")"));
  // The processes are read afresh too.
  auto sampler = ProcessSampler::open(options_.roots.proc, options_.sampler);
  if (!sampler) {
    sd_notify(0, "READY=1");
    return sampler.error();
  }
  sampler_ = std::move(*sampler);
  auto sampled = sample();
  updateSampleHealth();
  sd_notify(0, "READY=1");
  notifyStatus();
  return sampled;
}

int Governor::onTick(sd_event_source* source, uint64_t, void* userdata) {
  auto* self = static_cast<Governor*>(userdata);
  const std::uint64_t now = self->loopNowUsec();
  const auto lateness =
      std::chrono::microseconds(now > self->next_tick_usec_ ? now - self->next_tick_usec_ : 0);
  const auto cpu_before = threadCpu();
  self->tick();
  self->state_.self_stats.record(lateness, threadCpu() - cpu_before, self->last_rollup_reads_);
  return self->scheduleNextTick(source, now);
}

void Governor::tick() {
  // A failure is logged, announced and counted by updateSampleHealth; the last ledger stays.
  const std::string previous_level = state_.figures.pressure_level;
  if (sample()) {
    followIdle();
    announceFigures(previous_level);
    throttleStep(std::nullopt, std::nullopt);
  }
  updateSampleHealth();
  notifyStatus();

  const std::uint64_t tick = state_.self_stats.ticks();
  const TickJobs jobs = tickJobs(tick, policy_.mode.value == policy::Mode::kEnforce,
                                 policy_jobs_.checked_generation != policy_jobs_.answers_generation);
  if (jobs.enforce) enforceOffLoop();
  if (jobs.check) checkCompliance();
  logSuppressed();
  if (jobs.metrics) publishMetrics();
}

void Governor::announceFigures(const std::string& previous_level) {
  const auto changed = announceChanges(announced_, state_.figures);
  if (!bus_.object) return;
  try {
    bus_.object->announce(changed);
    if (state_.figures.pressure_level != previous_level) {
      const auto& f = state_.figures;
      bus_.object->emitPressureLevelChanged(f.pressure_level, f.pressure_some_avg10_permyriad,
                                            f.pressure_full_avg10_permyriad);
    }
  } catch (const sdbus::Error& e) {
    spdlog::warn("Failed to announce changes: {}", e.getMessage());
  }
}

// The next tick on the fixed schedule; after a stall, what was missed is skipped instead of bursting.
int Governor::scheduleNextTick(sd_event_source* source, std::uint64_t now) {
  const uint64_t interval = static_cast<uint64_t>(std::chrono::microseconds(interval_).count());
  next_tick_usec_ += interval;
  if (next_tick_usec_ <= now) next_tick_usec_ = now + interval;
  sd_event_source_set_time(source, next_tick_usec_);
  return sd_event_source_set_enabled(source, SD_EVENT_ON);
}

int Governor::onSignal(sd_event_source*, const struct signalfd_siginfo* info, void* userdata) {
  auto* self = static_cast<Governor*>(userdata);
  if (info->ssi_signo == SIGHUP) {
    if (auto reloaded = self->reload(); !reloaded)
      spdlog::error("Reload failed: {}", reloaded.error().message);
    return 0;
  }
  // A second signal while the throttle's release runs stops at once.
  if (self->stopping_) return sd_event_exit(self->event_, 0);
  self->stopping_ = true;
  logEvent(
      {event::kStopping, 6, "Stopping on " + std::string(strsignal(static_cast<int>(info->ssi_signo))), {}});
  sd_notify(0, "STOPPING=1\nSTATUS=Stopping");
  self->releaseThrottleForShutdown();  // exits the loop once done, or after a bound
  return 0;
}

void Governor::notifyStatus() const {
  const std::string status =
      "STATUS=" + statusLine(state_.figures, state_.health, sample_health_.ageUsec(loopNowUsec()));
  sd_notify(0, status.c_str());
}

int Governor::run() {
  sd_notify(0, "READY=1");
  notifyStatus();
  logEvent(policyEvent(event::kStarted, fmt::format("Serving {} on the system bus; sampling every {} ms; "
                                                    "policy in {} mode",
                                                    kBusName, interval_.count(), state_.mode)));
  const int r = sd_event_loop(event_);
  if (r < 0) {
    spdlog::error("The event loop failed: {}", std::strerror(-r));
    return 1;
  }
  return r;
}

}  // namespace jmem
