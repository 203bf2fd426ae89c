// Rendering of `jmemctl explain UNIT`.
#include <algorithm>

#include "core/text.h"
#include "ctl/commands.h"
#include "ctl/table.h"

namespace jmem::ctl {
namespace {

// The steps a text shows at most; the JSON has them all.
constexpr std::size_t kShownSteps = 12;

const char* yesNo(bool value) {
  return value ? "yes" : "no";
}

}  // namespace

std::string renderExplain(const ExplainRecord& e, const std::string& mode, const Style& style) {
  std::string out =
      terminalSafe(e.unit) + ": " +
      (e.in_ledger ? formatIec(e.cost_bytes) + " now (PSS plus NvMap)" : std::string("no processes now")) +
      "\n";
  if (e.matches.empty()) {
    out += "\nNo class, keep entry or workload of the policy matches it.\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : e.matches)
      rows.push_back(
          {terminalSafe(m.kind), terminalSafe(m.pattern), terminalSafe(m.where), terminalSafe(m.detail)});
    out += "\n" + renderTable({{"RULE"}, {"PATTERN"}, {"WHERE"}, {"WHAT"}}, rows, style.legend);
  }
  out += "\nProtected: " + std::string(yesNo(e.is_protected)) + ", kept: " + yesNo(e.kept) +
         ", essential: " + yesNo(e.essential) + "\n";
  const bool governed =
      std::any_of(e.matches.begin(), e.matches.end(), [](const PolicyMatchRecord& m) { return m.governs; });
  if (!e.never_acted_on.empty()) {
    out += "The throttle never acts on it: " + terminalSafe(e.never_acted_on) + ".\n";
  } else if (!governed) {
    out +=
        "No workload governs it: under pressure the throttle passes it over; an operator's jmemctl throttle\n"
        "may still throttle and freeze it.\n";
  } else {
    out += "The throttle may act on it under pressure, on the rungs its workload lists.\n";
  }
  out += "In effect now: " + (e.rung_now == "none" ? std::string("nothing") : terminalSafe(e.rung_now));
  if (e.next) {
    out += "; next: " + terminalSafe(e.next->rung) + ", about " + formatIec(e.next->bytes) + " back";
  } else if (e.never_acted_on.empty() && governed) {
    out +=
        e.in_ledger ? "; no rung left that the policy allows here" : "; not running now: nothing to act on";
  }
  out += "\n";
  if (e.sequence.empty())
    return out + "\nUnder pressure the throttle would take no step: no workload it may act on.\n";
  out += "\nIf pressure held, the throttle would" +
         std::string(mode == "audit" ? " (audit mode: it only says so)" : "") + ":\n";
  std::uint64_t back = 0;
  for (std::size_t i = 0; i < e.sequence.size(); ++i) {
    const auto& step = e.sequence[i];
    back += step.bytes;
    if (i >= kShownSteps) continue;
    std::string line = "  " + std::to_string(i + 1) + ". " + terminalSafe(step.rung) + " " +
                       terminalSafe(step.unit) +
                       (step.bytes ? ", about " + formatIec(step.bytes) + " back" : ", nothing back");
    if (step.unit == e.unit) line = paint(style, "1", line);
    out += line + "\n";
  }
  if (e.sequence.size() > kShownSteps)
    out += "  ... " + std::to_string(e.sequence.size() - kShownSteps) + " more (--json lists them all)\n";
  return out + "About " + formatIec(back) + " back in all.\n";
}

Json renderExplainJson(const ExplainRecord& e) {
  Json matches = Json::array();
  for (const auto& m : e.matches) {
    matches.push_back(Json{{"kind", m.kind},
                           {"name", m.name},
                           {"pattern", m.pattern},
                           {"where", m.where},
                           {"detail", m.detail},
                           {"governs", m.governs}});
  }
  Json sequence = Json::array();
  for (const auto& step : e.sequence) sequence.push_back(roomUnitJson(step));
  return Json{{"unit", e.unit},
              {"in_ledger", e.in_ledger},
              {"cost_bytes", e.cost_bytes},
              {"matches", std::move(matches)},
              {"protected", e.is_protected},
              {"kept", e.kept},
              {"essential", e.essential},
              {"never_acted_on", e.never_acted_on.empty() ? Json(nullptr) : Json(e.never_acted_on)},
              {"rung_now", e.rung_now},
              {"next", e.next ? roomUnitJson(*e.next) : Json(nullptr)},
              {"sequence", std::move(sequence)}};
}

}  // namespace jmem::ctl
