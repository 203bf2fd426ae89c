#include "policy/policy_json.h"

#include <catch2/catch.hpp>

#include "policy/builtin.h"
#include "policy/parser.h"

using namespace jmem::policy;

TEST_CASE("The built-in default as JSON has the file's keys in a stable order", "[policy]") {
  const auto json = policyToJson(*builtInPolicy().policy);
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"mode", "sample_interval_ms", "default_target", "keep", "classes",
                                         "boot", "pressure", "reclaim", "workloads"});
  CHECK(json["mode"] == "audit");
  CHECK(json["sample_interval_ms"] == 1000);
  CHECK(json["default_target"] == "multi-user.target");
  CHECK(json["classes"]["audio"]["scope"] == "global-user");
  CHECK(json["classes"]["network"]["action"] == "disable");
  CHECK(json["classes"]["gui"]["units"][0] == "gdm3.service");
  CHECK(json["boot"]["swiotlb"] == nlohmann::ordered_json{{"any", true}});
  CHECK(json["pressure"]["available_high_mib"] == 1024);
  CHECK(json["pressure"]["psi_some_avg10_percent"] == 40.0);
  CHECK(json["reclaim"]["idle_min_mib"] == 100);
  CHECK(json["reclaim"]["display"] == true);
  CHECK(json["workloads"].empty());
}

TEST_CASE("The reclaim section reads its keys and refuses what is out of range, naming the line",
          "[policy]") {
  const auto read =
      parsePolicyText("[reclaim]\nidle_min_mib = 300\nidle_window_s = 60\ncamera = false\n", "p.toml");
  REQUIRE(read.policy);
  CHECK(read.policy->reclaim.idle_min_mib.value == 300u);
  CHECK(read.policy->reclaim.idle_window_s.value == 60u);
  CHECK_FALSE(read.policy->reclaim.camera.value);
  CHECK(read.policy->reclaim.display.value);
  const auto bad = parsePolicyText("[reclaim]\nidle_window_s = 5\nidle_ram = 1\n", "p.toml");
  CHECK_FALSE(bad.policy);
  REQUIRE(bad.problems.size() == 2);
  CHECK(formatProblem(bad.problems[0]).starts_with("p.toml:"));
}

TEST_CASE("Workloads, swiotlb ranges and an unmanaged default target appear in JSON as written", "[policy]") {
  const auto result = parsePolicyText(
      "default_target = \"\"\n"
      "[boot]\n"
      "swiotlb = { min_slabs = 2048, max_slabs = 65536 }\n"
      "[[workloads]]\n"
      "unit = \"batch.service\"\n"
      "priority = 5\n"
      "actions = [\"throttle\", \"freeze\"]\n"
      "throttle_step_percent = 20\n",
      "test.toml");
  REQUIRE(result.policy);
  const auto json = policyToJson(*result.policy);
  CHECK(json["default_target"].is_null());
  CHECK(json["boot"]["swiotlb"].dump() == R"({"min_slabs":2048,"max_slabs":65536})");
  CHECK(json["workloads"][0].dump() ==
        R"({"unit":"batch.service","priority":5,"protected":false,"actions":["throttle","freeze"],)"
        R"("throttle_memory_high_mib":null,"throttle_step_percent":20})");
}

TEST_CASE("The fingerprint is the same for one policy written two ways and differs for another", "[policy]") {
  const auto a =
      parsePolicyText("# the site's policy\nmode = \"enforce\"\nsample_interval_ms = 2000\n", "a.toml");
  const auto b = parsePolicyText("sample_interval_ms = 2000\n\nmode = \"enforce\" # enforce it\n", "b.toml");
  const auto c = parsePolicyText("sample_interval_ms = 2000\nmode = \"audit\"\n", "c.toml");
  REQUIRE(a.policy);
  REQUIRE(b.policy);
  REQUIRE(c.policy);
  CHECK(policyFingerprint(*a.policy) == policyFingerprint(*b.policy));
  CHECK(policyFingerprint(*a.policy) != policyFingerprint(*c.policy));
  CHECK(policyFingerprint(*a.policy).size() == 16);
  CHECK(policyFingerprint(*a.policy).find_first_not_of("0123456789abcdef") == std::string::npos);
}
