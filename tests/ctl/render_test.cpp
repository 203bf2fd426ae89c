#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "ctl/commands.h"
#include "ctl/table.h"
#include "ctl/top_view.h"
#include "gpu/gpu_json.h"
#include "ledger/ledger_json.h"

using namespace jmem;
using namespace jmem::ctl;

// A renderer's JSON as jmemctl prints it, read back.
static nlohmann::json parsed(const Json& rendered) {
  return nlohmann::json::parse(jsonText(rendered));
}

namespace {

LedgerProcess process(pid_t pid, std::string comm, std::uint64_t pss, std::uint64_t nvmap,
                      std::uint64_t gpu = 0) {
  LedgerProcess p;
  p.sample.pid = pid;
  p.sample.comm = std::move(comm);
  p.sample.uid = 1000;
  p.sample.placement = {"app.service", "system.slice", "system"};
  p.sample.cmdline = "/usr/bin/app";
  p.sample.rollup.has_memory = true;
  p.sample.rollup.rss_bytes = pss;
  p.sample.rollup.pss_bytes = pss;
  p.sample.rollup.pss_anon_bytes = pss;
  p.sample.rollup.pss_file_bytes = 0;
  p.sample.rollup.pss_shmem_bytes = 0;
  p.nvmap_bytes = nvmap;
  p.gpu_bytes = gpu;
  return p;
}

GpuDevice gpuDevice(std::uint32_t index, std::string name, bool integrated, std::size_t processes) {
  GpuDevice g;
  g.index = index;
  g.name = std::move(name);
  g.uuid = "GPU-" + std::to_string(index);
  g.integrated = integrated;
  g.processes_complete = true;
  for (std::size_t i = 0; i < processes; ++i)
    g.processes.push_back(GpuProcess{static_cast<pid_t>(100 + i), 1ull << 30, true, false});
  return g;
}

GpuDevice h100() {
  GpuDevice g = gpuDevice(0, "NVIDIA H100 80GB HBM3", false, 2);
  g.total_bytes = 81559ull << 20;
  g.reserved_bytes = 480ull << 20;
  g.used_bytes = 4123ull << 20;
  g.attributed_bytes = 4108ull << 20;
  g.unattributed_bytes = 15ull << 20;
  return g;
}

}  // namespace

TEST_CASE("sizes print as IEC units with one decimal", "[ctl]") {
  CHECK(formatIec(0) == "0B");
  CHECK(formatIec(1023) == "1023B");
  CHECK(formatIec(1024) == "1.0K");
  CHECK(formatIec(1288490188) == "1.2G");
  CHECK(formatIec(7802736ull * 1024) == "7.4G");
}

TEST_CASE("tables align numbers right and text left, without trailing blanks", "[ctl]") {
  const std::string table =
      renderTable({{"PID", true}, {"NAME"}}, {{"7", "a"}, {"12345", "longer"}}, /*legend=*/true);
  CHECK(table == "  PID NAME\n    7 a\n12345 longer\n");
  CHECK(renderTable({{"PID", true}, {"NAME"}}, {{"7", "a"}}, /*legend=*/false) == "7 a\n");
}

TEST_CASE("wide characters take two columns and combining marks none, as a terminal draws them", "[ctl]") {
  CHECK(displayWidth("\u63a8\u7406") == 4);      // two CJK ideographs
  CHECK(displayWidth("robot-\U0001F916") == 8);  // an emoji
  CHECK(displayWidth("e\u0301") == 1);           // e and a combining acute accent
  CHECK(displayWidth("\uFF21\uFF22x") == 5);     // fullwidth A and B, then x
  // Cut between characters, never through a wide one: 3 columns of two ideographs is one.
  CHECK(fitWidth("\u63a8\u7406", 3) == "\u63a8");
  CHECK(fitWidth("ab\u63a8", 3) == "ab");
  CHECK(fitWidth("\x1b[31mabc\x1b[0m", 2) == "\x1b[31mab");
  CHECK(fitWidth("abc", 10) == "abc");
  // A lead byte without its continuation bytes is one column, and the next byte counts on its own.
  CHECK(displayWidth("\xe6\x8ex") == 3);
  const std::string table =
      renderTable({{"NAME"}, {"PSS", true}}, {{"\u63a8\u7406", "1.0M"}, {"ab", "2.0M"}}, true);
  CHECK(table == "NAME  PSS\n\u63a8\u7406 1.0M\nab   2.0M\n");
}

TEST_CASE("a coloured or non-ASCII cell takes the columns its text shows, so the columns line up", "[ctl]") {
  CHECK(displayWidth("\x1b[31mdrift\x1b[0m") == 5);
  CHECK(displayWidth("caf\xc3\xa9") == 4);
  const std::string plain = renderTable({{"STATE"}, {"COST", true}}, {{"drift", "1.0M"}, {"ok", "-"}}, true);
  const std::string coloured = renderTable(
      {{"STATE"}, {"COST", true}}, {{"\x1b[31mdrift\x1b[0m", "1.0M"}, {"\x1b[32mok\x1b[0m", "-"}}, true);
  std::string stripped;
  for (std::size_t i = 0; i < coloured.size(); ++i) {
    if (coloured[i] == '\x1b') {
      i = coloured.find('m', i);
      continue;
    }
    stripped += coloured[i];
  }
  CHECK(stripped == plain);
}

TEST_CASE("the process table names users where it can and shows command lines with --full", "[ctl]") {
  Style style;
  style.user_name = [](std::uint32_t uid) {
    return uid == 1000 ? std::string("alice") : std::to_string(uid);
  };
  std::string table = renderProcesses({process(42, "python3", 50 << 20, 0)}, style);
  CHECK(table.find("USER") != std::string::npos);
  CHECK(table.find("alice") != std::string::npos);
  CHECK(table.find("/usr/bin/app") == std::string::npos);
  style.full_command = true;
  table = renderProcesses({process(42, "python3", 50 << 20, 0)}, style);
  CHECK(table.find("/usr/bin/app") != std::string::npos);
  CHECK(renderProcesses({process(42, "python3", 50 << 20, 0)}, Style{}).find("UID") != std::string::npos);
}

TEST_CASE("apply's, revert's, throttle's and release's JSON carry each item with its outcome", "[ctl]") {
  const auto results =
      parsed(renderResultsJson({{"unit", "gdm.service", "stopped", true}, {"unit", "x", "no", false}}));
  CHECK(results["results"].size() == 2);
  CHECK(results["results"][1]["ok"] == false);
  CHECK(results["results"][0]["target"] == "gdm.service");
  ThrottleActionRecord action;
  action.unit = "batch.service";
  action.action = "throttle";
  action.memory_high_bytes = 5;
  action.ok = true;
  const auto actions = parsed(renderActionsJson({action}));
  CHECK(actions["actions"][0]["unit"] == "batch.service");
  CHECK(actions["actions"][0]["memory_high_bytes"] == 5);
  CHECK(parsed(renderActionsJson({}))["actions"].empty());
}

TEST_CASE("JSON is indented by default and on one line when short", "[ctl]") {
  const Json json{{"a", 1}, {"b", {1, 2}}};
  CHECK(jsonText(json).find("\n  ") != std::string::npos);
  CHECK(jsonText(json, true) == "{\"a\":1,\"b\":[1,2]}\n");
}

TEST_CASE("the process table shows PSS, NvMap and cost per process", "[ctl]") {
  const std::string table = renderProcesses({process(42, "gem", 50 << 20, 118 << 20)}, Style{});
  CHECK(table.find("PID") != std::string::npos);
  CHECK(table.find("50.0M") != std::string::npos);
  CHECK(table.find("118.0M") != std::string::npos);
  CHECK(table.find("168.0M") != std::string::npos);
  CHECK(table.find("gem") != std::string::npos);
}

TEST_CASE("process JSON uses the keys of jmemd --dump", "[ctl]") {
  const auto json = parsed(renderProcessesJson({process(42, "gem", 100, 5)}));
  const auto& p = json["processes"][0];
  CHECK(p["pid"] == 42);
  CHECK(p["pss_bytes"] == 100);
  CHECK(p["nvmap_bytes"] == 5);
  CHECK(p["cost_bytes"] == 105);
  CHECK(p["unit"] == "app.service");
}

TEST_CASE("top --json over the bus writes each process and unit as jmemd --dump does, unknowns null",
          "[ctl]") {
  LedgerProcess old_kernel = process(43, "old", 200, 0);
  old_kernel.sample.rollup.pss_anon_bytes.reset();
  old_kernel.sample.rollup.pss_file_bytes.reset();
  old_kernel.sample.rollup.pss_shmem_bytes.reset();
  std::vector<ProcessSample> samples{process(42, "gem", 100, 0).sample, old_kernel.sample};
  const Ledger ledger = buildLedger({}, samples, {});
  const auto dumped = ledgerToJson(ledger);

  std::vector<LedgerProcess> processes;
  for (const LedgerProcess& p : ledger.processes) processes.push_back(decodeProcess(encodeProcess(p)));
  const auto top = Json::parse(jsonText(renderProcessesJson(processes)));
  CHECK(top["processes"] == dumped["processes"]);
  CHECK(top["processes"][1]["pss_anon_bytes"].is_null());

  std::vector<LedgerUnit> units;
  for (const LedgerUnit& u : ledger.units) units.push_back(decodeUnit(encodeUnit(u, u.pids)));
  const auto top_units = Json::parse(jsonText(renderUnitsJson(units)));
  CHECK(top_units["units"] == dumped["units"]);
  CHECK(top_units["units"][0]["pss_anon_bytes"].is_null());
}

TEST_CASE("status JSON's system sections are the dump's, through the bus, null where a figure is unknown",
          "[ctl]") {
  GovernorInfo info{"0.1.0", "audit", "low", 1000000, {}};
  Ledger ledger;
  ledger.system.meminfo.mem_total_bytes = 8ull << 30;
  ledger.system.meminfo.mem_available_bytes = 5ull << 30;
  ledger.system.nvmap.reason = "no debugfs";
  ledger.totals.counts.with_memory = 310;
  ledger.totals.memory.pss_anon_bytes.reset();
  ledger.totals.unaccounted_bytes = -4096;
  ledger.totals.counts.denied = 2;
  ledger.unreadable = {{812, "sshd", 0u}, {1500, "", 1000u}};
  const auto status = [&] {
    return parsed(renderStatusJson(
        info, decodeSystem(encodeSystem(systemRecord(ledger, 7, [](uid_t) { return true; })))));
  };
  const auto dumped = [&] { return nlohmann::json::parse(ledgerToJson(ledger).dump()); };
  auto json = status();
  CHECK(json["meminfo"] == dumped()["meminfo"]);
  CHECK(json["totals"] == dumped()["totals"]);
  CHECK(json["unreadable_processes"] == dumped()["unreadable_processes"]);
  CHECK(json["totals"]["pss_anon_bytes"].is_null());
  CHECK(json["meminfo"]["swap_total_bytes"].is_null());
  CHECK(json["nvmap"]["total_bytes"].is_null());
  CHECK(json["nvmap"]["reason"] == "no debugfs");
  CHECK(json["pressure"]["some"].is_null());
  CHECK(json["pressure"]["level"] == "low");

  ledger.system.meminfo.swap_total_bytes = 0;
  ledger.system.pressure = {true, {250, 120, 40, 9000}, {10, 5, 1, 700}};
  ledger.system.nvmap = {true, "", 300ull << 20, {}};
  json = status();
  CHECK(json["meminfo"]["swap_total_bytes"] == 0);
  json["pressure"].erase("level");
  CHECK(json["pressure"] == dumped()["pressure"]);
  CHECK(json["pressure"]["some"]["avg10_permyriad"] == 250);
  CHECK(json["nvmap"]["total_bytes"] == 300ull << 20);
  CHECK_FALSE(json["nvmap"].contains("reason"));
}

TEST_CASE("status names the unreadable processes it may show, and counts the rest", "[ctl]") {
  GovernorInfo info{"0.1.0", "audit", "none", 1000000, {}};
  SystemRecord system{};
  system.totals.counts.denied = 7;
  system.unreadable = {{812, "sshd", 0u},
                       {900, "evil\x1b[2J", 0u},
                       {1203, "", std::nullopt},
                       {1300, "a", 0u},
                       {1400, "b", 0u}};
  const std::string text = renderStatus(info, system, {}, 0, Style{});
  CHECK(text.find("7 unreadable: sshd (812), evil\\x1b[2J (900), ? (1203), a (1300) and 3 more") !=
        std::string::npos);
  system.unreadable.clear();
  CHECK(renderStatus(info, system, {}, 0, Style{}).find("7 unreadable\n") != std::string::npos);
}

TEST_CASE("status says when NvMap and pressure are unavailable instead of showing zero", "[ctl]") {
  GovernorInfo info{"0.1.0", "audit", "none", 1000000, {}};
  SystemRecord system{};
  system.meminfo.mem_total_bytes = 8ull << 30;
  system.meminfo.mem_available_bytes = 6ull << 30;
  system.nvmap.reason = "no nvmap in debugfs";
  const std::string text = renderStatus(info, system, {}, 0, Style{});
  CHECK(text.find("NvMap: unavailable (no nvmap in debugfs)") != std::string::npos);
  CHECK(text.find("Pressure: unavailable") != std::string::npos);
  CHECK(text.find("75.00%") != std::string::npos);
  CHECK(text.find("\x1b[") == std::string::npos);
  Style color;
  color.color = true;
  CHECK(renderStatus(info, system, {}, 0, color).find("\x1b[32m") != std::string::npos);
  const auto json = parsed(renderStatusJson(info, system));
  CHECK(json["nvmap"]["total_bytes"].is_null());
  CHECK(json["meminfo"]["mem_total_bytes"] == 8ull << 30);
}

TEST_CASE("status shows what zram holds in how much RAM, or why there is no zram figure", "[ctl]") {
  GovernorInfo info{"0.1.0", "audit", "none", 1000000, {}};
  SystemRecord system{};
  system.zram.reason = "no zram device under /sys/block\x1b[2J";
  std::string text = renderStatus(info, system, {}, 0, Style{});
  CHECK(text.find("Zram: none (no zram device under /sys/block\\x1b[2J)") != std::string::npos);
  auto json = parsed(renderStatusJson(info, system));
  CHECK(json["zram"]["available"] == false);
  CHECK(json["zram"]["totals"].is_null());

  system.zram.available = true;
  system.zram.devices = {{"zram0", 2ull << 30, 1200ull << 20, 300ull << 20, 310ull << 20, 0, 0, 0}};
  system.zram.totals = {1, 2ull << 30, 1200ull << 20, 300ull << 20, 310ull << 20};
  text = renderStatus(info, system, {}, 0, Style{});
  // 1200 MiB held in 300 MiB compressed: 4.0 to 1.
  CHECK(text.find("Zram: " + formatIec(1200ull << 20) + " stored in " + formatIec(310ull << 20) +
                  " (4.0:1) on 1 device of " + formatIec(2ull << 30)) != std::string::npos);
  json = parsed(renderStatusJson(info, system));
  CHECK(json["zram"]["devices"][0]["orig_data_bytes"] == 1200ull << 20);
  CHECK(json["zram"]["totals"]["devices"] == 1);
}

TEST_CASE("the process table has a GPU column, and its JSON gpu_bytes and gpu_shared_bytes", "[ctl]") {
  const std::string table = renderProcesses({process(42, "train", 50 << 20, 0, 2566ull << 20)}, Style{});
  CHECK(table.find("GPU") != std::string::npos);
  CHECK(table.find("2.5G") != std::string::npos);
  const auto json = parsed(renderProcessesJson({process(42, "train", 100, 0, 7)}));
  CHECK(json["processes"][0]["gpu_bytes"] == 7);
  CHECK(json["processes"][0]["gpu_shared_bytes"] == 0);
}

TEST_CASE("status shows each GPU's memory, an integrated GPU's processes, or why there is no GPU figure",
          "[ctl]") {
  GovernorInfo info{"0.1.0", "audit", "none", 1000000, {}};
  SystemRecord system{};
  GpuDevice thor = gpuDevice(1, "NVIDIA Thor", true, 3);
  thor.attributed_bytes = 3ull << 30;
  GpuDevice lost = gpuDevice(2, "NVIDIA A2", false, 0);
  lost.processes_complete = false;
  lost.problems = {"nvmlDeviceGetMemoryInfo_v2 failed: GPU is lost (15)"};
  const GpuSnapshot gpus{true, "", {h100(), thor, lost}};
  const std::string text = renderStatus(info, system, {}, 0, Style{}, &gpus);
  CHECK(text.find("GPU 0: NVIDIA H100 80GB HBM3, 4.0G used of 79.6G (480.0M reserved), 2 processes") !=
        std::string::npos);
  CHECK(
      text.find("GPU 1: NVIDIA Thor (integrated: system memory), 3.0G held by its processes, 3 processes") !=
      std::string::npos);
  CHECK(text.find("GPU 2: NVIDIA A2, memory unknown, processes unknown; nvmlDeviceGetMemoryInfo_v2 failed") !=
        std::string::npos);

  const GpuSnapshot none{false, "Failed to load NVML: libnvidia-ml.so.1: cannot open shared object file", {}};
  CHECK(renderStatus(info, system, {}, 0, Style{}, &none).find("GPU: unavailable (Failed to load NVML") !=
        std::string::npos);
  CHECK(renderStatus(info, system, {}, 0, Style{}).find("GPU") == std::string::npos);

  const auto json = parsed(renderStatusJson(info, system, nullptr, &gpus));
  CHECK(json["nvml"]["available"] == true);
  REQUIRE(json["gpus"].size() == 3);
  CHECK(json["gpus"][0]["used_bytes"] == 4123ull << 20);
  CHECK(json["gpus"][0]["unattributed_bytes"] == 15ull << 20);
  CHECK(json["gpus"][1]["used_bytes"].is_null());
  CHECK(json["gpus"][2]["unattributed_bytes"].is_null());
  // The dump's encoder: the same keys, a process list and not a count.
  CHECK(json["gpus"][1] == nlohmann::json::parse(gpuToJson(thor).dump()));
  CHECK(json["gpus"][1]["processes"].size() == 3);
  const auto unavailable = parsed(renderStatusJson(info, system, nullptr, &none));
  CHECK(unavailable["nvml"]["reason"] == none.reason);
  CHECK(unavailable["gpus"].empty());
}

namespace {

// A name as a hostile process or unit could carry it: an escape sequence, a forged line, a bidi
// override, a C1 CSI and a byte that is not UTF-8.
const std::string kHostile = "ev\x1b[2Jil\nFAILED x\xe2\x80\xae\xc2\x9b\xff";

bool terminalSafeText(const std::string& text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n') || byte == 0x7f) return false;
  }
  return text.find("\xe2\x80\xae") == std::string::npos && text.find("\xc2\x9b") == std::string::npos &&
         text.find('\xff') == std::string::npos;
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("Tables show a hostile process or unit name escaped, one row per item", "[ctl]") {
  LedgerProcess p = process(42, kHostile, 100, 5);
  p.sample.placement.unit = kHostile;
  const std::string processes = renderProcesses({p}, Style{});
  CHECK(terminalSafeText(processes));
  CHECK(lines(processes) == 2);
  CHECK(processes.find(terminalSafe(kHostile)) != std::string::npos);

  LedgerUnit u;
  u.unit = kHostile;
  u.manager = kHostile;
  const std::string units = renderUnits({u}, Style{});
  CHECK(terminalSafeText(units));
  CHECK(lines(units) == 2);
}

TEST_CASE("check, plan and the results of apply show strings from the bus escaped", "[ctl]") {
  CheckItemRecord item{};
  item.kind = "unit-file";
  item.subject = kHostile;
  item.state = "drift";
  item.expected = kHostile;
  const std::string check = renderCheck(CheckView{"drift", {item}}, Style{});
  CHECK(terminalSafeText(check));
  CHECK(check.find(terminalSafe(kHostile)) != std::string::npos);

  PlanChangeRecord change{};
  change.action = "mask";
  change.subject = kHostile;
  const std::string plan = renderPlan(PlanView{{change}, {kHostile}, {kHostile}, false}, Style{});
  CHECK(terminalSafeText(plan));
  CHECK(plan.find("Note: " + terminalSafe(kHostile) + "\n") != std::string::npos);

  const std::string results = renderResults({ChangeResultRecord{"mask", kHostile, kHostile, false}}, "apply");
  CHECK(terminalSafeText(results));
  CHECK(lines(results) == 1);
}

TEST_CASE("JSON output escapes every character outside printable ASCII, and reads back unchanged", "[ctl]") {
  LedgerProcess p = process(42, "ok\xe2\x80\xae\x7f\xc2\x9b", 100, 5);
  const std::string json = jsonText(renderProcessesJson({p}));
  CHECK(terminalSafeText(json));
  CHECK(json.find("\\u202e") != std::string::npos);
  CHECK(nlohmann::json::parse(json)["processes"][0]["comm"] == p.sample.comm);
}

TEST_CASE(
    "check with an item that could not be observed is unknown, never compliant, in text, JSON and exit "
    "status",
    "[ctl]") {
  CheckItemRecord item{};
  item.kind = "default-target";
  item.subject = "default.target";
  item.state = "unknown";
  const CheckView check{"unknown", {item}};
  CHECK(checkExitCode(check) == kExitUnknown);
  const std::string text = renderCheck(check, Style{});
  CHECK(text.find("Compliant") == std::string::npos);
  CHECK(text.find("1 item(s) could not be observed") != std::string::npos);
  const auto json = parsed(renderCheckJson(check));
  CHECK(json["verdict"] == "unknown");
  CHECK(json["compliant"].is_null());
}

TEST_CASE("each verdict of check has its own exit status, and one jmemctl does not know counts as unknown",
          "[ctl]") {
  CHECK(checkExitCode(CheckView{"compliant", {}}) == kExitOk);
  CHECK(checkExitCode(CheckView{"drift", {}}) == kExitDrift);
  CHECK(checkExitCode(CheckView{"reboot-pending", {}}) == kExitRebootPending);
  CHECK(checkExitCode(CheckView{"something-newer", {}}) == kExitUnknown);
  CHECK(parsed(renderCheckJson(CheckView{"reboot-pending", {}}))["compliant"] == false);
  CHECK(parsed(renderCheckJson(CheckView{"compliant", {}}))["compliant"] == true);
}

TEST_CASE("plan with nothing to change but items it cannot plan does not say there is nothing to change",
          "[ctl]") {
  const PlanView plan{{}, {}, {"default.target: Failed to get the default target"}, false};
  const std::string text = renderPlan(plan, Style{});
  CHECK(text.find("Nothing to change.\n") == std::string::npos);
  CHECK(text.find("Cannot plan default.target: Failed to get the default target") != std::string::npos);
  CHECK(parsed(renderPlanJson(plan))["unknown"].size() == 1);
}

namespace {

GovernorInfo governorInfo() {
  GovernorInfo info{"0.1.0", "audit", "none", 1000000, {}};
  info.sample_state = "fresh";
  return info;
}

}  // namespace

TEST_CASE("status marks a stale ledger as failed and says why and how old its figures are", "[ctl]") {
  GovernorInfo info = governorInfo();
  SystemRecord system{};
  system.sample_usec = 1'000'000'000;
  const std::uint64_t now_usec = system.sample_usec + 17'400'000;
  const std::string fresh = renderStatus(info, system, {}, now_usec, Style{});
  CHECK(fresh.starts_with("\u25cf jmemd"));
  CHECK(fresh.find("stale") == std::string::npos);
  CHECK(fresh.find("Last error") == std::string::npos);

  info.sample_state = "stale";
  info.sample_error = "/proc/meminfo: meminfo line 1: invalid value \"x\" for MemTotal";
  const std::string text = renderStatus(info, system, {}, now_usec, Style{});
  CHECK(text.starts_with("\u00d7 jmemd"));
  CHECK(text.find("Sampled: 17.4s ago - stale: every sample since has failed\n") != std::string::npos);
  CHECK(text.find("Last error: /proc/meminfo: meminfo line 1: invalid value \"x\" for MemTotal\n") !=
        std::string::npos);
  Style color;
  color.color = true;
  const std::string painted = renderStatus(info, system, {}, now_usec, color);
  CHECK(painted.starts_with("\x1b[31m\u00d7"));
  CHECK(painted.find("\x1b[32m\u25cf") == std::string::npos);
}

TEST_CASE("status shows a failed sample's error even before the ledger turns stale, safe for a terminal",
          "[ctl]") {
  GovernorInfo info = governorInfo();
  info.sample_error = "/proc/meminfo: bad\x1b[2J\nforged line";
  const std::string text = renderStatus(info, SystemRecord{}, {}, 0, Style{});
  CHECK(text.starts_with("\u25cf jmemd"));
  CHECK(text.find("Last error: /proc/meminfo: bad\\x1b[2J\\nforged line\n") != std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
}

TEST_CASE("status shows the policy's last verdict, what it counts and what waits for a reboot", "[ctl]") {
  GovernorInfo info = governorInfo();
  const auto policy = [&] {
    const std::string text = renderStatus(info, SystemRecord{}, {}, 0, Style{});
    const auto at = text.find("Policy: ");
    REQUIRE(at != std::string::npos);
    return text.substr(at + 8, text.find('\n', at) - at - 8);
  };
  CHECK(policy() == "not checked yet");
  info.policy_verdict = "compliant";
  CHECK(policy() == "compliant");
  info.policy_verdict = "drift";
  info.policy_drift_items = 3;
  CHECK(policy() == "drift (3 items)");
  info.policy_unknown_items = 1;
  CHECK(policy() == "drift (3 items; 1 item could not be observed)");
  info.policy_verdict = "unknown";
  info.policy_drift_items = 0;
  info.policy_unknown_items = 2;
  CHECK(policy() == "unknown (2 items could not be observed)");
  info.policy_unknown_items = 0;
  CHECK(policy() == "unknown (the check could not run)");
  info.policy_verdict = "reboot-pending";
  info.policy_reboot_pending = {"swiotlb"};
  CHECK(policy() == "reboot pending (swiotlb)");
  info.policy_verdict = "drift";
  info.policy_drift_items = 1;
  info.policy_reboot_pending = {"swiotlb", "quiet\x1b[0m"};
  CHECK(policy() == "drift (1 item); reboot pending (swiotlb, quiet\\x1b[0m)");
}

TEST_CASE("status JSON carries the sampling state with its error and the policy's last verdict", "[ctl]") {
  GovernorInfo info = governorInfo();
  auto json = parsed(renderStatusJson(info, SystemRecord{}));
  CHECK(json["sampling"]["state"] == "fresh");
  CHECK(json["sampling"]["error"].is_null());
  CHECK(json["policy"]["verdict"].is_null());
  CHECK(json["policy"]["checked_usec"].is_null());

  info.sample_state = "stale";
  info.sample_error = "/proc/meminfo: meminfo: missing field MemTotal";
  info.policy_verdict = "reboot-pending";
  info.policy_reboot_pending = {"swiotlb"};
  info.policy_check_usec = 42;
  json = parsed(renderStatusJson(info, SystemRecord{}));
  CHECK(json["sampling"]["state"] == "stale");
  CHECK(json["sampling"]["error"] == "/proc/meminfo: meminfo: missing field MemTotal");
  CHECK(json["policy"]["verdict"] == "reboot-pending");
  CHECK(json["policy"]["reboot_pending"] == nlohmann::json::array({"swiotlb"}));
  CHECK(json["policy"]["drift_items"] == 0);
  CHECK(json["policy"]["checked_usec"] == 42);
}

TEST_CASE("status shows the headroom, what throttling could add and from which units, and says when nothing",
          "[ctl]") {
  const std::uint64_t mib = 1 << 20;
  RoomRecord room{1900 * mib,
                  512 * mib,
                  1388 * mib,
                  1100 * mib,
                  {{"batch.service", "stop", 1000 * mib}, {"camera.service", "throttle", 100 * mib}}};
  CHECK(headroomLine(room) ==
        "1.4G (MemAvailable 1.9G above available_low_mib 512.0M); throttling could give 1.1G more (stop "
        "batch.service 1000.0M, throttle camera.service 100.0M)");
  room.units.clear();
  room.headroom_bytes = 0;
  room.mem_available_bytes = 400 * mib;
  CHECK(headroomLine(room) ==
        "0B (MemAvailable 400.0M, at or below available_low_mib 512.0M); throttling could give nothing more");
  const auto json = parsed(renderStatusJson(GovernorInfo{}, SystemRecord{}, nullptr, nullptr, &room));
  CHECK(json["headroom"]["low_watermark_bytes"] == 512 * mib);
  CHECK(json["headroom"]["units"].empty());
}

TEST_CASE("top draws units by the sort key with their processes under them, cut at the rows and the width",
          "[ctl]") {
  TopSnapshot s;
  s.info.version = "1";
  s.info.mode = "audit";
  s.units.resize(2);
  s.units[0].unit = "big.service";
  s.units[0].manager = "system";
  s.units[0].memory.pss_bytes = 300 << 20;
  s.units[0].pids = {1, 2};
  s.units[1].unit = "app.service";
  s.units[1].manager = "system";
  s.units[1].memory.pss_bytes = 100 << 20;
  s.units[1].pids = {42};
  LedgerProcess small = process(1, "small", 50 << 20, 0);
  LedgerProcess large = process(2, "large", 250 << 20, 0);
  small.sample.placement.unit = large.sample.placement.unit = "big.service";
  s.processes = {small, large, process(42, "gem", 100 << 20, 0)};
  TopView view;
  view.rows = 100;
  view.header = false;
  auto lines = renderTopFrame(s, view, Style{});
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].starts_with("big.service"));
  CHECK(lines[1].find("large") != std::string::npos);
  CHECK(lines[2].find("small") != std::string::npos);
  CHECK(lines[3].starts_with("app.service"));
  CHECK(lines[4].find("gem") != std::string::npos);

  view.sort = SortKey::kName;
  lines = renderTopFrame(s, view, Style{});
  CHECK(lines[0].starts_with("app.service"));
  view.units_only = true;
  CHECK(renderTopFrame(s, view, Style{}).size() == 2);
  view.units_only = false;
  view.rows = 2;
  CHECK(renderTopFrame(s, view, Style{}).size() == 2);

  view.header = true;
  view.width = 40;
  view.rows = 100;
  lines = renderTopFrame(s, view, Style{});
  CHECK(lines.front().starts_with("jmemd 1 - audit mode"));
  for (const auto& line : lines) CHECK(displayWidth(line) <= 40);
  CHECK(std::find_if(lines.begin(), lines.end(),
                     [](const std::string& l) { return l.starts_with("UNIT / PID"); }) != lines.end());
}

TEST_CASE("the live screen's keys pick the sort keys of --sort, and other keys none", "[ctl]") {
  CHECK(sortKeyOfKey('p') == SortKey::kPss);
  CHECK(sortKeyOfKey('v') == SortKey::kNvmap);
  CHECK(sortKeyOfKey('g') == SortKey::kGpu);
  CHECK(sortKeyOfKey('c') == SortKey::kCost);
  CHECK(sortKeyOfKey('n') == SortKey::kName);
  CHECK_FALSE(sortKeyOfKey('x'));
}

TEST_CASE("explain shows each rule with its place, why the throttle passes a unit over, and the steps",
          "[ctl]") {
  ExplainRecord e;
  e.unit = "gdm3.service";
  e.matches = {{"class", "gui", "gdm3.service", "/etc/jmem/policy.toml:4:10", "mask (system)", false}};
  e.rung_now = "none";
  std::string text = renderExplain(e, "audit", Style{});
  CHECK(text.find("/etc/jmem/policy.toml:4:10") != std::string::npos);
  CHECK(text.find("No workload governs it") != std::string::npos);
  CHECK(text.find("would take no step") != std::string::npos);
  e.matches.push_back(
      {"workload", "gdm3.service", "gdm3.service", "p.toml:9:1", "priority 1, stop; governs it", true});
  e.next = RoomUnitRecord{"gdm3.service", "stop", 300 << 20};
  e.sequence = {{"batch.service", "freeze", 0}, {"gdm3.service", "stop", 300 << 20}};
  text = renderExplain(e, "audit", Style{});
  CHECK(text.find("next: stop, about 300.0M back") != std::string::npos);
  CHECK(text.find("(audit mode: it only says so)") != std::string::npos);
  CHECK(text.find("1. freeze batch.service, nothing back") != std::string::npos);
  CHECK(text.find("About 300.0M back in all.") != std::string::npos);
  const auto json = parsed(renderExplainJson(e));
  CHECK(json["sequence"].size() == 2);
  CHECK(json["never_acted_on"].is_null());
  CHECK(json["matches"][1]["where"] == "p.toml:9:1");
}

TEST_CASE("plan keeps to 80 columns: a table while it fits, a block per change when states are long",
          "[ctl]") {
  PlanChangeRecord short_change{"mask", "gdm3.service", "enabled", "masked", 120 << 20};
  std::string text = renderPlan(PlanView{{short_change}, {}, {}, false}, Style{});
  CHECK(text.starts_with("ACTION"));
  PlanChangeRecord long_change{"set-default-target", "default.target",
                               "graphical.target (the display manager's)",
                               "multi-user.target (no display manager, no desktop session)", 0};
  text = renderPlan(PlanView{{short_change, long_change}, {}, {}, false}, Style{});
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    CHECK(end - start <= 80);
  CHECK(text.find("set-default-target default.target\n    before: graphical.target") != std::string::npos);
  CHECK(text.find("mask gdm3.service, 120.0M back\n") != std::string::npos);
}

TEST_CASE("reclaim shows each knob with NVIDIA's figure beside it, the totals, and what makes rows up",
          "[ctl]") {
  ReclaimRecord reclaim;
  reclaim.rows = {{"desktop",
                   400ull << 20,
                   400ull << 20,
                   "865 MB",
                   "policy",
                   "default_target = \"multi-user.target\"",
                   "would take",
                   {"user@1000.service 270.0M", "evil\x1b[2J.scope 100.0M", "a", "b", "c"}},
                  {"swiotlb",
                   64ull << 20,
                   0,
                   "2 KiB a slab, never 0",
                   "boot argument",
                   "swiotlb=N",
                   "not in the policy",
                   {}}};
  reclaim.policy_would_take_bytes = 400ull << 20;
  reclaim.other_means_bytes = 0;
  const std::string text = renderReclaim(reclaim, Style{});
  CHECK(text.find("desktop") != std::string::npos);
  CHECK(text.find("865 MB") != std::string::npos);
  CHECK(text.find("400.0M") != std::string::npos);
  CHECK(text.find("The policy would still take 400.0M; other means could give 0B more") != std::string::npos);
  CHECK(text.find("desktop: user@1000.service 270.0M, evil\\x1b[2J.scope 100.0M, a, b and 1 more") !=
        std::string::npos);
  CHECK(text.find('\x1b') == std::string::npos);
  const auto json = nlohmann::json::parse(jsonText(renderReclaimJson(reclaim)));
  CHECK(json["rows"][1]["back_bytes"] == 0);
  CHECK(json["policy_would_take_bytes"] == 400ull << 20);
}

TEST_CASE("a request for room shows its answer, its hold and its units, strings from the bus escaped",
          "[ctl]") {
  RoomRequestRecord made;
  made.made = true;
  made.message = "Room made for loader.service: 610.0M above the low watermark of 585.0M asked\x1b[2J";
  made.unit = "loader.service";
  made.bytes = 585u << 20;
  made.units = {"batch.service"};
  made.phase = "holding";
  const std::string text = renderRoomAnswer(made);
  CHECK(text.find("\x1b") == std::string::npos);
  CHECK(text.find("Held until the memory of loader.service stops growing") != std::string::npos);
  CHECK(text.find("batch.service stay as they are") != std::string::npos);
  made.hold_sec = 20;
  CHECK(renderRoomAnswer(made).find("Held for 20 s") != std::string::npos);

  RoomRequestRecord failed = made;
  failed.made = false;
  failed.phase = "making";
  CHECK(renderRoomAnswer(failed).find("Held") == std::string::npos);
  CHECK(roomLine(made) == "holding 585.0M for loader.service (uid 0): batch.service");
  made.unit.clear();
  CHECK(roomLine(made).find("for a load") != std::string::npos);
  CHECK(renderRoomJson(failed)["made"] == false);
}
