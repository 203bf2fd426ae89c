#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "core/text.h"
#include "ctl/commands.h"
#include "ctl/table.h"

using namespace jmem;
using namespace jmem::ctl;

namespace {

ProcessView process(std::uint32_t pid, std::string comm, std::uint64_t pss, std::uint64_t nvmap) {
  return ProcessView{pid, std::move(comm), 1000, "app.service", "system", "/usr/bin/app", pss, pss, pss, 0, 0, 0,
                     nvmap, pss + nvmap};
}

}  // namespace

TEST_CASE("sizes print as IEC units with one decimal") {
  CHECK(formatIec(0) == "0B");
  CHECK(formatIec(1023) == "1023B");
  CHECK(formatIec(1024) == "1.0K");
  CHECK(formatIec(1288490188) == "1.2G");
  CHECK(formatIec(7802736ull * 1024) == "7.4G");
}

TEST_CASE("tables align numbers right and text left, without trailing blanks") {
  const std::string table =
      renderTable({{"PID", true}, {"NAME"}}, {{"7", "a"}, {"12345", "longer"}}, /*legend=*/true);
  CHECK(table == "  PID NAME\n    7 a\n12345 longer\n");
  CHECK(renderTable({{"PID", true}, {"NAME"}}, {{"7", "a"}}, /*legend=*/false) == "7 a\n");
}

TEST_CASE("the process table shows PSS, NvMap and cost per process") {
  const std::string table = renderProcesses({process(42, "gem", 50 << 20, 118 << 20)}, Style{});
  CHECK(table.find("PID") != std::string::npos);
  CHECK(table.find("50.0M") != std::string::npos);
  CHECK(table.find("118.0M") != std::string::npos);
  CHECK(table.find("168.0M") != std::string::npos);
  CHECK(table.find("gem") != std::string::npos);
}

TEST_CASE("process JSON uses the keys of jmemd --dump") {
  const auto json = nlohmann::json::parse(renderProcessesJson({process(42, "gem", 100, 5)}));
  const auto& p = json["processes"][0];
  CHECK(p["pid"] == 42);
  CHECK(p["pss_bytes"] == 100);
  CHECK(p["nvmap_bytes"] == 5);
  CHECK(p["cost_bytes"] == 105);
  CHECK(p["unit"] == "app.service");
}

TEST_CASE("status says when NvMap and pressure are unavailable instead of showing zero") {
  GovernorInfo info{"0.1.0", "audit", "none", 1000000};
  SystemView system{};
  system.mem_total_bytes = 8ull << 30;
  system.mem_available_bytes = 6ull << 30;
  const std::string text = renderStatus(info, system, {}, 0, Style{});
  CHECK(text.find("NvMap: unavailable") != std::string::npos);
  CHECK(text.find("Pressure: unavailable") != std::string::npos);
  CHECK(text.find("75.00%") != std::string::npos);
  CHECK(text.find("\x1b[") == std::string::npos);
  Style color;
  color.color = true;
  CHECK(renderStatus(info, system, {}, 0, color).find("\x1b[32m") != std::string::npos);
  const auto json = nlohmann::json::parse(renderStatusJson(info, system));
  CHECK(json["nvmap"]["total_bytes"].is_null());
  CHECK(json["meminfo"]["mem_total_bytes"] == 8ull << 30);
}
