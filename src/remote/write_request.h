// Prometheus remote-write 1.0: snappy-compressed protobuf `prometheus.WriteRequest`.
//
// The protobuf wire format is decoded by hand (no generated code): only the fields Trimtab
// needs, zero-copy views into the decompressed buffer, unknown fields skipped as the protobuf
// rules require (exemplars, native histograms, metadata). Field numbers as upstream:
//   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }   // milliseconds
// Every malformed input is an error naming the byte offset and what was expected; nothing
// here reads out of bounds (fuzzed: tests/fuzz/remote).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"
#include "source/snapshot/openmetrics.h"

namespace trimtab::remote {

struct DecodeStats {
  std::uint64_t series = 0;
  std::uint64_t samples = 0;
  std::int64_t min_timestamp_ms = 0, max_timestamp_ms = 0;  // over all samples (0 when none)
};

// Snappy block format (not framed), as remote-write sends it. Refuses an uncompressed size
// over max_bytes before allocating.
Result<std::string> snappyUncompress(std::string_view compressed, std::size_t max_bytes);
std::string snappyCompress(std::string_view raw);

// Walks a decoded WriteRequest, calling sink.onSample for every sample (metric = the
// `__name__` label, labels = the other labels in order). With sink == nullptr it only
// validates and counts.
Result<DecodeStats> decodeWriteRequest(std::string_view protobuf, source::SampleSink* sink);

// Encodes a WriteRequest (for tests, benchmarks and the WAL's own records): one TimeSeries
// per entry, labels in the given order (`__name__` first by convention).
struct Series {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<double, std::int64_t>> samples;  // value, timestamp ms
};
std::string encodeWriteRequest(const std::vector<Series>& series);

}  // namespace trimtab::remote
