// Savings insights beside requests, each with its dollar figure and evidence:
//   idle-workload     a workload (as in recommend.h) whose mean CPU stayed below
//                     idle_cpu_cores with no network traffic in either direction, observed for
//                     at least idle_days: its whole cost is the saving (scale to zero / delete).
//   unclaimed-volume  a persistent volume with no claim (claimRef empty) that still costs.
//   drainable-node    from the newest stored hour block inside the window, per cluster (nodes
//                     and pods running in the last 5 minutes of its data): a node whose pods'
//                     current requests fit into the free allocatable capacity of the other nodes of
//                     its cluster (first fit, pods largest first, GPU pods only onto free GPUs of
//                     their node's model (label nvidia.com/gpu.product,
//                     karpenter.k8s.aws/instance-gpu-name or cloud.google.com/gke-accelerator, else
//                     the instance type), CPU pods never onto GPU nodes, which are assumed
//                     tainted). Drains accumulate (pods moved off one node use up the capacity they
//                     land on, a drained node takes no pods), so the listed nodes can be drained
//                     together. DaemonSet pods go with the node; a bare pod (no controller) or a
//                     pod with a local persistent volume pins its node. Saving = the node's monthly
//                     price.
//   spot-candidate    from the same hour: a Deployment or ReplicaSet with ≥ 2 running
//                     replicas, no persistent volume (so no local/PV storage; hostPath and
//                     emptyDir are not in the store) and pods on on-demand nodes. Saving = the
//                     monthly cost of its pods on on-demand nodes × (1 − spot / on-demand) of
//                     those nodes' instance types (options.spot_price); workloads whose nodes
//                     have no spot price are not listed.
// PodDisruptionBudgets are not in the store: the evidence says "PDB: unknown (not in store)".
// Thread-safe for concurrent calls on one Store (spot_price must be thread-safe too).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/clock.h"
#include "model/error.h"
#include "store/store.h"

namespace trimtab::recommend {

// A node type's spot price relative to on-demand (from a pricing catalog).
struct SpotPrice {
  double on_demand_hourly = 0, spot_hourly = 0;  // USD/h, both > 0
  std::string source;                            // e.g. "catalog:aws:m5.large:us-east-1"
};
// (instance type, region) -> its spot price; empty optional when unknown.
using SpotPriceLookup = std::function<std::optional<SpotPrice>(std::string_view instance_type,
                                                               std::string_view region)>;

struct InsightOptions {
  UnixSeconds window_start = 0, window_end = 0;  // hour-aligned
  std::string cluster;                           // empty = all
  double idle_days = 7;
  double idle_cpu_cores = 0.001;
  bool drainable_nodes = true;
  SpotPriceLookup spot_price;  // empty: no spot candidates
};

struct Insight {
  // "idle-workload", "unclaimed-volume", "drainable-node", "spot-candidate"
  std::string kind;
  // idle-workload: "<cluster>/<namespace>/<kind>/<name>/<container>"; unclaimed-volume:
  // "<cluster>/<pv>"; drainable-node: "<cluster>/<node>"; spot-candidate:
  // "<cluster>/<namespace>/<kind>/<name>"
  std::string object;
  // What acting on it saves per month (730 h): removal at its window rate; a drained node's
  // last-hour price; a spot move's on-demand − spot difference at last-hour costs.
  double monthly_cost_usd = 0;
  std::string evidence;  // one line
};

// Sorted by monthly_cost_usd, largest first. Reads no sketch columns.
Result<std::vector<Insight>> savingsInsights(const store::Store& store,
                                             const InsightOptions& options);
std::string insightsJson(const std::vector<Insight>& insights);

}  // namespace trimtab::recommend
