// Rendering of `jmemctl reclaim`: one row per knob, then what makes each up.
#include "core/text.h"
#include "ctl/commands.h"
#include "ctl/table.h"

namespace jmem::ctl {
namespace {

constexpr std::size_t kPartsShown = 4;

std::string takenCell(const std::string& taken, const Style& style) {
  if (taken == "would take") return paint(style, "33", taken);
  if (taken == "taken") return paint(style, "32", taken);
  return taken;
}

}  // namespace

std::string renderReclaim(const ReclaimRecord& reclaim, const Style& style) {
  std::vector<std::vector<std::string>> rows;
  for (const ReclaimRowRecord& r : reclaim.rows) {
    rows.push_back({terminalSafe(r.knob), formatIec(r.bytes), formatIec(r.back_bytes),
                    r.guide.empty() ? "-" : terminalSafe(r.guide), takenCell(terminalSafe(r.taken), style),
                    terminalSafe(r.how)});
  }
  std::string out = renderTable({{"KNOB"}, {"NOW", true}, {"BACK", true}, {"NVIDIA"}, {"TAKEN"}, {"HOW"}},
                                rows, style.legend);
  out += "\nThe policy would still take " + formatIec(reclaim.policy_would_take_bytes) +
         "; other means could give " + formatIec(reclaim.other_means_bytes) +
         " more (each process counted once).\n";
  std::string parts;
  for (const ReclaimRowRecord& r : reclaim.rows) {
    if (r.parts.empty()) continue;
    parts += "  " + terminalSafe(r.knob) + ": ";
    for (std::size_t i = 0; i < r.parts.size() && i < kPartsShown; ++i)
      parts += (i == 0 ? "" : ", ") + terminalSafe(r.parts[i]);
    if (r.parts.size() > kPartsShown)
      parts += " and " + std::to_string(r.parts.size() - kPartsShown) + " more";
    parts += "\n";
  }
  if (!parts.empty()) out += "\nWhat makes them up:\n" + parts;
  for (const std::string& note : reclaim.notes) out += "\nNote: " + terminalSafe(note) + "\n";
  return out;
}

Json renderReclaimJson(const ReclaimRecord& reclaim) {
  Json rows = Json::array();
  for (const ReclaimRowRecord& r : reclaim.rows) {
    rows.push_back(Json{{"knob", r.knob},
                        {"bytes", r.bytes},
                        {"back_bytes", r.back_bytes},
                        {"guide", r.guide},
                        {"way", r.way},
                        {"how", r.how},
                        {"taken", r.taken},
                        {"parts", r.parts}});
  }
  return Json{{"rows", std::move(rows)},
              {"policy_would_take_bytes", reclaim.policy_would_take_bytes},
              {"other_means_bytes", reclaim.other_means_bytes},
              {"notes", reclaim.notes}};
}

}  // namespace jmem::ctl
