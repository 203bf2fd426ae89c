#include "metrics/exposition.h"

#include <cmath>

#include "core/number_text.h"

namespace jmem::metrics {
namespace {

bool isNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Length of the valid UTF-8 sequence at the start of `text` (Unicode table 3-7), 0 when invalid.
std::size_t utf8SequenceLength(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;  // no UTF-16 surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

}  // namespace

std::string_view toString(MetricType type) {
  switch (type) {
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kCounter:
      return "counter";
  }
  return "untyped";
}

bool isValidMetricName(std::string_view name) {
  if (name.empty() || !(isNameStart(name[0]) || name[0] == ':')) return false;
  for (const char c : name) {
    if (!(isNameStart(c) || isDigit(c) || c == ':')) return false;
  }
  return true;
}

bool isValidLabelName(std::string_view name) {
  if (name.empty() || !isNameStart(name[0]) || name.starts_with("__")) return false;
  for (const char c : name) {
    if (!(isNameStart(c) || isDigit(c))) return false;
  }
  return true;
}

std::string escapeLabelValue(std::string_view raw) {
  std::string escaped;
  escaped.reserve(raw.size());
  while (!raw.empty()) {
    const std::size_t length = utf8SequenceLength(raw);
    if (length == 0) {
      escaped += '?';
      raw.remove_prefix(1);
      continue;
    }
    if (length == 1) {
      switch (raw[0]) {
        case '\\':
          escaped += "\\\\";
          break;
        case '"':
          escaped += "\\\"";
          break;
        case '\n':
          escaped += "\\n";
          break;
        default:
          escaped += raw[0];
      }
    } else {
      escaped.append(raw.substr(0, length));
    }
    raw.remove_prefix(length);
  }
  return escaped;
}

std::string escapeHelp(std::string_view raw) {
  std::string escaped;
  escaped.reserve(raw.size());
  for (const char c : raw) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return shortestDouble(value);
}

std::string formatValue(std::uint64_t value) {
  return std::to_string(value);
}

std::string renderLabels(std::initializer_list<Label> labels) {
  std::string rendered;
  bool first = true;
  for (const Label& label : labels) {
    // An empty value is the same as no label to Prometheus: leaving it out keeps one spelling per series.
    if (label.value.empty()) continue;
    rendered += first ? '{' : ',';
    first = false;
    rendered.append(label.name);
    rendered += "=\"";
    rendered += escapeLabelValue(label.value);
    rendered += '"';
  }
  if (!first) rendered += '}';
  return rendered;
}

void Exposition::family(std::string_view name, MetricType type, std::string_view help) {
  current_.assign(name);
  text_ += "# HELP ";
  text_ += current_;
  text_ += ' ';
  text_ += escapeHelp(help);
  text_ += "\n# TYPE ";
  text_ += current_;
  text_ += ' ';
  text_ += toString(type);
  text_ += '\n';
}

void Exposition::sample(std::initializer_list<Label> labels, std::string_view value) {
  renderedSample(renderLabels(labels), value);
}

void Exposition::renderedSample(std::string_view rendered_labels, std::string_view value) {
  text_ += current_;
  text_ += rendered_labels;
  text_ += ' ';
  text_ += value;
  text_ += '\n';
}

}  // namespace jmem::metrics
