#include "cli/plugin_hooks.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

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
  double r = std::isfinite(v) ? cost::roundForResponse(v) : 0.0;
  if (!std::isfinite(r)) r = v;  // |v| so large that v x 1e5 overflowed; already integral
  if (r == 0) r = 0;             // no "-0"
  char buf[48];
  char* p = buf;
  *p++ = ',';
  *p++ = '"';
  p = std::copy(key.begin(), key.end(), p);
  *p++ = '"';
  *p++ = ':';
  if (r == 0) {
    *p++ = '0';
  } else if (std::fabs(r) < 1e9) {
    // r is a whole number of 1e-5 (roundForResponse): written as fixed point, integer
    // arithmetic only. Below 1e9 the value has at most 14 significant digits, so this is also
    // its shortest round-trip form (what to_chars would give, without exponent notation).
    long long units = std::llround(r * 1e5);
    if (units < 0) {
      *p++ = '-';
      units = -units;
    }
    p = std::to_chars(p, buf + sizeof buf, units / 100000).ptr;
    if (long long frac = units % 100000; frac != 0) {
      char digits[5];
      for (int i = 4; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
      int n = 5;
      while (digits[n - 1] == '0') --n;
      *p++ = '.';
      p = std::copy(digits, digits + n, p);
    }
  } else {
    p = std::to_chars(p, buf + sizeof buf, r).ptr;  // shortest round-trip form
  }
  o.append(buf, p);
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

void appendAllocationRowJson(std::string& o, const cost::Allocation& a) {
  o += "{\"name\":";
  cost::appendJsonString(o, a.name);
  o += ",\"properties\":{";
  bool first = true;
  // `key` is a plain identifier: written as is, quoted.
  auto prop = [&](std::string_view key, const std::string& v) {
    if (v.empty()) return;
    if (!first) o += ',';
    first = false;
    o += '"';
    o += key;
    o += "\":";
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
  auto map = [&](std::string_view key, const cost::StringMap& m) {
    if (m.empty()) return;
    if (!first) o += ',';
    first = false;
    o += '"';
    o += key;
    o += "\":{";
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
}

namespace {

// One rule result applied to its row: one pass over the object's members.
void applyAllocationRuleItem(cost::Allocation& a, const simdjson::dom::element* item) {
  static constexpr std::string_view kLabelFields[] = {"team", "owner", "department", "product",
                                                      "environment"};
  if (item == nullptr) {  // failure policy: the built-in row, marked
    setLabel(a.properties.labels, "trimtab_plugin_status", "fallback");
    return;
  }
  simdjson::dom::object obj;
  if (item->get(obj)) return;  // validated by the host: always an object
  std::string_view labels[std::size(kLabelFields)];
  bool has_label[std::size(kLabelFields)] = {};
  double external = -1;
  for (simdjson::dom::key_value_pair field : obj) {
    const std::string_view key = field.key;
    if (key == "pluginStatus") {
      std::string_view status;
      if (!field.value.get(status) && status == "error") {
        setLabel(a.properties.labels, "trimtab_plugin_status", "fallback");
        return;
      }
      continue;
    }
    if (key == "externalCost") {
      double v = 0;
      if (!field.value.get(v) && std::isfinite(v) && v >= 0) external = v;
      continue;
    }
    for (std::size_t k = 0; k < std::size(kLabelFields); ++k) {
      if (key == kLabelFields[k] && !has_label[k] && !field.value.get(labels[k])) {
        has_label[k] = true;
        break;
      }
    }
  }
  for (std::size_t k = 0; k < std::size(kLabelFields); ++k) {
    if (has_label[k])
      setLabel(a.properties.labels, std::string(kLabelFields[k]), std::string(labels[k]));
  }
  if (external >= 0) a.external_cost = external;
}

}  // namespace

plugin::HookResult runAllocationRule(plugin::Plugin& p, std::vector<cost::Allocation>& rows) {
  // Rows are written batch by batch into one reused buffer and each result is applied straight
  // from the parsed response: nothing the size of all rows is ever built.
  return p.run(
      rows.size(), [&](std::size_t i, std::string& out) { appendAllocationRowJson(out, rows[i]); },
      [&](std::size_t i, const simdjson::dom::element* item) {
        applyAllocationRuleItem(rows[i], item);
      });
}

Status applyAllocationRules(std::vector<cost::StepInput>& steps,
                            const std::vector<std::unique_ptr<plugin::Plugin>>& plugins) {
  for (const auto& p : plugins) {
    for (cost::StepInput& step : steps) {
      std::vector<cost::Allocation>& rows = step.container_grain.allocations;
      (void)runAllocationRule(*p, rows);
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
