// The allocation query: idle, shareIdle, shared costs, filter, aggregation, accumulation
// (shared/reference/opencost-semantics.md §4). One pure function per step over plain data.
//
// Order of passes (all coefficients on the UNFILTERED set, filter last — fixes the upstream
// idle over-count of test 6e):
//   1. idle per idle key (cluster, or cluster+node with idle_by_node) and per resource
//      (CPU, RAM, GPU only): asset cost − allocation cost, clamped at 0; the negative part is
//      reported as an explicit `__overallocated__` allocation (never negative idle).
//   2. idle coefficients: allocation's share of its key's cost of that resource (shared
//      allocations included). Idle of a resource nobody in the key used is "unconsumed" and
//      always stays on the idle line.
//   3. shared pool = shared allocations (share_namespaces / share_labels) + their idle share
//      when share_idle + overhead (shared_hourly_cost·hours + share_cost_monthly·hours/730.08).
//      Receiver fractions: weighted = receiver's (totalCost − sharedCost) / Σ over all
//      receivers; even = 1/#aggregation keys (with receivers), split inside a key by cost.
//      Receivers: every non-shared allocation whose name has no `__unmounted__`.
//   4. filter (container grain), aggregation keys, merge, then add idle (share_idle) and shares.
//   5. idle lines: unfiltered → the idle per key; filtered → only the idle attributed to the
//      allocations that passed (their own idle share + the idle of shared allocations flowing
//      with their shared-cost fraction) — OpenCost's "idle filtration".
//
// Invariants (tests/unit/cost/conservation_test.cc, random inputs × every query shape):
//   Unfiltered, idle computed: Σ totalCost(result) = Σ node asset CPU+RAM+GPU cost
//       + Σ input PV+network+LB+external cost (with adjustments) + overhead
//     (per idle key and resource: allocation + idle + overallocated = asset, exactly).
//   Unfiltered, no idle: Σ totalCost(result) = Σ input totalCost + overhead.
//   Filtered by F: Σ result(F) + Σ result(¬F) = Σ result(unfiltered) − orphans, where
//     orphans = the idle of idle keys whose allocations have no CPU/RAM/GPU cost at all (no
//     allocation to attribute it to) + the overhead when no allocation can receive shares
//     (the `__shared__` line); both appear only in unfiltered results.
//
// Deviation from upstream (documented bug fixes, §8): negative idle → __overallocated__;
// 6e total 74.7708 / idle 20.1042; even split under a filter counts the unfiltered keys
// (upstream lumps filtered-out keys into one `__filtered__` key, so the filtered share depended
// on the filter); idle of unconsumed resources under a filter is apportioned by the
// allocations' CPU+RAM+GPU cost share.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cost/allocation.h"
#include "cost/filter.h"
#include "model/error.h"

namespace trimtab::cost {

// One node's asset cost over the step. Costs are final: after discount and reconciliation
// adjustment (OpenCost Node.TotalCost split per resource). Quantities are capacity × hours.
struct NodeCost {
  std::string cluster, node, provider_id;
  double cpu_cost = 0, ram_cost = 0, gpu_cost = 0;
  double cpu_core_hours = 0, ram_byte_hours = 0, gpu_hours = 0;
};

// Asset costs of one step. Only `nodes` feeds idle (CPU/RAM/GPU are the only idle-eligible
// resources); the other totals are informational and are not used by computeAllocation.
struct AssetCosts {
  std::vector<NodeCost> nodes;
  double pv_cost = 0;       // all disks
  double lb_cost = 0;       // all load balancers
  double network_cost = 0;  // network assets
  double other_cost = 0;    // e.g. cluster management fees
};

enum class ShareSplit { kWeighted, kEven };

struct AllocationQuery {
  // Aggregation keys (§4.6): cluster, node, namespace, controllerKind, controller, deployment,
  // statefulset, daemonset, job, pod, container, service, providerID, runtimeClass, label:<k>,
  // annotation:<k>, department, environment, owner, product, team, all. Empty = container
  // grain (names as given). "all" = one bucket named "__all__". Multi-key names join with '/'.
  std::vector<std::string> aggregate;
  bool include_idle = false;
  bool share_idle = false;   // implies computing idle
  bool idle_by_node = false;
  bool split_idle = false;   // idle lines "<cluster>/__idle__" or "<node>/__idle__"
  // Keep (intersected) labels/annotations on aggregated allocations; otherwise aggregated
  // allocations carry only their common scalar properties.
  bool include_aggregated_metadata = false;
  bool include_proportional_asset_resource_costs = false;
  bool include_shared_cost_breakdown = false;
  std::optional<Filter> filter;
  std::vector<std::string> share_namespaces;
  std::vector<std::pair<std::string, std::string>> share_labels;  // label key, value
  double share_cost_monthly = 0;  // Kubecost shareCost: $/month, 730.08 h (30.42 ≙ $1/day)
  double shared_hourly_cost = 0;  // OpenCost SharedHourlyCosts total, $/h
  ShareSplit share_split = ShareSplit::kWeighted;
  LabelAliases aliases;
};

// Prometheus label-name sanitising (every character outside [a-zA-Z0-9_] becomes '_'); label
// lookups by key fall back to the sanitised key, as kube-state-metrics exports them.
std::string sanitizeLabelKey(std::string_view s);

// Validates the aggregation keys: unknown key → kInvalidArgument naming it.
Status validateAggregate(const std::vector<std::string>& aggregate);

// One step. `container_grain` holds container-grain allocations (names unique; empty names
// are filled as cluster/node/namespace/pod/container); allocations with `__unmounted__` in
// the name are carried as is and never receive shared costs. Input must not contain idle.
// Output allocations are sorted by name. Errors: bad aggregation key, unsorted label maps.
Result<AllocationSet> computeAllocation(const AllocationSet& container_grain,
                                        const AssetCosts& assets, const AllocationQuery& query);

struct StepInput {
  AllocationSet container_grain;
  AssetCosts assets;
};

// accumulateBy (core/pkg/opencost/query.go): kNone = one set per step; kAll = one set;
// kHour/kDay/kWeek (Sunday)/kMonth/kQuarter = steps grouped by the calendar bucket (UTC
// shifted by `utc_offset_seconds`) their start falls in. Accumulated sets merge allocations
// by name with Allocation::add.
enum class Accumulate { kNone, kAll, kHour, kDay, kWeek, kMonth, kQuarter };
Result<Accumulate> parseAccumulate(std::string_view text);  // "", "false", "true", "all", ...

Result<std::vector<AllocationSet>> computeAllocationRange(const std::vector<StepInput>& steps,
                                                          const AllocationQuery& query,
                                                          Accumulate accumulate,
                                                          int utc_offset_seconds = 0);

// Merges sets (by allocation name) into one covering all their windows.
AllocationSet mergeSets(const std::vector<AllocationSet>& sets);

}  // namespace trimtab::cost
