// Placement policies. Six follow the FGD paper's simulator exactly (integer scores 0..100,
// highest wins, ties broken uniformly at random): Random, DotProduct (Tetris; merged GPU
// dimension, normalised by the largest node 128 cores / 8 GPUs), GpuClustering, GpuPacking,
// BestFit and FGD (fragmentation gradient descent). Trimtab's own policy keeps FGD's integer
// score as the first key and breaks its (frequent) ties deliberately instead of by list order:
// CPU-only pods go where the least GPU is idle (then least CPU left); GPU pods go where the GPU
// model is least needed by model-constrained pods, then to nodes already in use before
// untouched ones (whole nodes stay free for multi-GPU pods); sharing pods take the device with
// the smallest exact fragmentation increase. See docs/planner.md for the measurements. Score
// functions are pure; they assume the pod passed the filter.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "plan/cluster.h"
#include "plan/frag.h"

namespace trimtab::plan {

enum class PolicyKind { kRandom, kDotProduct, kClustering, kPacking, kBestFit, kFgd, kTrimtab };

// "random", "dotprod", "clustering", "packing", "bestfit", "fgd", "trimtab".
std::optional<PolicyKind> parsePolicy(std::string_view name);
std::string_view policyName(PolicyKind policy);
// All policies, paper baselines first.
std::span<const PolicyKind> allPolicies();

constexpr std::int64_t kMaxCpuSpecMilli = 128000;  // normaliser of the paper's scores
constexpr std::int64_t kMaxGpuSpecMilli = 8000;

std::int64_t dotProductScore(const NodeState& node, const PodSpec& pod);
std::int64_t clusteringScore(const NodeState& node, const PodSpec& pod);
std::int64_t packingScore(const NodeState& node, const PodSpec& pod);
std::int64_t bestFitScore(const NodeState& node, const PodSpec& pod);
// FGD's score for a fragmentation increase (milli-GPU): int(sigmoid(-increase/1000) * 100).
std::int64_t fgdScore(double frag_increase_milli);

// Fragmentation change of placing pod on a node (REQUIRES: it fits).
struct FragEval {
  double exact_increase = 0;   // smallest increase over device choices
  int exact_gpu = -1;          // device reaching it for sharing pods (least free on ties)
  std::int64_t fgd_score = 0;  // FGD's integer score (best over devices)
  int fgd_gpu = -1;            // first device reaching fgd_score for sharing pods
};
FragEval evaluateFrag(const NodeState& node, int gpu_model, const PodSpec& pod,
                      std::span<const TypicalPod> typical, double current_frag_milli);

}  // namespace trimtab::plan
