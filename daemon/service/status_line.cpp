#include "service/status_line.h"

#include "core/text.h"

namespace jmem {
namespace {

std::string items(std::uint32_t count) {
  return std::to_string(count) + (count == 1 ? " item" : " items");
}

// "; policy: drift (3 items)", or nothing while compliant or not yet checked.
std::string policyPart(const HealthFigures& h) {
  if (h.policy_verdict.empty() || h.policy_verdict == "compliant") return "";
  std::string text = "; policy: ";
  if (h.policy_verdict == "drift") {
    text += "drift (" + items(h.policy_drift_items) + ")";
  } else if (h.policy_verdict == "unknown") {
    text += "unknown";
    if (h.policy_unknown_items) text += " (" + items(h.policy_unknown_items) + " could not be observed)";
  } else if (h.policy_verdict == "reboot-pending") {
    text += "reboot pending";
    std::string subjects;
    for (const auto& subject : h.policy_reboot_pending) subjects += (subjects.empty() ? "" : ", ") + subject;
    if (!subjects.empty()) text += " (" + terminalSafe(subjects) + ")";
  } else {
    text += terminalSafe(h.policy_verdict);
  }
  return text;
}

}  // namespace

std::string statusLine(const LedgerFigures& f, const HealthFigures& health, std::uint64_t sample_age_usec) {
  std::string line;
  if (health.sample_state == "stale") {
    // The figures would be the old ledger's: the failure is the news.
    line = "Sampling failing, last sample " + std::to_string(sample_age_usec / 1'000'000) +
           " s ago: " + terminalSafe(health.sample_error);
  } else {
    line = std::to_string(f.process_count) + " processes, " + formatIec(f.pss_total_bytes) + " PSS, " +
           formatIec(f.mem_available_bytes) + " available, pressure " + f.pressure_level;
  }
  return line + policyPart(health);
}

}  // namespace jmem
