#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

// The Prometheus text exposition format, version 0.0.4: one family at a time, HELP and TYPE first,
// then its samples. Family and label names are constants of the caller: the unit tests parse the
// output strictly instead of checking them on every write.
namespace jmem::metrics {

enum class MetricType { kGauge, kCounter };

std::string_view toString(MetricType type);

struct Label {
  std::string_view name;
  std::string_view value;  // raw: escaped on output
};

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool isValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not reserved (a leading "__").
bool isValidLabelName(std::string_view name);

// A label value as the format wants it: backslash, double quote and newline escaped; a byte that is no
// part of valid UTF-8 becomes '?', since scrapers reject the whole file otherwise.
std::string escapeLabelValue(std::string_view raw);
// HELP text: backslash and newline escaped (quotes are literal there).
std::string escapeHelp(std::string_view raw);

// Shortest text that reads back as the same double; integers print without exponent up to 2^53.
std::string formatValue(double value);
std::string formatValue(std::uint64_t value);

class Exposition {
 public:
  // Starts a family; its samples follow.
  void family(std::string_view name, MetricType type, std::string_view help);
  // A sample of the current family, named like it.
  void sample(std::initializer_list<Label> labels, std::string_view value);
  void sample(std::initializer_list<Label> labels, std::uint64_t value) {
    sample(labels, formatValue(value));
  }
  void sample(std::initializer_list<Label> labels, double value) { sample(labels, formatValue(value)); }
  // A sample whose labels are already rendered ("{unit=\"a\"}" or empty), for callers that deduplicate.
  void renderedSample(std::string_view rendered_labels, std::string_view value);

  const std::string& text() const { return text_; }
  std::string take() && { return std::move(text_); }

 private:
  std::string text_;
  std::string current_;
};

// "{a=\"x\",b=\"y\"}"; labels with an empty value are left out, and "" when none is left.
std::string renderLabels(std::initializer_list<Label> labels);

}  // namespace jmem::metrics
