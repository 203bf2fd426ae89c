#include "policy/builtin.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "policy/parser.h"
#include "policy/unit_pattern.h"
#include "problem_list.h"

using namespace jmem::policy;

namespace {

const UnitClass* findClass(const Policy& policy, std::string_view name) {
  for (const auto& unit_class : policy.classes) {
    if (unit_class.name == name) return &unit_class;
  }
  return nullptr;
}

std::vector<std::string> patterns(const std::vector<UnitPattern>& units) {
  std::vector<std::string> names;
  for (const auto& unit : units) names.push_back(unit.pattern);
  return names;
}

}  // namespace

TEST_CASE("The built-in text is default-policy.toml byte for byte", "[policy]") {
  std::ifstream in(JMEM_DEFAULT_POLICY_FILE, std::ios::binary);
  REQUIRE(in);
  std::ostringstream file;
  file << in.rdbuf();
  CHECK(builtInPolicyText() == file.str());
}

TEST_CASE("The built-in default parses with no problems", "[policy]") {
  const auto result = builtInPolicy();
  CHECK(test::formatted(result).empty());
  CHECK(result.warnings.empty());
  REQUIRE(result.policy);
  CHECK(result.policy->mode.value == Mode::kAudit);
  CHECK(result.policy->sample_interval.value == std::chrono::milliseconds{1000});
  REQUIRE(result.policy->default_target);
  CHECK(result.policy->default_target->value == "multi-user.target");
  CHECK(result.policy->workloads.empty());
}

TEST_CASE("The built-in default has the Jetson profile's classes", "[policy]") {
  const auto policy = *builtInPolicy().policy;
  REQUIRE(policy.classes.size() == 4);

  const auto* gui = findClass(policy, "gui");
  REQUIRE(gui);
  CHECK(gui->action.value == UnitAction::kMask);
  CHECK(gui->scope.value == UnitScope::kSystem);
  CHECK(patterns(gui->units) ==
        std::vector<std::string>{"gdm3.service", "gdm.service", "lightdm.service", "nvweston.service"});

  const auto* audio = findClass(policy, "audio");
  REQUIRE(audio);
  CHECK(audio->action.value == UnitAction::kMask);
  CHECK(audio->scope.value == UnitScope::kGlobalUser);
  CHECK(patterns(audio->units).size() == 7);
  CHECK(patterns(audio->units).front() == "pulseaudio.service");

  const auto* journal = findClass(policy, "journal");
  REQUIRE(journal);
  CHECK(patterns(journal->units) == std::vector<std::string>{"rsyslog.service"});

  const auto* network = findClass(policy, "network");
  REQUIRE(network);
  CHECK(network->action.value == UnitAction::kDisable);
  CHECK(patterns(network->units).size() == 7);
  for (const auto& unit : network->units) CHECK(unit.pattern != "wpa_supplicant.service");

  CHECK(patterns(policy.keep) == std::vector<std::string>{"ssh.service", "sshd.service", "jmemd.service"});
}

TEST_CASE("The built-in default checks boot arguments without editing extlinux.conf", "[policy]") {
  const auto policy = *builtInPolicy().policy;
  CHECK(policy.boot.extlinux.value == "/boot/extlinux/extlinux.conf");
  CHECK_FALSE(policy.boot.edit_extlinux.value);
  CHECK(policy.boot.swiotlb.kind == SwiotlbRule::Kind::kAny);
  CHECK(policy.boot.required_args.empty());
  CHECK(policy.boot.forbidden_args.empty());
}

TEST_CASE("The built-in pressure settings are the same as the defaults of a policy that leaves them out",
          "[policy]") {
  const auto builtin = builtInPolicy().policy->pressure;
  const PressurePolicy defaults;
  CHECK(builtin.available_low_mib.value == defaults.available_low_mib.value);
  CHECK(builtin.available_high_mib.value == defaults.available_high_mib.value);
  CHECK(builtin.release_hold_s.value == defaults.release_hold_s.value);
  CHECK(builtin.psi_some_avg10_percent.value == defaults.psi_some_avg10_percent.value);
  CHECK(builtin.psi_full_avg10_percent.value == defaults.psi_full_avg10_percent.value);
  CHECK(builtin.nvmap_ceiling_mib.value == defaults.nvmap_ceiling_mib.value);
  CHECK(builtin.gpu_ceiling_mib.value == defaults.gpu_ceiling_mib.value);
  CHECK(builtin.min_action_interval_s.value == defaults.min_action_interval_s.value);
  CHECK(builtin.max_actions_per_minute.value == defaults.max_actions_per_minute.value);
  CHECK(builtin.allow_stop.value == defaults.allow_stop.value);
  CHECK(builtin.psi_trigger_some_ms.value == defaults.psi_trigger_some_ms.value);
  CHECK(builtin.exhaustion_horizon_s.value == defaults.exhaustion_horizon_s.value);
}

TEST_CASE("Items of the built-in default name <built-in> and the line they are on", "[policy]") {
  const auto policy = *builtInPolicy().policy;
  CHECK(policy.mode.where.file == "<built-in>");
  CHECK(policy.mode.where.line > 0);
  const auto* gui = findClass(policy, "gui");
  REQUIRE(gui);
  CHECK(gui->units.front().where.file == "<built-in>");
  CHECK(gui->units.front().where.line > policy.mode.where.line);
}

TEST_CASE("The built-in default never masks, disables or stops an essential unit", "[policy]") {
  const auto policy = *builtInPolicy().policy;
  for (const auto& unit_class : policy.classes) {
    for (const auto& unit : unit_class.units) CHECK_FALSE(essentialUnitMatchedBy(unit));
  }
}
