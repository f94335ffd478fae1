#include "cost/json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

#include "cost/window.h"

namespace trimtab::cost {

double roundForResponse(double x) { return std::round(x * 100000.0) / 100000.0; }

namespace {

void appendNumber(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  double r = roundForResponse(x);
  if (!std::isfinite(r)) r = x;  // |x| so large that x·1e5 overflowed; already integral
  if (r == 0) r = 0;             // no "-0"
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), r);  // shortest round-trip form
  out.append(buf, res.ptr);
}

// formatRfc3339 with a one-entry cache: almost every allocation of a step shares its times.
const std::string& cachedTime(double t) {
  thread_local double last = std::numeric_limits<double>::quiet_NaN();
  thread_local std::string text;
  if (!(t == last)) {
    text = formatRfc3339(t);
    last = t;
  }
  return text;
}

// Tiny object writer: tracks the comma.
class Obj {
 public:
  explicit Obj(std::string& out) : out_(out) { out_ += '{'; }
  void key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    appendJsonString(out_, k);
    out_ += ':';
  }
  void num(std::string_view k, double v) {
    key(k);
    appendNumber(out_, v);
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    appendJsonString(out_, v);
  }
  void strIfSet(std::string_view k, std::string_view v) {
    if (!v.empty()) str(k, v);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void time(std::string_view k, double t) {
    key(k);
    const std::string& s = cachedTime(t);
    if (s.empty()) {
      out_ += "null";
    } else {
      appendJsonString(out_, s);
    }
  }
  void close() { out_ += '}'; }

 private:
  std::string& out_;
  bool first_ = true;
};

void appendMap(std::string& out, const StringMap& m) {
  Obj o(out);
  for (const auto& [k, v] : m) o.str(k, v);
  o.close();
}

void appendProperties(std::string& out, const AllocationProperties& p) {
  Obj o(out);
  o.strIfSet("cluster", p.cluster);
  o.strIfSet("node", p.node);
  o.strIfSet("container", p.container);
  o.strIfSet("controller", p.controller);
  o.strIfSet("controllerKind", p.controller_kind);
  o.strIfSet("namespace", p.namespace_name);
  o.strIfSet("pod", p.pod);
  if (!p.services.empty()) {
    o.key("services");
    out += '[';
    for (size_t i = 0; i < p.services.size(); ++i) {
      if (i) out += ',';
      appendJsonString(out, p.services[i]);
    }
    out += ']';
  }
  o.strIfSet("providerID", p.provider_id);
  o.strIfSet("runtimeClass", p.runtime_class);
  if (p.wasm) o.boolean("wasm", true);
  const std::pair<std::string_view, const StringMap*> maps[] = {
      {"labels", &p.labels},
      {"annotations", &p.annotations},
      {"namespaceLabels", &p.namespace_labels},
      {"namespaceAnnotations", &p.namespace_annotations}};
  for (const auto& [name, m] : maps) {
    if (m->empty()) continue;
    o.key(name);
    appendMap(out, *m);
  }
  o.close();
}

void appendWindow(std::string& out, double start, double end) {
  Obj o(out);
  o.time("start", start);
  o.time("end", end);
  o.close();
}

}  // namespace

void appendAllocationJson(std::string& out, const Allocation& a) {
  Obj o(out);
  o.str("name", a.name);
  o.key("properties");
  appendProperties(out, a.properties);
  o.key("window");
  appendWindow(out, a.window_start, a.window_end);
  o.time("start", a.start);
  o.time("end", a.end);
  o.num("minutes", a.minutes());
  o.num("cpuCores", a.cpuCores());
  o.num("cpuCoreRequestAverage", a.cpu_core_request_average);
  o.num("cpuCoreUsageAverage", a.cpu_core_usage_average);
  o.num("cpuCoreHours", a.cpu_core_hours);
  o.num("cpuCost", a.cpu_cost);
  o.num("cpuCostAdjustment", a.cpu_cost_adjustment);
  o.num("cpuCostIdle", a.cpu_cost_idle);
  o.num("cpuEfficiency", a.cpuEfficiency());
  o.num("gpuCount", a.gpuCount());
  o.num("gpuRequestAverage", a.gpu_request_average);
  o.num("gpuUsageAverage", a.gpu_usage_average);
  o.num("gpuHours", a.gpu_hours);
  o.num("gpuCost", a.gpu_cost);
  o.num("gpuCostAdjustment", a.gpu_cost_adjustment);
  o.num("gpuCostIdle", a.gpu_cost_idle);
  o.num("gpuEfficiency", a.gpuEfficiency());
  o.num("networkTransferBytes", a.network_transfer_bytes);
  o.num("networkReceiveBytes", a.network_receive_bytes);
  o.num("networkCost", a.network_cost);
  o.num("networkCrossZoneCost", a.network_cross_zone_cost);
  o.num("networkCrossRegionCost", a.network_cross_region_cost);
  o.num("networkInternetCost", a.network_internet_cost);
  o.num("networkCostAdjustment", a.network_cost_adjustment);
  o.num("loadBalancerCost", a.load_balancer_cost);
  o.num("loadBalancerCostAdjustment", a.load_balancer_cost_adjustment);
  if (!a.lb_allocations.empty()) {
    o.key("lbAllocations");
    Obj lbs(out);
    for (const auto& [k, lb] : a.lb_allocations) {
      lbs.key(k);
      Obj l(out);
      l.str("service", lb.service);
      l.num("cost", lb.cost);
      l.boolean("private", lb.is_private);
      l.str("ip", lb.ip);
      l.num("hours", lb.hours);
      l.close();
    }
    lbs.close();
  }
  o.num("pvBytes", a.pvBytes());
  o.num("pvByteHours", a.pvByteHours());
  o.num("pvCost", a.pvCost());
  o.key("pvs");
  if (a.pvs.empty()) {
    out += "null";
  } else {
    Obj pvs(out);
    for (const auto& [k, pv] : a.pvs) {
      pvs.key(k);
      Obj p(out);
      p.num("byteHours", pv.byte_hours);
      p.num("cost", pv.cost);
      p.strIfSet("providerID", pv.provider_id);
      p.close();
    }
    pvs.close();
  }
  o.num("pvCostAdjustment", a.pv_cost_adjustment);
  o.num("ramBytes", a.ramBytes());
  o.num("ramByteRequestAverage", a.ram_byte_request_average);
  o.num("ramByteUsageAverage", a.ram_byte_usage_average);
  o.num("ramByteHours", a.ram_byte_hours);
  o.num("ramCost", a.ram_cost);
  o.num("ramCostAdjustment", a.ram_cost_adjustment);
  o.num("ramCostIdle", a.ram_cost_idle);
  o.num("ramEfficiency", a.ramEfficiency());
  o.num("externalCost", a.external_cost);
  o.num("sharedCost", a.shared_cost);
  o.num("totalCost", a.totalCost());
  o.num("totalEfficiency", a.totalEfficiency());
  // Trimtab extension: present only when usage did not come from usage series.
  if (a.usage_source != UsageSource::kMeasured) {
    o.str("usageSource", usageSourceName(a.usage_source));
  }
  if (!a.proportional_asset_resource_costs.empty()) {
    o.key("proportionalAssetResourceCosts");
    Obj ps(out);
    for (const auto& [k, p] : a.proportional_asset_resource_costs) {
      ps.key(k);
      Obj e(out);
      e.str("cluster", p.cluster);
      e.strIfSet("node", p.node);
      e.strIfSet("providerID", p.provider_id);
      e.num("cpuPercentage", p.cpuPercentage());
      e.num("gpuPercentage", p.gpuPercentage());
      e.num("ramPercentage", p.ramPercentage());
      e.num("loadBalancerPercentage", p.lbPercentage());
      e.num("pvPercentage", p.pvPercentage());
      e.num("nodeResourceCostPercentage", p.nodeResourceCostPercentage());
      e.close();
    }
    ps.close();
  }
  if (!a.shared_cost_breakdown.empty()) {
    o.key("sharedCostBreakdown");
    Obj bs(out);
    for (const auto& [k, b] : a.shared_cost_breakdown) {
      bs.key(k);
      Obj e(out);
      e.str("name", b.name);
      e.num("totalCost", b.total_cost);
      // omitempty, as upstream
      if (b.cpu_cost != 0) e.num("cpuCost", b.cpu_cost);
      if (b.gpu_cost != 0) e.num("gpuCost", b.gpu_cost);
      if (b.ram_cost != 0) e.num("ramCost", b.ram_cost);
      if (b.pv_cost != 0) e.num("pvCost", b.pv_cost);
      if (b.network_cost != 0) e.num("networkCost", b.network_cost);
      if (b.lb_cost != 0) e.num("loadBalancerCost", b.lb_cost);
      if (b.external_cost != 0) e.num("externalCost", b.external_cost);
      e.close();
    }
    bs.close();
  }
  o.key("rawAllocationOnly");
  if (a.cpu_core_usage_max || a.ram_byte_usage_max) {
    Obj r(out);
    r.num("cpuCoreUsageMax", a.cpu_core_usage_max.value_or(0));
    r.num("ramByteUsageMax", a.ram_byte_usage_max.value_or(0));
    r.close();
  } else {
    out += "null";
  }
  o.close();
}

std::string toOpenCostJson(const std::vector<AllocationSet>& sets) {
  std::string out;
  size_t n = 0;
  for (const auto& s : sets) n += s.allocations.size();
  out.reserve(256 + n * 1600);
  out += R"({"code":200,"status":"success","data":[)";
  for (size_t i = 0; i < sets.size(); ++i) {
    if (i) out += ',';
    Obj m(out);
    for (const auto& a : sets[i].allocations) {
      m.key(a.name);
      appendAllocationJson(out, a);
    }
    m.close();
  }
  out += "]}";
  return out;
}

std::string errorJson(int code, std::string_view message) {
  std::string out;
  Obj o(out);
  o.key("code");
  fmt::format_to(std::back_inserter(out), "{}", code);
  o.str("status", "error");
  o.str("message", message);
  o.close();
  return out;
}

namespace {

void csvField(std::string& out, std::string_view s) {
  bool quote = s.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void csvNumber(std::string& out, double x) {
  out += ',';
  if (!std::isfinite(x)) return;
  appendNumber(out, x);
}

}  // namespace

std::string toCsv(const std::vector<AllocationSet>& sets) {
  std::string out =
      "windowStart,windowEnd,name,cluster,node,namespace,controllerKind,controller,pod,"
      "container,start,end,minutes,cpuCoreHours,cpuCoreRequestAverage,cpuCoreUsageAverage,"
      "cpuCost,cpuCostAdjustment,cpuCostIdle,cpuEfficiency,gpuHours,gpuCost,gpuCostAdjustment,"
      "gpuCostIdle,ramByteHours,ramByteRequestAverage,ramByteUsageAverage,ramCost,"
      "ramCostAdjustment,ramCostIdle,ramEfficiency,pvByteHours,pvCost,pvCostAdjustment,"
      "networkTransferBytes,networkReceiveBytes,networkCost,networkCostAdjustment,"
      "loadBalancerCost,loadBalancerCostAdjustment,sharedCost,externalCost,totalCost,"
      "totalEfficiency\n";
  for (const auto& s : sets) {
    std::string ws = formatRfc3339(s.window_start);
    std::string we = formatRfc3339(s.window_end);
    for (const auto& a : s.allocations) {
      const auto& p = a.properties;
      out += ws;
      out += ',';
      out += we;
      for (std::string_view f : {std::string_view(a.name), std::string_view(p.cluster),
                                 std::string_view(p.node), std::string_view(p.namespace_name),
                                 std::string_view(p.controller_kind),
                                 std::string_view(p.controller), std::string_view(p.pod),
                                 std::string_view(p.container)}) {
        out += ',';
        csvField(out, f);
      }
      out += ',';
      out += formatRfc3339(a.start);
      out += ',';
      out += formatRfc3339(a.end);
      for (double x : {a.minutes(), a.cpu_core_hours, a.cpu_core_request_average,
                       a.cpu_core_usage_average, a.cpu_cost, a.cpu_cost_adjustment,
                       a.cpu_cost_idle, a.cpuEfficiency(), a.gpu_hours, a.gpu_cost,
                       a.gpu_cost_adjustment, a.gpu_cost_idle, a.ram_byte_hours,
                       a.ram_byte_request_average, a.ram_byte_usage_average, a.ram_cost,
                       a.ram_cost_adjustment, a.ram_cost_idle, a.ramEfficiency(),
                       a.pvByteHours(), a.pvCost(), a.pv_cost_adjustment,
                       a.network_transfer_bytes, a.network_receive_bytes, a.network_cost,
                       a.network_cost_adjustment, a.load_balancer_cost,
                       a.load_balancer_cost_adjustment, a.shared_cost, a.external_cost,
                       a.totalCost(), a.totalEfficiency()}) {
        csvNumber(out, x);
      }
      out += '\n';
    }
  }
  return out;
}

}  // namespace trimtab::cost
