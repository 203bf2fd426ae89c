#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

// A small, strict reader of the Prometheus text format 0.0.4, independent of the writer, for the unit
// tests and the fuzzer: what it accepts, node_exporter's parser accepts too.
namespace jmem::test {

struct ParsedSample {
  std::string name;
  std::map<std::string, std::string> labels;  // values unescaped
  double value = 0;
};

struct ParsedFamily {
  std::string name;
  std::string help;  // unescaped
  std::string type;
  std::vector<ParsedSample> samples;
};

using ParsedExposition = std::vector<ParsedFamily>;

// Rejects: a sample before its family's HELP and TYPE or outside it, a family declared twice, a
// HELP or TYPE twice, an unknown type, an invalid metric or label name, a label named twice, a bad
// escape, invalid UTF-8, a duplicate series (an empty label value counts as no label), a time stamp, a blank
// line, other comments, a missing final newline. Errors name the line.
Result<ParsedExposition> parseExposition(std::string_view text);

// The family of that name, or null.
const ParsedFamily* findFamily(const ParsedExposition& exposition, std::string_view name);

}  // namespace jmem::test
