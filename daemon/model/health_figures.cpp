#include "model/health_figures.h"

#include <algorithm>

namespace jmem {

void setPolicyFigures(HealthFigures& health, const compliance::CheckReport& report,
                      std::uint64_t check_usec) {
  using compliance::ItemState;
  health.policy_verdict = std::string(compliance::toString(report.verdict()));
  health.policy_drift_items = static_cast<std::uint32_t>(report.count(ItemState::kDrift));
  health.policy_unknown_items = static_cast<std::uint32_t>(report.count(ItemState::kUnknown));
  health.policy_reboot_pending.clear();
  for (const compliance::CheckItem& item : report.items) {
    auto& pending = health.policy_reboot_pending;
    // Each subject once: this boot's and the next boot's item of an argument share it.
    if (item.state == ItemState::kRebootPending &&
        std::find(pending.begin(), pending.end(), item.subject) == pending.end())
      pending.push_back(item.subject);
  }
  health.policy_check_usec = check_usec;
}

void setPolicyUnchecked(HealthFigures& health, std::uint64_t check_usec) {
  health.policy_verdict = std::string(compliance::toString(compliance::Verdict::kUnknown));
  health.policy_drift_items = 0;
  health.policy_unknown_items = 0;
  health.policy_reboot_pending.clear();
  health.policy_check_usec = check_usec;
}

}  // namespace jmem
