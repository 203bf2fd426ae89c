// Fuzzes formatMetrics() with unit and manager names of arbitrary bytes (cgroup paths are chosen by
// whoever creates them) and arbitrary figures: the output must always parse strictly as the text
// format (HELP and TYPE on every family, valid names, no duplicate series), carry every clean name
// unchanged after unescaping, and lose no cost.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "exposition_parser.h"
#include "fuzz_checks.h"
#include "metrics/metrics_text.h"

namespace {

using jmem::fuzz::require;

// Pulls bytes off the front of the input; zeros once it is used up.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint64_t number(unsigned bytes) {
    std::uint64_t value = 0;
    for (unsigned i = 0; i < bytes; ++i) value = (value << 8) | next();
    return value;
  }
  // Up to the next NUL byte (or the end).
  std::string text() {
    std::string s;
    while (size_ > 0 && *data_ != 0) s += static_cast<char>(next());
    next();
    return s;
  }
  bool empty() const { return size_ == 0; }

 private:
  std::uint8_t next() {
    if (size_ == 0) return 0;
    --size_;
    return *data_++;
  }
  const std::uint8_t* data_;
  std::size_t size_;
};

// Clean text (newlines aside, which are escaped) is what must come through unchanged.
bool survivesUnchanged(std::string name) {
  for (char& c : name) {
    if (c == '\n') c = 'x';
  }
  return jmem::fuzz::isCleanText(name);
}

// An empty label value is left out of the text: absent reads as "".
std::string labelOf(const jmem::test::ParsedSample& sample, const std::string& name) {
  const auto it = sample.labels.find(name);
  return it == sample.labels.end() ? std::string() : it->second;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes bytes(data, size);
  jmem::metrics::MetricsInput input;
  input.version = bytes.text();
  const std::uint64_t flags = bytes.number(1);
  input.system.mem_total_bytes = bytes.number(8);
  input.system.sample_usec = bytes.number(8);
  if (flags & 1) input.system.nvmap_bytes = bytes.number(8);
  if (flags & 2) input.system.pressure_some_avg10_permyriad = static_cast<std::uint32_t>(bytes.number(4));
  if (flags & 4) input.mode = jmem::policy::Mode::kEnforce;
  if (flags & 8)
    input.throttle = jmem::metrics::ThrottleMetrics{jmem::throttle::Phase::kPressure, bytes.number(2)};
  if (flags & 16) input.compliance = jmem::metrics::ComplianceMetrics{bytes.number(8), true, 1, 2, 3};
  // Costs stay below 2^40 so that sums of up to 256 of them are exact as doubles.
  std::uint64_t total_cost = 0;
  while (!bytes.empty() && input.units.top.size() < 256) {
    jmem::metrics::UnitCost unit;
    unit.unit = bytes.text();
    unit.manager = bytes.text();
    unit.cost_bytes = bytes.number(5);
    total_cost += unit.cost_bytes;
    input.units.top.push_back(unit);
  }
  input.units.other_cost_bytes = bytes.number(5);
  total_cost += input.units.other_cost_bytes;

  const std::string text = jmem::metrics::formatMetrics(input);
  const auto parsed = jmem::test::parseExposition(text);
  require(parsed.ok());

  const auto* units = jmem::test::findFamily(*parsed, "jmem_unit_cost_bytes");
  require(units != nullptr && units->samples.size() <= input.units.top.size() + 1);
  double published = 0;
  std::map<std::pair<std::string, std::string>, double> series;
  for (const auto& sample : units->samples) {
    published += sample.value;
    series[{labelOf(sample, "manager"), labelOf(sample, "unit")}] += sample.value;
  }
  require(published == static_cast<double>(total_cost));
  for (const auto& unit : input.units.top) {
    if (survivesUnchanged(unit.unit) && survivesUnchanged(unit.manager)) {
      require(series.count({unit.manager, unit.unit}) == 1);
    }
  }
  const auto* build = jmem::test::findFamily(*parsed, "jmem_build_info");
  require(build != nullptr && build->samples.size() == 1);
  if (survivesUnchanged(input.version)) require(labelOf(build->samples[0], "version") == input.version);
  return 0;
}
