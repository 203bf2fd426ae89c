#include "ctl/options.h"

#include <catch2/catch.hpp>

#include "ctl/verbs.h"

using namespace jmem;
using namespace jmem::ctl;

TEST_CASE("jmemctl with no command shows the status", "[ctl]") {
  const auto options = parseCtlOptions({});
  REQUIRE(options.ok());
  CHECK(options->verb == Verb::kStatus);
  CHECK_FALSE(options->json);
}

TEST_CASE("jmemctl top takes --units, -n and --sort", "[ctl]") {
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

TEST_CASE("jmemctl names what it does not understand", "[ctl]") {
  CHECK(parseCtlOptions({"stauts"}).error().message == "Unknown command \"stauts\"; see jmemctl --help");
  CHECK(parseCtlOptions({"top", "--sort", "size"}).error().message.find("\"size\"") != std::string::npos);
  CHECK(parseCtlOptions({"top", "-n", "lots"}).error().message.find("\"lots\"") != std::string::npos);
  CHECK(parseCtlOptions({"top", "-n"}).error().message == "Option -n needs a value");
  CHECK_FALSE(parseCtlOptions({"top", "-n", "70000"}).ok());
  CHECK_FALSE(parseCtlOptions({"status", "--units"}).ok());
  CHECK_FALSE(parseCtlOptions({"status", "top"}).ok());
}

TEST_CASE("jmemctl validate takes main files, drop-ins after --drop-in, and --base or --builtin-base",
          "[ctl]") {
  const auto options = parseCtlOptions(
      {"validate", "policy.toml", "--base", "site.toml", "--drop-in", "50-a.toml", "60-b.toml"});
  REQUIRE(options.ok());
  CHECK(options->verb == Verb::kValidate);
  CHECK(options->files == std::vector<std::string>{"policy.toml"});
  CHECK(options->dropins == std::vector<std::string>{"50-a.toml", "60-b.toml"});
  CHECK(options->base == "site.toml");
  CHECK_FALSE(options->builtin_base);

  const auto builtin = parseCtlOptions({"validate", "--builtin-base", "--drop-in", "50-a.toml"});
  REQUIRE(builtin.ok());
  CHECK(builtin->builtin_base);
  CHECK(builtin->files.empty());
  CHECK(builtin->dropins == std::vector<std::string>{"50-a.toml"});
}

TEST_CASE("jmemctl refuses validate's options without validate, both bases at once, and --drop-in alone",
          "[ctl]") {
  CHECK(parseCtlOptions({"status", "--base", "site.toml"}).error().message ==
        "--drop-in, --base and --builtin-base belong to the validate command");
  CHECK_FALSE(parseCtlOptions({"check", "--drop-in"}).ok());
  CHECK(parseCtlOptions({"validate", "--base", "a.toml", "--builtin-base", "b.toml"}).error().message ==
        "Give --base FILE or --builtin-base, not both");
  CHECK(parseCtlOptions({"validate", "a.toml", "--drop-in"}).error().message ==
        "--drop-in needs a FILE after it");
  CHECK(parseCtlOptions({"validate", "--base"}).error().message == "Option --base needs a value");
  CHECK(parseCtlOptions({"validate", "--builtin-base"}).error().message ==
        "validate needs at least one FILE");
}

TEST_CASE("jmemctl's help lists every exit code", "[ctl]") {
  const std::string usage = ctlUsage();
  for (int code : {kExitOk, kExitFailure, kExitUsage, kExitNotRunning, kExitDenied}) {
    CHECK(usage.find("  " + std::to_string(code) + "  ") != std::string::npos);
  }
}

TEST_CASE("every verb of the table is parsed by its name, named in the help, and found again by its value",
          "[ctl]") {
  const std::string usage = ctlUsage();
  for (const VerbEntry& entry : verbTable()) {
    INFO(entry.name);
    std::vector<std::string_view> args{entry.name};
    if (entry.operands == Operands::kFiles) args.push_back("policy.toml");
    if (entry.operands == Operands::kUnit) args.push_back("batch.service");
    const auto options = parseCtlOptions(args);
    REQUIRE(options.ok());
    CHECK(options->verb == entry.verb);
    CHECK(&verbEntry(entry.verb) == &entry);
    CHECK(usage.find("\n  " + std::string(entry.name) + " ") != std::string::npos);
    CHECK(entry.help.ends_with("\n"));
  }
}

TEST_CASE("a verb that takes a unit says so by its name when the unit is missing", "[ctl]") {
  for (const VerbEntry& entry : verbTable()) {
    if (entry.operands != Operands::kUnit) continue;
    const auto options = parseCtlOptions({entry.name});
    REQUIRE_FALSE(options.ok());
    CHECK(options.error().message == std::string(entry.name) + " needs a UNIT");
  }
}

TEST_CASE("jmemctl takes a value option's value inline and refuses one on a flag", "[ctl]") {
  auto options = parseCtlOptions({"top", "--sort=pss", "--lines=5"});
  REQUIRE(options.ok());
  CHECK(options->sort == SortKey::kPss);
  CHECK(options->limit == 5);
  auto flag = parseCtlOptions({"status", "--json=yes"});
  REQUIRE_FALSE(flag.ok());
  CHECK(flag.error().message == "Option --json takes no value");
}
