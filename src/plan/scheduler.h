// Places pods one at a time on a cluster with one policy, the way the FGD paper's simulator
// does: filter every node (checkFit), score the feasible ones, take the highest score, then pick
// devices (whole-GPU pods: lowest-index free devices; sharing
// pods: the policy's device selector). No departures. Not thread-safe; one per replay.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "plan/cluster.h"
#include "plan/frag.h"
#include "plan/policy.h"
#include "plan/rng.h"

namespace trimtab::plan {

struct Placement {
  std::size_t pod = 0;  // index into the caller's pod sequence
  int node = -1;        // index into Cluster::nodes
  GpuMask gpus = 0;
};

struct Decision {
  int node = -1;  // -1: unschedulable
  GpuMask gpus = 0;
  // Nodes rejected per reason (index = FitFailure), filled when the pod is unschedulable.
  std::array<int, 11> rejected{};
  // "0/3 nodes fit: 2 insufficient cpu, 1 untolerated taint" for unschedulable pods.
  std::string reason() const;
};

// How equal best scores are resolved. kFirst (the node listed first) reproduces the paper's
// published figures; kRandom (uniform, kube-scheduler's selectHost) spreads CPU-only pods over
// every tied node and makes Packing, Clustering and FGD several points worse on openb.
enum class TieBreak { kFirst, kShuffledFirst, kRandom };

class Scheduler {
 public:
  // REQUIRES: cluster outlives the Scheduler. typical: the target workload for FGD/Trimtab
  // (ignored by the other policies).
  Scheduler(const Cluster& cluster, PolicyKind policy, std::vector<TypicalPod> typical, Rng& rng,
            TieBreak tie_break = TieBreak::kShuffledFirst);

  // Chooses a node and devices for pod and commits the placement; pod_index is recorded.
  Decision schedule(const PodSpec& pod, std::size_t pod_index);

  const std::vector<NodeState>& states() const { return states_; }
  const std::vector<Placement>& placements() const { return placements_; }
  std::int64_t usedGpuMilli() const { return used_gpu_milli_; }
  // Cluster fragmentation F(M) in milli-GPU (sum over nodes).
  double clusterFragMilli() const { return cluster_frag_milli_; }

 private:
  struct CacheEntry {
    std::uint32_t version = 0;  // 0 = empty; node versions start at 1
    FragEval eval;
  };
  const FragEval& fragEval(int node, const PodSpec& pod);
  void commit(int node, const PodSpec& pod, GpuMask gpus, std::size_t pod_index);

  const Cluster& cluster_;
  PolicyKind policy_;
  TieBreak tie_break_;
  std::vector<TypicalPod> typical_;
  Rng& rng_;
  std::vector<NodeState> states_;
  std::vector<std::uint32_t> versions_;
  std::vector<std::size_t> order_;  // node visiting order; the first best in it wins ties
  std::vector<double> node_frag_;
  std::vector<std::int64_t> pressure_;  // Trimtab policy: model pressure per node (ppm)
  double cluster_frag_milli_ = 0;
  std::int64_t used_gpu_milli_ = 0;
  std::vector<Placement> placements_;
  std::map<std::tuple<std::int64_t, int, int>, std::vector<CacheEntry>> frag_cache_;
  std::vector<int> feasible_;
  std::vector<CacheEntry>* current_entries_ = nullptr;  // frag_cache_ entry of the current pod
};

// Re-applies placements from empty nodes and checks every fit rule again (static and capacity,
// device sets included). Error naming the first violating pod and node.
Status verifyPlacements(const Cluster& cluster, std::span<const PodSpec> pods,
                        std::span<const Placement> placements);

}  // namespace trimtab::plan
