// The FGD paper's replay protocol on openb-style inputs (see docs/planner.md):
//   1. pods sorted by name, shuffled with the seed (Fisher-Yates);
//   2. tuned to `inflate` x the cluster's GPU capacity: when short, pods drawn uniformly (with
//      replacement) from the name-sorted list are appended as "<name>-tuned-<i>" until the next
//      draw's per-device gpu_milli would pass the target (upstream's check); when over, random
//      pods are removed until the total GPU request is within the target;
//   3. pods scheduled one at a time, no departures; after every pod the arrived GPU request,
//      the allocated GPU and the cluster fragmentation are recorded;
//   4. records are binned by arrived % of GPU capacity (round half to even) into a curve with
//      one point per whole percent (the paper's merge_alloc_discrete.py; a percent with no
//      record within +-1 carries the previous point forward).
// Deterministic for a given (inputs, options). Thread-compatible: replays may run in parallel.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "model/error.h"
#include "plan/cluster.h"
#include "plan/policy.h"
#include "plan/rng.h"
#include "plan/scheduler.h"

namespace trimtab::plan {

struct ReplayOptions {
  PolicyKind policy = PolicyKind::kFgd;
  std::uint64_t seed = 42;
  double inflate = 1.3;  // <= 0: submit the list as is
  bool shuffle = true;
  double popularity_pct = 95;  // typical-pod cut-off for the fragmentation model
  TieBreak tie_break = TieBreak::kShuffledFirst;
};

struct ReplayRecord {
  std::int64_t arrived_gpu_milli = 0;  // submitted so far, placed or failed
  std::int64_t used_gpu_milli = 0;
  double frag_gpu_milli = 0;
};

struct CurvePoint {
  int arrived_pct = 0;
  double gpu_alloc_pct = 0;
  double unallocated_gpu_pct = 0;
  double frag_pct = 0;  // fragmented GPU as % of cluster GPU capacity
};

struct UnschedulablePod {
  std::string name;
  std::string reason;
};

struct ReplayResult {
  PolicyKind policy = PolicyKind::kFgd;
  std::uint64_t seed = 0;
  double inflate = 0;
  int total_gpus = 0;
  std::vector<PodSpec> sequence;  // the submitted pods, in order
  std::vector<UnschedulablePod> failed;
  std::vector<ReplayRecord> records;  // one per submitted pod
  std::vector<CurvePoint> curve;
  double unallocated_gpu_pct_at_100 = -1;  // negative when arrived load never reached 100%
  std::vector<Placement> placements;       // Placement::pod indexes `sequence`
};

// Steps 1-2. REQUIRES: total_gpus > 0.
std::vector<PodSpec> arrivalSequence(std::span<const PodSpec> pods, int total_gpus, double inflate,
                                     bool shuffle, Rng& rng);

// Step 4.
std::vector<CurvePoint> discretise(std::span<const ReplayRecord> records, int total_gpus);

// Steps 1-4. Error when the cluster has no GPU or the pod list is empty.
Result<ReplayResult> replay(const Cluster& cluster, std::span<const PodSpec> pods,
                            const ReplayOptions& options);

// {"policy", "seed", "inflate", "total_gpus", "failed_pods", "unallocated_gpu_pct_at_100",
//  "curve": [{"arrived_pct", "gpu_alloc_pct", "unallocated_gpu_pct", "frag_pct"}, ...]}
std::string replayJson(const ReplayResult& result);

}  // namespace trimtab::plan
