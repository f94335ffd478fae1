// OpenMetrics text: a streaming parser with zero allocations per sample, and a buffered writer.
//
// The parser accepts the OpenMetrics 1.0 text format as exporters and promtool use it:
//   # TYPE <family> <type>      # HELP <family> <text>      # UNIT <family> <unit>
//   name{label="value",...} value [timestamp] [# {exemplar labels} value [timestamp]]
//   # EOF                        (required, last; only whitespace may follow)
// Label values may contain the escapes \\ \" \n. Values are floats incl. NaN, +Inf, -Inf and
// exponents. Timestamps are in SECONDS with an optional fraction and are reported in
// milliseconds. Exemplars are skipped. Empty lines and other comments are ignored (leniency for
// the Prometheus text format). Errors name the file and the line:
//   usage.om:1234: expected '=' after label name "pod"
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>

#include "model/error.h"

namespace trimtab::source {

struct Label {
  std::string_view name, value;
};

// One sample. All views are valid only during SampleSink::onSample: they point into the
// input text or into the parser's reusable buffers.
struct Sample {
  std::string_view metric;
  const Label* labels = nullptr;  // label_count labels in input order
  std::size_t label_count = 0;
  double value = 0;
  std::int64_t timestamp_ms = 0;  // valid when has_timestamp
  bool has_timestamp = false;
};

class SampleSink {
 public:
  virtual ~SampleSink();
  virtual void onSample(const Sample& sample) = 0;
  // Called for each "# TYPE family type" line; the default ignores it.
  virtual void onType(std::string_view family, std::string_view type);
  // Asked at each "# TYPE family" line; returning false lets the parser skip that family's
  // sample lines without parsing them (a consumer reading a file in several passes parses each
  // family once). A skipped line that does not start with the family's name is parsed anyway.
  virtual bool wantFamily(std::string_view family);
};

// Parses the whole text, calling sink.onSample for each sample in input order.
// source_name is used in error messages (usually the file name). On error, the samples before
// the bad line have already been delivered.
Status parseOpenMetrics(std::string_view text, std::string_view source_name, SampleSink& sink);

// Maps the file (mmap; one read as a fallback) and parses it; errors name the path.
Status parseOpenMetricsFile(const std::string& path, SampleSink& sink);

// Buffered OpenMetrics writer. Writes to a FILE* (not owned, not closed) or appends to a
// std::string. Timestamps are written in seconds (with a millisecond fraction when needed).
// Not thread-safe. Call finish() once at the end: it writes "# EOF" and flushes.
// Counters: declare family "x_seconds" with type "counter" and write samples named
// "x_seconds_total".
class OpenMetricsWriter {
 public:
  explicit OpenMetricsWriter(std::FILE* out);
  explicit OpenMetricsWriter(std::string* out);
  OpenMetricsWriter(const OpenMetricsWriter&) = delete;
  OpenMetricsWriter& operator=(const OpenMetricsWriter&) = delete;
  ~OpenMetricsWriter();

  // Writes # TYPE, then # UNIT and # HELP when non-empty.
  void family(std::string_view name, std::string_view type, std::string_view help,
              std::string_view unit = {});
  void sample(std::string_view metric, std::span<const Label> labels, double value,
              std::int64_t timestamp_ms);
  // For hot loops writing many samples of one series: series is `name{labels}` as built by
  // seriesText(); writes "series value timestamp\n".
  void sample(std::string_view series, double value, std::int64_t timestamp_ms);
  // Returns `metric{a="x",b="y"}` with escaped label values (just `metric` without labels).
  static std::string seriesText(std::string_view metric, std::span<const Label> labels);

  // Writes "# EOF\n" and flushes. Reports a write error on the FILE*, naming what.
  Status finish(std::string_view what = "openmetrics output");

 private:
  void flushIfFull();
  void flush();
  void appendValue(double value);
  void appendTimestamp(std::int64_t timestamp_ms);

  std::FILE* file_ = nullptr;
  std::string* target_ = nullptr;
  std::string buffer_;
  bool write_failed_ = false;
  bool finished_ = false;
};

}  // namespace trimtab::source
