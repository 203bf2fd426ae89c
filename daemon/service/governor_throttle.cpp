// The governor's side of throttling: the throttler (controller, actuator and journal) lives on a
// worker thread of its own with its own bus connection, so that a slow systemd delays an action but
// never a tick. The loop sends it a snapshot after every sample and on every PSI trigger (one step at
// a time; a trigger that comes meanwhile is stepped next), operator requests, and a release at a
// clean stop, and shows what it answers.
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "service/governor.h"
#include "sources/boot_time.h"
#include "sources/cgroup_unit.h"
#include "state/event_log.h"
#include "system/systemd_call.h"
#include "throttle/action_log.h"

namespace jmem {
namespace {

// A MemoryHigh below a unit's usage makes PID 1 reclaim the difference before it answers: hundreds of
// MiB into zram take seconds. The worker waits; the loop never does.
constexpr auto kUnitCallTimeout = std::chrono::seconds(30);
// Steps and operator requests waiting at once; a step is never queued behind another.
constexpr std::size_t kMaxThrottleJobs = 8;
// SIGTERM waits this long for the release of what the throttle holds; what is left, the journal keeps
// for the next start.
constexpr std::uint64_t kShutdownReleaseUsec = 1'500'000;

}  // namespace

Status ThrottleSide::ensureConnected() {
  if (bus && systemd_call::isOpen(*bus)) return ok();
  try {
    auto fresh = sdbus::createSystemBusConnection();
    systemd->rebind(*fresh);
    units->rebind(*fresh);
    bus = std::move(fresh);  // the old one goes only now that nothing refers to it
  } catch (const sdbus::Error& e) {
    return Error{"Failed to connect the throttle to the system bus: " + e.getMessage(), ENOTCONN};
  }
  return ok();
}

void Governor::startThrottle() {
  state_.cgroup_features = throttle::readCgroupFeatures(options_.roots.cgroup);
  throttle_.self_unit = readOwnUnit(options_.roots.proc);
  auto side = std::make_shared<ThrottleSide>();
  try {
    side->bus = sdbus::createSystemBusConnection();
  } catch (const sdbus::Error& e) {
    state_.throttle_off = "The throttle is off: failed to connect to the system bus: " + e.getMessage();
    spdlog::error("{}", state_.throttle_off);
    return;
  }
  side->systemd = std::make_unique<SystemdManager>(*side->bus);
  side->units = std::make_unique<UnitRuntime>(*side->bus, kUnitCallTimeout);
  if (auto version = side->systemd->version()) {
    state_.cgroup_features = throttle::forSystemd(state_.cgroup_features, throttle::systemdMajor(*version));
  } else {
    spdlog::warn("{}", version.error().message);
  }
  // Without this boot's identity every journal entry is checked against the units as they are.
  auto boot_id = readBootId(options_.roots.proc);
  if (!boot_id) spdlog::warn("Failed to read this boot's identity: {}, ignoring", boot_id.error().message);
  auto actuator = throttle::Actuator::open(*side->units, *side->systemd, options_.state_dir / "throttle",
                                           state_.cgroup_features.freeze, boot_id ? *boot_id : std::string());
  if (!actuator) {
    state_.throttle_off = "The throttle is off: " + actuator.error().message;
    spdlog::error("{}", state_.throttle_off);
    return;
  }
  auto worker = Worker::start(event_, kMaxThrottleJobs);
  if (!worker) {
    state_.throttle_off = "The throttle is off: " + worker.error().message;
    spdlog::error("{}", state_.throttle_off);
    return;
  }
  side->throttler =
      std::make_unique<throttle::Throttler>(std::move(*actuator), *side->units, state_.cgroup_features);
  if (!state_.cgroup_features.memory_high)
    spdlog::warn("This device cannot throttle: {}", state_.cgroup_features.memory_high_note);
  spdlog::info("Freezing: {}", state_.cgroup_features.freeze_note);
  // At start, before the loop runs: what a previous run left is adopted before anything is decided.
  for (const auto& note : side->throttler->reconcile(policy_, throttle_.self_unit))
    spdlog::warn("Left by a previous run: {}", note);
  state_.throttle = side->throttler->status();
  side->throttler->publishJournal(*side->journal_view);
  throttle_.side = std::move(side);
  throttle_.worker = std::move(*worker);
}

void Governor::armPsiTrigger() {
  throttle_.psi_source = sd_event_source_disable_unref(throttle_.psi_source);
  throttle_.psi_trigger.reset();
  const auto stall = std::chrono::milliseconds(policy_.pressure.psi_trigger_some_ms.value);
  if (!throttle_.side || stall.count() == 0) return;
  auto trigger = throttle::PsiTrigger::open(options_.roots.proc / "pressure" / "memory", stall);
  if (!trigger) {
    spdlog::warn("No PSI trigger, the controller acts on the tick alone: {}", trigger.error().message);
    return;
  }
  if (int r = sd_event_add_io(event_, &throttle_.psi_source, (*trigger)->fd(), EPOLLPRI, onPsiTrigger, this);
      r < 0) {
    spdlog::warn("No PSI trigger: failed to watch it: {}", std::strerror(-r));
    return;
  }
  sd_event_source_set_description(throttle_.psi_source, "psi-trigger");
  sd_event_source_set_priority(throttle_.psi_source, SD_EVENT_PRIORITY_IMPORTANT);
  throttle_.psi_trigger = std::move(*trigger);
  spdlog::info("PSI trigger armed: {} ms of memory stall within {} ms",
               throttle_.psi_trigger->stall().count(), throttle_.psi_trigger->window().count());
}

int Governor::onPsiTrigger(sd_event_source*, int, uint32_t events, void* userdata) {
  auto* self = static_cast<Governor*>(userdata);
  if (events & (EPOLLERR | EPOLLHUP)) {
    spdlog::warn("The PSI trigger was closed by the kernel; the controller acts on the tick alone");
    self->throttle_.psi_source = sd_event_source_disable_unref(self->throttle_.psi_source);
    self->throttle_.psi_trigger.reset();
    return 0;
  }
  self->stepOnTrigger(self->throttle_.psi_trigger->describe());
  return 0;
}

void Governor::stepOnTrigger(std::string trigger) {
  // Fresh system figures; the units' costs are the last tick's. The ledger itself stays as sampled.
  auto figures = readSystemFigures(options_.roots);
  if (!figures) spdlog::debug("{}, stepping on the last sample's figures", figures.error().message);
  throttleStep(std::move(trigger), figures ? std::optional(std::move(*figures)) : std::nullopt);
}

void Governor::throttleStep(std::optional<std::string> psi_trigger,
                            std::optional<SystemFigures> fresh_system) {
  if (!throttle_.side || !state_.ledger || stopping_) return;
  if (throttle_.stepping) {
    // One step at a time; a trigger that came meanwhile is stepped right after.
    if (psi_trigger) throttle_.pending_trigger = std::move(psi_trigger);
    return;
  }
  throttle::Snapshot snapshot = throttleSnapshot();
  if (fresh_system) throttle::setSystemFigures(snapshot, *fresh_system);
  snapshot.psi_trigger = std::move(psi_trigger);
  const bool enforce = policy_.mode.value == policy::Mode::kEnforce;
  auto side = throttle_.side;
  auto policy = throttle_.policy;
  const bool posted = throttle_.worker->post(
      [this, side, policy, enforce, snapshot = std::move(snapshot)]() mutable -> Worker::Then {
        if (auto connected = side->ensureConnected(); !connected)
          spdlog::debug("{}", connected.error().message);
        auto records = side->throttler->step(std::move(snapshot), *policy, enforce);
        side->throttler->publishJournal(*side->journal_view);
        return [this, enforce, records = std::move(records), status = side->throttler->status(),
                rooms = side->throttler->takeRoomOutcomes()] {
          throttle_.stepping = false;
          roomAnswered(rooms);
          // By step, not by reason: a reason quotes figures that move every tick.
          const auto would_before = state_.throttle.would_steps;
          throttleAnswered(records, status);
          if (!records.empty()) publishMetrics();
          if (!enforce && state_.throttle.would_steps != would_before) {
            const auto& now = state_.throttle;
            for (std::size_t i = 0; i < now.would.size(); ++i) {
              logEvent({event::kWouldAct,
                        5,
                        "Audit mode, not acted on: " + now.would[i],
                        {{"UNIT", now.would_units[i]}, {"ORIGIN", "pressure"}}});
              emitWouldAct(now.would[i]);
            }
          }
          if (throttle_.pending_trigger)
            stepOnTrigger(*std::exchange(throttle_.pending_trigger, std::nullopt));
        };
      },
      [this](const std::string& why) {
        throttle_.stepping = false;
        spdlog::error("The throttle's step failed: {}", why);
      });
  throttle_.stepping = posted;
}

void Governor::throttleAnswered(const std::vector<throttle::ActionRecord>& records,
                                const throttle::ThrottleStatus& status) {
  announceActions(records);
  state_.throttle = status;
}

void Governor::announceActions(const std::vector<throttle::ActionRecord>& records) {
  for (const auto& record : records) {
    throttle::logAction(record);
    action_counters_.recordThrottle(record.action.kind, record.ok);
    emitAction(record.action.unit, std::string(throttle::toString(record.action.kind)),
               record.ok ? record.action.reason : record.error);
  }
}

void Governor::operatorAction(bool throttle, const std::string& unit,
                              Reply<std::vector<throttle::ActionRecord>> reply) {
  if (!throttle_.side) return reply(Error{state_.throttle_off});
  auto side = throttle_.side;
  auto policy = throttle_.policy;
  auto ledger = sharedLedger();
  const std::string self_unit = throttle_.self_unit;
  const bool posted = throttle_.worker->post(
      [this, side, policy, ledger, self_unit, throttle, unit, reply]() -> Worker::Then {
        if (auto connected = side->ensureConnected(); !connected)
          spdlog::debug("{}", connected.error().message);
        auto records = throttle ? side->throttler->throttleUnit(unit, ledger.get(), *policy, self_unit)
                                : side->throttler->releaseUnit(unit);
        side->throttler->publishJournal(*side->journal_view);
        return [this, reply, records = std::move(records), status = side->throttler->status()] {
          throttleAnswered(records ? *records : std::vector<throttle::ActionRecord>{}, status);
          reply(records);
        };
      },
      [reply](const std::string& why) { reply(Error{why}); });
  if (!posted) reply(Error{"The throttle is busy; try again shortly", EBUSY});
}

namespace {

Event roomEvent(const throttle::RoomRequest& request, std::string_view result, int priority,
                std::string message) {
  return {event::kRoom,
          priority,
          std::move(message),
          {{"UNIT", request.requester},
           {"ORIGIN", "make-room"},
           {"RESULT", std::string(result)},
           {"CALLER_UID", std::to_string(request.caller_uid)},
           {"ROOM_BYTES", std::to_string(request.bytes)}}};
}

}  // namespace

void Governor::makeRoom(uid_t caller, throttle::RoomRequest request, Reply<throttle::RoomOutcome> reply) {
  if (!throttle_.side) return reply(Error{state_.throttle_off});
  if (!state_.ledger) return reply(Error{"No sample yet: ask again in a moment", EBUSY});
  request.id = throttle_.next_room_id++;
  request.caller_uid = static_cast<std::uint32_t>(caller);
  request.asked_at = throttle::Clock::now();
  const bool enforce = policy_.mode.value == policy::Mode::kEnforce;
  logEvent(roomEvent(request, "asked", 5,
                     "Room asked for " + throttle::roomFor(request) + ": " + formatIec(request.bytes) +
                         " by uid " + std::to_string(caller) +
                         (enforce ? "" : " (audit mode: nothing will be done)")));
  auto side = throttle_.side;
  auto policy = throttle_.policy;
  throttle::Snapshot snapshot = throttleSnapshot();
  const std::uint64_t id = request.id;
  throttle_.room_replies.emplace(id, reply);
  const bool posted = throttle_.worker->post(
      [this, side, policy, enforce, id, snapshot = std::move(snapshot),
       request = std::move(request)]() mutable -> Worker::Then {
        auto asked = side->throttler->askRoom(std::move(request), std::move(snapshot), *policy, enforce);
        return [this, id, asked = std::move(asked), status = side->throttler->status()] {
          state_.throttle = status;
          if (asked && *asked) return roomAnswered({**asked});
          if (asked) return;  // queued: a later step answers
          auto it = throttle_.room_replies.find(id);
          if (it == throttle_.room_replies.end()) return;
          auto refused = std::move(it->second);
          throttle_.room_replies.erase(it);
          refused(asked.error());
        };
      },
      [this, id](const std::string& why) {
        auto it = throttle_.room_replies.find(id);
        if (it == throttle_.room_replies.end()) return;
        auto waiting = std::move(it->second);
        throttle_.room_replies.erase(it);
        waiting(Error{why});
      });
  if (!posted) {
    throttle_.room_replies.erase(id);
    reply(Error{"The throttle is busy; try again shortly", EBUSY});
  }
}

void Governor::roomAnswered(const std::vector<throttle::RoomOutcome>& outcomes) {
  using Kind = throttle::RoomOutcome::Kind;
  for (const auto& outcome : outcomes) {
    const auto& request = outcome.request;
    switch (outcome.kind) {
      case Kind::kMade:
        logEvent(roomEvent(request, "made", 5, outcome.message));
        break;
      case Kind::kFailed:
        logEvent(roomEvent(request, "failed", 4, outcome.message));
        break;
      case Kind::kHoldOver:
        logEvent(roomEvent(request, "released", 6, outcome.message));
        continue;  // answered when it was made
    }
    auto it = throttle_.room_replies.find(request.id);
    if (it == throttle_.room_replies.end()) continue;
    auto reply = std::move(it->second);
    throttle_.room_replies.erase(it);
    reply(outcome);
  }
}

void Governor::releaseThrottleForShutdown() {
  if (!throttle_.side) {
    sd_event_exit(event_, 0);
    return;
  }
  auto side = throttle_.side;
  throttle_.worker->postAlways(
      [this, side]() -> Worker::Then {
        if (auto connected = side->ensureConnected(); !connected)
          spdlog::debug("{}", connected.error().message);
        auto records = side->throttler->releaseForShutdown();
        for (const auto& record : records) throttle::logAction(record);
        return [this] { sd_event_exit(event_, 0); };
      },
      [this](const std::string& why) {
        spdlog::error("The release at stop failed: {}", why);
        sd_event_exit(event_, 0);
      });
  // A systemd too slow to answer does not hold the stop: the journal keeps what is still in effect.
  uint64_t now = 0;
  sd_event_now(event_, CLOCK_MONOTONIC, &now);
  sd_event_add_time(
      event_, nullptr, CLOCK_MONOTONIC, now + kShutdownReleaseUsec, 0,
      [](sd_event_source*, uint64_t, void* userdata) {
        spdlog::warn("Stopping before the throttle's release was done; the next start adopts what is left");
        return sd_event_exit(static_cast<sd_event*>(userdata), 0);
      },
      event_);
}

}  // namespace jmem
