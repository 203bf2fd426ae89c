// The governor's policy side off the loop: check, plan, apply, revert and enforcement run as jobs on
// the worker, over the worker's own bus connection, with a copy of the ledger as it was when asked.
// The loop only posts jobs and hands their answers on, so a slow systemd never delays a tick.
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "compliance/change_events.h"
#include "core/clock.h"
#include "metrics/governor_metrics.h"
#include "service/governor.h"
#include "state/event_log.h"
#include "system/systemd_call.h"

namespace jmem {
namespace {

// Jobs waiting at once; past that callers hear Busy.
constexpr std::size_t kMaxQueuedJobs = 64;
// Mutating calls one caller may have waiting; Check and Plan waits per caller.
constexpr std::size_t kMaxQueuedPerCaller = 2;
// An answer to Check or Plan this fresh is given again instead of asking systemd anew.
constexpr std::uint64_t kSharedAnswerUsec = 1'000'000;

std::uint64_t monotonicUsec() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

Error busy(const std::string& what) {
  return Error{"jmemd is busy with earlier calls (" + what + "); try again shortly", EBUSY};
}

}  // namespace

Status WorkerSide::ensureConnected() {
  if (bus && enforcer && systemd_call::isOpen(*bus)) return ok();
  enforcer.reset();
  bus.reset();
  try {
    bus = sdbus::createSystemBusConnection();
  } catch (const sdbus::Error& e) {
    return Error{"Failed to connect to the system bus: " + e.getMessage(), ENOTCONN};
  }
  try {
    enforcer = std::make_unique<compliance::PolicyEnforcer>(*bus, paths);
    enforcer->setPolicy(policy);
  } catch (const std::exception& e) {
    enforcer.reset();
    return Error{std::string("Failed to set up the policy's enforcer: ") + e.what()};
  }
  return ok();
}

Status Governor::startWorker() {
  policy_jobs_.side = std::make_shared<WorkerSide>();
  policy_jobs_.side->paths = compliance::EnforcerPaths{options_.roots.proc, options_.state_dir, "/"};
  policy_jobs_.side->policy = policy_;
  // A state directory others control is refused at start; what is wrong with the journal is shown.
  if (auto inspected = compliance::PolicyEnforcer::inspectJournal(policy_jobs_.side->paths, policy_);
      !inspected)
    return inspected.error();
  auto worker = Worker::start(event_, kMaxQueuedJobs);
  if (!worker) return worker.error();
  policy_jobs_.worker = std::move(*worker);
  return ok();
}

void Governor::setWorkerPolicy() {
  if (!policy_jobs_.worker) return;
  forgetSharedAnswers();
  // Posted in order: every job after it sees this policy. A full queue cannot refuse it.
  auto side = policy_jobs_.side;
  auto policy = std::make_shared<const policy::Policy>(policy_);
  policy_jobs_.worker->postAlways(
      [side, policy]() -> Worker::Then {
        side->policy = *policy;
        if (side->enforcer) side->enforcer->setPolicy(*policy);
        return nullptr;
      },
      [](const std::string& why) { spdlog::error("The new policy did not reach the worker: {}", why); });
}

std::shared_ptr<const Ledger> Governor::sharedLedger() const {
  return state_.ledger;
}

void Governor::forgetSharedAnswers() {
  ++policy_jobs_.answers_generation;
  policy_jobs_.check_answer.last.reset();
  policy_jobs_.plan_answer.last.reset();
}

template <typename T>
void Governor::askShared(SharedAnswer<T>& answer, const std::string& sender, Reply<T> reply,
                         std::function<T(compliance::PolicyEnforcer&, const Ledger*)> compute) {
  const std::uint64_t now = monotonicUsec();
  if (answer.last && now - answer.last_usec < kSharedAnswerUsec) return reply(*answer.last);
  std::size_t mine = 0;
  for (const auto& [who, _] : answer.waiting) mine += who == sender ? 1 : 0;
  if (!sender.empty() && mine >= kMaxQueuedPerCaller) return reply(busy("calls of yours are waiting"));
  answer.waiting.emplace_back(sender, std::move(reply));
  if (answer.running) return;
  auto side = policy_jobs_.side;
  auto ledger = sharedLedger();
  const std::uint64_t generation = policy_jobs_.answers_generation;
  // Everyone waiting gets the outcome; it is given again only while nothing changed since it was asked.
  auto finish = [this, &answer, generation](Result<T> outcome) {
    answer.running = false;
    if (generation == policy_jobs_.answers_generation) {
      answer.last = outcome;
      answer.last_usec = monotonicUsec();
    }
    auto waiting = std::move(answer.waiting);
    answer.waiting.clear();
    for (auto& [who, waiter] : waiting) waiter(outcome);
  };
  const bool posted = policy_jobs_.worker->post(
      [side, ledger, compute, finish]() -> Worker::Then {
        Result<T> outcome = Error{"not computed"};
        if (auto connected = side->ensureConnected(); !connected) {
          outcome = connected.error();
        } else {
          outcome = compute(*side->enforcer, ledger.get());
        }
        return [finish, outcome = std::move(outcome)] { finish(outcome); };
      },
      [finish](const std::string& why) { finish(Error{why}); });
  if (!posted) {
    auto waiting = std::move(answer.waiting);
    answer.waiting.clear();
    for (auto& [who, waiter] : waiting) waiter(busy("its queue is full"));
    return;
  }
  answer.running = true;
}

bool Governor::mayQueue(const std::string& sender) {
  const auto found = policy_jobs_.queued_by_sender.find(sender);
  return found == policy_jobs_.queued_by_sender.end() || found->second < kMaxQueuedPerCaller;
}

void Governor::unqueue(const std::string& sender) {
  if (--policy_jobs_.queued_by_sender[sender] == 0) policy_jobs_.queued_by_sender.erase(sender);
}

void Governor::applyOrRevert(const std::string& sender, bool apply,
                             Reply<std::vector<compliance::ChangeResult>> reply) {
  const char* method = apply ? "Apply" : "Revert";
  if (!mayQueue(sender)) return reply(busy("calls of yours are waiting"));
  auto side = policy_jobs_.side;
  auto ledger = sharedLedger();
  const bool posted = policy_jobs_.worker->post(
      [this, side, ledger, sender, apply, method, reply]() -> Worker::Then {
        using Outcome = Result<std::vector<compliance::ChangeResult>>;
        Authorization who;
        Outcome outcome = Error{"not done"};
        if (auto connected = side->ensureConnected(); !connected) {
          outcome = connected.error();
        } else if (who = authorizeManage(*side->bus, sender); !who.allowed) {
          outcome = who.allowed.error();
        } else {
          outcome = apply ? side->enforcer->apply(ledger.get()) : side->enforcer->revert();
        }
        return [this, sender, apply, method, who, reply, outcome = std::move(outcome)] {
          unqueue(sender);
          if (!who.allowed) {
            logRefusal(who, method, sender, outcome.error().message);
          } else if (who.uid) {
            logAuthorized(*who.uid, method, sender);
            for (const Event& e : compliance::changeEvents(apply, {"operator", who.uid}, outcome))
              logEvent(e);
            forgetSharedAnswers();
            if (outcome) {
              for (const auto& r : *outcome) {
                if (r.planned) action_counters_.recordPolicyChange(*r.planned, r.ok);
              }
            }
          }
          reply(outcome);
        };
      },
      [this, sender, reply](const std::string& why) {
        unqueue(sender);
        reply(Error{why});
      });
  if (!posted) return reply(busy("its queue is full"));
  ++policy_jobs_.queued_by_sender[sender];
}

void Governor::enforceOffLoop() {
  if (policy_.mode.value != policy::Mode::kEnforce || !policy_jobs_.worker || policy_jobs_.enforcing) return;
  auto side = policy_jobs_.side;
  auto ledger = sharedLedger();
  // The verdict this enforcement reports is of the tick it was asked at; a later change outdates it.
  policy_jobs_.checked_generation = policy_jobs_.answers_generation;
  const bool posted = policy_jobs_.worker->post(
      [this, side, ledger]() -> Worker::Then {
        Result<compliance::Enforcement> outcome = Error{"not enforced"};
        if (auto connected = side->ensureConnected(); !connected) {
          outcome = connected.error();
        } else {
          outcome = side->enforcer->enforce(ledger.get());
        }
        return [this, outcome = std::move(outcome)] {
          policy_jobs_.enforcing = false;
          enforced(outcome);
        };
      },
      [this](const std::string& why) {
        policy_jobs_.enforcing = false;
        spdlog::error("Enforcing the policy failed: {}", why);
      });
  policy_jobs_.enforcing = posted;
}

void Governor::enforced(const Result<compliance::Enforcement>& outcome) {
  if (!outcome) {
    policyChecked(outcome.error());
    return;
  }
  // The verdict of what was observed before any correction; the corrections outdate it, so the next
  // tick checks again.
  policyChecked(outcome->report);
  if (!outcome->applied) return;
  const auto& applied = *outcome->applied;
  for (const Event& e : compliance::changeEvents(true, {"enforce", std::nullopt}, applied)) logEvent(e);
  if (!applied) return;
  forgetSharedAnswers();
  for (const auto& r : *applied) {
    emitAction(r.target, r.kind, r.detail);
    if (r.planned) action_counters_.recordPolicyChange(*r.planned, r.ok);
  }
}

// Bounded like every Check: one job on the worker at a time, its answer shared with callers.
void Governor::checkCompliance() {
  if (!policy_jobs_.worker) return;
  policy_jobs_.checked_generation = policy_jobs_.answers_generation;
  askShared<compliance::CheckReport>(
      policy_jobs_.check_answer, "",
      [this](Result<compliance::CheckReport> report) { policyChecked(report); },
      [](compliance::PolicyEnforcer& enforcer, const Ledger* ledger) { return enforcer.check(ledger); });
}

void Governor::policyChecked(const Result<compliance::CheckReport>& report) {
  // A full queue says nothing about the device: the last verdict stands until the next check.
  if (!report && report.error().kind == ErrorKind::kBusy) return;
  const std::uint64_t now_usec = realtimeUsec();
  const std::string was = state_.health.policy_verdict;
  policy_jobs_.last_report = report ? std::optional(*report) : std::nullopt;
  if (report) {
    policy_jobs_.metrics = metrics::complianceMetricsOf(*report, now_usec);
    setPolicyFigures(state_.health, *report, now_usec);
  } else {
    // Nothing could be observed (no bus connection for the worker): unknown, never the last verdict.
    policy_jobs_.metrics = metrics::uncheckedComplianceMetrics(now_usec);
    setPolicyUnchecked(state_.health, now_usec);
  }
  if (state_.health.policy_verdict != was) {
    const std::string& verdict = state_.health.policy_verdict;
    logEvent({event::kVerdict,
              report && verdict == "compliant" ? 6 : 4,
              report ? "Policy check: " + verdict
                     : "Policy check: unknown, the check failed: " + report.error().message,
              {{"VERDICT", verdict}, {"MODE", state_.mode}}});
  }
  announceHealth();
}

template void Governor::askShared<compliance::CheckReport>(
    SharedAnswer<compliance::CheckReport>&, const std::string&, Reply<compliance::CheckReport>,
    std::function<compliance::CheckReport(compliance::PolicyEnforcer&, const Ledger*)>);
template void Governor::askShared<compliance::Plan>(
    SharedAnswer<compliance::Plan>&, const std::string&, Reply<compliance::Plan>,
    std::function<compliance::Plan(compliance::PolicyEnforcer&, const Ledger*)>);

}  // namespace jmem
