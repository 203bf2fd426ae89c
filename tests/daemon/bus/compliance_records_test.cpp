#include "bus/compliance_records.h"

#include <catch2/catch.hpp>

#include "bus/reclaim_records.h"

using namespace jmem;

TEST_CASE("a check item survives the bus with every field, each under its own name", "[bus]") {
  const CheckItemRecord sent{
      "unit_file", "gdm3.service", "gui", "masked", "enabled", "drift", "/etc/jmem/policy.toml:12:3",
      350ull << 20};
  const BusRecord record = encodeCheckItem(sent);
  CHECK(record.at("class").get<std::string>() == "gui");
  CHECK(record.at("policy_location").get<std::string>() == "/etc/jmem/policy.toml:12:3");
  CHECK(record.at("cost_bytes").get<std::uint64_t>() == 350ull << 20);
  CHECK(decodeCheckItem(record) == sent);
}

TEST_CASE("a planned change and a change's result survive the bus with every field", "[bus]") {
  const PlanChangeRecord change{"mask", "gdm3.service", "enabled", "masked", 350ull << 20};
  CHECK(decodePlanChange(encodePlanChange(change)) == change);
  const ChangeResultRecord failed{"unit_file", "gdm3.service", "Failed to mask: Access denied", false};
  CHECK(decodeChangeResult(encodeChangeResult(failed)) == failed);
  const ChangeResultRecord done{"default_target", "default.target", "graphical.target -> multi-user.target",
                                true};
  CHECK(decodeChangeResult(encodeChangeResult(done)) == done);
}

TEST_CASE("a journal's change survives the bus with every field", "[bus]") {
  const JournalChangeRecord change{
      "throttle", 7,    "1764856800000000-ab12",    "freeze",         "batch.service",
      "reverted", "{}", R"({"origin":"pressure"})", 1764856800000000, 1764856900000000};
  CHECK(decodeJournalChange(encodeJournalChange(change)) == change);
}

TEST_CASE("the reclaim report survives the bus with every row and total", "[bus]") {
  const ReclaimRecord sent{{{"desktop",
                             400u << 20,
                             400u << 20,
                             "865 MB",
                             "policy",
                             "default_target",
                             "would take",
                             {"gdm3.service 30.0M", "session-c1.scope 100.0M"}},
                            {"swiotlb",
                             64u << 20,
                             60u << 20,
                             "2 KiB a slab",
                             "boot argument",
                             "swiotlb=2048",
                             "not in the policy",
                             {}}},
                           430u << 20,
                           60u << 20,
                           {"desktop: counted from the names of desktop programs"}};
  CHECK(decodeReclaim(encodeReclaim(sent)) == sent);
}
