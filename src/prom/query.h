// PromQL source: reads series from Prometheus or any backend speaking its HTTP query API
// (Thanos, Mimir, Cortex, VictoriaMetrics) through /api/v1/query_range.
//
// Queries are built so that query-frontend result caches hit and the backend is never asked for
// more than it must compute:
//   - start and end are multiples of the step (the frontends' cache keys are step-aligned);
//   - every selector carries the user's label matchers (cluster, namespace, tenant labels);
//   - one query covers at most `max_points_per_series` steps and at most one day;
//   - `concurrency` queries run at once, no more.
// Answers are decoded with simdjson On-Demand straight from the response buffer; samples reach a
// source::SampleSink with their series' labels, as the OpenMetrics parser delivers them, so the
// same Folder consumes files, remote-write and PromQL.
//
// Errors: a 4xx answer (bad_data, execution) is the query's fault — it is reported at once with
// the backend's errorType and error, never retried; 429 and 5xx are retried by the HTTP client
// (jittered backoff, Retry-After) and then reported as the backend being unavailable.
// Warnings in an answer (Prometheus "warnings", Thanos partial responses) are collected. Every
// query sends partial_response=false unless partial responses are allowed, so a Thanos querier
// fails the query instead of answering without a store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/client.h"
#include "model/clock.h"
#include "model/error.h"
#include "source/snapshot/openmetrics.h"

namespace trimtab::prom {

// One label matcher: name, op (=, !=, =~, !~) and the unquoted value.
struct Matcher {
  std::string name, op, value;
  bool operator==(const Matcher&) const = default;
};

// Parses `cluster="prod",namespace=~"team-.*"` (optionally inside braces). Values use PromQL's
// double-quoted string escapes. Errors name the offset and what was expected.
Result<std::vector<Matcher>> parseMatchers(std::string_view text);

// `metric{m1,m2}` with values re-quoted; matchers named "namespace" are dropped when
// `namespaced` is false (node and volume series carry no namespace label).
std::string selector(std::string_view metric, const std::vector<Matcher>& matchers, bool namespaced = true);

// A duration in PromQL syntax ("59999ms", "5m"); milliseconds in, no rounding.
std::string promDuration(std::int64_t milliseconds);

struct SourceOptions {
  std::string url;  // base URL, e.g. http://prometheus:9090 or https://thanos/prefix
  http::ClientOptions http;
  // Extra request headers, e.g. {"X-Scope-OrgID", "tenant"} for Mimir/Cortex.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<Matcher> matchers;
  int concurrency = 4;
  // Prometheus refuses more than 11,000 points per series in one query.
  std::int64_t max_points_per_series = 11'000;
  // Sent as partial_response=true|false (Thanos): whether a querier may answer without a store.
  bool allow_partial = false;
};

// One series of a matrix answer, handed to a SeriesFn. Views are valid during the call only.
struct Series {
  const source::Label* labels = nullptr;  // as in the answer (without __name__ when present)
  std::size_t label_count = 0;
  const std::pair<std::int64_t, double>* points = nullptr;  // (timestamp ms, value), ascending
  std::size_t point_count = 0;
};
using SeriesFn = std::function<void(const Series&)>;

struct QueryStats {
  std::uint64_t queries = 0, series = 0, points = 0, bytes = 0;
  std::vector<std::string> warnings;  // "<query>: <warning>"
};

class Source {
 public:
  static Result<std::unique_ptr<Source>> create(SourceOptions options);
  ~Source();
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  const SourceOptions& options() const { return options_; }

  // GET /api/v1/query_range for [start_ms, end_ms] at step_ms (the caller aligns them); every
  // series of the matrix answer goes to fn, in answer order. Thread-safe.
  Status queryRange(std::string_view promql, std::int64_t start_ms, std::int64_t end_ms, std::int64_t step_ms,
                    const SeriesFn& fn, QueryStats* stats = nullptr);

  // GET /api/v1/query at time_ms; the result must be a matrix (a range selector) or a vector
  // (points then hold one value each). Thread-safe.
  Status queryInstant(std::string_view promql, std::int64_t time_ms, const SeriesFn& fn,
                      QueryStats* stats = nullptr);

  // The median gap between raw samples of kube_node_status_capacity{resource="cpu"} (a few
  // series, always present with kube-state-metrics) in the 30 minutes before time_ms.
  // nullopt when there are no such samples.
  Result<std::optional<std::int64_t>> detectScrapeIntervalMs(std::int64_t time_ms);

  // Fetches each (metric, query) concurrently (at most `concurrency` at once) and delivers their
  // series to fn IN THE GIVEN ORDER (so results never depend on network timing), the series of one
  // query contiguously, calls never overlapping. At most `concurrency` answers are held at once.
  struct Task {
    std::string metric;  // the name the samples carry (functions drop __name__)
    std::string promql;
  };
  using TaskSeriesFn = std::function<void(std::size_t task, const Series&)>;
  Status queryRangeAll(const std::vector<Task>& tasks, std::int64_t start_ms, std::int64_t end_ms,
                       std::int64_t step_ms, const TaskSeriesFn& fn, QueryStats* stats = nullptr);

 struct Impl;

 private:
  explicit Source(SourceOptions options);
  SourceOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Decodes a Prometheus API answer body (the envelope {"status", "data": {"resultType", "result"},
// "warnings", "errorType", "error"}), calling fn for each series of a matrix or vector result.
// `what` names the query in errors. Exposed for tests and the fuzzer. body must have at least
// 64 bytes of capacity past its size (simdjson padding); decodeAnswer reserves it when not.
Status decodeAnswer(std::string& body, std::string_view what, const SeriesFn& fn,
                    QueryStats* stats);

}  // namespace trimtab::prom
