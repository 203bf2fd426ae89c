// Rendering of the policy verbs: check, plan, apply, revert; and validate, which needs no daemon.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "ctl/commands.h"
#include "ctl/table.h"

namespace jmem::ctl {
namespace {

// The width plan keeps to, as a terminal has at least.
constexpr std::size_t kPlanColumns = 80;

std::size_t widestLine(const std::string& text) {
  std::size_t widest = 0;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    widest = std::max(widest, displayWidth(std::string_view(text).substr(start, end - start)));
  return widest;
}

const char* stateColor(const std::string& state) {
  if (state == "ok") return "32";
  if (state == "drift") return "31";
  if (state == "reboot pending") return "36";
  return "33";
}

}  // namespace

int checkExitCode(const CheckView& check) {
  if (check.verdict == "compliant") return kExitOk;
  if (check.verdict == "reboot-pending") return kExitRebootPending;
  if (check.verdict == "drift") return kExitDrift;
  return kExitUnknown;  // "unknown", or a verdict this jmemctl does not know
}

std::string renderCheck(const CheckView& check, const Style& style) {
  std::vector<std::vector<std::string>> rows;
  std::uint64_t drift_cost = 0;
  std::size_t unknown = 0;
  for (const auto& i : check.items) {
    const std::string state = paint(style, stateColor(i.state), terminalSafe(i.state));
    rows.push_back({terminalSafe(i.kind), terminalSafe(i.subject), terminalSafe(i.policy_class),
                    terminalSafe(i.expected), terminalSafe(i.actual), state,
                    i.cost_bytes ? formatIec(i.cost_bytes) : "-"});
    if (i.state == "drift" && i.kind != "unit-file") drift_cost += i.cost_bytes;
    if (i.state == "unknown") ++unknown;
  }
  std::string out =
      renderTable({{"ITEM"}, {"SUBJECT"}, {"CLASS"}, {"EXPECTED"}, {"ACTUAL"}, {"STATE"}, {"COST", true}},
                  rows, style.legend);
  if (!style.legend) return out;
  const std::string not_seen =
      unknown ? std::to_string(unknown) + " item(s) could not be observed, so compliance is unknown" : "";
  if (check.verdict == "compliant") {
    out += "\nCompliant.\n";
  } else if (check.verdict == "reboot-pending") {
    out +=
        "\nCompliant from the next boot: the boot arguments are set and wait for a reboot (jmem never "
        "reboots).\n";
  } else if (check.verdict == "drift") {
    out += "\nDrift from the policy: " + formatIec(drift_cost) + " in use by what the policy would stop" +
           (unknown ? "; " + not_seen : std::string()) + ".\n";
  } else {
    out += "\nUnknown: " + (unknown ? not_seen : "jmemd answered \"" + terminalSafe(check.verdict) + "\"") +
           "; not compliant.\n";
  }
  return out;
}

Json renderCheckJson(const CheckView& check) {
  Json items = Json::array();
  for (const auto& i : check.items) {
    items.push_back(Json{{"item", i.kind},
                         {"subject", i.subject},
                         {"class", i.policy_class},
                         {"expected", i.expected},
                         {"actual", i.actual},
                         {"state", i.state},
                         {"policy_location", i.where},
                         {"cost_bytes", i.cost_bytes}});
  }
  // compliant is null when nothing drifts but something could not be observed: neither true nor false.
  Json compliant = check.verdict == "compliant";
  if (checkExitCode(check) == kExitUnknown) compliant = nullptr;
  return Json{{"verdict", check.verdict}, {"compliant", compliant}, {"items", std::move(items)}};
}

std::string renderPlan(const PlanView& plan, const Style& style) {
  std::vector<std::vector<std::string>> rows;
  std::uint64_t back = 0;
  for (const auto& c : plan.changes) {
    rows.push_back({terminalSafe(c.action), terminalSafe(c.subject), terminalSafe(c.before),
                    terminalSafe(c.after), c.bytes_back ? formatIec(c.bytes_back) : "-"});
    if (c.action == "stop" || c.action == "mask-for-every-user") back += c.bytes_back;
  }
  std::string out;
  if (!plan.changes.empty()) {
    out = renderTable({{"ACTION"}, {"SUBJECT"}, {"BEFORE"}, {"AFTER"}, {"BACK", true}}, rows, style.legend);
    // Wider than a terminal's 80 columns (long before and after states): a block per change instead.
    if (widestLine(out) > kPlanColumns) {
      out.clear();
      for (const auto& row : rows) {
        out += row[0] + " " + row[1] + (row[4] == "-" ? "" : ", " + row[4] + " back") +
               "\n    before: " + row[2] + "\n    after:  " + row[3] + "\n";
      }
    }
  } else if (plan.unknown.empty()) {
    out = "Nothing to change.\n";
  } else {
    out = "Nothing to change among the items that could be observed.\n";
  }
  for (const auto& note : plan.notes) out += "Note: " + terminalSafe(note) + "\n";
  for (const auto& item : plan.unknown)
    out += "Cannot plan " + terminalSafe(item) + " (its state could not be observed)\n";
  if (style.legend && !plan.changes.empty()) out += "\nMemory expected back: " + formatIec(back) + "\n";
  if (plan.reboot_needed)
    out += "The boot arguments change at the next boot: a reboot is needed (jmem never reboots).\n";
  return out;
}

Json renderPlanJson(const PlanView& plan) {
  Json changes = Json::array();
  for (const auto& c : plan.changes) {
    changes.push_back(Json{{"action", c.action},
                           {"subject", c.subject},
                           {"before", c.before},
                           {"after", c.after},
                           {"bytes_back", c.bytes_back}});
  }
  return Json{{"changes", std::move(changes)},
              {"notes", plan.notes},
              {"unknown", plan.unknown},
              {"reboot_needed", plan.reboot_needed}};
}

std::string renderResults(const std::vector<ChangeResultRecord>& results, const char* verb) {
  if (results.empty()) return std::string("Nothing to ") + verb + ".\n";
  std::string out;
  for (const auto& r : results)
    out += std::string(r.ok ? "" : "FAILED ") + terminalSafe(r.kind) + " " + terminalSafe(r.target) + ": " +
           terminalSafe(r.detail) + "\n";
  return out;
}

Json renderResultsJson(const std::vector<ChangeResultRecord>& results) {
  Json list = Json::array();
  for (const auto& r : results)
    list.push_back(Json{{"kind", r.kind}, {"target", r.target}, {"ok", r.ok}, {"detail", r.detail}});
  return Json{{"results", std::move(list)}};
}

}  // namespace jmem::ctl
