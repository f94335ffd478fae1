#include "server/params.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "cost/aggregate.h"
#include "cost/window.h"

namespace trimtab::server {

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error badParam(std::string_view name, std::string_view value, std::string_view expected) {
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("parameter {}=\"{}\": expected {}", name, value, expected)};
}

std::vector<std::string> splitComma(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    std::string_view item = s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// Window + the limit on its length; hour-aligned outward.
Result<cost::Window> windowParam(const Params& params, UnixSeconds now, const ApiLimits& limits,
                                 std::string_view fallback = {}) {
  auto text = params.get("window");
  if ((!text || text->empty()) && !fallback.empty()) text = fallback;
  if (!text || text->empty()) {
    return fail(ErrorCode::kInvalidArgument,
                "parameter window is required, e.g. window=7d, window=today or "
                "window=2024-01-01T00:00:00Z,2024-01-02T00:00:00Z");
  }
  int utc_offset = 0;
  if (auto offset = params.get("utcOffset"); offset && !offset->empty()) {
    auto parsed = cost::parseUtcOffset(*offset);
    if (!parsed) return fail(badParam("utcOffset", *offset, "+HH:MM or -HH:MM"));
    utc_offset = *parsed;
  }
  auto w = cost::parseWindow(*text, now, utc_offset);
  if (!w) return fail(w.error().withContext("parameter window"));
  cost::Window aligned = *w;
  aligned.start = aligned.start - ((aligned.start % 3600) + 3600) % 3600;
  aligned.end = aligned.end + (3600 - ((aligned.end % 3600) + 3600) % 3600) % 3600;
  if (aligned.end <= aligned.start) {
    return fail(badParam("window", *text, "a window with its end after its start"));
  }
  if (aligned.hours() > limits.max_window_days * 24) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("parameter window=\"{}\" spans {:.1f} days; this server allows at most "
                            "{:g} days per query",
                            *text, aligned.hours() / 24, limits.max_window_days));
  }
  return aligned;
}

Result<OutputFormat> formatParam(const Params& params) {
  const std::string_view f = params.getOr("format", "json");
  if (f == "json" || f.empty()) return OutputFormat::kJson;
  if (f == "csv") return OutputFormat::kCsv;
  return fail(badParam("format", f, "json or csv"));
}

Status pagingParams(const Params& params, std::size_t& offset, std::optional<std::size_t>& limit) {
  auto o = params.integer("offset", 0, 0, 1'000'000'000);
  if (!o) return fail(o.error());
  offset = static_cast<std::size_t>(*o);
  if (auto l = params.get("limit"); l && !l->empty()) {
    auto parsed = params.integer("limit", 0, 0, 1'000'000'000);
    if (!parsed) return fail(parsed.error());
    limit = static_cast<std::size_t>(*parsed);
  }
  return {};
}

}  // namespace

Result<std::string> percentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("malformed percent-escape at byte {} of \"{}\"", i, text));
      }
      const int hi = hexValue(text[i + 1]), lo = hexValue(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("malformed percent-escape at byte {} of \"{}\"", i, text));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<Params> Params::parse(std::string_view query) {
  Params p;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view item = query.substr(start, amp - start);
    if (!item.empty()) {
      const std::size_t eq = item.find('=');
      const std::string_view raw_key = item.substr(0, eq);
      const std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
      auto key = percentDecode(raw_key, true);
      if (!key) return fail(key.error().withContext("query string"));
      auto value = percentDecode(raw_value, *key != "filter");
      if (!value) return fail(value.error().withContext(fmt::format("parameter {}", *key)));
      p.items_.emplace_back(std::move(*key), std::move(*value));
    }
    start = amp + 1;
  }
  return p;
}

std::optional<std::string_view> Params::get(std::string_view name) const {
  for (auto it = items_.rbegin(); it != items_.rend(); ++it) {
    if (it->first == name) return std::string_view(it->second);
  }
  return std::nullopt;
}

std::string_view Params::getOr(std::string_view name, std::string_view fallback) const {
  auto v = get(name);
  return v ? *v : fallback;
}

Result<bool> Params::boolean(std::string_view name, bool fallback) const {
  auto v = get(name);
  if (!v || v->empty()) return fallback;
  static constexpr std::string_view kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::string_view kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
  if (std::find(std::begin(kTrue), std::end(kTrue), *v) != std::end(kTrue)) return true;
  if (std::find(std::begin(kFalse), std::end(kFalse), *v) != std::end(kFalse)) return false;
  return fail(badParam(name, *v, "true or false"));
}

Result<long long> Params::integer(std::string_view name, long long fallback, long long min,
                                  long long max) const {
  auto v = get(name);
  if (!v || v->empty()) return fallback;
  const std::string text(*v);
  char* end = nullptr;
  errno = 0;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || errno == ERANGE || n < min || n > max) {
    return fail(badParam(name, *v, fmt::format("an integer from {} to {}", min, max)));
  }
  return n;
}

Result<AllocationParams> parseAllocationParams(const Params& params, UnixSeconds now,
                                               const ApiLimits& limits) {
  AllocationParams out;
  auto window = windowParam(params, now, limits);
  if (!window) return fail(window.error());
  out.request.window = *window;

  if (auto step = params.get("step"); step && !step->empty()) {
    auto d = cost::parseDuration(*step);
    if (!d) return fail(d.error().withContext("parameter step"));
    if (*d < 3600 || std::fmod(*d, 3600) != 0) {
      return fail(badParam("step", *step, "a whole number of hours, e.g. 1h, 1d or 1w"));
    }
    if (window->hours() * 3600 / *d > static_cast<double>(limits.max_steps)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("parameter step=\"{}\" gives more than {} steps over the window", *step,
                              limits.max_steps));
    }
    out.request.step_seconds = *d;
  }
  // resolution is OpenCost's Prometheus subquery step. Trimtab integrates exactly, so it does
  // not change results; it is still validated so a typo is not silently accepted.
  if (auto res = params.get("resolution"); res && !res->empty()) {
    auto d = cost::parseDuration(*res);
    if (!d) return fail(d.error().withContext("parameter resolution"));
  }

  cost::AllocationQuery& q = out.request.query;
  q.aggregate = splitComma(params.getOr("aggregate", ""));
  if (auto s = cost::validateAggregate(q.aggregate); !s) {
    return fail(s.error().withContext("parameter aggregate"));
  }

  auto flag = [&](std::string_view name, bool fallback, bool& target) -> Status {
    auto b = params.boolean(name, fallback);
    if (!b) return fail(b.error());
    target = *b;
    return {};
  };
  bool include_idle = false, idle_alias = false, accumulate_all = false, share_tenancy = true;
  if (auto s = flag("includeIdle", false, include_idle); !s) return fail(s.error());
  if (auto s = flag("idle", false, idle_alias); !s) return fail(s.error());  // Kubecost spelling
  if (auto s = flag("shareIdle", false, q.share_idle); !s) return fail(s.error());
  if (auto s = flag("idleByNode", false, q.idle_by_node); !s) return fail(s.error());
  if (auto s = flag("splitIdle", false, q.split_idle); !s) return fail(s.error());
  if (auto s = flag("includeAggregatedMetadata", false, q.include_aggregated_metadata); !s) return fail(s.error());
  if (auto s = flag("includeProportionalAssetResourceCosts", false,
                    q.include_proportional_asset_resource_costs);
      !s) {
    return fail(s.error());
  }
  if (auto s = flag("includeSharedCostBreakdown", false, q.include_shared_cost_breakdown); !s) {
    return fail(s.error());
  }
  // Kubecost: tenancy costs are the cluster management fee and node-attached volumes. Trimtab
  // records neither as a separate asset, so there is nothing extra to share; the flag is
  // accepted for compatibility.
  if (auto s = flag("shareTenancyCosts", true, share_tenancy); !s) return fail(s.error());
  q.include_idle = include_idle || idle_alias || q.share_idle ||
                   q.include_proportional_asset_resource_costs;

  if (auto f = params.get("filter"); f && !f->empty()) {
    auto parsed = cost::parseAllocationFilter(*f);
    if (!parsed) return fail(parsed.error().withContext("parameter filter"));
    q.filter = std::move(*parsed);
  }
  q.share_namespaces = splitComma(params.getOr("shareNamespaces", ""));
  for (const std::string& item : splitComma(params.getOr("shareLabels", ""))) {
    const auto colon = item.find(':');
    if (colon == std::string::npos || colon == 0) {
      return fail(badParam("shareLabels", item, "KEY:VALUE[,KEY:VALUE...]"));
    }
    q.share_labels.emplace_back(item.substr(0, colon), item.substr(colon + 1));
  }
  if (auto c = params.get("shareCost"); c && !c->empty()) {
    const std::string text(*c);
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !(v >= 0) || !std::isfinite(v)) {
      return fail(badParam("shareCost", *c, "dollars per month, e.g. 300"));
    }
    q.share_cost_monthly = v;
  }
  const std::string_view split = params.getOr("shareSplit", "weighted");
  if (split == "weighted" || split.empty()) {
    q.share_split = cost::ShareSplit::kWeighted;
  } else if (split == "even") {
    q.share_split = cost::ShareSplit::kEven;
  } else {
    return fail(badParam("shareSplit", split, "weighted or even"));
  }

  if (auto s = flag("accumulate", false, accumulate_all); !s) {
    // Kubecost also accepts accumulate=<period>.
    auto by = cost::parseAccumulate(params.getOr("accumulate", ""));
    if (!by) return fail(s.error());
    out.request.accumulate = *by;
  } else if (accumulate_all) {
    out.request.accumulate = cost::Accumulate::kAll;
  }
  if (auto by = params.get("accumulateBy"); by && !by->empty()) {
    auto parsed = cost::parseAccumulate(*by);
    if (!parsed) return fail(badParam("accumulateBy", *by, "all, hour, day, week, month or quarter"));
    out.request.accumulate = *parsed;
  }
  out.request.cluster = std::string(params.getOr("cluster", ""));

  auto format = formatParam(params);
  if (!format) return fail(format.error());
  out.format = *format;
  if (auto s = pagingParams(params, out.offset, out.limit); !s) return fail(s.error());

  // The cache key: the resolved window plus every answer-changing parameter in a fixed order.
  out.normalized = fmt::format(
      "w={},{};s={};a={};i={}{}{}{}{}{}{};f={};sn={};sl={};sc={};ss={};acc={};c={};fmt={};o={};l={}",
      out.request.window.start, out.request.window.end, out.request.step_seconds,
      params.getOr("aggregate", ""), q.include_idle, q.share_idle, q.idle_by_node, q.split_idle,
      q.include_aggregated_metadata, q.include_proportional_asset_resource_costs,
      q.include_shared_cost_breakdown, params.getOr("filter", ""), params.getOr("shareNamespaces", ""),
      params.getOr("shareLabels", ""), q.share_cost_monthly, static_cast<int>(q.share_split),
      static_cast<int>(out.request.accumulate), out.request.cluster, static_cast<int>(out.format),
      out.offset, out.limit ? static_cast<long long>(*out.limit) : -1LL);
  return out;
}

Result<AssetParams> parseAssetParams(const Params& params, UnixSeconds now, const ApiLimits& limits) {
  AssetParams out;
  auto window = windowParam(params, now, limits);
  if (!window) return fail(window.error());
  out.window = *window;
  if (auto f = params.get("filter"); f && !f->empty()) {
    auto parsed = cost::parseAssetFilter(*f);
    if (!parsed) return fail(parsed.error().withContext("parameter filter"));
    out.filter = std::move(*parsed);
  }
  out.cluster = std::string(params.getOr("cluster", ""));
  auto format = formatParam(params);
  if (!format) return fail(format.error());
  out.format = *format;
  if (auto s = pagingParams(params, out.offset, out.limit); !s) return fail(s.error());
  out.normalized = fmt::format("w={},{};f={};c={};fmt={};o={};l={}", out.window.start, out.window.end,
                               params.getOr("filter", ""), out.cluster, static_cast<int>(out.format),
                               out.offset, out.limit ? static_cast<long long>(*out.limit) : -1LL);
  return out;
}

Result<RecommendationParams> parseRecommendationParams(const Params& params, UnixSeconds now,
                                                       const ApiLimits& limits) {
  RecommendationParams out;
  auto window = windowParam(params, now, limits, "14d");
  if (!window) return fail(window.error());
  out.window = *window;
  out.strategy = std::string(params.getOr("strategy", "auto"));
  if (out.strategy != "auto" && out.strategy != "vpa" && out.strategy != "krr" && out.strategy != "autopilot") {
    return fail(badParam("strategy", out.strategy, "auto, vpa, krr or autopilot"));
  }
  out.filter = std::string(params.getOr("filter", ""));
  if (!out.filter.empty()) {
    auto parsed = cost::parseAllocationFilter(out.filter);
    if (!parsed) return fail(parsed.error().withContext("parameter filter"));
  }
  out.cluster = std::string(params.getOr("cluster", ""));
  auto hours = params.integer("minHistoryHours", 24, 1, 24 * 400);
  if (!hours) return fail(hours.error());
  out.min_history_hours = static_cast<double>(*hours);
  out.normalized = fmt::format("w={},{};s={};f={};c={};h={}", out.window.start, out.window.end, out.strategy,
                               out.filter, out.cluster, out.min_history_hours);
  return out;
}

}  // namespace trimtab::server
