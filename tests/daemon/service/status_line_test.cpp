#include "service/status_line.h"

#include <catch2/catch.hpp>

using namespace jmem;

namespace {

LedgerFigures figures() {
  LedgerFigures f;
  f.process_count = 212;
  f.pss_total_bytes = 3ull << 30;
  f.mem_available_bytes = 5ull << 30;
  f.pressure_level = "low";
  return f;
}

}  // namespace

TEST_CASE("STATUS= summarises the ledger while sampling works and says nothing of a compliant policy",
          "[service]") {
  HealthFigures health;
  CHECK(statusLine(figures(), health, 0) == "212 processes, 3.0G PSS, 5.0G available, pressure low");
  health.policy_verdict = "compliant";
  CHECK(statusLine(figures(), health, 0) == "212 processes, 3.0G PSS, 5.0G available, pressure low");
  // A sample that failed once leaves the ledger fresh: the summary stands.
  health.sample_error = "/proc/meminfo: meminfo: missing field MemTotal";
  CHECK(statusLine(figures(), health, 1'500'000).starts_with("212 processes"));
}

TEST_CASE("STATUS= says sampling is failing, how old the last sample is and why, once the ledger is stale",
          "[service]") {
  HealthFigures health;
  health.sample_state = "stale";
  health.sample_error = "/proc/meminfo: meminfo line 1: invalid value \"x\" for MemTotal";
  CHECK(statusLine(figures(), health, 12'400'000) ==
        "Sampling failing, last sample 12 s ago: /proc/meminfo: meminfo line 1: invalid value \"x\" for "
        "MemTotal");
}

TEST_CASE("STATUS= names drift, unknown and a pending reboot briefly", "[service]") {
  HealthFigures health;
  health.policy_verdict = "drift";
  health.policy_drift_items = 3;
  CHECK(statusLine(figures(), health, 0).ends_with("pressure low; policy: drift (3 items)"));
  health.policy_verdict = "unknown";
  health.policy_unknown_items = 1;
  CHECK(statusLine(figures(), health, 0).ends_with("; policy: unknown (1 item could not be observed)"));
  health.policy_unknown_items = 0;
  CHECK(statusLine(figures(), health, 0).ends_with("; policy: unknown"));
  health.policy_verdict = "reboot-pending";
  health.policy_reboot_pending = {"swiotlb", "quiet"};
  CHECK(statusLine(figures(), health, 0).ends_with("; policy: reboot pending (swiotlb, quiet)"));
}

TEST_CASE("STATUS= stays one line whatever the error and the policy's subjects hold", "[service]") {
  // sd_notify's message is one assignment a line: a newline would forge the next one.
  HealthFigures health;
  health.sample_state = "stale";
  health.sample_error = "bad\nREADY=1";
  health.policy_verdict = "reboot-pending";
  health.policy_reboot_pending = {"a\nMAINPID=1"};
  const std::string line = statusLine(figures(), health, 4'000'000);
  CHECK(line.find('\n') == std::string::npos);
}
