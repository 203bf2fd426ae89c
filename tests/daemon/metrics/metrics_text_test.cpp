#include "metrics/metrics_text.h"

#include <catch2/catch.hpp>
#include <numeric>
#include <set>

#include "exposition_parser.h"
#include "jetson_ledger.h"
#include "metrics/action_counters.h"
#include "metrics/ledger_metrics.h"

using namespace jmem;
using namespace jmem::metrics;
using test::findFamily;
using test::ParsedExposition;

namespace {

constexpr std::uint64_t kSampleUsec = 1712345678123456;

MetricsInput inputOf(const Ledger& ledger, std::size_t top_units = kDefaultTopUnits) {
  MetricsInput input;
  input.system = systemMetricsOf(ledger, kSampleUsec);
  input.units = unitMetricsOf(ledger, top_units);
  return input;
}

// Everything present: what a governor in enforce mode with a controller publishes.
MetricsInput fullInput(const Ledger& ledger) {
  MetricsInput input = inputOf(ledger);
  input.mode = policy::Mode::kEnforce;
  input.policy_fingerprint = "7bb13b2d939fe4cf";
  input.l4t = "36.4.0";
  input.jetpack = "6";
  input.sampling = SampleMetrics{false, 2};
  input.compliance = ComplianceMetrics{kSampleUsec - 5000000, false, 3, 1, 512 * 1024 * 1024, 1, "drift"};
  input.throttle = ThrottleMetrics{throttle::Phase::kHolding, 2};
  input.headroom = HeadroomMetrics{1u << 30, 0};
  input.reclaim =
      ReclaimMetrics{{{"desktop", 400u << 20, 400u << 20}, {"swiotlb", 64u << 20, 0}}, 400u << 20, 0};
  ActionCounters counters;
  counters.recordThrottle(throttle::ActionKind::kThrottle, true);
  counters.recordThrottle(throttle::ActionKind::kThrottle, false);
  counters.recordPolicyChange(compliance::PlannedChange::Kind::kMaskUnit, true);
  input.actions = counters.counts();
  input.self = SelfMetrics{3600, 1500, 42000, 800, 12};
  return input;
}

ParsedExposition parse(const std::string& text) {
  auto parsed = test::parseExposition(text);
  INFO(text);
  INFO((parsed ? std::string() : parsed.error().message));
  REQUIRE(parsed);
  return *parsed;
}

// The one sample of a family without labels.
double single(const ParsedExposition& parsed, std::string_view name) {
  const auto* family = findFamily(parsed, name);
  INFO(name);
  REQUIRE(family != nullptr);
  REQUIRE(family->samples.size() == 1);
  CHECK(family->samples[0].labels.empty());
  return family->samples[0].value;
}

double labelled(const ParsedExposition& parsed, std::string_view name, const std::string& label,
                const std::string& value) {
  const auto* family = findFamily(parsed, name);
  INFO(name << " " << label << "=" << value);
  REQUIRE(family != nullptr);
  for (const auto& sample : family->samples) {
    const auto it = sample.labels.find(label);
    if (it != sample.labels.end() && it->second == value) return sample.value;
  }
  FAIL("no such series");
  return 0;
}

std::set<std::string> familyNames(const ParsedExposition& parsed) {
  std::set<std::string> names;
  for (const auto& family : parsed) names.insert(family.name);
  return names;
}

}  // namespace

TEST_CASE("every family has HELP and TYPE, a valid name and a unit suffix that fits its type", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(30);
  const ParsedExposition parsed = parse(formatMetrics(fullInput(ledger)));
  for (const auto& family : parsed) {
    INFO(family.name);
    CHECK(family.name.starts_with("jmem_"));
    CHECK(!family.help.empty());
    CHECK(!family.samples.empty());
    // Prometheus's conventions: counters end in _total, nothing else does.
    CHECK((family.type == "counter") == family.name.ends_with("_total"));
    CHECK_FALSE(family.name.ends_with("_usec"));
    CHECK_FALSE(family.name.ends_with("_permyriad"));
  }
}

TEST_CASE("a full input publishes the documented families and no others", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(30);
  const std::set<std::string> expected = {
      "jmem_build_info",
      "jmem_device_info",
      "jmem_policy_info",
      "jmem_sample_timestamp_seconds",
      "jmem_sample_stale",
      "jmem_sample_failures_total",
      "jmem_memory_total_bytes",
      "jmem_memory_available_bytes",
      "jmem_swap_total_bytes",
      "jmem_swap_free_bytes",
      "jmem_pss_bytes",
      "jmem_processes",
      "jmem_nvmap_bytes",
      "jmem_zram_disksize_bytes",
      "jmem_zram_orig_data_bytes",
      "jmem_zram_compr_data_bytes",
      "jmem_zram_mem_used_bytes",
      "jmem_pressure_some_avg10_ratio",
      "jmem_pressure_full_avg10_ratio",
      "jmem_unit_cost_bytes",
      "jmem_units",
      "jmem_policy_mode",
      "jmem_policy_check_timestamp_seconds",
      "jmem_policy_compliant",
      "jmem_policy_verdict",
      "jmem_policy_drift_items",
      "jmem_policy_unknown_items",
      "jmem_policy_reboot_pending_items",
      "jmem_policy_drift_cost_bytes",
      "jmem_throttle_phase",
      "jmem_throttle_units_acted_on",
      "jmem_headroom_bytes",
      "jmem_headroom_throttle_bytes",
      "jmem_reclaim_bytes",
      "jmem_reclaim_back_bytes",
      "jmem_reclaim_policy_would_take_bytes",
      "jmem_reclaim_other_means_bytes",
      "jmem_actions_total",
      "jmem_action_failures_total",
      "jmem_self_ticks_total",
      "jmem_self_tick_lateness_p99_seconds",
      "jmem_self_tick_lateness_max_seconds",
      "jmem_self_tick_cpu_mean_seconds",
      "jmem_self_rollup_reads",
  };
  CHECK(familyNames(parse(formatMetrics(fullInput(ledger)))) == expected);
}

TEST_CASE("a Jetson with 400 units exports at most 200 series, so 10,000 devices stay under 2 million",
          "[metrics]") {
  const Ledger ledger = test::jetsonLedger(400);
  MetricsInput input = fullInput(ledger);
  // Every row `jmemctl reclaim` has on a device with the default policy's four classes.
  input.reclaim->rows.clear();
  for (const char* knob :
       {"desktop", "class gui", "class audio", "class journal", "class network", "swiotlb", "carveouts",
        "idle processes", "container runtime", "GPU buffers outside workloads"})
    input.reclaim->rows.push_back({knob, 1u << 20, 1u << 20});
  std::size_t series = 0;
  for (const auto& family : parse(formatMetrics(input))) series += family.samples.size();
  WARN("series of one device with 400 units, NvMap, PSI and six zram devices: " << series);
  CHECK(series <= 200);
}

TEST_CASE(
    "the device's JetPack and the policy's fingerprint are labels of info series, left out when unknown",
    "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  const std::string full = formatMetrics(fullInput(ledger));
  CHECK(full.find("jmem_device_info{l4t=\"36.4.0\",jetpack=\"6\"} 1\n") != std::string::npos);
  CHECK(full.find("jmem_policy_info{fingerprint=\"7bb13b2d939fe4cf\"} 1\n") != std::string::npos);
  const std::string bare = formatMetrics(inputOf(ledger));
  CHECK(bare.find("jmem_device_info 1\n") != std::string::npos);
  CHECK(bare.find("jmem_policy_info") == std::string::npos);
}

TEST_CASE("the system families carry the ledger's figures in bytes, seconds and ratios", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(5);
  const ParsedExposition parsed = parse(formatMetrics(inputOf(ledger)));
  const Meminfo& meminfo = ledger.system.meminfo;
  CHECK(single(parsed, "jmem_memory_total_bytes") == static_cast<double>(meminfo.mem_total_bytes));
  CHECK(single(parsed, "jmem_memory_available_bytes") == static_cast<double>(meminfo.mem_available_bytes));
  REQUIRE(meminfo.swap_total_bytes);
  CHECK(single(parsed, "jmem_swap_total_bytes") == static_cast<double>(*meminfo.swap_total_bytes));
  CHECK(single(parsed, "jmem_pss_bytes") == static_cast<double>(ledger.totals.memory.pss_bytes));
  CHECK(single(parsed, "jmem_processes") == static_cast<double>(ledger.processes.size()));
  CHECK(single(parsed, "jmem_nvmap_bytes") == static_cast<double>(ledger.system.nvmap.total_bytes));
  CHECK(single(parsed, "jmem_pressure_some_avg10_ratio") ==
        static_cast<double>(ledger.system.pressure.some.avg10_permyriad) / 10000);
  CHECK(single(parsed, "jmem_pressure_full_avg10_ratio") ==
        static_cast<double>(ledger.system.pressure.full.avg10_permyriad) / 10000);
  CHECK(single(parsed, "jmem_sample_timestamp_seconds") == static_cast<double>(kSampleUsec) / 1e6);
  CHECK(labelled(parsed, "jmem_build_info", "version", JMEM_VERSION) == 1);
}

TEST_CASE("NvMap, PSI, swap and zram are left out when unavailable, never written as zero", "[metrics]") {
  Ledger ledger = test::jetsonLedger(3, /*with_nvmap=*/false, /*with_pressure=*/false, /*with_zram=*/false);
  ledger.system.meminfo.swap_total_bytes.reset();
  ledger.system.meminfo.swap_free_bytes.reset();
  const ParsedExposition parsed = parse(formatMetrics(inputOf(ledger)));
  const auto names = familyNames(parsed);
  for (const char* absent :
       {"jmem_nvmap_bytes", "jmem_pressure_some_avg10_ratio", "jmem_pressure_full_avg10_ratio",
        "jmem_swap_total_bytes", "jmem_swap_free_bytes", "jmem_zram_disksize_bytes",
        "jmem_zram_orig_data_bytes", "jmem_zram_compr_data_bytes", "jmem_zram_mem_used_bytes"}) {
    INFO(absent);
    CHECK(names.count(absent) == 0);
  }
  CHECK(names.count("jmem_memory_total_bytes") == 1);
}

TEST_CASE("a governor before its first check, without a controller, publishes no such families",
          "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  const auto names = familyNames(parse(formatMetrics(inputOf(ledger))));
  for (const auto& name : names) {
    INFO(name);
    CHECK_FALSE(name.starts_with("jmem_throttle_"));
    CHECK_FALSE(name.starts_with("jmem_self_"));
    CHECK_FALSE(name.starts_with("jmem_action"));
    if (name.starts_with("jmem_policy_")) CHECK(name == "jmem_policy_mode");
  }
}

TEST_CASE("the top units are published one by one and the rest summed under unit other", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(30);
  const ParsedExposition parsed = parse(formatMetrics(inputOf(ledger)));
  const auto* family = findFamily(parsed, "jmem_unit_cost_bytes");
  REQUIRE(family != nullptr);
  CHECK(family->type == "gauge");
  REQUIRE(family->samples.size() == kDefaultTopUnits + 1);

  std::uint64_t all_units = 0;
  for (const auto& unit : ledger.units) all_units += unit.memory.costBytes();
  double published = 0;
  for (const auto& sample : family->samples) published += sample.value;
  CHECK(published == static_cast<double>(all_units));

  // The ledger is largest first: its first 20 units are the published ones.
  for (std::size_t i = 0; i < kDefaultTopUnits; ++i) {
    const auto& unit = ledger.units[i];
    CHECK(labelled(parsed, "jmem_unit_cost_bytes", "unit", unit.unit) ==
          static_cast<double>(unit.memory.costBytes()));
    CHECK(family->samples[i].labels.at("manager") == unit.manager);
  }
  std::uint64_t rest = 0;
  for (std::size_t i = kDefaultTopUnits; i < ledger.units.size(); ++i)
    rest += ledger.units[i].memory.costBytes();
  CHECK(labelled(parsed, "jmem_unit_cost_bytes", "unit", "other") == static_cast<double>(rest));
  CHECK(family->samples.back().labels.size() == 1);
  CHECK(single(parsed, "jmem_units") == 30);
}

TEST_CASE("with fewer units than the bound the other series is zero", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(4);
  const ParsedExposition parsed = parse(formatMetrics(inputOf(ledger)));
  CHECK(findFamily(parsed, "jmem_unit_cost_bytes")->samples.size() == 5);
  CHECK(labelled(parsed, "jmem_unit_cost_bytes", "unit", "other") == 0);
}

TEST_CASE("unit names with quotes, backslashes and newlines survive the round trip", "[metrics]") {
  MetricsInput input;
  const std::string names[] = {"a\"b.service", "c\\d.service", "e\nf.service", "caf\xc3\xa9.service"};
  for (const auto& name : names) input.units.top.push_back({name, "user@1000.service", 4096});
  input.units.unit_count = 4;
  const ParsedExposition parsed = parse(formatMetrics(input));
  for (const auto& name : names) {
    INFO(name);
    CHECK(labelled(parsed, "jmem_unit_cost_bytes", "unit", name) == 4096);
  }
}

TEST_CASE("units whose names render alike are one series with their costs added", "[metrics]") {
  MetricsInput input;
  // Invalid UTF-8 becomes '?', so these two would otherwise be a duplicate series.
  input.units.top = {
      {"x\xff.service", "system", 100}, {"x\xfe.service", "system", 20}, {"y.service", "system", 5}};
  const ParsedExposition parsed = parse(formatMetrics(input));
  CHECK(findFamily(parsed, "jmem_unit_cost_bytes")->samples.size() == 3);  // two units and other
  CHECK(labelled(parsed, "jmem_unit_cost_bytes", "unit", "x?.service") == 120);
}

TEST_CASE("mode and phase are one series per known value, 1 for the current one", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  const ParsedExposition parsed = parse(formatMetrics(fullInput(ledger)));
  CHECK(labelled(parsed, "jmem_policy_mode", "mode", "enforce") == 1);
  CHECK(labelled(parsed, "jmem_policy_mode", "mode", "audit") == 0);
  CHECK(findFamily(parsed, "jmem_throttle_phase")->samples.size() == 4);
  CHECK(labelled(parsed, "jmem_throttle_phase", "phase", "holding") == 1);
  for (const char* phase : {"calm", "pressure", "releasing"})
    CHECK(labelled(parsed, "jmem_throttle_phase", "phase", phase) == 0);
  CHECK(single(parsed, "jmem_throttle_units_acted_on") == 2);
}

TEST_CASE("headroom and what throttling could add are published as the governor measured them", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  MetricsInput input = fullInput(ledger);
  input.headroom = HeadroomMetrics{300u << 20, 120u << 20};
  const ParsedExposition parsed = parse(formatMetrics(input));
  CHECK(single(parsed, "jmem_headroom_bytes") == 300u << 20);
  CHECK(single(parsed, "jmem_headroom_throttle_bytes") == 120u << 20);
  input.headroom.reset();
  CHECK(findFamily(parse(formatMetrics(input)), "jmem_headroom_bytes") == nullptr);
}

TEST_CASE("each reclaim row is a series by knob, with the two totals", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  MetricsInput input = fullInput(ledger);
  input.reclaim = ReclaimMetrics{{{"desktop", 400u << 20, 400u << 20},
                                  {"class gui", 30u << 20, 30u << 20},
                                  {"swiotlb", 64u << 20, 60u << 20}},
                                 430u << 20,
                                 60u << 20};
  const ParsedExposition parsed = parse(formatMetrics(input));
  CHECK(labelled(parsed, "jmem_reclaim_bytes", "knob", "class gui") == 30u << 20);
  CHECK(labelled(parsed, "jmem_reclaim_back_bytes", "knob", "swiotlb") == 60u << 20);
  CHECK(single(parsed, "jmem_reclaim_policy_would_take_bytes") == 430u << 20);
  CHECK(single(parsed, "jmem_reclaim_other_means_bytes") == 60u << 20);
  input.reclaim.reset();
  CHECK(findFamily(parse(formatMetrics(input)), "jmem_reclaim_bytes") == nullptr);
}

TEST_CASE("the compliance families carry the last check", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  const MetricsInput input = fullInput(ledger);
  const ParsedExposition parsed = parse(formatMetrics(input));
  CHECK(single(parsed, "jmem_policy_compliant") == 0);
  CHECK(single(parsed, "jmem_policy_drift_items") == static_cast<double>(input.compliance->drift_items));
  CHECK(single(parsed, "jmem_policy_unknown_items") == static_cast<double>(input.compliance->unknown_items));
  CHECK(single(parsed, "jmem_policy_drift_cost_bytes") ==
        static_cast<double>(input.compliance->drift_cost_bytes));
  CHECK(single(parsed, "jmem_policy_check_timestamp_seconds") ==
        static_cast<double>(input.compliance->checked_usec) / 1e6);
  CHECK(single(parsed, "jmem_policy_reboot_pending_items") == 1);
}

TEST_CASE("jmem_policy_verdict is 1 for the last check's verdict and 0 for every other", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  MetricsInput input = fullInput(ledger);
  for (const char* verdict : {"compliant", "reboot-pending", "unknown", "drift"}) {
    input.compliance->verdict = verdict;
    input.compliance->compliant = input.compliance->verdict == "compliant";
    const ParsedExposition parsed = parse(formatMetrics(input));
    INFO(verdict);
    const auto* family = findFamily(parsed, "jmem_policy_verdict");
    REQUIRE(family != nullptr);
    CHECK(family->type == "gauge");
    CHECK(family->samples.size() == 4);
    for (const auto& sample : family->samples)
      CHECK(sample.value == (sample.labels.at("verdict") == verdict ? 1.0 : 0.0));
    CHECK(single(parsed, "jmem_policy_compliant") == (input.compliance->compliant ? 1.0 : 0.0));
  }
  // A verdict this jmemd has no name for is published, not lost.
  input.compliance->verdict = "partly";
  const ParsedExposition parsed = parse(formatMetrics(input));
  CHECK(findFamily(parsed, "jmem_policy_verdict")->samples.size() == 5);
  CHECK(labelled(parsed, "jmem_policy_verdict", "verdict", "partly") == 1);
}

TEST_CASE("a stale ledger is published as such with its failed samples counted, and only by the governor",
          "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  MetricsInput input = fullInput(ledger);
  input.sampling = SampleMetrics{true, 17};
  const ParsedExposition parsed = parse(formatMetrics(input));
  CHECK(single(parsed, "jmem_sample_stale") == 1);
  CHECK(single(parsed, "jmem_sample_failures_total") == 17);
  CHECK(findFamily(parsed, "jmem_sample_failures_total")->type == "counter");
  // The figures stay, with the time stamp of the sample they come from.
  CHECK(single(parsed, "jmem_sample_timestamp_seconds") == static_cast<double>(kSampleUsec) / 1e6);

  input.sampling = SampleMetrics{false, 17};
  CHECK(single(parse(formatMetrics(input)), "jmem_sample_stale") == 0);
  input.sampling.reset();
  CHECK(findFamily(parse(formatMetrics(input)), "jmem_sample_stale") == nullptr);
}

TEST_CASE("action counters list every known action, with failures counted apart", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  const ParsedExposition parsed = parse(formatMetrics(fullInput(ledger)));
  const auto* taken = findFamily(parsed, "jmem_actions_total");
  const auto* failed = findFamily(parsed, "jmem_action_failures_total");
  REQUIRE(taken != nullptr);
  REQUIRE(failed != nullptr);
  CHECK(taken->type == "counter");
  CHECK(taken->samples.size() == 12);
  CHECK(failed->samples.size() == 12);
  const auto value = [](const test::ParsedFamily* family, const std::string& source,
                        const std::string& action) {
    for (const auto& s : family->samples) {
      if (s.labels.at("source") == source && s.labels.at("action") == action) return s.value;
    }
    return -1.0;
  };
  CHECK(value(taken, "throttle", "throttle") == 2);
  CHECK(value(failed, "throttle", "throttle") == 1);
  CHECK(value(taken, "policy", "mask") == 1);
  CHECK(value(failed, "policy", "mask") == 0);
  CHECK(value(taken, "throttle", "freeze") == 0);
  CHECK(value(taken, "policy", "stop") == 0);
  CHECK(value(taken, "throttle", "stop") == 0);
}

TEST_CASE("the governor's own cost is in seconds", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  const MetricsInput input = fullInput(ledger);
  const ParsedExposition parsed = parse(formatMetrics(input));
  CHECK(single(parsed, "jmem_self_ticks_total") == static_cast<double>(input.self->ticks));
  CHECK(single(parsed, "jmem_self_tick_lateness_p99_seconds") ==
        static_cast<double>(input.self->tick_lateness_p99_usec) / 1e6);
  CHECK(single(parsed, "jmem_self_tick_lateness_max_seconds") ==
        static_cast<double>(input.self->tick_lateness_max_usec) / 1e6);
  CHECK(single(parsed, "jmem_self_tick_cpu_mean_seconds") ==
        static_cast<double>(input.self->tick_cpu_mean_usec) / 1e6);
  CHECK(single(parsed, "jmem_self_rollup_reads") == static_cast<double>(input.self->rollup_reads));
}

TEST_CASE("a unit with an empty manager that looks like the other series is counted in it", "[metrics]") {
  MetricsInput input;
  input.units.top = {{"other", "", 7}, {"a.service", "", 3}};
  input.units.other_cost_bytes = 10;
  const ParsedExposition parsed = parse(formatMetrics(input));
  const auto* family = findFamily(parsed, "jmem_unit_cost_bytes");
  REQUIRE(family->samples.size() == 2);
  CHECK(labelled(parsed, "jmem_unit_cost_bytes", "unit", "other") == 17);
  // An empty label value is no label: it is left out rather than written as "".
  CHECK(family->samples[1].labels.count("manager") == 0);
}

TEST_CASE("zram families are one series per device with its mm_stat figures", "[metrics]") {
  const Ledger ledger = test::jetsonLedger(3);
  const ParsedExposition parsed = parse(formatMetrics(inputOf(ledger)));
  REQUIRE(ledger.system.zram.devices.size() == 6);
  for (const ZramDevice& device : ledger.system.zram.devices) {
    INFO(device.name);
    CHECK(labelled(parsed, "jmem_zram_disksize_bytes", "device", device.name) ==
          static_cast<double>(device.disksize_bytes));
    CHECK(labelled(parsed, "jmem_zram_orig_data_bytes", "device", device.name) ==
          static_cast<double>(device.orig_data_bytes));
    CHECK(labelled(parsed, "jmem_zram_compr_data_bytes", "device", device.name) ==
          static_cast<double>(device.compr_data_bytes));
    CHECK(labelled(parsed, "jmem_zram_mem_used_bytes", "device", device.name) ==
          static_cast<double>(device.mem_used_bytes));
  }
  CHECK(findFamily(parsed, "jmem_zram_mem_used_bytes")->samples.size() == 6);
}

TEST_CASE("GPU families are one series per GPU that has the figure, and absent without NVML", "[metrics]") {
  Ledger ledger = test::jetsonLedger(25);
  const auto without = familyNames(parse(formatMetrics(inputOf(ledger))));
  for (const char* absent :
       {"jmem_gpu_memory_total_bytes", "jmem_gpu_memory_used_bytes", "jmem_unit_gpu_bytes"}) {
    INFO(absent);
    CHECK(without.count(absent) == 0);
  }

  GpuDevice h100;
  h100.index = 0;
  h100.uuid = "GPU-1111";
  h100.total_bytes = 81559ull << 20;
  h100.used_bytes = 4123ull << 20;
  GpuDevice thor;
  thor.index = 1;
  thor.uuid = "GPU-2222";
  thor.integrated = true;
  thor.processes_complete = true;
  thor.attributed_bytes = 3ull << 30;
  ledger.system.gpus.available = true;
  ledger.system.gpus.devices = {h100, thor};
  for (std::size_t i = 0; i < ledger.units.size(); ++i) ledger.units[i].memory.gpu_bytes = (i + 1) << 20;
  const ParsedExposition parsed = parse(formatMetrics(inputOf(ledger)));

  const auto* total = findFamily(parsed, "jmem_gpu_memory_total_bytes");
  REQUIRE(total != nullptr);
  REQUIRE(total->samples.size() == 1);  // the integrated GPU has no memory of its own
  CHECK(total->samples[0].labels.at("uuid") == "GPU-1111");
  CHECK(total->samples[0].value == static_cast<double>(81559ull << 20));
  CHECK(labelled(parsed, "jmem_gpu_memory_used_bytes", "gpu", "0") == static_cast<double>(4123ull << 20));
  CHECK(labelled(parsed, "jmem_gpu_memory_used_bytes", "gpu", "1") == static_cast<double>(3ull << 30));

  const auto* units = findFamily(parsed, "jmem_unit_gpu_bytes");
  REQUIRE(units != nullptr);
  CHECK(units->samples.size() == kDefaultTopUnits + 1);
  double published = 0;
  for (const auto& sample : units->samples) published += sample.value;
  std::uint64_t all_units = 0;
  for (const auto& unit : ledger.units) all_units += unit.memory.gpu_bytes;
  CHECK(published == static_cast<double>(all_units));
  CHECK(labelled(parsed, "jmem_unit_gpu_bytes", "unit", ledger.units[0].unit) ==
        static_cast<double>(ledger.units[0].memory.gpu_bytes));
}
