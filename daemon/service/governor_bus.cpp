// The governor on the system bus: the served connection and its bus object, their loss and
// reconnection (the ledger and the throttle carry on meanwhile), who may call what, and bounded logs
// of what callers did.
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cerrno>

#include "bus/sdbus_compat.h"
#include "core/clock.h"
#include "service/governor.h"

namespace jmem {
namespace {

constexpr std::uint64_t kReconnectEveryUsec = 1'000'000;
constexpr std::size_t kMaxKnownCallers = 1024;

}  // namespace

Governor::Governor(const GovernorOptions& options) : options_(options) {}

Status Governor::connectBus() {
  try {
    bus_.connection = sdbus::createSystemBusConnection();
    bus_.object = std::make_unique<ManagerObject>(*bus_.connection, state_, busHandlers());
    sdbus_compat::requestName(*bus_.connection, kBusName);
  } catch (const sdbus::Error& e) {
    bus_.object.reset();
    bus_.connection.reset();
    return Error{"Failed to serve " + std::string(kBusName) + " on the system bus: " + e.getMessage()};
  }
  auto bridge = BusBridge::attach(event_, *bus_.connection, [this](const std::string& why) { busLost(why); });
  if (!bridge) {
    bus_.object.reset();
    bus_.connection.reset();
    return bridge.error();
  }
  bus_.bridge = std::move(*bridge);
  return ok();
}

void Governor::busLost(const std::string& why) {
  if (!bus_.lost.empty()) return;
  bus_.lost = why;
  spdlog::error("Lost the system bus ({}); sampling and the throttle go on, reconnecting", why);
  sd_notify(0, "STATUS=Reconnecting to the system bus");
  uint64_t now = 0;
  sd_event_now(event_, CLOCK_MONOTONIC, &now);
  // Not from inside the bridge's own callback: the loop comes back to it at once.
  sd_event_source_set_time(bus_.reconnect, now);
  sd_event_source_set_enabled(bus_.reconnect, SD_EVENT_ONESHOT);
}

int Governor::onReconnect(sd_event_source* source, uint64_t usec, void* userdata) {
  auto* self = static_cast<Governor*>(userdata);
  // The calls waiting for an answer belong to the old connection and go first, then the connection.
  self->bus_.object.reset();
  self->bus_.bridge.reset();
  self->bus_.connection.reset();
  self->bus_.caller_uids.clear();
  // The workers find their own connections again when they next need them.
  auto connected = self->connectBus();
  if (!connected) {
    spdlog::debug("Still off the bus: {}", connected.error().message);
    // From now, not from when this attempt began: an attempt can take long.
    uint64_t now = usec;
    sd_event_now(self->event_, CLOCK_MONOTONIC, &now);
    sd_event_source_set_time(source, now + kReconnectEveryUsec);
    return sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
  }
  spdlog::info("Back on the system bus as {} (it was lost: {})", kBusName, self->bus_.lost);
  self->bus_.lost.clear();
  self->notifyStatus();
  return 0;
}

ManagerHandlers Governor::busHandlers() {
  ManagerHandlers h;
  h.reload = [this](const std::string& sender, Reply<Done> reply) {
    whenAuthorized<Done>(sender, "Reload", std::move(reply), [this](uid_t, Reply<Done> r) { r(reload()); });
  };
  h.check = [this](const std::string& sender, Reply<compliance::CheckReport> reply) {
    askShared<compliance::CheckReport>(
        policy_jobs_.check_answer, sender, std::move(reply),
        [](compliance::PolicyEnforcer& enforcer, const Ledger* ledger) { return enforcer.check(ledger); });
  };
  h.plan = [this](const std::string& sender, Reply<compliance::Plan> reply) {
    askShared<compliance::Plan>(
        policy_jobs_.plan_answer, sender, std::move(reply),
        [](compliance::PolicyEnforcer& enforcer, const Ledger* ledger) { return enforcer.plan(ledger); });
  };
  h.apply = [this](const std::string& sender, Reply<std::vector<compliance::ChangeResult>> reply) {
    applyOrRevert(sender, true, std::move(reply));
  };
  h.revert = [this](const std::string& sender, Reply<std::vector<compliance::ChangeResult>> reply) {
    applyOrRevert(sender, false, std::move(reply));
  };
  using Actions = std::vector<throttle::ActionRecord>;
  h.throttle = [this](const std::string& sender, const std::string& unit, Reply<Actions> reply) {
    whenAuthorized<Actions>(sender, "Throttle", std::move(reply), [this, unit](uid_t, Reply<Actions> r) {
      operatorAction(true, unit, std::move(r));
    });
  };
  h.release = [this](const std::string& sender, const std::string& unit, Reply<Actions> reply) {
    whenAuthorized<Actions>(sender, "Release", std::move(reply), [this, unit](uid_t, Reply<Actions> r) {
      operatorAction(false, unit, std::move(r));
    });
  };
  h.make_room = [this](const std::string& sender, throttle::RoomRequest request,
                       Reply<throttle::RoomOutcome> reply) {
    whenAuthorized<throttle::RoomOutcome>(
        sender, "MakeRoom", std::move(reply),
        [this, request = std::move(request)](uid_t uid, Reply<throttle::RoomOutcome> r) mutable {
          makeRoom(uid, std::move(request), std::move(r));
        });
  };
  h.room = [this] { return room(); };
  h.explain = [this](const std::string& unit) -> Result<throttle::Explanation> {
    if (!state_.ledger) return Error{"No sample yet: ask again in a moment"};
    const std::string off =
        throttle_.side ? std::string() : "the throttle is off here: " + state_.throttle_off;
    return throttle::explainUnit(unit, throttleSnapshot(), throttleInEffect(), policy_,
                                 state_.cgroup_features.capabilities(), off);
  };
  h.reclaim = [this] { return reclaimReport(); };
  h.changes = [this] {
    std::vector<std::pair<std::string_view, std::shared_ptr<const std::vector<Change>>>> journals = {
        {"compliance", policy_jobs_.side->paths.journal_view->changes()}};
    if (throttle_.side) journals.emplace_back("throttle", throttle_.side->journal_view->changes());
    return journals;
  };
  h.viewer = [this](const std::string& sender) { return viewerOf(sender); };
  h.state_problems = [this] {
    auto problems = policy_jobs_.side->paths.journal_view->problems();
    if (throttle_.side) {
      for (const auto& problem : throttle_.side->journal_view->problems()) problems.push_back(problem);
    }
    return problems;
  };
  return h;
}

template <typename T>
void Governor::whenAuthorized(const std::string& sender, const char* method, Reply<T> reply,
                              std::function<void(uid_t, Reply<T>)> then) {
  if (!mayQueue(sender)) {
    return reply(Error{"jmemd is busy with earlier calls of yours; try again shortly", EBUSY});
  }
  auto side = policy_jobs_.side;
  const bool posted = policy_jobs_.worker->post(
      [this, side, sender, method, reply, then]() -> Worker::Then {
        Authorization who;
        if (auto connected = side->ensureConnected(); !connected) {
          who.allowed = connected.error();
        } else {
          who = authorizeManage(*side->bus, sender);
        }
        return [this, sender, method, reply, then, who] {
          unqueue(sender);
          if (!who.allowed || !who.uid) {
            logRefusal(who, method, sender, who.allowed ? "unknown caller" : who.allowed.error().message);
            return reply(who.allowed ? Error{"unknown caller", EACCES} : who.allowed.error());
          }
          logAuthorized(*who.uid, method, sender);
          then(*who.uid, reply);
        };
      },
      [this, sender, reply](const std::string& why) {
        unqueue(sender);
        reply(Error{why});
      });
  if (!posted) return reply(Error{"jmemd is busy with earlier calls; try again shortly", EBUSY});
  ++policy_jobs_.queued_by_sender[sender];
}

void Governor::logRefusal(const Authorization& who, const char* method, const std::string& sender,
                          const std::string& why) {
  const std::string key = who.uid ? "uid " + std::to_string(*who.uid) : std::string("unknown callers");
  logLimited(key, spdlog::level::info, std::string("Refused ") + method + " to " + sender + ": " + why);
}

void Governor::logAuthorized(uid_t uid, const char* method, const std::string& sender) {
  logLimited("uid " + std::to_string(uid), spdlog::level::info,
             std::string(method) + " called by uid " + std::to_string(uid) + " (" + sender + ")");
}

void Governor::logLimited(const std::string& key, spdlog::level::level_enum level, const std::string& line) {
  if (bus_.caller_log.admit(key, realtimeUsec())) spdlog::log(level, "{}", line);
}

void Governor::logSuppressed() {
  for (const auto& summary : bus_.caller_log.expire(realtimeUsec())) {
    spdlog::info("{} more calls from {} were not logged in the last {} s", summary.suppressed, summary.key,
                 kCallerLogWindowUsec / 1'000'000);
  }
}

void Governor::emitAction(const std::string& target, const std::string& action, const std::string& detail) {
  if (!bus_.object) return;  // off the bus: the journal and the log still have it
  try {
    bus_.object->emitActionTaken(target, action, detail);
  } catch (const sdbus::Error& e) {
    spdlog::warn("Failed to announce an action: {}", e.getMessage());
  }
}

void Governor::emitWouldAct(const std::string& reason) {
  if (!bus_.object) return;
  try {
    bus_.object->emitWouldAct(reason);
  } catch (const sdbus::Error& e) {
    spdlog::warn("Failed to announce an audit decision: {}", e.getMessage());
  }
}

void Governor::readProcPrivacy() {
  auto visibility = readProcVisibility(options_.roots);
  if (!visibility) {
    // Fail closed: other users' processes are hidden from callers other than root.
    spdlog::warn("Hiding other users' processes from callers: {}", visibility.error().message);
    bus_.proc_visibility = ProcVisibility{};
    bus_.proc_visibility.hides_others = true;
    return;
  }
  bus_.proc_visibility = *visibility;
  if (bus_.proc_visibility.hides_others)
    spdlog::info("/proc hides other users' processes (hidepid={}): so does the bus",
                 bus_.proc_visibility.hidepid);
}

Viewer Governor::viewerOf(const std::string& sender) {
  Viewer viewer{bus_.proc_visibility, Caller{}};
  if (!bus_.proc_visibility.hides_others || !bus_.connection) return viewer;
  // Unique names are never reused while the bus runs, so what the bus said of one stays true.
  auto known = bus_.caller_uids.find(sender);
  if (known == bus_.caller_uids.end()) {
    auto uid = busCallerUid(*bus_.connection, sender, std::chrono::milliseconds(500));
    // Unknown: shown nothing of anyone's processes (a uid no process has).
    const uid_t resolved = uid ? *uid : static_cast<uid_t>(-1);
    if (bus_.caller_uids.size() >= kMaxKnownCallers) bus_.caller_uids.clear();
    known = bus_.caller_uids.emplace(sender, resolved).first;
  }
  // The caller's groups are not asked for: nobody counts as the mount's gid= group but root, which
  // hides more, never less.
  viewer.caller.uid = known->second;
  return viewer;
}

}  // namespace jmem
