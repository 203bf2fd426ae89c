// jmemctl validate: the verdict jmemd would give on policy files, without a daemon. Problems,
// warnings and notes go to stderr as FILE:LINE:COLUMN lines; the files found valid to stdout. With
// --json, one document on stdout holds both.
#include <iostream>
#include <set>

#include "core/text.h"
#include "ctl/commands.h"
#include "ctl/options.h"
#include "policy/validate_files.h"

namespace jmem::ctl {
namespace {

// What validate found, in the order it is printed.
struct Report {
  struct Line {
    const char* severity;  // error, warning, note
    policy::Problem problem;
  };
  std::vector<Line> lines;
  std::vector<std::string> base_remarks;  // the base's own problems, said to be the base's
  struct Valid {
    std::string file;
    std::string merged_onto;  // drop-ins: the base's name
    std::string place;        // drop-ins: "drop-in 1 of 2 by name, "
  };
  std::vector<Valid> valid;

  void add(const char* severity, const policy::Problems& problems) {
    for (const auto& problem : problems) lines.push_back({severity, problem});
  }
};

// Each file on its own, exactly as jmemd would read it with --policy.
bool validateMain(const std::string& file, Report& report) {
  const auto loaded = policy::validateMainPolicy(file);
  report.add("error", loaded.problems);
  report.add("warning", loaded.warnings);
  report.add("note", loaded.notes);
  if (loaded.policy) report.valid.push_back({file, {}, {}});
  return loaded.policy.has_value();
}

// The base's own problems first, said to be the base's, then those the drop-ins bring.
bool validateDropins(const CtlOptions& options, const std::vector<std::string>& dropins, Report& report) {
  policy::DropinSet set;
  set.dropins.assign(dropins.begin(), dropins.end());
  if (options.builtin_base) set.base.clear();
  if (!options.base.empty()) {
    set.base = options.base;
    set.base_required = true;
  }
  const auto verdict = policy::validateDropins(set);
  std::set<std::string> printed;
  for (const auto& problem : verdict.base_problems) {
    if (printed.insert(policy::formatProblem(problem)).second) report.lines.push_back({"error", problem});
  }
  if (!printed.empty()) {
    report.base_remarks.push_back(
        terminalSafe(verdict.base_name) + ": the base policy has " + std::to_string(printed.size()) +
        (printed.size() == 1 ? " problem" : " problems") +
        " of its own, above; the drop-ins are checked merged onto it, as jmemd would read them");
  }
  for (const auto& problem : verdict.merged.problems) {
    if (!printed.contains(policy::formatProblem(problem))) report.lines.push_back({"error", problem});
  }
  report.add("warning", verdict.merged.warnings);
  report.add("note", verdict.merged.notes);
  if (!verdict.merged.policy) return false;
  const std::size_t count = verdict.in_order.size();
  for (std::size_t i = 0; i < count; ++i) {
    const std::string place =
        count == 1 ? "" : "drop-in " + std::to_string(i + 1) + " of " + std::to_string(count) + " by name, ";
    report.valid.push_back({verdict.in_order[i].string(), verdict.base_name, place});
  }
  return true;
}

void printText(const Report& report) {
  for (const auto& line : report.lines) std::cerr << policy::formatProblem(line.problem) << '\n';
  for (const auto& remark : report.base_remarks) std::cerr << remark << '\n';
  for (const auto& v : report.valid) {
    std::cout << terminalSafe(v.file) << ": valid";
    if (!v.merged_onto.empty())
      std::cout << " (" << v.place << "merged onto " << terminalSafe(v.merged_onto) << ")";
    std::cout << '\n';
  }
}

Json reportJson(const Report& report, bool valid) {
  Json problems = Json::array();
  for (const auto& line : report.lines) {
    const policy::SourceLocation& where = line.problem.where;
    problems.push_back(Json{{"severity", line.severity},
                            {"file", where.file},
                            {"line", where.line ? Json(where.line) : Json(nullptr)},
                            {"column", where.column ? Json(where.column) : Json(nullptr)},
                            {"message", line.problem.message}});
  }
  Json files = Json::array();
  for (const auto& v : report.valid) {
    files.push_back(
        Json{{"file", v.file}, {"merged_onto", v.merged_onto.empty() ? Json(nullptr) : Json(v.merged_onto)}});
  }
  return Json{{"valid", valid}, {"valid_files", std::move(files)}, {"problems", std::move(problems)}};
}

}  // namespace

int validate(const CtlOptions& options) {
  bool valid = true;
  Report report;
  std::vector<std::string> dropins = options.dropins;
  for (const std::string& file : options.files) {
    if (policy::isInDropinDirectory(file)) {
      dropins.push_back(file);
    } else {
      valid = validateMain(file, report) && valid;
    }
  }
  if (!dropins.empty()) valid = validateDropins(options, dropins, report) && valid;
  if (options.json) {
    std::cout << jsonText(reportJson(report, valid), options.json_short) << std::flush;
  } else {
    printText(report);
  }
  return valid ? kExitOk : kExitDrift;
}

}  // namespace jmem::ctl
