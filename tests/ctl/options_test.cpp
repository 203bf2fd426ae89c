#include "ctl/options.h"

#include <catch2/catch.hpp>

using namespace jmem;
using namespace jmem::ctl;

TEST_CASE("jmemctl with no command shows the status") {
  const auto options = parseCtlOptions({});
  REQUIRE(options.ok());
  CHECK(options->verb == Verb::kStatus);
  CHECK_FALSE(options->json);
}

TEST_CASE("jmemctl top takes --units, -n and --sort") {
  const auto options =
      parseCtlOptions({"top", "--units", "-n", "5", "--sort", "nvmap", "--json", "--no-legend"});
  REQUIRE(options.ok());
  CHECK(options->verb == Verb::kTop);
  CHECK(options->units);
  CHECK(options->limit == 5);
  CHECK(options->sort == SortKey::kNvmap);
  CHECK(options->json);
  CHECK(options->no_legend);
}

TEST_CASE("jmemctl names what it does not understand") {
  CHECK(parseCtlOptions({"stauts"}).error().message == "Unknown command \"stauts\"; see jmemctl --help");
  CHECK(parseCtlOptions({"top", "--sort", "size"}).error().message.find("\"size\"") != std::string::npos);
  CHECK(parseCtlOptions({"top", "-n", "lots"}).error().message.find("\"lots\"") != std::string::npos);
  CHECK(parseCtlOptions({"top", "-n"}).error().message == "Option -n needs a value");
  CHECK_FALSE(parseCtlOptions({"top", "-n", "70000"}).ok());
  CHECK_FALSE(parseCtlOptions({"status", "--units"}).ok());
  CHECK_FALSE(parseCtlOptions({"status", "top"}).ok());
}

TEST_CASE("jmemctl's help lists every exit code") {
  const std::string usage = ctlUsage();
  for (int code : {kExitOk, kExitFailure, kExitUsage, kExitNotRunning, kExitDenied}) {
    CHECK(usage.find("  " + std::to_string(code) + "  ") != std::string::npos);
  }
}
