#include "throttle/journal_schema.h"

#include <catch2/catch.hpp>

#include "support/policy_text.h"

using namespace jmem;
using namespace jmem::throttle;
using nlohmann::json;

namespace {

const char* kPolicy = R"(mode = "enforce"
keep = ["ssh.service"]

[pressure]
allow_stop = true

[[workloads]]
unit = "batch.service"
actions = ["throttle", "freeze", "stop"]

[[workloads]]
unit = "inference.service"
protected = true

[[workloads]]
unit = "render.service"
actions = ["throttle", "freeze"]
)";

Change escalation(std::string kind, std::string unit, json after, json before = json::object()) {
  Change c;
  c.seq = 1;
  c.txn = "t1";
  c.kind = std::move(kind);
  c.target = std::move(unit);
  c.before = std::move(before);
  c.after = std::move(after);
  return c;
}

std::optional<std::string> why(const Change& change) {
  static const policy::Policy policy = test::parsePolicyOrFail(kPolicy);
  return whyRejected(change, policy, "jmemd.service");
}

}  // namespace

TEST_CASE("every escalation the throttle writes for a workload passes the schema", "[throttle]") {
  CHECK_FALSE(why(
      escalation("memory_high", "batch.service",
                 {{"origin", "pressure"}, {"boot_id", "b"}, {"memory_high_bytes", std::uint64_t{1} << 30}},
                 {{"memory_high_bytes", nullptr}})));
  CHECK_FALSE(
      why(escalation("freeze", "batch.service", {{"origin", "pressure"}, {"method", "cgroup-freezer"}})));
  CHECK_FALSE(why(escalation("stop", "batch.service", {{"origin", "pressure"}, {"boot_id", "b"}})));
  // An operator may throttle a unit no workload names.
  CHECK_FALSE(
      why(escalation("freeze", "other.service", {{"origin", "operator"}, {"method", "stop-signal"}})));
}

TEST_CASE("a throttle record for a kept, protected, essential or own unit is rejected", "[throttle]") {
  const auto kept =
      why(escalation("freeze", "ssh.service", {{"origin", "operator"}, {"method", "stop-signal"}}));
  REQUIRE(kept);
  CHECK(*kept == "rejected a record of kind freeze: ssh.service is in the policy's keep list");
  const auto protected_unit =
      why(escalation("freeze", "inference.service", {{"origin", "pressure"}, {"method", "cgroup-freezer"}}));
  REQUIRE(protected_unit);
  CHECK_THAT(*protected_unit, Catch::EndsWith("inference.service is a protected workload"));
  CHECK(why(escalation("stop", "dbus.service", {{"origin", "operator"}})));
  CHECK(why(escalation("freeze", "jmemd.service", {{"origin", "operator"}, {"method", "cgroup-freezer"}})));
}

TEST_CASE("a pressure record must name a workload, and a stop only one the policy lets jmemd stop",
          "[throttle]") {
  const auto stranger =
      why(escalation("freeze", "other.service", {{"origin", "pressure"}, {"method", "cgroup-freezer"}}));
  REQUIRE(stranger);
  CHECK(*stranger == "rejected a record of kind freeze: other.service is no workload of the policy");
  const auto stop = why(escalation("stop", "render.service", {{"origin", "operator"}}));
  REQUIRE(stop);
  CHECK(*stop == "rejected a record of kind stop: the policy does not let jmemd stop render.service");
}

TEST_CASE("a record of a request for room is the controller's: it must name a workload with actions",
          "[throttle]") {
  CHECK_FALSE(
      why(escalation("freeze", "batch.service", {{"origin", "make-room"}, {"method", "cgroup-freezer"}})));
  const auto stranger =
      why(escalation("freeze", "other.service", {{"origin", "make-room"}, {"method", "cgroup-freezer"}}));
  REQUIRE(stranger);
  CHECK(*stranger == "rejected a record of kind freeze: other.service is no workload of the policy");
  const auto forged =
      why(escalation("freeze", "batch.service", {{"origin", "room"}, {"method", "cgroup-freezer"}}));
  REQUIRE(forged);
  CHECK(*forged == "rejected a record of kind freeze: after.origin is not pressure, make-room or operator");
}

TEST_CASE("a throttle record must name a service or scope, with values of the right types", "[throttle]") {
  const auto target = why(escalation("stop", "poweroff.target", {{"origin", "operator"}}));
  REQUIRE(target);
  CHECK(*target == "rejected a record of kind stop: the target poweroff.target is not a service or a scope");
  const auto bytes =
      why(escalation("memory_high", "batch.service", {{"origin", "pressure"}, {"memory_high_bytes", "1G"}},
                     {{"memory_high_bytes", nullptr}}));
  REQUIRE(bytes);
  CHECK(*bytes == "rejected a record of kind memory_high: memory_high_bytes is not a whole number or null");
  CHECK(why(escalation("freeze", "batch.service", {{"origin", "pressure"}, {"method", "SIGKILL"}})));
  CHECK(why(escalation("freeze", "batch.service",
                       {{"origin", "pressure"}, {"method", "stop-signal"}, {"pid", 1}})));
  CHECK(why(escalation("freeze", "batch.service",
                       {{"origin", "pressure"}, {"method", "stop-signal"}, {"boot_id", 1}})));
  CHECK(why(escalation("freeze", "batch.service", {{"origin", "shutdown"}, {"method", "stop-signal"}})));
  CHECK(why(escalation("signal", "batch.service", {{"origin", "pressure"}})));
}
