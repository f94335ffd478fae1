// GPU fragmentation as the FGD paper (Weng et al., ATC'23) defines it.
// A target workload M is a list of typical pod shapes with probabilities p_m. For a node n and
// a task m, F_n(m) is the node's idle GPU milli that m cannot use: all of it when m asks for no
// GPU, when the node's model is not allowed, when fewer than k_m devices have >= q_m free or
// the node lacks m's CPU; otherwise only the devices with less than q_m free. F_n(M) =
// sum_m p_m F_n(m). Memory is not part of the model. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "plan/cluster.h"

namespace trimtab::plan {

struct TypicalPod {
  std::int64_t cpu_milli = 0;
  int gpu_milli = 0;  // per device; 0 = CPU-only
  int num_gpu = 0;
  std::uint64_t gpu_model_mask = 0;  // 0 = any
  std::string gpu_spec;
  double probability = 0;
};

// Groups pods by (cpu_milli, gpu_milli, num_gpu, gpu_spec), sorts groups by count descending
// (ties: larger cpu, gpu_milli, num_gpu, spec first), keeps groups until their cumulative count
// reaches popularity_pct % of all pods, and renormalises their probabilities to sum to 1.
std::vector<TypicalPod> typicalPods(std::span<const PodSpec> pods, double popularity_pct = 95.0);

// F_n(M) in milli-GPU for a node in state, whose GPU model id is gpu_model.
double nodeFragMilli(const NodeState& state, int gpu_model, std::span<const TypicalPod> typical);

}  // namespace trimtab::plan
