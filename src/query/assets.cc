#include "query/assets.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "cost/json.h"

namespace trimtab::query {

Result<AssetSet> loadAssets(const store::Store& store, const cost::Window& window,
                            const std::string& cluster, const cost::Filter* filter) {
  AssetSet out;
  out.window = window;
  auto plan = store::planWindow(store, cluster, window.start, window.end);
  if (!plan) return fail(plan.error());
  const store::Dimensions& dims = store.dimensions();
  std::map<std::uint32_t, Asset> nodes, disks, lbs;
  auto span = [](Asset& a, double s, double e) {
    if (a.minutes == 0 && a.start == 0) {
      a.start = s;
      a.end = e;
    }
    a.start = std::min(a.start, s);
    a.end = std::max(a.end, e);
  };
  for (const auto& info : *plan) {
    auto b = store.readBlock(info, store::ColumnSelection{});
    if (!b) return fail(b.error());
    const store::NodeRows& n = b->nodes;
    for (std::size_t i = 0; i < n.size(); ++i) {
      Asset& a = nodes[n.node_id[i]];
      span(a, static_cast<double>(n.start[i]), static_cast<double>(n.end[i]));
      a.minutes += n.hours[i] * 60;
      a.cpu_core_hours += n.cpu_core_hours[i];
      a.ram_byte_hours += n.ram_byte_hours[i];
      a.gpu_hours += n.gpu_hours[i];
      a.cpu_alloc_cores += n.cpu_alloc_core_hours[i];
      a.ram_alloc_bytes += n.ram_alloc_byte_hours[i];
      a.cpu_cost += n.cpu_cost[i];
      a.ram_cost += n.ram_cost[i];
      a.gpu_cost += n.gpu_cost[i];
      a.preemptible = a.preemptible || n.spot[i] != 0;
      a.price_source = dims.str(n.price_source[i]);
    }
    const store::VolumeRows& v = b->volumes;
    for (std::size_t i = 0; i < v.size(); ++i) {
      Asset& a = disks[v.volume_id[i]];
      span(a, static_cast<double>(v.start[i]), static_cast<double>(v.end[i]));
      a.minutes += v.hours[i] * 60;
      a.byte_hours += v.byte_hours[i];
      a.total_cost += v.cost[i];
    }
    const store::LoadBalancerRows& l = b->load_balancers;
    for (std::size_t i = 0; i < l.size(); ++i) {
      Asset& a = lbs[l.service_id[i]];
      span(a, static_cast<double>(l.start[i]), static_cast<double>(l.end[i]));
      a.minutes += l.hours[i] * 60;
      a.total_cost += l.cost[i];
    }
  }
  for (auto& [id, a] : nodes) {
    const store::NodeDim& d = dims.node(id);
    a.type = "Node";
    a.cluster = dims.str(d.cluster);
    a.name = dims.str(d.name);
    a.provider_id = dims.str(d.provider_id);
    a.instance_type = dims.str(d.instance_type);
    a.region = dims.str(d.region);
    a.category = "Compute";
    a.key = a.cluster + "/" + a.name;
    const double hours = a.minutes / 60;
    if (hours > 0) {
      a.cpu_cores = a.cpu_core_hours / hours;
      a.ram_bytes = a.ram_byte_hours / hours;
      a.gpu_count = a.gpu_hours / hours;
      a.cpu_alloc_cores /= hours;
      a.ram_alloc_bytes /= hours;
    }
    for (const auto& [k, v] : dims.labels(d.labels)) {
      a.labels.emplace_back(std::string(dims.str(k)), std::string(dims.str(v)));
    }
    a.total_cost = a.cpu_cost + a.ram_cost + a.gpu_cost;
    out.assets.push_back(std::move(a));
  }
  for (auto& [id, a] : disks) {
    const store::VolumeDim& d = dims.volume(id);
    a.type = "Disk";
    a.cluster = dims.str(d.cluster);
    a.name = dims.str(d.name);
    a.provider_id = dims.str(d.provider_id);
    a.category = "Storage";
    a.instance_type = dims.str(d.storage_class);
    a.key = a.cluster + "/" + a.name;
    if (a.minutes > 0) a.bytes = a.byte_hours / (a.minutes / 60);
    out.assets.push_back(std::move(a));
  }
  for (auto& [id, a] : lbs) {
    const store::ServiceDim& d = dims.service(id);
    a.type = "LoadBalancer";
    a.cluster = dims.str(d.cluster);
    a.name = fmt::format("{}/{}", dims.str(d.namespace_name), dims.str(d.name));
    a.provider_id = dims.str(d.ip);
    a.category = "Network";
    a.key = a.cluster + "/" + a.name;
    out.assets.push_back(std::move(a));
  }
  if (filter != nullptr) {
    std::erase_if(out.assets, [&](const Asset& a) {
      cost::AssetProperties p;
      p.name = a.name;
      p.asset_type = a.type;
      p.category = a.category;
      p.cluster = a.cluster;
      p.provider_id = a.provider_id;
      if (a.price_source.starts_with("catalog:")) {
        p.provider = a.price_source.substr(8, a.price_source.find(':', 8) - 8);
      }
      p.labels = a.labels;
      cost::sortStringMap(p.labels);
      return !filter->matches(p);
    });
  }
  std::sort(out.assets.begin(), out.assets.end(),
            [](const Asset& a, const Asset& b) { return a.key < b.key; });
  return out;
}

std::string assetsToOpenCostJson(const AssetSet& set) {
  std::string o;
  auto num = [&](std::string_view key, double v) {
    o += '"';
    o += key;
    o += "\":";
    const double r = cost::roundForResponse(v);
    if (std::isnan(r) || std::isinf(r)) {
      o += "null";
    } else {
      o += fmt::format("{}", r);
    }
    o += ',';
  };
  auto str = [&](std::string_view key, std::string_view v) {
    o += '"';
    o += key;
    o += "\":";
    cost::appendJsonString(o, v);
    o += ',';
  };
  const std::string ws = cost::formatRfc3339(static_cast<double>(set.window.start));
  const std::string we = cost::formatRfc3339(static_cast<double>(set.window.end));
  o += R"({"code":200,"status":"success","data":[{)";
  bool first = true;
  for (const Asset& a : set.assets) {
    if (!first) o += ',';
    first = false;
    cost::appendJsonString(o, a.key);
    o += ":{";
    str("type", a.type);
    o += "\"properties\":{";
    str("category", a.category);
    str("provider", a.price_source.starts_with("catalog:") ? a.price_source.substr(8, a.price_source.find(':', 8) - 8) : "");
    str("providerID", a.provider_id);
    str("cluster", a.cluster);
    str("name", a.name);
    if (a.type == "Node") str("node", a.name);
    o.back() = '}';
    o += ",\"labels\":{";
    for (const auto& [k, v] : a.labels) {
      cost::appendJsonString(o, k);
      o += ':';
      cost::appendJsonString(o, v);
      o += ',';
    }
    if (o.back() == ',') o.pop_back();
    o += "},\"window\":{";
    str("start", ws);
    str("end", we);
    o.back() = '}';
    o += ',';
    str("start", cost::formatRfc3339(a.start));
    str("end", cost::formatRfc3339(a.end));
    num("minutes", a.minutes);
    if (a.type == "Node") {
      str("nodeType", a.instance_type);
      num("cpuCores", a.cpu_cores);
      num("ramBytes", a.ram_bytes);
      num("cpuCoreHours", a.cpu_core_hours);
      num("ramByteHours", a.ram_byte_hours);
      num("GPUHours", a.gpu_hours);
      o += "\"preemptible\":";
      o += a.preemptible ? "1," : "0,";
      num("discount", 0);
      num("cpuCost", a.cpu_cost);
      num("gpuCost", a.gpu_cost);
      num("gpuCount", a.gpu_count);
      num("ramCost", a.ram_cost);
      o += "\"overhead\":{";
      num("cpuOverheadFraction", a.cpu_cores > 0 ? 1 - a.cpu_alloc_cores / a.cpu_cores : 0);
      num("ramOverheadFraction", a.ram_bytes > 0 ? 1 - a.ram_alloc_bytes / a.ram_bytes : 0);
      num("overheadCostFraction",
          a.total_cost > 0 && a.cpu_cores > 0 && a.ram_bytes > 0
              ? ((1 - a.cpu_alloc_cores / a.cpu_cores) * a.cpu_cost +
                 (1 - a.ram_alloc_bytes / a.ram_bytes) * a.ram_cost) / a.total_cost
              : 0);
      o.back() = '}';
      o += ',';
      str("priceSource", a.price_source);
    } else if (a.type == "Disk") {
      num("byteHours", a.byte_hours);
      num("bytes", a.bytes);
      str("storageClass", a.instance_type);
    }
    num("adjustment", 0);
    num("totalCost", a.total_cost);
    o.back() = '}';
  }
  o += "}]}";
  return o;
}

}  // namespace trimtab::query
