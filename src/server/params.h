// Query-string parsing and the OpenCost/Kubecost request parameters of Trimtab's HTTP API.
// Everything here is outside input: every error is kInvalidArgument naming the parameter, the
// value and what was expected; nothing here throws or aborts (fuzzed: tests/fuzz/server).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cost/filter.h"
#include "model/error.h"
#include "query/allocation_reader.h"

namespace trimtab::server {

// Decoded key/value pairs in request order. Percent-escapes are decoded; '+' is a space
// (HTML form encoding, as Go's url.ParseQuery does) except inside `filter`, where a literal
// '+' is the v2.1 AND operator and clients commonly send it unescaped.
class Params {
 public:
  static Result<Params> parse(std::string_view query);

  // The last value given for a name (Go's Query().Get returns the first; OpenCost clients
  // never repeat parameters, and the last one wins is what curl -G users expect).
  std::optional<std::string_view> get(std::string_view name) const;
  std::string_view getOr(std::string_view name, std::string_view fallback) const;
  // Go strconv.ParseBool spellings: 1 t T TRUE true True 0 f F FALSE false False.
  Result<bool> boolean(std::string_view name, bool fallback) const;
  Result<long long> integer(std::string_view name, long long fallback, long long min, long long max) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Percent-decodes one component; `plus_is_space` per the rule above. Errors on a malformed
// escape ("%G1", "%4") naming its position.
Result<std::string> percentDecode(std::string_view text, bool plus_is_space);

struct ApiLimits {
  double max_window_days = 400;  // longer windows are refused (400)
  std::size_t max_steps = 10000;  // window / step
};

enum class OutputFormat { kJson, kCsv };

struct AllocationParams {
  query::AllocationRequest request;
  OutputFormat format = OutputFormat::kJson;
  std::size_t offset = 0;
  std::optional<std::size_t> limit;  // per step, after sorting by total cost (Kubecost)
  // Canonical form of every parameter that changes the answer (window resolved to Unix
  // seconds): the cache key.
  std::string normalized;
};

// /allocation, /allocation/compute, /allocation/summary (and under /model/).
// `now` resolves relative windows; the resolved window is hour-aligned outward.
Result<AllocationParams> parseAllocationParams(const Params& params, UnixSeconds now,
                                               const ApiLimits& limits);

struct AssetParams {
  cost::Window window;
  std::optional<cost::Filter> filter;
  std::string cluster;
  OutputFormat format = OutputFormat::kJson;
  std::size_t offset = 0;
  std::optional<std::size_t> limit;
  std::string normalized;
};

Result<AssetParams> parseAssetParams(const Params& params, UnixSeconds now, const ApiLimits& limits);

// GET /api/v1/recommendations: window (default 14d), strategy (auto|vpa|krr|autopilot),
// filter (allocation filter v2.1), cluster, minHistoryHours.
struct RecommendationParams {
  cost::Window window;
  std::string strategy = "auto";
  std::string filter, cluster;
  double min_history_hours = 24;
  std::string normalized;
};

Result<RecommendationParams> parseRecommendationParams(const Params& params, UnixSeconds now,
                                                       const ApiLimits& limits);

}  // namespace trimtab::server
