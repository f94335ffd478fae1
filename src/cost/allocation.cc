#include "cost/allocation.h"

#include <algorithm>

namespace trimtab::cost {

void sortStringMap(StringMap& map) {
  std::stable_sort(map.begin(), map.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  map.erase(std::unique(map.begin(), map.end(),
                        [](const auto& a, const auto& b) { return a.first == b.first; }),
            map.end());
}

bool isSortedStringMap(const StringMap& map) {
  for (size_t i = 1; i < map.size(); ++i) {
    if (!(map[i - 1].first < map[i].first)) return false;
  }
  return true;
}

const std::string* findInMap(const StringMap& map, std::string_view key) {
  auto it = std::lower_bound(map.begin(), map.end(), key,
                             [](const auto& kv, std::string_view k) { return kv.first < k; });
  if (it == map.end() || it->first != key) return nullptr;
  return &it->second;
}

namespace {

// Keeps pairs present with equal values in both maps. Both sorted.
void intersectMaps(StringMap& a, const StringMap& b) {
  size_t out = 0;
  size_t j = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    while (j < b.size() && b[j].first < a[i].first) ++j;
    if (j < b.size() && b[j].first == a[i].first && b[j].second == a[i].second) {
      if (out != i) a[out] = std::move(a[i]);
      ++out;
    }
  }
  a.resize(out);
}

void keepIfEqual(std::string& a, const std::string& b) {
  if (a != b) a.clear();
}

double safeDiv(double num, double den) { return den != 0 ? num / den : 0.0; }

double efficiency(double usage, double request, double cost) {
  if (request > 0) return usage / request;
  return (usage > 0 && cost > 0) ? 1.0 : 0.0;
}

}  // namespace

std::string_view usageSourceName(UsageSource s) {
  switch (s) {
    case UsageSource::kMeasured:
      return "measured";
    case UsageSource::kRequests:
      return "requests";
    case UsageSource::kMixed:
      return "mixed";
  }
  return "measured";
}

void AllocationProperties::intersect(const AllocationProperties& that, bool keep_metadata) {
  keepIfEqual(cluster, that.cluster);
  keepIfEqual(node, that.node);
  keepIfEqual(container, that.container);
  keepIfEqual(controller, that.controller);
  keepIfEqual(controller_kind, that.controller_kind);
  keepIfEqual(namespace_name, that.namespace_name);
  keepIfEqual(pod, that.pod);
  keepIfEqual(provider_id, that.provider_id);
  keepIfEqual(runtime_class, that.runtime_class);
  wasm = wasm && that.wasm;
  if (services != that.services) services.clear();
  if (keep_metadata) {
    intersectMaps(labels, that.labels);
    intersectMaps(annotations, that.annotations);
    intersectMaps(namespace_labels, that.namespace_labels);
    intersectMaps(namespace_annotations, that.namespace_annotations);
  } else {
    labels.clear();
    annotations.clear();
    namespace_labels.clear();
    namespace_annotations.clear();
  }
}

void AllocationProperties::clearMetadata() {
  services.clear();
  labels.clear();
  annotations.clear();
  namespace_labels.clear();
  namespace_annotations.clear();
}

double ProportionalAssetResourceCost::cpuPercentage() const {
  return cpu_total_cost > 0 ? cpu_proportional_cost / cpu_total_cost : 0;
}
double ProportionalAssetResourceCost::ramPercentage() const {
  return ram_total_cost > 0 ? ram_proportional_cost / ram_total_cost : 0;
}
double ProportionalAssetResourceCost::gpuPercentage() const {
  return gpu_total_cost > 0 ? gpu_proportional_cost / gpu_total_cost : 0;
}
double ProportionalAssetResourceCost::pvPercentage() const {
  return pv_total_cost > 0 ? pv_proportional_cost / pv_total_cost : 0;
}
double ProportionalAssetResourceCost::lbPercentage() const {
  return lb_total_cost > 0 ? lb_proportional_cost / lb_total_cost : 0;
}
double ProportionalAssetResourceCost::nodeResourceCostPercentage() const {
  double total = cpu_total_cost + ram_total_cost + gpu_total_cost;
  if (!(total > 0)) return 0;
  return (cpuPercentage() * cpu_total_cost + ramPercentage() * ram_total_cost +
          gpuPercentage() * gpu_total_cost) /
         total;
}
void ProportionalAssetResourceCost::add(const ProportionalAssetResourceCost& that) {
  cpu_proportional_cost += that.cpu_proportional_cost;
  cpu_total_cost += that.cpu_total_cost;
  ram_proportional_cost += that.ram_proportional_cost;
  ram_total_cost += that.ram_total_cost;
  gpu_proportional_cost += that.gpu_proportional_cost;
  gpu_total_cost += that.gpu_total_cost;
  pv_proportional_cost += that.pv_proportional_cost;
  pv_total_cost += that.pv_total_cost;
  lb_proportional_cost += that.lb_proportional_cost;
  lb_total_cost += that.lb_total_cost;
}

void SharedCostBreakdown::add(const SharedCostBreakdown& that) {
  total_cost += that.total_cost;
  cpu_cost += that.cpu_cost;
  gpu_cost += that.gpu_cost;
  ram_cost += that.ram_cost;
  pv_cost += that.pv_cost;
  network_cost += that.network_cost;
  lb_cost += that.lb_cost;
  external_cost += that.external_cost;
}

double Allocation::cpuCores() const { return safeDiv(cpu_core_hours, hours()); }
double Allocation::ramBytes() const { return safeDiv(ram_byte_hours, hours()); }
double Allocation::gpuCount() const { return safeDiv(gpu_hours, hours()); }
double Allocation::pvByteHours() const {
  double s = 0;
  for (const auto& [k, v] : pvs) s += v.byte_hours;
  return s;
}
double Allocation::pvBytes() const { return safeDiv(pvByteHours(), hours()); }
double Allocation::pvCost() const {
  double s = 0;
  for (const auto& [k, v] : pvs) s += v.cost;
  return s;
}

double Allocation::totalCost() const {
  return cpuTotalCost() + gpuTotalCost() + ramTotalCost() + pvTotalCost() + networkTotalCost() +
         lbTotalCost() + shared_cost + external_cost;
}

double Allocation::cpuEfficiency() const {
  return efficiency(cpu_core_usage_average, cpu_core_request_average, cpuTotalCost());
}
double Allocation::ramEfficiency() const {
  return efficiency(ram_byte_usage_average, ram_byte_request_average, ramTotalCost());
}
double Allocation::gpuEfficiency() const {
  return efficiency(gpu_usage_average, gpu_request_average, gpuTotalCost());
}
double Allocation::totalEfficiency() const {
  double cpu = cpuTotalCost();
  double ram = ramTotalCost();
  if (cpu + ram <= 0) return 0;
  return (cpuEfficiency() * cpu + ramEfficiency() * ram) / (cpu + ram);
}

bool Allocation::isIdle() const { return name.find(kIdleName) != std::string::npos; }
bool Allocation::isUnmounted() const { return name.find(kUnmountedName) != std::string::npos; }
bool Allocation::isOverallocated() const {
  return name.find(kOverallocatedName) != std::string::npos;
}

void Allocation::add(const Allocation& that, bool keep_metadata) {
  double m1 = minutes();
  double m2 = that.minutes();
  double new_start = std::min(start, that.start);
  double new_end = std::max(end, that.end);
  double merged = (new_end - new_start) / 60.0;
  auto avg = [&](double a, double b) {
    return merged > 0 ? (a * m1 + b * m2) / merged : a + b;
  };
  cpu_core_request_average = avg(cpu_core_request_average, that.cpu_core_request_average);
  cpu_core_usage_average = avg(cpu_core_usage_average, that.cpu_core_usage_average);
  ram_byte_request_average = avg(ram_byte_request_average, that.ram_byte_request_average);
  ram_byte_usage_average = avg(ram_byte_usage_average, that.ram_byte_usage_average);
  gpu_request_average = avg(gpu_request_average, that.gpu_request_average);
  gpu_usage_average = avg(gpu_usage_average, that.gpu_usage_average);
  start = new_start;
  end = new_end;
  window_start = std::min(window_start, that.window_start);
  window_end = std::max(window_end, that.window_end);

  properties.intersect(that.properties, keep_metadata);
  if (usage_source != that.usage_source) usage_source = UsageSource::kMixed;

  cpu_core_hours += that.cpu_core_hours;
  cpu_cost += that.cpu_cost;
  cpu_cost_adjustment += that.cpu_cost_adjustment;
  cpu_cost_idle += that.cpu_cost_idle;
  cpu_core_usage_max.reset();
  gpu_hours += that.gpu_hours;
  gpu_cost += that.gpu_cost;
  gpu_cost_adjustment += that.gpu_cost_adjustment;
  gpu_cost_idle += that.gpu_cost_idle;
  network_transfer_bytes += that.network_transfer_bytes;
  network_receive_bytes += that.network_receive_bytes;
  network_cost += that.network_cost;
  network_cross_zone_cost += that.network_cross_zone_cost;
  network_cross_region_cost += that.network_cross_region_cost;
  network_internet_cost += that.network_internet_cost;
  network_cost_adjustment += that.network_cost_adjustment;
  load_balancer_cost += that.load_balancer_cost;
  load_balancer_cost_adjustment += that.load_balancer_cost_adjustment;
  for (const auto& [k, lb] : that.lb_allocations) {
    auto [it, inserted] = lb_allocations.try_emplace(k, lb);
    if (!inserted) {
      it->second.cost += lb.cost;
      it->second.hours += lb.hours;
    }
  }
  for (const auto& [k, pv] : that.pvs) {
    auto [it, inserted] = pvs.try_emplace(k, pv);
    if (!inserted) {
      it->second.cost += pv.cost;
      it->second.byte_hours += pv.byte_hours;
    }
  }
  pv_cost_adjustment += that.pv_cost_adjustment;
  ram_byte_hours += that.ram_byte_hours;
  ram_cost += that.ram_cost;
  ram_cost_adjustment += that.ram_cost_adjustment;
  ram_cost_idle += that.ram_cost_idle;
  ram_byte_usage_max.reset();
  external_cost += that.external_cost;
  shared_cost += that.shared_cost;
  for (const auto& [k, b] : that.shared_cost_breakdown) {
    auto [it, inserted] = shared_cost_breakdown.try_emplace(k, b);
    if (!inserted) it->second.add(b);
  }
  for (const auto& [k, p] : that.proportional_asset_resource_costs) {
    auto [it, inserted] = proportional_asset_resource_costs.try_emplace(k, p);
    if (!inserted) it->second.add(p);
  }
}

double AllocationSet::totalCost() const {
  double s = 0;
  for (const auto& a : allocations) s += a.totalCost();
  return s;
}

std::string containerGrainName(const AllocationProperties& p) {
  std::string out;
  out.reserve(p.cluster.size() + p.node.size() + p.namespace_name.size() + p.pod.size() +
              p.container.size() + 4);
  out += p.cluster;
  out += '/';
  out += p.node;
  out += '/';
  out += p.namespace_name;
  out += '/';
  out += p.pod;
  out += '/';
  out += p.container;
  return out;
}

}  // namespace trimtab::cost
