#include "ctl/commands.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/text.h"
#include "ctl/table.h"
#include "gpu/gpu_json.h"
#include "policy/loader.h"
#include "sources/cgroup_unit.h"

namespace jmem::ctl {
namespace {

const char* levelColor(const std::string& level) {
  if (level == "none") return "32";  // green
  if (level == "high") return "31";  // red
  return "33";                       // yellow
}

constexpr const char* kRed = "31";

std::string itemCount(std::uint32_t count) {
  return std::to_string(count) + (count == 1 ? " item" : " items");
}

std::string joined(const std::vector<std::string>& subjects) {
  std::string text;
  for (const auto& subject : subjects) text += (text.empty() ? "" : ", ") + terminalSafe(subject);
  return text;
}

// "drift (3 items)", "unknown (2 items could not be observed)", "reboot pending (swiotlb)", colored by
// what it asks of the operator.
std::string policyLine(const GovernorInfo& info, const Style& style) {
  const std::string& verdict = info.policy_verdict;
  if (verdict.empty()) return "not checked yet";
  const std::string not_seen = itemCount(info.policy_unknown_items) + " could not be observed";
  std::string line;
  if (verdict == "compliant") {
    line = paint(style, "32", "compliant");
  } else if (verdict == "drift") {
    line = paint(style, kRed, "drift") + " (" + itemCount(info.policy_drift_items) +
           (info.policy_unknown_items ? "; " + not_seen : "") + ")";
  } else if (verdict == "unknown") {
    line = paint(style, "33", "unknown") +
           (info.policy_unknown_items ? " (" + not_seen + ")" : " (the check could not run)");
  } else if (verdict == "reboot-pending") {
    line = paint(style, "36", "reboot pending");
  } else {
    line = paint(style, "33", terminalSafe(verdict));
  }
  if (!info.policy_reboot_pending.empty())
    line += (verdict == "reboot-pending" ? " (" : "; reboot pending (") + joined(info.policy_reboot_pending) +
            ")";
  return line;
}

// "NVIDIA H100 80GB HBM3, 4.0G used of 79.6G (480.0M reserved), 2 processes"
std::string gpuLine(const GpuDevice& g) {
  std::string line = g.name.empty() ? std::string("unnamed") : terminalSafe(g.name);
  if (g.integrated) {
    line += " (integrated: system memory), " + formatIec(g.attributed_bytes) + " held by its processes";
  } else if (g.total_bytes && g.used_bytes) {
    line += ", " + formatIec(*g.used_bytes) + " used of " + formatIec(*g.total_bytes) + " (" +
            (g.reserved_bytes ? formatIec(*g.reserved_bytes) : std::string("-")) + " reserved)";
  } else {
    line += ", memory unknown";
  }
  line +=
      g.processes_complete ? ", " + std::to_string(g.processes.size()) + " processes" : ", processes unknown";
  if (!g.problems.empty()) line += "; " + terminalSafe(g.problems.front());
  return line;
}

// What zram holds, in how much RAM: "1.2G stored in 300M (4.1:1) on 6 devices of 3.7G".
std::string zramLine(const ZramSnapshot& zram) {
  if (!zram.available) return "none (" + terminalSafe(zram.reason) + ")";
  const ZramTotals& t = zram.totals;
  std::string line = formatIec(t.orig_data_bytes) + " stored in " + formatIec(t.mem_used_bytes);
  if (t.compr_data_bytes) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, " (%.1f:1)",
                  static_cast<double>(t.orig_data_bytes) / static_cast<double>(t.compr_data_bytes));
    line += ratio;
  }
  return line + " on " + std::to_string(t.devices) + (t.devices == 1 ? " device" : " devices") + " of " +
         formatIec(t.disksize_bytes);
}

}  // namespace

std::string paint(const Style& style, const char* code, const std::string& text) {
  return style.color ? std::string("\x1b[") + code + "m" + text + "\x1b[0m" : text;
}

std::string headroomLine(const RoomRecord& room) {
  std::string line = formatIec(room.headroom_bytes) + " (MemAvailable " +
                     formatIec(room.mem_available_bytes) +
                     (room.headroom_bytes ? " above" : ", at or below") + " available_low_mib " +
                     formatIec(room.low_watermark_bytes) + ")";
  if (room.units.empty()) return line + "; throttling could give nothing more";
  line += "; throttling could give " + formatIec(room.throttle_bytes) + " more (";
  for (std::size_t i = 0; i < room.units.size() && i < 3; ++i) {
    const RoomUnitRecord& u = room.units[i];
    line += (i ? ", " : "") + terminalSafe(u.rung) + " " + terminalSafe(u.unit) + " " + formatIec(u.bytes);
  }
  if (room.units.size() > 3) line += ", " + std::to_string(room.units.size() - 3) + " more";
  return line + ")";
}

Json roomUnitJson(const RoomUnitRecord& step) {
  return Json{{"unit", step.unit}, {"rung", step.rung}, {"bytes", step.bytes}};
}

Json roomJson(const RoomRecord& room) {
  Json units = Json::array();
  for (const auto& u : room.units) units.push_back(roomUnitJson(u));
  return Json{{"mem_available_bytes", room.mem_available_bytes},
              {"low_watermark_bytes", room.low_watermark_bytes},
              {"headroom_bytes", room.headroom_bytes},
              {"throttle_bytes", room.throttle_bytes},
              {"units", std::move(units)}};
}

namespace {

// ", 3 unreadable: sshd (812), gpg-agent (1203) and 1 more": the ones the caller may see, by name.
std::string unreadableText(std::size_t count, const std::vector<UnreadableProcess>& shown) {
  if (count == 0) return {};
  std::string text = ", " + std::to_string(count) + " unreadable";
  constexpr std::size_t kNamed = 4;
  for (std::size_t i = 0; i < shown.size() && i < kNamed; ++i) {
    const auto& p = shown[i];
    text += (i == 0 ? ": " : ", ") + terminalSafe(p.comm.empty() ? "?" : p.comm) + " (" +
            std::to_string(p.pid) + ")";
  }
  const std::size_t named = std::min(shown.size(), kNamed);
  if (named > 0 && count > named) text += " and " + std::to_string(count - named) + " more";
  return text;
}

}  // namespace

std::string renderStatus(const GovernorInfo& info, const SystemRecord& s,
                         const std::vector<LedgerUnit>& top_units, std::uint64_t now_usec, const Style& style,
                         const GpuSnapshot* gpus, const RoomRecord* room) {
  std::string out;
  // A stale ledger is a failed state, marked as systemctl marks a failed unit.
  const bool stale = info.sample_state == "stale";
  out += (stale ? paint(style, kRed, "\u00d7") : paint(style, levelColor(info.pressure_level), "\u25cf")) +
         " jmemd " + terminalSafe(info.version) + " - " + terminalSafe(info.mode) + " mode, sampling every " +
         std::to_string(info.sample_interval_usec / 1000) + " ms\n";
  auto row = [&](const char* label, const std::string& value) {
    char head[32];
    std::snprintf(head, sizeof head, "%12s: ", label);
    out += head + value + "\n";
  };
  const Meminfo& m = s.meminfo;
  const ProcessCounts& counts = s.totals.counts;
  const std::uint64_t available_permyriad =
      m.mem_total_bytes ? m.mem_available_bytes * 10000 / m.mem_total_bytes : 0;
  row("Memory", formatIec(m.mem_total_bytes) + " total, " + formatIec(m.mem_available_bytes) +
                    " available (" + formatPermyriad(static_cast<std::uint32_t>(available_permyriad)) +
                    "), " + formatIec(s.totals.used_bytes) + " used");
  if (room) row("Headroom", headroomLine(*room));
  if (m.swap_total_bytes.value_or(0))
    row("Swap", (m.swap_free_bytes ? formatIec(*m.swap_free_bytes) : "-") + " free of " +
                    formatIec(*m.swap_total_bytes));
  row("Processes", formatIec(s.totals.memory.pss_bytes) + " PSS in " + std::to_string(counts.with_memory) +
                       " processes" + unreadableText(counts.denied, s.unreadable));
  row("NvMap", s.nvmap.available ? formatIec(s.nvmap.total_bytes)
                                 : "unavailable (" + terminalSafe(s.nvmap.reason) + ")");
  row("Zram", zramLine(s.zram));
  if (gpus && !gpus->available) row("GPU", "unavailable (" + terminalSafe(gpus->reason) + ")");
  if (gpus) {
    for (const GpuDevice& g : gpus->devices) row(("GPU " + std::to_string(g.index)).c_str(), gpuLine(g));
  }
  const auto unaccounted_bytes =
      static_cast<std::uint64_t>(std::max<std::int64_t>(s.totals.unaccounted_bytes, 0));
  row("Unaccounted", formatIec(unaccounted_bytes) + " (kernel, page tables, unreclaimable caches)");
  row("Pressure", s.pressure.available
                      ? paint(style, levelColor(info.pressure_level), terminalSafe(info.pressure_level)) +
                            ", some " + formatPermyriad(s.pressure.some.avg10_permyriad) + " full " +
                            formatPermyriad(s.pressure.full.avg10_permyriad) + " (avg10)"
                      : "unavailable (kernel without PSI)");
  const double age_s = now_usec > s.sample_usec ? static_cast<double>(now_usec - s.sample_usec) / 1e6 : 0.0;
  char age[32];
  std::snprintf(age, sizeof age, "%.1fs ago", age_s);
  row("Sampled",
      stale ? std::string(age) + paint(style, kRed, " - stale: every sample since has failed") : age);
  if (!info.sample_error.empty()) row("Last error", terminalSafe(info.sample_error));
  row("Policy", policyLine(info, style));
  if (!info.policy_files.empty())
    row("Policy files",
        joined(info.policy_files) + (info.policy_fingerprint.empty()
                                         ? ""
                                         : " (fingerprint " + terminalSafe(info.policy_fingerprint) + ")"));
  // jmemd's journals: lines set aside mean apply and revert change nothing until someone looks.
  for (const auto& problem : info.state_problems) row("State", terminalSafe(problem));
  if (!top_units.empty()) {
    out += "\n";
    out += renderUnits(top_units, style);
  }
  return out;
}

Json renderStatusJson(const GovernorInfo& info, const SystemRecord& s, const ThrottleView* throttle,
                      const GpuSnapshot* gpus, const RoomRecord* room) {
  // The dump's encoders: the same sections under the same names.
  Json pressure = pressureToJson(s.pressure);
  pressure["level"] = info.pressure_level;
  Json json{
      {"version", info.version},
      {"mode", info.mode},
      {"sample_interval_usec", info.sample_interval_usec},
      {"last_sample_usec", s.sample_usec},
      {"meminfo", fieldsToJson(s.meminfo)},
      {"pressure", std::move(pressure)},
      {"nvmap", nvmapTotalToJson(s.nvmap)},
      {"zram", zramToJson(s.zram)},
      {"totals", fieldsToJson(s.totals)},
      {"unreadable_processes", unreadableToJson(s.unreadable)},
  };
  if (gpus) {
    json["nvml"] = nvmlToJson(*gpus);
    Json list = Json::array();
    for (const GpuDevice& g : gpus->devices) list.push_back(gpuToJson(g));
    json["gpus"] = std::move(list);
  }
  if (throttle) json["throttle"] = renderThrottleJson(*throttle);
  if (room) json["headroom"] = roomJson(*room);
  json["state_problems"] = info.state_problems;
  const auto text = [](const std::string& value) { return value.empty() ? Json(nullptr) : Json(value); };
  json["sampling"] = {{"state", text(info.sample_state)}, {"error", text(info.sample_error)}};
  json["policy"] = {{"verdict", text(info.policy_verdict)},
                    {"drift_items", info.policy_drift_items},
                    {"unknown_items", info.policy_unknown_items},
                    {"reboot_pending", info.policy_reboot_pending},
                    {"checked_usec", info.policy_check_usec ? Json(info.policy_check_usec) : Json(nullptr)},
                    {"files", info.policy_files},
                    {"fingerprint", text(info.policy_fingerprint)}};
  return json;
}

std::string renderProcesses(const std::vector<LedgerProcess>& processes, const Style& style) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : processes) {
    const ProcessSample& s = p.sample;
    const UnitPlacement& placement = s.placement;
    // The command line where asked for and known (a kernel thread has none).
    const std::string command = style.full_command && !s.cmdline.empty() ? s.cmdline.str() : s.comm;
    rows.push_back(
        {std::to_string(s.pid), style.user_name ? style.user_name(s.uid) : std::to_string(s.uid),
         formatIec(s.rollup.pss_bytes), formatIec(p.nvmap_bytes), formatIec(p.gpu_bytes),
         formatIec(p.costBytes()),
         terminalSafe(isSystemManager(placement.manager) ? placement.unit
                                                         : placement.unit + " (" + placement.manager + ")"),
         terminalSafe(command)});
  }
  return renderTable({{"PID", true},
                      {style.user_name ? "USER" : "UID", !style.user_name},
                      {"PSS", true},
                      {"NVMAP", true},
                      {"GPU", true},
                      {"COST", true},
                      {"UNIT"},
                      {"COMMAND"}},
                     rows, style.legend);
}

Json renderProcessesJson(const std::vector<LedgerProcess>& processes) {
  Json list = Json::array();
  for (const auto& p : processes) list.push_back(processToJson(p));
  return Json{{"processes", std::move(list)}};
}

std::string renderUnits(const std::vector<LedgerUnit>& units, const Style& style) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : units) {
    const PssParts& m = u.memory;
    rows.push_back({terminalSafe(u.unit), terminalSafe(u.manager), std::to_string(u.pids.size()),
                    formatIec(m.pss_bytes), formatIec(m.nvmap_bytes), formatIec(m.gpu_bytes),
                    formatIec(m.costBytes())});
  }
  return renderTable(
      {{"UNIT"}, {"MANAGER"}, {"PROCS", true}, {"PSS", true}, {"NVMAP", true}, {"GPU", true}, {"COST", true}},
      rows, style.legend);
}

Json renderUnitsJson(const std::vector<LedgerUnit>& units) {
  Json list = Json::array();
  for (const auto& u : units) list.push_back(unitToJson(u));
  return Json{{"units", std::move(list)}};
}

std::string jsonText(const Json& json, bool one_line) {
  return json.dump(one_line ? -1 : 2, ' ', true, nlohmann::json::error_handler_t::replace) + "\n";
}

// Long output goes through a pager on a terminal, as systemctl does.
void emit(const std::string& text, const CtlOptions& options) {
  if (!options.no_pager && !options.json && isatty(STDOUT_FILENO)) {
    const char* pager = std::getenv("JMEMCTL_PAGER");
    if (!pager) pager = std::getenv("PAGER");
    if (!pager || !*pager) pager = "less";
    if (std::string(pager) != "cat") {
      setenv("LESS", "FRSXMK", 0);
      if (FILE* pipe = popen(pager, "w")) {
        std::fwrite(text.data(), 1, text.size(), pipe);
        if (pclose(pipe) == 0) return;
      }
    }
  }
  std::cout << text << std::flush;
}

}  // namespace jmem::ctl
