#include "policy/sections.h"

namespace jmem::policy::detail {
namespace {

constexpr std::int64_t kMaxIdleWindowSeconds = 7 * 24 * 3600;

template <typename T>
void assign(Located<T>& target, const std::optional<Located<T>>& value) {
  if (value) target = *value;
}

}  // namespace

ReclaimPolicy readReclaim(const TableReader& reclaim) {
  reclaim.rejectUnknownKeys({"idle_min_mib", "idle_window_s", "display", "camera"});
  ReclaimPolicy policy;
  assign(policy.idle_min_mib, narrowed<std::uint64_t>(reclaim.integer("idle_min_mib", 1, kMaxMib)));
  assign(policy.idle_window_s,
         narrowed<std::uint32_t>(reclaim.integer("idle_window_s", 10, kMaxIdleWindowSeconds)));
  assign(policy.display, reclaim.boolean("display"));
  assign(policy.camera, reclaim.boolean("camera"));
  return policy;
}

}  // namespace jmem::policy::detail
