// Allocation records: the unit of cost attribution, at container grain on input and at any
// aggregation grain on output. Field meanings, units and derived values follow OpenCost's
// `core/pkg/opencost/allocation.go` (see shared/reference/opencost-semantics.md §2, §3.7, §3.8).
//
// Plain data: the store fills these structs; the engine (aggregate.h) never keeps pointers into
// them beyond one call. Times are Unix seconds (UTC) as double; costs are in the currency of the
// price inputs; quantities are named by unit (core-hours, byte-hours, GPU-hours).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trimtab::cost {

// A string map kept as a vector of (key, value) pairs sorted by key with unique keys.
// REQUIRES (for every map handed to the engine): sorted by key, no duplicate keys. Use
// sortStringMap() when unsure; computeAllocation() rejects unsorted maps with an error.
using StringMap = std::vector<std::pair<std::string, std::string>>;

// Sorts by key and drops later duplicates of a key (first value wins).
void sortStringMap(StringMap& map);
bool isSortedStringMap(const StringMap& map);
// Value of `key`, or nullptr. REQUIRES: map sorted (binary search).
const std::string* findInMap(const StringMap& map, std::string_view key);

// Kubernetes identity of an allocation. Empty string = unknown/absent. Label and annotation
// keys are expected in Prometheus-sanitised form ("app_kubernetes_io_name") as exported by
// kube-state-metrics; lookups by an unsanitised key fall back to the sanitised one.
struct AllocationProperties {
  std::string cluster;
  std::string node;
  std::string container;
  std::string controller;       // controller name, e.g. "api" for deployment "api"
  std::string controller_kind;  // "deployment", "statefulset", "daemonset", "job", ...
  std::string namespace_name;
  std::string pod;
  std::string provider_id;              // node's cloud provider ID
  std::string runtime_class;            // pod spec.runtimeClassName ("" = cluster default)
  // The pod runs WebAssembly (model::isWasmRuntime of runtime_class and the pod annotations).
  bool wasm = false;
  std::vector<std::string> services;    // services selecting the pod (first one aggregates)
  StringMap labels;                     // pod labels
  StringMap annotations;                // pod annotations
  StringMap namespace_labels;
  StringMap namespace_annotations;

  // Merge rule of OpenCost's Intersection: scalar fields are kept only where equal (else
  // cleared; `wasm` stays true only when both are), services only where the lists are equal.
  // The four metadata maps are intersected (pairs present with the same value on both sides)
  // when `keep_metadata`, else cleared.
  void intersect(const AllocationProperties& that, bool keep_metadata);
  // Clears the four metadata maps and the services list.
  void clearMetadata();
};

// One persistent volume's share inside an allocation; key "cluster=<c>:name=<pv>".
struct PvAllocation {
  double byte_hours = 0;
  double cost = 0;
  std::string provider_id;
};

// One load balancer's share; key "<cluster>/<namespace>/<service>".
struct LbAllocation {
  std::string service;
  double cost = 0;
  bool is_private = false;
  std::string ip;
  double hours = 0;
};

// Share of an allocation in the CPU/RAM/GPU (and PV/LB) cost of the node or cluster it ran on
// (OpenCost includeProportionalAssetResourceCosts). Percentages are derived at output time.
struct ProportionalAssetResourceCost {
  std::string cluster;
  std::string node;         // empty at cluster level
  std::string provider_id;  // empty at cluster level
  double cpu_proportional_cost = 0, cpu_total_cost = 0;
  double ram_proportional_cost = 0, ram_total_cost = 0;
  double gpu_proportional_cost = 0, gpu_total_cost = 0;
  double pv_proportional_cost = 0, pv_total_cost = 0;
  double lb_proportional_cost = 0, lb_total_cost = 0;

  double cpuPercentage() const;
  double ramPercentage() const;
  double gpuPercentage() const;
  double pvPercentage() const;
  double lbPercentage() const;
  // (cpu%·cpuTotal + ram%·ramTotal + gpu%·gpuTotal) / (cpuTotal + ramTotal + gpuTotal).
  double nodeResourceCostPercentage() const;
  void add(const ProportionalAssetResourceCost& that);
};

// How much of an allocation's shared_cost came from one shared source (a shared namespace or
// label group by its aggregated name, or "__shared__" for the flat overhead).
struct SharedCostBreakdown {
  std::string name;
  double total_cost = 0;
  double cpu_cost = 0, gpu_cost = 0, ram_cost = 0, pv_cost = 0;
  double network_cost = 0, lb_cost = 0, external_cost = 0;
  void add(const SharedCostBreakdown& that);
};

// Where an allocation's usage averages come from.
//   kMeasured: usage series (cAdvisor, DCGM), the default.
//   kRequests: a WebAssembly workload (AllocationProperties::wasm) whose runtime reported no
//     CPU and no memory usage at all while it ran — WASM shims often export no cAdvisor series,
//     and a running process never truly uses zero bytes. Its usage is taken to equal its
//     requests: cost (∫ max(request, usage)) is unchanged, efficiency reads 1 instead of
//     claiming 0, and raw max usage is the average request.
//   kMixed: a merge of allocations with different sources.
enum class UsageSource : std::uint8_t { kMeasured, kRequests, kMixed };
// "measured", "requests", "mixed".
std::string_view usageSourceName(UsageSource s);

// Reserved name components (OpenCost §2).
inline constexpr std::string_view kIdleName = "__idle__";
inline constexpr std::string_view kUnallocatedName = "__unallocated__";
inline constexpr std::string_view kUnmountedName = "__unmounted__";
inline constexpr std::string_view kSharedName = "__shared__";
inline constexpr std::string_view kFilteredName = "__filtered__";
// Trimtab: CPU/RAM/GPU cost of allocations in excess of the asset cost of their idle key
// (cluster or node). Negative cost; makes Σ allocations + idle + overallocated = Σ assets.
inline constexpr std::string_view kOverallocatedName = "__overallocated__";

struct Allocation {
  std::string name;  // container grain: "cluster/node/namespace/pod/container"
  AllocationProperties properties;
  double window_start = 0, window_end = 0;  // Unix seconds: the query window (step)
  double start = 0, end = 0;                // Unix seconds: when it ran inside the window

  double cpu_core_hours = 0;
  double cpu_core_request_average = 0;  // cores, time-average over [start, end)
  double cpu_core_usage_average = 0;    // cores
  std::optional<double> cpu_core_usage_max;  // raw-only; cleared by any merge
  UsageSource usage_source = UsageSource::kMeasured;  // of the CPU and RAM usage averages
  double cpu_cost = 0;             // includes idle shared in (see cpu_cost_idle)
  double cpu_cost_adjustment = 0;  // reconciliation
  double cpu_cost_idle = 0;        // part of cpu_cost that is shared idle (shareIdle)

  double gpu_hours = 0;
  double gpu_request_average = 0;  // GPUs
  double gpu_usage_average = 0;    // 0..count (DCGM engine-active fraction × GPUs)
  double gpu_cost = 0;
  double gpu_cost_adjustment = 0;
  double gpu_cost_idle = 0;

  double network_transfer_bytes = 0;
  double network_receive_bytes = 0;
  double network_cost = 0;  // total egress cost; the three classes below are parts of it
  double network_cross_zone_cost = 0;
  double network_cross_region_cost = 0;
  double network_internet_cost = 0;
  double network_cost_adjustment = 0;

  double load_balancer_cost = 0;
  double load_balancer_cost_adjustment = 0;
  std::map<std::string, LbAllocation> lb_allocations;

  std::map<std::string, PvAllocation> pvs;  // key "cluster=<c>:name=<pv>"
  double pv_cost_adjustment = 0;

  double ram_byte_hours = 0;
  double ram_byte_request_average = 0;  // bytes
  double ram_byte_usage_average = 0;    // bytes
  std::optional<double> ram_byte_usage_max;  // raw-only; cleared by any merge
  double ram_cost = 0;
  double ram_cost_adjustment = 0;
  double ram_cost_idle = 0;

  double external_cost = 0;
  double shared_cost = 0;
  std::map<std::string, SharedCostBreakdown> shared_cost_breakdown;  // key = breakdown name
  // key = "<cluster>" or "<cluster>,<node>"
  std::map<std::string, ProportionalAssetResourceCost> proportional_asset_resource_costs;

  // --- derived (OpenCost computes these at serialisation time) ---
  double minutes() const { return (end - start) / 60.0; }
  double hours() const { return (end - start) / 3600.0; }
  double cpuCores() const;     // cpu_core_hours / hours, 0 when hours == 0
  double ramBytes() const;     // ram_byte_hours / hours
  double gpuCount() const;     // gpu_hours / hours
  double pvByteHours() const;  // Σ pvs byte_hours
  double pvBytes() const;      // pvByteHours / hours
  double pvCost() const;       // Σ pvs cost
  double cpuTotalCost() const { return cpu_cost + cpu_cost_adjustment; }
  double ramTotalCost() const { return ram_cost + ram_cost_adjustment; }
  double gpuTotalCost() const { return gpu_cost + gpu_cost_adjustment; }
  double pvTotalCost() const { return pvCost() + pv_cost_adjustment; }
  double networkTotalCost() const { return network_cost + network_cost_adjustment; }
  double lbTotalCost() const { return load_balancer_cost + load_balancer_cost_adjustment; }
  // Everything: CPU+GPU+RAM+PV+network+LB (with adjustments) + shared + external.
  double totalCost() const;
  // §3.7: usage/request; request 0 → 1 if usage > 0 and cost > 0, else 0. May exceed 1.
  double cpuEfficiency() const;
  double ramEfficiency() const;
  double gpuEfficiency() const;
  // Cost-weighted CPU and RAM efficiency (GPU excluded, as upstream); 0 when no CPU+RAM cost.
  double totalEfficiency() const;

  bool isIdle() const;           // name contains "__idle__"
  bool isUnmounted() const;      // name contains "__unmounted__"
  bool isOverallocated() const;  // name contains "__overallocated__"

  // Merge rule §3.8: sums hours, bytes and costs (and the pv/lb/PARC/breakdown maps);
  // averages are Σ(avg·minutes)/mergedMinutes with mergedMinutes over [min start, max end]
  // (so concurrent containers sum their averages); window is the union; properties are
  // intersected (AllocationProperties::intersect with `keep_metadata`); raw max usage is
  // cleared; usage_source stays if equal, else becomes kMixed. The name is kept.
  void add(const Allocation& that, bool keep_metadata = true);
};

// Input/output set: the allocations of one window (step).
struct AllocationSet {
  double window_start = 0, window_end = 0;  // Unix seconds
  std::vector<Allocation> allocations;

  double totalCost() const;
};

// Container-grain name "cluster/node/namespace/pod/container" built from properties.
std::string containerGrainName(const AllocationProperties& p);

}  // namespace trimtab::cost
