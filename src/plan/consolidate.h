// Consolidation planning: which nodes of a running cluster to delete or replace with cheaper
// instance types, which pods move where, what it saves and what it disrupts.
//
// Input is a plain cluster description (nodes with prices, pods with requests and the node they
// run on, DaemonSet overhead, pinned pods, PodDisruptionBudgets when known) plus replacement
// instance options (plan/sizing.h, allocatable capacity: build them with target_utilization 1).
// No store access: plan/from_store.h builds the description from a block store.
//
// Trimtab's search (several candidate orderings evaluated in parallel, best plan kept):
//   1. delete: nodes are tried one at a time in the ordering; a node is removed when every pod
//      it hosts (DaemonSet pods excluded: they go with the node) fits the free capacity of the
//      nodes that remain (pods largest first, CPU then memory; best fit = the fullest node that
//      passes every fit rule). Committed removals accumulate, so the result is a multi-node
//      deletion of any size.
//   2. replace: groups of remaining nodes (each node alone, and the k least-utilised nodes for k
//      = 2..16) are removed and their pods go first to free capacity elsewhere, the rest to new
//      nodes sized with plan::sizePool on the catalog (so one node may be split into several
//      smaller ones, and N nodes repacked into M); taken when the new nodes cost less.
// Every action must pass the savings-vs-disruption rule: monthly saving per disruption unit
// (Karpenter's balanced rule: a removed node costs 1 + its evicted pods) at least
// min_saving_per_disruption_usd. --max-disruption bounds the pods evicted by the whole plan.
//
// The plan is the best of Trimtab's orderings and of the two baselines' own plans (so it never
// saves less than they do; chosen_variant says which). Baselines on the same input and limits: Karpenter single-node consolidation (candidates by
// price / (1 + evicted pods), FFD of the candidate's pods onto the other nodes in name order,
// at most one cheaper replacement node, repeated until nothing is valid) and Karpenter's loop
// (multi-node first: binary search over the prefix length of the first 100 candidates with at
// most one replacement; single-node when multi finds nothing).
//
// Thread-compatible input; consolidate() uses up to options.threads worker threads internally.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/error.h"
#include "plan/cluster.h"
#include "plan/sizing.h"

namespace trimtab::plan {

constexpr double kHoursPerMonth = 730;

struct ClusterNode {
  NodeSpec spec;  // allocatable capacity, labels, taints; spec.name is the node name
  std::string instance_type;
  double hourly_usd = 0;
  bool spot = false;
  std::string price_source;  // "store", "catalog", "unknown"
  // Node pool for the balanced rule (Karpenter NodePool, node group); empty: "gpu nodes" or
  // "cpu nodes" by whether the node has GPUs.
  std::string pool;
};

enum class PodRole {
  kMovable,    // evictable; moves when its node is removed
  kDaemonSet,  // per-node overhead: removed with the node, never moved
  kPinned,     // cannot be evicted: pins its node
};

struct ClusterPod {
  PodSpec spec;  // spec.name is "namespace/pod"
  int node = -1;  // index into ClusterDescription::nodes
  PodRole role = PodRole::kMovable;
  std::string pin_reason;  // for kPinned: "no controller", "annotation karpenter.sh/do-not-disrupt=true"
  int pdb = -1;            // index into ClusterDescription::pdbs, -1 = none
};

struct DisruptionBudget {
  std::string name;  // "namespace/name"
  int disruptions_allowed = 0;
};

struct ClusterDescription {
  std::string cluster;
  std::vector<ClusterNode> nodes;
  std::vector<ClusterPod> pods;
  GpuModels gpu_models;
  std::vector<DisruptionBudget> pdbs;
  bool pdbs_known = false;           // false: the output says "PDBs: not in store"
  bool local_storage_known = false;  // false: pods with local storage are not detected
  std::vector<std::string> notes;    // reader remarks printed with the plan
};

struct ConsolidateOptions {
  // Replacement instance types (capacities = allocatable; empty = delete actions only).
  std::vector<InstanceOption> replacements;
  int max_disruption = -1;  // max pods evicted by the whole plan; negative = unlimited
  // Monthly USD saved per disruption unit required to act; negative = Karpenter's balanced
  // default per node pool: (pool monthly cost / pool disruption units) / balanced_k, and an
  // action spanning pools needs the highest of its nodes' pool thresholds.
  double min_saving_per_disruption_usd = -1;
  double balanced_k = 2;
  int deadline_ms = 5000;
  int threads = 2;
  int variants = 6;          // candidate orderings Trimtab evaluates
  int max_replace_groups = 24;  // single-node replace candidates considered per round
};

enum class ActionKind { kDelete, kReplace };

struct PodMove {
  std::size_t pod = 0;   // index into ClusterDescription::pods
  int target = -1;       // < nodes.size(): an existing node; else nodes.size() + index in added
  std::string target_name;
};

struct AddedNode {
  std::string name;  // "new-1", "new-2", ... (plan-wide numbering)
  InstanceOption option;
  // Topology labels (zone, region) shared by every node the action removes: a new node is
  // launched where they were, so pods held to a zone by a nodeSelector can move onto it.
  std::map<std::string, std::string> labels;
};

struct ConsolidationAction {
  ActionKind kind = ActionKind::kDelete;
  std::vector<int> removed;  // node indexes
  std::vector<AddedNode> added;
  std::vector<PodMove> moves;
  double removed_hourly_usd = 0;
  double added_hourly_usd = 0;
  int evicted = 0;  // pods evicted (moved)
  double disruption = 0;  // Σ over removed nodes of 1 + evicted pods
  double monthlySaving() const { return (removed_hourly_usd - added_hourly_usd) * kHoursPerMonth; }
};

struct NodeVerdict {
  bool removed = false;
  std::string reason;
};

struct StrategySummary {
  std::string name;
  int nodes_removed = 0;
  int nodes_added = 0;
  int evicted = 0;
  double monthly_saving_usd = 0;
  std::size_t actions = 0;
};

struct PoolThreshold {
  std::string pool;
  int nodes = 0;
  double monthly_usd = 0;
  double disruption_units = 0;  // Σ (1 + movable pods) over the pool's nodes
  double threshold_usd = 0;     // monthly saving per disruption unit required
};

struct ConsolidationPlan {
  std::vector<ConsolidationAction> actions;
  std::vector<NodeVerdict> verdicts;  // per node of the description
  double monthly_saving_usd = 0;
  int evicted = 0;
  double cluster_monthly_usd = 0;
  double cluster_disruption_units = 0;
  double threshold_usd = 0;  // --min-saving, or the lowest pool threshold of the balanced rule
  std::string threshold_rule;  // how the threshold was set, for the output
  std::vector<PoolThreshold> pools;  // the balanced rule's figures per pool (empty with --min-saving)
  std::vector<StrategySummary> strategies;  // "trimtab" first, then the Karpenter baselines
  std::string chosen_variant;
  int variants_evaluated = 0;
  int variants_total = 0;
  bool deadline_hit = false;
  double elapsed_ms = 0;
};

// The plan. Error only for an inconsistent description (pod on an unknown node).
Result<ConsolidationPlan> consolidate(const ClusterDescription& cluster,
                                      const ConsolidateOptions& options);

// Re-applies a plan from the description: removed nodes leave with their DaemonSet pods, added
// nodes get the DaemonSet overhead of the largest removed node, every moved pod is placed on its
// target under every fit rule (checkFit), no pinned pod is moved, no node is removed twice, no
// node exceeds its capacity, evictions match the moves and respect max_disruption and PDBs, and
// the saving equals removed minus added prices. Error naming the first violation.
Status verifyPlan(const ClusterDescription& cluster, const ConsolidationPlan& plan,
                  const ConsolidateOptions& options);

// One JSON object: {"cluster","threshold_usd_per_disruption","threshold_rule","pdbs",
// "monthly_saving_usd","evicted","actions":[...],"nodes":[...],"strategies":[...],...}.
std::string planJson(const ClusterDescription& cluster, const ConsolidationPlan& plan);

}  // namespace trimtab::plan
