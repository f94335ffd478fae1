#include "cli/plugin_hooks.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cost/json.h"
#include "plugin/config.h"

namespace trimtab::cli {

namespace {

void setLabel(cost::StringMap& labels, const std::string& key, const std::string& value) {
  auto it = std::lower_bound(labels.begin(), labels.end(), key,
                             [](const auto& e, const std::string& k) { return e.first < k; });
  if (it != labels.end() && it->first == key) {
    it->second = value;
  } else {
    labels.emplace(it, key, value);
  }
}

void num(std::string& o, std::string_view key, double v) {
  o += fmt::format(",\"{}\":{}", key, std::isfinite(v) ? cost::roundForResponse(v) : 0.0);
}

}  // namespace

Result<std::vector<std::unique_ptr<plugin::Plugin>>> loadPlugins(const std::string& config_path,
                                                                 plugin::Hook hook) {
  std::vector<std::unique_ptr<plugin::Plugin>> out;
  if (config_path.empty()) return out;
  std::ifstream in(config_path);
  if (!in) return fail(ErrorCode::kIo, fmt::format("config file {}: cannot be read", config_path));
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string base = std::filesystem::path(config_path).parent_path().string();
  auto configs = plugin::parsePluginsConfig(ss.str(), config_path, base.empty() ? "." : base);
  if (!configs) return fail(configs.error());
  for (const plugin::PluginConfig& c : *configs) {
    if (c.hook != hook) continue;
    auto p = plugin::Plugin::load(c);
    if (!p) return fail(p.error().withContext(fmt::format("plugin {}", c.name)));
    out.push_back(std::move(*p));
  }
  return out;
}

std::string allocationRowJson(const cost::Allocation& a) {
  std::string o = "{\"name\":";
  cost::appendJsonString(o, a.name);
  o += ",\"properties\":{";
  bool first = true;
  auto prop = [&](std::string_view k, const std::string& v) {
    if (v.empty()) return;
    if (!first) o += ',';
    first = false;
    cost::appendJsonString(o, k);
    o += ':';
    cost::appendJsonString(o, v);
  };
  const cost::AllocationProperties& p = a.properties;
  prop("cluster", p.cluster);
  prop("node", p.node);
  prop("namespace", p.namespace_name);
  prop("controllerKind", p.controller_kind);
  prop("controller", p.controller);
  prop("pod", p.pod);
  prop("container", p.container);
  prop("runtimeClass", p.runtime_class);
  if (p.wasm) {
    o += first ? "" : ",";
    first = false;
    o += "\"wasm\":true";
  }
  auto map = [&](std::string_view k, const cost::StringMap& m) {
    if (m.empty()) return;
    if (!first) o += ',';
    first = false;
    cost::appendJsonString(o, k);
    o += ":{";
    for (std::size_t i = 0; i < m.size(); ++i) {
      if (i) o += ',';
      cost::appendJsonString(o, m[i].first);
      o += ':';
      cost::appendJsonString(o, m[i].second);
    }
    o += '}';
  };
  map("labels", p.labels);
  map("namespaceLabels", p.namespace_labels);
  o += '}';
  num(o, "cpuCost", a.cpuTotalCost());
  num(o, "ramCost", a.ramTotalCost());
  num(o, "gpuCost", a.gpuTotalCost());
  num(o, "pvCost", a.pvTotalCost());
  num(o, "networkCost", a.networkTotalCost());
  num(o, "loadBalancerCost", a.lbTotalCost());
  num(o, "externalCost", a.external_cost);
  num(o, "totalCost", a.totalCost());
  o += '}';
  return o;
}

Status applyAllocationRules(std::vector<cost::StepInput>& steps,
                            const std::vector<std::unique_ptr<plugin::Plugin>>& plugins) {
  static const char* kLabelFields[] = {"team", "owner", "department", "product", "environment"};
  for (const auto& p : plugins) {
    for (cost::StepInput& step : steps) {
      std::vector<cost::Allocation>& rows = step.container_grain.allocations;
      std::vector<std::string> items;
      items.reserve(rows.size());
      for (const cost::Allocation& a : rows) items.push_back(allocationRowJson(a));
      const plugin::HookResult result = p->run(items);
      if (result.items.size() != rows.size()) {
        return fail(ErrorCode::kInternal,
                    fmt::format("plugin {}: {} results for {} rows", p->config().name, result.items.size(), rows.size()));
      }
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const nlohmann::json j = nlohmann::json::parse(result.items[i], nullptr, false);
        cost::Allocation& a = rows[i];
        if (j.is_discarded() || !j.is_object()) continue;  // the host validated; keep the row as is
        if (j.contains("pluginStatus") && j["pluginStatus"] == "error") {
          setLabel(a.properties.labels, "trimtab_plugin_status", "fallback");
          continue;
        }
        for (const char* field : kLabelFields) {
          if (j.contains(field) && j[field].is_string()) setLabel(a.properties.labels, field, j[field].get<std::string>());
        }
        if (j.contains("externalCost") && j["externalCost"].is_number()) {
          const double v = j["externalCost"].get<double>();
          if (std::isfinite(v) && v >= 0) a.external_cost = v;
        }
      }
    }
  }
  return {};
}

Status applyRecommendationPolicies(std::vector<recommend::Recommendation>& recs,
                                   const recommend::RecommendOptions& options,
                                   const std::vector<std::unique_ptr<plugin::Plugin>>& plugins) {
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  constexpr double kHoursPerMonth = 730;
  for (const auto& p : plugins) {
    const nlohmann::json doc = nlohmann::json::parse(recommend::toJson(recs, options), nullptr, false);
    if (doc.is_discarded() || !doc.contains("recommendations")) {
      return fail(ErrorCode::kInternal, "recommendations could not be rendered for the plugins");
    }
    std::vector<std::string> items;
    for (const auto& r : doc["recommendations"]) items.push_back(r.dump());
    const plugin::HookResult result = p->run(items);
    if (!result.applied) continue;  // failure policy: keep the recommendations as they were
    for (std::size_t i = 0; i < recs.size() && i < result.items.size(); ++i) {
      const nlohmann::json j = nlohmann::json::parse(result.items[i], nullptr, false);
      if (j.is_discarded() || !j.is_object()) continue;
      recommend::Recommendation& r = recs[i];
      const std::string& who = p->config().name;
      if (j.value("vetoed", false)) {
        r.recommended = r.current;
        r.monthly_saving_usd = 0;
        r.reason = fmt::format("vetoed by plugin {}: {}", who, j.value("vetoReason", std::string("no reason given")));
        continue;
      }
      auto take = [&](const char* field, double& target) {
        if (!j.contains(field) || !j[field].is_number()) return false;
        const double v = j[field].get<double>();
        if (!std::isfinite(v) || v < 0 || v == target) return false;
        target = v;
        return true;
      };
      const recommend::ResourceValues before = r.recommended;
      bool changed = take("cpuRequestCores", r.recommended.cpu_request_cores);
      changed |= take("cpuLimitCores", r.recommended.cpu_limit_cores);
      changed |= take("memoryRequestBytes", r.recommended.memory_request_bytes);
      changed |= take("memoryLimitBytes", r.recommended.memory_limit_bytes);
      if (changed) {
        r.monthly_saving_usd -=
            ((r.recommended.cpu_request_cores - before.cpu_request_cores) * r.cpu_price_per_core_hour +
             (r.recommended.memory_request_bytes - before.memory_request_bytes) / kGiB * r.ram_price_per_gib_hour) *
            kHoursPerMonth * r.replicas;
        r.reason += fmt::format("; adjusted by plugin {}", who);
      }
      if (j.contains("annotations")) {
        const auto& a = j["annotations"];
        if (a.is_string()) r.reason += "; " + a.get<std::string>();
        if (a.is_array()) {
          for (const auto& note : a) {
            if (note.is_string()) r.reason += "; " + note.get<std::string>();
          }
        }
      }
    }
  }
  return {};
}

}  // namespace trimtab::cli
