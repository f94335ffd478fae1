#include "source/snapshot/openmetrics.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace trimtab::source {
namespace {

struct OwnedSample {
  std::string metric;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  std::int64_t timestamp_ms = 0;
  bool has_timestamp = false;
};

class Collect : public SampleSink {
 public:
  void onSample(const Sample& s) override {
    OwnedSample o;
    o.metric = std::string(s.metric);
    for (std::size_t i = 0; i < s.label_count; ++i) {
      o.labels.emplace_back(std::string(s.labels[i].name), std::string(s.labels[i].value));
    }
    o.value = s.value;
    o.timestamp_ms = s.timestamp_ms;
    o.has_timestamp = s.has_timestamp;
    samples.push_back(std::move(o));
  }
  void onType(std::string_view family, std::string_view type) override {
    types.emplace_back(std::string(family), std::string(type));
  }
  std::vector<OwnedSample> samples;
  std::vector<std::pair<std::string, std::string>> types;
};

std::string parseError(std::string_view text) {
  Collect c;
  auto st = parseOpenMetrics(text, "usage.om", c);
  if (st) return "";
  return st.error().message;
}

TEST(SourceOpenMetricsParser, ParsesFamiliesLabelsValuesAndTimestamps) {
  Collect c;
  auto st = parseOpenMetrics(
      "# TYPE container_cpu_usage_seconds counter\n"
      "# UNIT container_cpu_usage_seconds seconds\n"
      "# HELP container_cpu_usage_seconds Cumulative cpu time consumed.\n"
      "container_cpu_usage_seconds_total{namespace=\"shop\",pod=\"web-1\",container=\"web\"} "
      "12.5 1714521600\n"
      "container_cpu_usage_seconds_total{namespace=\"shop\",pod=\"web-1\",container=\"web\"} "
      "1.25e3 1714521660.5\n"
      "up 1\n"
      "# EOF\n",
      "x.om", c);
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_EQ(c.samples.size(), 3u);
  ASSERT_EQ(c.types.size(), 1u);
  EXPECT_EQ(c.types[0].second, "counter");
  const auto& a = c.samples[0];
  EXPECT_EQ(a.metric, "container_cpu_usage_seconds_total");
  ASSERT_EQ(a.labels.size(), 3u);
  EXPECT_EQ(a.labels[1].first, "pod");
  EXPECT_EQ(a.labels[1].second, "web-1");
  EXPECT_DOUBLE_EQ(a.value, 12.5);
  EXPECT_TRUE(a.has_timestamp);
  EXPECT_EQ(a.timestamp_ms, 1714521600000);
  EXPECT_DOUBLE_EQ(c.samples[1].value, 1250);
  EXPECT_EQ(c.samples[1].timestamp_ms, 1714521660500);
  EXPECT_FALSE(c.samples[2].has_timestamp);
  EXPECT_TRUE(c.samples[2].labels.empty());
}

TEST(SourceOpenMetricsParser, UnescapesLabelValues) {
  Collect c;
  auto st = parseOpenMetrics(
      "m{a=\"back\\\\slash\",b=\"q\\\"uote\",c=\"new\\nline\",d=\"plain\"} 1 1\n# EOF\n", "x.om",
      c);
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_EQ(c.samples.size(), 1u);
  const auto& l = c.samples[0].labels;
  ASSERT_EQ(l.size(), 4u);
  EXPECT_EQ(l[0].second, "back\\slash");
  EXPECT_EQ(l[1].second, "q\"uote");
  EXPECT_EQ(l[2].second, "new\nline");
  EXPECT_EQ(l[3].second, "plain");
}

TEST(SourceOpenMetricsParser, SpecialValuesAndExponents) {
  Collect c;
  auto st = parseOpenMetrics(
      "a NaN\nb +Inf\nc -Inf\nd 1e-3\ne -2.5E+2\nf +7\ng 0x\n# EOF\n", "x.om", c);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "x.om:7: invalid value \"0x\" for metric \"g\"");
  ASSERT_EQ(c.samples.size(), 6u);
  EXPECT_TRUE(std::isnan(c.samples[0].value));
  EXPECT_EQ(c.samples[1].value, INFINITY);
  EXPECT_EQ(c.samples[2].value, -INFINITY);
  EXPECT_DOUBLE_EQ(c.samples[3].value, 0.001);
  EXPECT_DOUBLE_EQ(c.samples[4].value, -250);
  EXPECT_DOUBLE_EQ(c.samples[5].value, 7);
}

TEST(SourceOpenMetricsParser, SkipsExemplars) {
  Collect c;
  auto st = parseOpenMetrics(
      "# TYPE rq counter\nrq_total{path=\"/\"} 17 1700000000.25 # {trace_id=\"abc\"} 0.5 1700000000\n"
      "rq_total{path=\"/x\"} 3 # {trace_id=\"d\"} 1\n# EOF", "x.om", c);
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_EQ(c.samples.size(), 2u);
  EXPECT_EQ(c.samples[0].timestamp_ms, 1700000000250);
  EXPECT_FALSE(c.samples[1].has_timestamp);
  EXPECT_DOUBLE_EQ(c.samples[1].value, 3);
}

TEST(SourceOpenMetricsParser, RequiresEofAtTheEnd) {
  EXPECT_EQ(parseError("a 1 1\n"), "usage.om: missing '# EOF' at the end (truncated file?)");
  EXPECT_EQ(parseError(""), "usage.om: missing '# EOF' at the end (truncated file?)");
  EXPECT_EQ(parseError("a 1 1\n# EOF\nb 2 2\n"), "usage.om:3: content after '# EOF'");
  EXPECT_EQ(parseError("a 1 1\n# EOF\n\n  \n"), "");
  EXPECT_EQ(parseError("# EOF"), "");
}

TEST(SourceOpenMetricsParser, BadLinesNameFileAndLine) {
  EXPECT_EQ(parseError("# TYPE a gauge\na{pod} 1\n# EOF\n"),
            "usage.om:2: expected '=' after label name \"pod\"");
  EXPECT_EQ(parseError("a{pod=x} 1\n# EOF\n"),
            "usage.om:1: expected '\"' to open the value of label \"pod\"");
  EXPECT_EQ(parseError("a{pod=\"x} 1\n# EOF\n"), "usage.om:1: unterminated value of label \"pod\"");
  EXPECT_EQ(parseError("a{pod=\"x\\q\"} 1\n# EOF\n"),
            "usage.om:1: invalid escape '\\q' in value of label \"pod\"");
  EXPECT_EQ(parseError("a{pod=\"x\" ns=\"y\"} 1\n# EOF\n"),
            "usage.om:1: expected ',' or '}' after the value of label \"pod\"");
  EXPECT_EQ(parseError("a{1=\"x\"} 1\n# EOF\n"),
            "usage.om:1: expected a label name or '}' in metric \"a\"");
  EXPECT_EQ(parseError("a\n# EOF\n"), "usage.om:1: missing value for metric \"a\"");
  EXPECT_EQ(parseError("a 1 yesterday\n# EOF\n"),
            "usage.om:1: invalid timestamp \"yesterday\" for metric \"a\"");
  EXPECT_EQ(parseError("a 1 2 3\n# EOF\n"),
            "usage.om:1: unexpected text \"3\" after the sample of metric \"a\"");
  EXPECT_EQ(parseError("9a 1\n# EOF\n"), "usage.om:1: expected a metric name at the start of the line");
  EXPECT_EQ(parseError("# TYPE a sideways\n# EOF\n"),
            "usage.om:1: unknown metric type \"sideways\" for \"a\"");
  EXPECT_EQ(parseError("a{x=\"1\"}} 1\n# EOF\n"), "usage.om:1: unexpected character '}' after metric \"a\"");
}

TEST(SourceOpenMetricsParser, EmptyLabelSetAndLeniency) {
  Collect c;
  auto st = parseOpenMetrics("a{} 1 10\r\n\n# random comment\nb{x=\"1\",} 2 20.001\n# EOF\n",
                             "x.om", c);
  ASSERT_TRUE(st) << st.error().message;
  ASSERT_EQ(c.samples.size(), 2u);
  EXPECT_EQ(c.samples[0].timestamp_ms, 10000);
  EXPECT_EQ(c.samples[1].timestamp_ms, 20001);
}

TEST(SourceOpenMetricsWriter, RoundTripsThroughTheParser) {
  std::string text;
  OpenMetricsWriter w(&text);
  w.family("container_cpu_usage_seconds", "counter", "Cumulative cpu time.\nLine two", "seconds");
  Label labels[] = {{"namespace", "shop"}, {"pod", "we\"ird\\pod\nname"}};
  w.sample("container_cpu_usage_seconds_total", labels, 0.1, 1714521600000);
  w.sample("container_cpu_usage_seconds_total", labels, 1e300, 1714521600123);
  w.sample("container_cpu_usage_seconds_total", labels, NAN, -1500);
  w.family("g", "gauge", "");
  std::string series = OpenMetricsWriter::seriesText("g", {});
  w.sample(series, -INFINITY, 5);
  w.sample(series, 3.0000000000000004, 6);
  ASSERT_TRUE(w.finish());
  EXPECT_NE(text.find("# TYPE container_cpu_usage_seconds counter\n"), std::string::npos);
  EXPECT_NE(text.find(" 0.1 1714521600\n"), std::string::npos);
  EXPECT_NE(text.find(" 1714521600.123\n"), std::string::npos);
  EXPECT_TRUE(text.ends_with("# EOF\n"));

  Collect c;
  auto st = parseOpenMetrics(text, "rt.om", c);
  ASSERT_TRUE(st) << st.error().message << "\n" << text;
  ASSERT_EQ(c.samples.size(), 5u);
  EXPECT_EQ(c.samples[0].labels[1].second, "we\"ird\\pod\nname");
  EXPECT_EQ(c.samples[0].value, 0.1);
  EXPECT_EQ(c.samples[1].value, 1e300);
  EXPECT_EQ(c.samples[1].timestamp_ms, 1714521600123);
  EXPECT_TRUE(std::isnan(c.samples[2].value));
  EXPECT_EQ(c.samples[2].timestamp_ms, -1500);
  EXPECT_EQ(c.samples[3].value, -INFINITY);
  EXPECT_EQ(c.samples[4].value, 3.0000000000000004);
  EXPECT_EQ(c.samples[4].timestamp_ms, 6);
}

TEST(SourceOpenMetricsWriter, WritesToFile) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    OpenMetricsWriter w(f);
    w.family("a", "gauge", "h");
    for (int i = 0; i < 20000; ++i) w.sample("a", {}, i, i * 1000);
    ASSERT_TRUE(w.finish());
  }
  std::string text;
  std::rewind(f);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  Collect c;
  ASSERT_TRUE(parseOpenMetrics(text, "f.om", c));
  ASSERT_EQ(c.samples.size(), 20000u);
  EXPECT_EQ(c.samples.back().value, 19999);
  EXPECT_EQ(c.samples.back().timestamp_ms, 19999000);
}

}  // namespace
}  // namespace trimtab::source

namespace trimtab::source {
namespace {

class CountingSink final : public SampleSink {
 public:
  explicit CountingSink(std::string_view skip) : skip_(skip) {}
  void onSample(const Sample& s) override { names.emplace_back(s.metric); }
  bool wantFamily(std::string_view family) override { return family != skip_; }
  std::vector<std::string> names;

 private:
  std::string_view skip_;
};

TEST(SourceOpenMetricsParser, UnwantedFamiliesAreSkippedButForeignLinesStillParse) {
  const std::string text =
      "# TYPE a gauge\na{x=\"1\"} 1 1\na{x=\"2\"} 2 1\n"
      "b_total 3 1\n"  // not family a: parsed even though a is skipped
      "# TYPE c counter\nc_total 4 1\n# EOF\n";
  CountingSink skip_a("a");
  ASSERT_TRUE(parseOpenMetrics(text, "t.om", skip_a));
  EXPECT_EQ(skip_a.names, (std::vector<std::string>{"b_total", "c_total"}));
  CountingSink all("");
  ASSERT_TRUE(parseOpenMetrics(text, "t.om", all));
  EXPECT_EQ(all.names.size(), 4u);
}

}  // namespace
}  // namespace trimtab::source
