#include "ctl/top_view.h"

#include <time.h>

#include <algorithm>
#include <map>

#include "core/clock.h"
#include "core/text.h"
#include "ctl/table.h"
#include "sources/cgroup_unit.h"

namespace jmem::ctl {
namespace {

// Cut to `width` columns (0: whole). Colour is added after cutting.
std::string fit(const std::string& line, std::size_t width) {
  return width == 0 ? line : fitWidth(line, width);
}

std::string unitState(const ThrottleView& throttle, const std::string& unit) {
  for (const auto& u : throttle.units) {
    if (u.unit != unit) continue;
    std::string state = u.memory_high_bytes ? "MemoryHigh " + formatIec(*u.memory_high_bytes) : "";
    if (u.frozen) state += std::string(state.empty() ? "" : ", ") + "frozen";
    if (u.stopped) state += std::string(state.empty() ? "" : ", ") + "stopped";
    return " [" + state + "]";
  }
  return "";
}

std::vector<std::string> headerLines(const TopSnapshot& s, const TopView& view, const Style& style) {
  const Meminfo& m = s.system.meminfo;
  std::vector<std::string> lines;
  lines.push_back("jmemd " + terminalSafe(s.info.version) + " - " + terminalSafe(s.info.mode) + " mode - " +
                  clockTime(s.now_usec) + (s.info.sample_state == "stale" ? " - STALE" : "") +
                  " - sorted by " + std::string(toString(view.sort)) +
                  (s.truncated ? " - list cut short at 4 MiB" : "") +
                  " (p v g c n; u units; f full; q quit)");
  std::string memory = "Memory: " + formatIec(m.mem_total_bytes) + " total, " +
                       formatIec(m.mem_available_bytes) + " available";
  if (m.swap_total_bytes.value_or(0))
    memory +=
        ", swap " + formatIec(m.swap_free_bytes.value_or(0)) + " free of " + formatIec(*m.swap_total_bytes);
  if (s.system.zram.available)
    memory += ", zram " + formatIec(s.system.zram.totals.orig_data_bytes) + " in " +
              formatIec(s.system.zram.totals.mem_used_bytes);
  if (s.system.nvmap.available) memory += ", NvMap " + formatIec(s.system.nvmap.total_bytes);
  lines.push_back(memory);
  lines.push_back("Headroom: " +
                  (s.room ? headroomLine(*s.room) : std::string("unknown (jmemd does not say)")));
  const Pressure& p = s.system.pressure;
  std::string pressure = "Pressure: " + (p.available ? terminalSafe(s.info.pressure_level) + ", some " +
                                                           formatPermyriad(p.some.avg10_permyriad) +
                                                           " full " + formatPermyriad(p.full.avg10_permyriad)
                                                     : std::string("unavailable"));
  pressure += "  Throttle: " + terminalSafe(s.throttle.phase) +
              (s.throttle.units.empty() ? "" : " (" + std::to_string(s.throttle.units.size()) + " held)");
  pressure += "  Policy: " + (s.info.policy_verdict.empty() ? std::string("not checked")
                                                            : terminalSafe(s.info.policy_verdict));
  lines.push_back(pressure);
  for (auto& line : lines) line = fit(line, view.width);
  if (style.color) {
    lines[0] = paint(style, "1", lines[0]);
    if (s.info.pressure_level != "none" && p.available) lines[3] = paint(style, "33", lines[3]);
  }
  lines.push_back("");
  return lines;
}

}  // namespace

std::optional<SortKey> sortKeyOfKey(char key) {
  switch (key) {
    case 'p':
      return SortKey::kPss;
    case 'v':
      return SortKey::kNvmap;
    case 'g':
      return SortKey::kGpu;
    case 'c':
      return SortKey::kCost;
    case 'n':
      return SortKey::kName;
    default:
      return std::nullopt;
  }
}

std::vector<std::string> renderTopFrame(const TopSnapshot& s, const TopView& view, const Style& style) {
  std::vector<std::string> lines = view.header ? headerLines(s, view, style) : std::vector<std::string>{};
  // Processes under their units, each list by the sort key.
  std::map<std::pair<std::string, std::string>, std::vector<const LedgerProcess*>> under;
  for (const auto& p : s.processes)
    under[{p.sample.placement.manager, p.sample.placement.unit}].push_back(&p);
  for (auto& [key, list] : under) {
    std::sort(list.begin(), list.end(), [&](const LedgerProcess* a, const LedgerProcess* b) {
      return rankedBefore(*a, *b, view.sort);
    });
  }
  std::vector<const LedgerUnit*> units;
  for (const auto& u : s.units) units.push_back(&u);
  std::sort(units.begin(), units.end(),
            [&](const LedgerUnit* a, const LedgerUnit* b) { return rankedBefore(*a, *b, view.sort); });

  std::vector<std::vector<std::string>> rows;
  std::vector<bool> is_unit;
  for (const LedgerUnit* u : units) {
    if (rows.size() >= view.rows) break;
    const PssParts& m = u->memory;
    const std::string name = isSystemManager(u->manager) ? u->unit : u->unit + " (" + u->manager + ")";
    rows.push_back({terminalSafe(name), "", formatIec(m.pss_bytes), formatIec(m.nvmap_bytes),
                    formatIec(m.gpu_bytes), formatIec(m.costBytes()),
                    std::to_string(u->pids.size()) + (u->pids.size() == 1 ? " process" : " processes") +
                        terminalSafe(unitState(s.throttle, u->unit))});
    is_unit.push_back(true);
    if (view.units_only) continue;
    const auto found = under.find({u->manager, u->unit});
    if (found == under.end()) continue;
    for (const LedgerProcess* p : found->second) {
      if (rows.size() >= view.rows) break;
      const ProcessSample& ps = p->sample;
      const std::string command = view.full_command && !ps.cmdline.empty() ? ps.cmdline.str() : ps.comm;
      rows.push_back({"  " + std::to_string(ps.pid),
                      style.user_name ? style.user_name(ps.uid) : std::to_string(ps.uid),
                      formatIec(ps.rollup.pss_bytes), formatIec(p->nvmap_bytes), formatIec(p->gpu_bytes),
                      formatIec(p->costBytes()), terminalSafe(command)});
      is_unit.push_back(false);
    }
  }
  const std::string table = renderTable(
      {{"UNIT / PID"}, {"USER"}, {"PSS", true}, {"NVMAP", true}, {"GPU", true}, {"COST", true}, {"COMMAND"}},
      rows, view.header);
  std::size_t index = 0;
  std::size_t start = 0;
  const bool titled = view.header;
  for (std::size_t end; (end = table.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = fit(table.substr(start, end - start), view.width);
    if (titled && index == 0) {
      line = paint(style, "7", line);  // the column titles, reversed as top shows them
    } else if (is_unit[index - (titled ? 1 : 0)]) {
      line = paint(style, "1", line);
    }
    lines.push_back(std::move(line));
    ++index;
  }
  return lines;
}

}  // namespace jmem::ctl
