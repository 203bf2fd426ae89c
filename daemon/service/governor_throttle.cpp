// The governor's side of throttling: the controller's journal and actuator on the daemon's bus
// connection, a step after every sample and on every PSI trigger, operator requests, and a release
// at a clean stop.
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/file_reader.h"
#include "service/governor.h"
#include "sources/cgroup_unit.h"
#include "throttle/action_log.h"

namespace jmem {
namespace {

constexpr auto kUnitCallTimeout = std::chrono::seconds(5);

// The unit jmemd runs in, so that the throttle never picks it.
std::string selfUnit(const std::filesystem::path& proc) {
  auto text = readWholeFile(proc / "self" / "cgroup", 64 * 1024);
  if (!text) return {};
  const auto path = systemdCgroupPath(*text);
  return path ? placementFromCgroupPath(*path).unit : std::string();
}

// This boot's identity, for the journal's entries; empty when unreadable (then every entry is checked).
std::string bootId(const std::filesystem::path& proc) {
  auto text = readWholeFile(proc / "sys" / "kernel" / "random" / "boot_id", 64);
  if (!text) return {};
  std::string id = *text;
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  const bool plausible = id.size() == 36 && id.find_first_not_of("0123456789abcdef-") == std::string::npos;
  return plausible ? id : std::string();
}

}  // namespace

void Governor::startThrottle() {
  systemd_ = std::make_unique<SystemdManager>(*throttle_bus_);
  unit_control_ = std::make_unique<UnitControl>(*throttle_bus_, kUnitCallTimeout);
  state_.controls = throttle::readDeviceControls(options_.roots.cgroup);
  self_unit_ = selfUnit(options_.roots.proc);
  auto actuator = throttle::Actuator::open(*unit_control_, *systemd_, options_.state_dir / "throttle",
                                           state_.controls.freeze, bootId(options_.roots.proc));
  if (!actuator) {
    state_.throttle_off = "The throttle is off: " + actuator.error().message;
    spdlog::error("{}", state_.throttle_off);
    return;
  }
  throttler_ = std::make_unique<throttle::Throttler>(std::move(*actuator), *unit_control_, state_.controls);
  if (!state_.controls.memory_high)
    spdlog::warn("This device cannot throttle: {}", state_.controls.memory_high_note);
  spdlog::info("Freezing: {}", state_.controls.freeze_note);
  for (const auto& note : throttler_->reconcile(policy_, self_unit_))
    spdlog::warn("Left by a previous run: {}", note);
  state_.throttle = throttler_->status();
}

void Governor::armPsiTrigger() {
  psi_source_ = sd_event_source_disable_unref(psi_source_);
  psi_trigger_.reset();
  const auto stall = std::chrono::milliseconds(policy_.pressure.psi_trigger_some_ms.value);
  if (!throttler_ || stall.count() == 0) return;
  auto trigger = throttle::PsiTrigger::open(options_.roots.proc / "pressure" / "memory", stall);
  if (!trigger) {
    spdlog::warn("No PSI trigger, the controller acts on the tick alone: {}", trigger.error().message);
    return;
  }
  if (int r = sd_event_add_io(event_, &psi_source_, (*trigger)->fd(), EPOLLPRI, onPsiTrigger, this); r < 0) {
    spdlog::warn("No PSI trigger: failed to watch it: {}", std::strerror(-r));
    return;
  }
  sd_event_source_set_description(psi_source_, "psi-trigger");
  sd_event_source_set_priority(psi_source_, SD_EVENT_PRIORITY_IMPORTANT);
  psi_trigger_ = std::move(*trigger);
  spdlog::info("PSI trigger armed: {} ms of memory stall within {} ms", psi_trigger_->stall().count(),
               psi_trigger_->window().count());
}

int Governor::onPsiTrigger(sd_event_source*, int, uint32_t events, void* userdata) {
  auto* self = static_cast<Governor*>(userdata);
  if (events & (EPOLLERR | EPOLLHUP)) {
    spdlog::warn("The PSI trigger was closed by the kernel; the controller acts on the tick alone");
    self->psi_source_ = sd_event_source_disable_unref(self->psi_source_);
    self->psi_trigger_.reset();
    return 0;
  }
  // Fresh system figures; the units' costs are the last tick's.
  if (auto figures = readSystemFigures(self->options_.roots); figures && self->state_.ledger) {
    self->state_.ledger->system = std::move(*figures);
  }
  self->throttleStep(self->psi_trigger_->describe());
  return 0;
}

void Governor::throttleStep(std::optional<std::string> psi_trigger) {
  if (!throttler_ || !state_.ledger) return;
  throttle::Snapshot snapshot = throttle::snapshotOf(*state_.ledger, throttle::Clock::now());
  snapshot.self_unit = self_unit_;
  snapshot.psi_trigger = std::move(psi_trigger);
  const bool enforce = policy_.mode.value == policy::Mode::kEnforce;
  const auto would_before = throttler_->status().would;
  const auto records = throttler_->step(std::move(snapshot), policy_, enforce);
  announceActions(records);
  state_.throttle = throttler_->status();
  if (!records.empty()) publishMetrics();
  if (!enforce && state_.throttle.would != would_before) {
    for (const auto& would : state_.throttle.would) spdlog::info("Audit mode, not acted on: {}", would);
  }
}

void Governor::announceActions(const std::vector<throttle::ActionRecord>& records) {
  for (const auto& record : records) {
    throttle::logAction(record);
    action_counters_.recordThrottle(record.action.kind, record.ok);
    emitAction(record.action.unit, std::string(throttle::toString(record.action.kind)),
               record.ok ? record.action.reason : record.error);
  }
}

Result<std::vector<throttle::ActionRecord>> Governor::operatorThrottle(const std::string& unit) {
  if (!throttler_) return Error{state_.throttle_off};
  const Ledger* ledger = state_.ledger ? &*state_.ledger : nullptr;
  auto records = throttler_->throttleUnit(unit, ledger, policy_, self_unit_);
  if (records) announceActions(*records);
  state_.throttle = throttler_->status();
  return records;
}

Result<std::vector<throttle::ActionRecord>> Governor::operatorRelease(const std::string& unit) {
  if (!throttler_) return Error{state_.throttle_off};
  auto records = throttler_->releaseUnit(unit);
  if (records) announceActions(*records);
  state_.throttle = throttler_->status();
  return records;
}

void Governor::releaseThrottleForShutdown() {
  if (!throttler_) return;
  const auto records = throttler_->releaseForShutdown();
  for (const auto& record : records) throttle::logAction(record);
}

}  // namespace jmem
