// Renderings of recommendations: JSON (the API body), YAML, CSV, Kubernetes quantities.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "model/time_format.h"
#include "recommend/recommend.h"
#include "model/json_text.h"

namespace trimtab::recommend {

using model::jsonString;

namespace {

// JSON has no infinity: unbounded values (VPA's upper bound without confidence) are null.
std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  return fmt::format("{}", v);
}

struct Field {
  std::string name, json;  // json: already rendered value
};

std::vector<Field> fieldsOf(const Recommendation& r) {
  std::vector<Field> f;
  auto s = [&](const char* n, std::string_view v) { f.push_back({n, jsonString(v)}); };
  auto d = [&](const char* n, double v) { f.push_back({n, num(v)}); };
  s("cluster", r.key.cluster);
  s("namespace", r.key.namespace_name);
  s("controllerKind", r.key.controller_kind);
  s("controller", r.key.controller);
  s("container", r.key.container);
  s("recommender", r.recommender);
  f.push_back({"sufficientData", r.sufficient ? "true" : "false"});
  d("historyHours", std::floor(r.history_hours));
  d("requiredHours", r.required_hours);
  d("replicas", r.replicas);
  d("currentCpuRequestCores", r.current.cpu_request_cores);
  d("currentMemoryRequestBytes", r.current.memory_request_bytes);
  d("cpuRequestCores", r.recommended.cpu_request_cores);
  d("cpuLimitCores", r.recommended.cpu_limit_cores);
  d("memoryRequestBytes", r.recommended.memory_request_bytes);
  d("memoryLimitBytes", r.recommended.memory_limit_bytes);
  d("cpuLowerBoundCores", r.cpu_lower_cores);
  d("cpuUpperBoundCores", r.cpu_upper_cores);
  d("memoryLowerBoundBytes", r.memory_lower_bytes);
  d("memoryUpperBoundBytes", r.memory_upper_bytes);
  d("cpuUsageP95Cores", r.cpu_usage_p95_cores);
  d("memoryPeakMaxBytes", r.memory_peak_max_bytes);
  d("startupCpuPeakCores", r.startup_cpu_peak_cores);
  d("startupMemoryPeakBytes", r.startup_memory_peak_bytes);
  f.push_back({"startupExcluded", r.startup_excluded ? "true" : "false"});
  d("daemonsetReplicas", r.daemonset_replicas);
  d("replicaCpuP90Cores", r.replica_cpu_p90_cores);
  d("replicaMemoryP90Bytes", r.replica_memory_p90_bytes);
  d("memoryOverrunRisk", r.memory_overrun_risk);
  d("cpuThrottleRisk", r.cpu_throttle_risk);
  d("cpuPricePerCoreHour", r.cpu_price_per_core_hour);
  d("ramPricePerGiBHour", r.ram_price_per_gib_hour);
  d("monthlySavingUsd", r.monthly_saving_usd);
  d("oomKills", r.oom_kills);
  s("reason", r.reason);
  std::string hpa = "[";
  for (const HpaAdjustment& a : r.hpa) {
    if (hpa.size() > 1) hpa += ',';
    hpa += fmt::format(
        "{{\"name\":{},\"resource\":{},\"container\":{},\"oldTargetPercent\":{},"
        "\"newTargetPercent\":{},\"clamped\":{},\"scalePointChange\":{}}}",
        jsonString(a.hpa_name), jsonString(a.resource), jsonString(a.container),
        num(a.old_target_percent), num(std::round(a.new_target_percent)),
        a.clamped ? "true" : "false", num(a.scale_point_change));
  }
  f.push_back({"hpa", hpa + "]"});
  return f;
}

double totalSaving(const std::vector<Recommendation>& recs) {
  double t = 0;
  for (const auto& r : recs) t += r.sufficient ? r.monthly_saving_usd : 0;
  return t;
}

}  // namespace

std::string cpuQuantity(double cores) {
  if (!std::isfinite(cores) || cores <= 0) return "0";
  return fmt::format("{}m", static_cast<long long>(std::ceil(cores * 1000.0 - 1e-9)));
}

std::string memoryQuantity(double bytes) {
  if (!std::isfinite(bytes) || bytes <= 0) return "0";
  return fmt::format("{}Mi", static_cast<long long>(std::ceil(bytes / (1024.0 * 1024.0) - 1e-9)));
}

std::string toJson(const std::vector<Recommendation>& recs, const RecommendOptions& options) {
  std::string out =
      fmt::format("{{\"window\":{{\"start\":{},\"end\":{}}},\"strategy\":{},\"recommendations\":[",
                  jsonString(model::formatRfc3339(options.window_start)),
                  jsonString(model::formatRfc3339(options.window_end)),
                  jsonString(strategyName(options.strategy)));
  for (std::size_t i = 0; i < recs.size(); ++i) {
    out += i ? ",{" : "{";
    const auto fields = fieldsOf(recs[i]);
    for (std::size_t j = 0; j < fields.size(); ++j) {
      out += fmt::format("{}{}:{}", j ? "," : "", jsonString(fields[j].name), fields[j].json);
    }
    out += "}";
  }
  std::size_t sufficient = 0;
  for (const auto& r : recs) sufficient += r.sufficient ? 1 : 0;
  out += fmt::format(
      "],\"totals\":{{\"workloads\":{},\"withRecommendation\":{},"
      "\"monthlySavingUsd\":{}}}}}",
      recs.size(), sufficient, num(totalSaving(recs)));
  return out;
}

std::string toYaml(const std::vector<Recommendation>& recs, const RecommendOptions& options) {
  // JSON scalars are valid YAML scalars, so strings reuse the JSON quoting.
  std::string out = fmt::format("window:\n  start: {}\n  end: {}\nstrategy: {}\nrecommendations:\n",
                                jsonString(model::formatRfc3339(options.window_start)),
                                jsonString(model::formatRfc3339(options.window_end)),
                                strategyName(options.strategy));
  if (recs.empty()) out.pop_back(), out += " []\n";
  for (const auto& r : recs) {
    const auto fields = fieldsOf(r);
    for (std::size_t j = 0; j < fields.size(); ++j) {
      out += fmt::format("{}{}: {}\n", j ? "    " : "  - ", fields[j].name, fields[j].json);
    }
  }
  out += fmt::format("totals:\n  workloads: {}\n  monthlySavingUsd: {}\n", recs.size(),
                     num(totalSaving(recs)));
  return out;
}

std::string toCsv(const std::vector<Recommendation>& recs) {
  std::string out;
  auto csvField = [](const std::string& json) {
    // Strings come JSON-quoted; CSV quotes double the quote character instead. Arrays (hpa)
    // become one quoted cell of JSON.
    if (!json.empty() && json[0] == '[') {
      std::string q = "\"";
      for (char c : json) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      return q + "\"";
    }
    if (json.empty() || json[0] != '"') return json;
    std::string inner = json.substr(1, json.size() - 2), q = "\"";
    for (std::size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '\\' && i + 1 < inner.size()) {
        ++i;
        q += inner[i] == '"' ? std::string("\"\"") : std::string(1, inner[i]);
      } else {
        q += inner[i];
      }
    }
    return q + "\"";
  };
  const auto names = fieldsOf(Recommendation{});
  for (std::size_t j = 0; j < names.size(); ++j) out += (j ? "," : "") + names[j].name;
  out += "\n";
  for (const auto& r : recs) {
    const auto fields = fieldsOf(r);
    for (std::size_t j = 0; j < fields.size(); ++j) {
      out += (j ? "," : "") + csvField(fields[j].json);
    }
    out += "\n";
  }
  return out;
}

}  // namespace trimtab::recommend
