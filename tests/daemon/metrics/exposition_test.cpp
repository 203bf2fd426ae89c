#include "metrics/exposition.h"

#include <catch2/catch.hpp>
#include <limits>

#include "exposition_parser.h"

using namespace jmem;
using namespace jmem::metrics;

TEST_CASE("label values escape backslash, double quote and newline and nothing else", "[metrics]") {
  CHECK(escapeLabelValue("plain.service") == "plain.service");
  CHECK(escapeLabelValue(R"(a\b)") == R"(a\\b)");
  CHECK(escapeLabelValue(R"(say "hi")") == R"(say \"hi\")");
  CHECK(escapeLabelValue("two\nlines") == R"(two\nlines)");
  CHECK(escapeLabelValue("tab\tstays") == "tab\tstays");
  CHECK(escapeLabelValue("dev-disk-by\\x2duuid.device") == "dev-disk-by\\\\x2duuid.device");
}

TEST_CASE("label values keep valid UTF-8 and replace each invalid byte", "[metrics]") {
  CHECK(escapeLabelValue("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(escapeLabelValue("\xf0\x9f\x98\x80") == "\xf0\x9f\x98\x80");
  CHECK(escapeLabelValue("a\xff"
                         "b") == "a?b");
  CHECK(escapeLabelValue("\xc3") == "?");                 // truncated sequence
  CHECK(escapeLabelValue("\xed\xa0\x80") == "???");       // a UTF-16 surrogate
  CHECK(escapeLabelValue("\xc0\xaf") == "??");            // overlong
  CHECK(escapeLabelValue("\xf4\x90\x80\x80") == "????");  // above U+10FFFF
}

TEST_CASE("help text escapes backslash and newline but keeps quotes", "[metrics]") {
  CHECK(escapeHelp(R"(a "quoted" \ word)") == R"(a "quoted" \\ word)");
  CHECK(escapeHelp("one\ntwo") == R"(one\ntwo)");
}

TEST_CASE("metric and label names follow the format's grammar", "[metrics]") {
  CHECK(isValidMetricName("jmem_memory_total_bytes"));
  CHECK(isValidMetricName("a:b_c9"));
  CHECK(isValidMetricName(":leading_colon"));
  CHECK_FALSE(isValidMetricName(""));
  CHECK_FALSE(isValidMetricName("9lives"));
  CHECK_FALSE(isValidMetricName("with-dash"));
  CHECK_FALSE(isValidMetricName("with space"));
  CHECK(isValidLabelName("unit"));
  CHECK(isValidLabelName("_x9"));
  CHECK_FALSE(isValidLabelName("__reserved"));
  CHECK_FALSE(isValidLabelName("a:b"));
  CHECK_FALSE(isValidLabelName("1st"));
}

TEST_CASE("values print exactly and read back as the same number", "[metrics]") {
  CHECK(formatValue(std::uint64_t{0}) == "0");
  CHECK(formatValue(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  CHECK(formatValue(0.1234) == "0.1234");
  CHECK(formatValue(1712345678.5) == "1712345678.5");
  CHECK(formatValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(formatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(formatValue(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  for (const double value : {1e-7, 0.3, 2.0 / 3.0, 123456789.000001, 1e300}) {
    CHECK(std::stod(formatValue(value)) == value);
  }
}

TEST_CASE("a family is written as HELP, TYPE and its samples, which parse back with their labels",
          "[metrics]") {
  Exposition out;
  out.family("demo_things_total", MetricType::kCounter, "Things \"counted\",\nwith a \\ in the help.");
  out.sample({{"kind", "a\"b"}, {"where", "x\ny"}}, std::uint64_t{7});
  out.sample({}, 0.5);
  out.family("demo_level", MetricType::kGauge, "A level.");
  out.renderedSample(renderLabels({{"unit", "u\\v"}}), "3");
  CHECK(
      out.text().starts_with("# HELP demo_things_total Things \"counted\",\\nwith a \\\\ in the help.\n"
                             "# TYPE demo_things_total counter\n"
                             "demo_things_total{kind=\"a\\\"b\",where=\"x\\ny\"} 7\n"));

  const auto parsed = test::parseExposition(out.text());
  INFO((parsed ? std::string() : parsed.error().message));
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 2);
  const auto& counter = (*parsed)[0];
  CHECK(counter.type == "counter");
  CHECK(counter.help == "Things \"counted\",\nwith a \\ in the help.");
  REQUIRE(counter.samples.size() == 2);
  CHECK(counter.samples[0].labels.at("kind") == "a\"b");
  CHECK(counter.samples[0].labels.at("where") == "x\ny");
  CHECK(counter.samples[0].value == 7);
  CHECK(counter.samples[1].labels.empty());
  CHECK(counter.samples[1].value == 0.5);
  CHECK((*parsed)[1].samples.at(0).labels.at("unit") == "u\\v");
}

TEST_CASE("the test's parser rejects what a scraper would reject", "[metrics]") {
  const char* bad[] = {
      "m 1\n",                                               // no HELP or TYPE
      "# HELP m h\n# TYPE m gauge\nm 1",                     // no final newline
      "# HELP m h\n# TYPE m gauge\nm 1\nm 2\n",              // duplicate series
      "# HELP m h\n# TYPE m gauge\nm{a=\"1\",a=\"2\"} 1\n",  // a label twice
      "# HELP m h\n# TYPE m gauge\nm{a=\"\\t\"} 1\n",        // unknown escape
      "# HELP m h\n# TYPE m gauge\nm 1 1712345678000\n",     // time stamp
      "# HELP m h\n# TYPE m gauge\nm{a=\"\xff\"} 1\n",       // invalid UTF-8
      "# HELP m h\n# TYPE m summary\nm 1\n",                 // a type it does not expect
      "# HELP m h\n# TYPE m gauge\nm 1\n# HELP n h\n# TYPE n gauge\n# HELP m h\n# TYPE m gauge\n",
      "# HELP m h\n# TYPE m gauge\nother 1\n",              // sample outside its family
      "# HELP m h\n# TYPE m gauge\n\nm 1\n",                // blank line
      "# HELP m h\n# TYPE m gauge\nm{__name__=\"x\"} 1\n",  // reserved label name
      "# HELP 1m h\n# TYPE 1m gauge\n1m 1\n",               // invalid name
      "# HELP m h\n# TYPE m gauge\nm one\n",                // not a number
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(test::parseExposition(text));
  }
  CHECK(test::parseExposition("# HELP m h\n# TYPE m gauge\nm{a=\"x\"} 1\nm{a=\"y\"} +Inf\n"));
}

TEST_CASE("labels with an empty value are left out, as Prometheus reads them", "[metrics]") {
  CHECK(renderLabels({{"a", "x"}, {"b", ""}, {"c", "z"}}) == "{a=\"x\",c=\"z\"}");
  CHECK(renderLabels({{"a", ""}}).empty());
  CHECK(renderLabels({}).empty());
}

TEST_CASE("the test's parser counts an empty label value as no label", "[metrics]") {
  CHECK_FALSE(test::parseExposition("# HELP m h\n# TYPE m gauge\nm 1\nm{a=\"\"} 2\n"));
}
