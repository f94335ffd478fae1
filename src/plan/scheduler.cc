#include "plan/scheduler.h"

#include <fmt/format.h>

#include <algorithm>

namespace trimtab::plan {

namespace {

// Trimtab policy: CPU cores to keep free per idle GPU so the GPU stays usable. Chosen on the
// openb replays (4, 6, 8, 10, 14 tried; 8 best on every workload tried, 14 worse than FGD).
constexpr std::int64_t kCpuReservePerGpu = 8;

}  // namespace

std::string Decision::reason() const {
  int total = 0;
  for (int r : rejected) total += r;
  std::string out = fmt::format("0/{} nodes fit", total);
  bool first = true;
  for (std::size_t i = 0; i < rejected.size(); ++i) {
    if (rejected[i] == 0) continue;
    out += fmt::format("{} {} {}", first ? ":" : ",", rejected[i],
                       describe(static_cast<FitFailure>(i)));
    first = false;
  }
  return out;
}

Scheduler::Scheduler(const Cluster& cluster, PolicyKind policy, std::vector<TypicalPod> typical,
                     Rng& rng, TieBreak tie_break)
    : cluster_(cluster),
      policy_(policy),
      tie_break_(tie_break),
      typical_(std::move(typical)),
      rng_(rng) {
  states_.reserve(cluster.nodes.size());
  for (const auto& n : cluster.nodes) {
    states_.push_back(initialState(n));
    node_frag_.push_back(nodeFragMilli(states_.back(), n.gpu_model, typical_));
    cluster_frag_milli_ += node_frag_.back();
  }
  versions_.assign(cluster.nodes.size(), 1);
  order_.resize(cluster.nodes.size());
  for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
  if (tie_break_ == TieBreak::kShuffledFirst) {
    for (std::size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng_.below(i)]);
  }
  // Model pressure of a node: the GPU demand (milli-GPU per device of the allowed models) of
  // typical pods restricted to sets that include the node's model, in parts per million.
  std::vector<double> model_gpus(kMaxGpuModels, 0.0);
  for (const auto& n : cluster.nodes) {
    if (n.gpu_model >= 0) model_gpus[static_cast<std::size_t>(n.gpu_model)] += n.gpu_count;
  }
  for (const auto& n : cluster.nodes) {
    double pressure = 0;
    for (const auto& t : typical_) {
      if (t.gpu_model_mask == 0 || n.gpu_model < 0 ||
          ((t.gpu_model_mask >> n.gpu_model) & 1U) == 0) {
        continue;
      }
      double devices = 0;
      for (int m = 0; m < kMaxGpuModels; ++m) {
        if ((t.gpu_model_mask >> m) & 1U) devices += model_gpus[static_cast<std::size_t>(m)];
      }
      pressure += t.probability * t.num_gpu * t.gpu_milli / std::max(1.0, devices);
    }
    pressure_.push_back(static_cast<std::int64_t>(pressure * 1e6));
  }
  feasible_.reserve(cluster.nodes.size());
}

const FragEval& Scheduler::fragEval(int node, const PodSpec& pod) {
  if (current_entries_ == nullptr) {
    auto key = std::make_tuple(pod.cpu_milli, pod.wantsGpu() ? pod.gpu_milli : 0,
                               pod.wantsGpu() ? pod.num_gpu : 0);
    auto& entries = frag_cache_[key];
    if (entries.empty()) entries.resize(states_.size());
    current_entries_ = &entries;
  }
  auto& e = (*current_entries_)[static_cast<std::size_t>(node)];
  const auto ni = static_cast<std::size_t>(node);
  if (e.version != versions_[ni]) {
    e.eval = evaluateFrag(states_[ni], cluster_.nodes[ni].gpu_model, pod, typical_, node_frag_[ni]);
    e.version = versions_[ni];
  }
  return e.eval;
}

Decision Scheduler::schedule(const PodSpec& pod, std::size_t pod_index) {
  Decision d;
  current_entries_ = nullptr;  // fragEval looks the pod's shape up once per call
  feasible_.clear();
  for (std::size_t k = 0; k < states_.size(); ++k) {
    const std::size_t n = order_[k];
    const FitFailure f = checkFit(cluster_.nodes[n], states_[n], pod);
    if (f == FitFailure::kNone) {
      feasible_.push_back(static_cast<int>(n));
    } else {
      ++d.rejected[static_cast<std::size_t>(f)];
    }
  }
  if (feasible_.empty()) return d;

  int chosen = -1;
  std::uint64_t ties = 0;
  auto tie = [&](int n) {
    ++ties;
    if (tie_break_ == TieBreak::kRandom && rng_.below(ties) == 0) chosen = n;
  };
  if (policy_ == PolicyKind::kRandom) {
    chosen = feasible_[rng_.below(feasible_.size())];
  } else if (policy_ == PolicyKind::kTrimtab) {
    // Lexicographic: FGD's integer score (higher), then a packing key, then the first listed.
    // CPU-only pods: least idle GPU, then least CPU left (use the CPU of GPU-saturated nodes).
    // GPU pods: lowest model pressure (leave models that constrained pods need), then the least
    // GPU stranded without CPU (idle GPU beyond free CPU / kCpuReservePerGpu), nodes already in
    // use before untouched ones (keep whole nodes for multi-GPU pods).
    std::int64_t best_score = -1;
    std::int64_t best_k1 = 0;
    std::int64_t best_k2 = 0;
    for (int n : feasible_) {
      const auto ni = static_cast<std::size_t>(n);
      const auto& s = states_[ni];
      const std::int64_t score = fragEval(n, pod).fgd_score;
      std::int64_t k1 = 0;
      std::int64_t k2 = 0;
      if (pod.wantsGpu()) {
        k1 = pressure_[ni];
        // GPU (milli) that would be left without kCpuReservePerGpu cores each, in whole
        // GPUs; an untouched node loses the tie to a used one at equal stranding.
        const std::int64_t cpu_after = s.cpu_free_milli - pod.cpu_milli;
        const std::int64_t gpu_after = s.gpuFreeTotal() - pod.gpuMilliTotal();
        const std::int64_t stranded =
            std::max<std::int64_t>(0, gpu_after * kCpuReservePerGpu - cpu_after);
        k2 = (stranded / 1000) * 2 + (s.fullyFreeGpus() == s.gpu_count ? 1 : 0);
      } else {
        k1 = s.gpuFreeTotal();
        k2 = s.cpu_free_milli - pod.cpu_milli;
      }
      const bool better =
          chosen < 0 || score > best_score ||
          (score == best_score && (k1 < best_k1 || (k1 == best_k1 && k2 < best_k2)));
      if (better) {
        chosen = n;
        ties = 1;
        best_score = score;
        best_k1 = k1;
        best_k2 = k2;
      } else if (score == best_score && k1 == best_k1 && k2 == best_k2) {
        tie(n);
      }
    }
  } else {
    std::int64_t best = -1;
    for (int n : feasible_) {
      const auto& s = states_[static_cast<std::size_t>(n)];
      std::int64_t score = 0;
      switch (policy_) {
        case PolicyKind::kDotProduct:
          score = dotProductScore(s, pod);
          break;
        case PolicyKind::kClustering:
          score = clusteringScore(s, pod);
          break;
        case PolicyKind::kPacking:
          score = packingScore(s, pod);
          break;
        case PolicyKind::kBestFit:
          score = bestFitScore(s, pod);
          break;
        case PolicyKind::kFgd:
          score = fragEval(n, pod).fgd_score;
          break;
        default:
          break;
      }
      if (score > best) {
        best = score;
        chosen = n;
        ties = 1;
      } else if (score == best) {
        tie(n);
      }
    }
  }

  const auto& state = states_[static_cast<std::size_t>(chosen)];
  GpuMask gpus = 0;
  if (pod.isGpuShare()) {
    int gpu = -1;
    switch (policy_) {
      case PolicyKind::kRandom: {
        std::uint64_t fitting = 0;
        for (int i = 0; i < state.gpu_count; ++i) {
          if (state.gpu_free_milli[static_cast<std::size_t>(i)] >= pod.gpu_milli &&
              rng_.below(++fitting) == 0) {
            gpu = i;
          }
        }
        break;
      }
      case PolicyKind::kFgd:
        gpu = fragEval(chosen, pod).fgd_gpu;
        break;
      case PolicyKind::kTrimtab:
        gpu = fragEval(chosen, pod).exact_gpu;
        break;
      default:
        gpu = bestFitGpu(state, pod.gpu_milli);
        break;
    }
    if (gpu >= 0) gpus = GpuMask{1} << gpu;
  } else if (pod.wantsGpu()) {
    gpus = lowestFreeGpus(state, pod.num_gpu);
  }
  commit(chosen, pod, gpus, pod_index);
  d.node = chosen;
  d.gpus = gpus;
  return d;
}

void Scheduler::commit(int node, const PodSpec& pod, GpuMask gpus, std::size_t pod_index) {
  const auto ni = static_cast<std::size_t>(node);
  auto& s = states_[ni];
  const std::int64_t before = s.gpuFreeTotal();
  // The node passed checkFit and the devices come from the state itself, so place() cannot
  // fail here; if it ever did, the state stays unchanged and the placement is not recorded.
  if (!place(s, pod, gpus)) return;
  used_gpu_milli_ += before - s.gpuFreeTotal();
  ++versions_[ni];
  const double frag = nodeFragMilli(s, cluster_.nodes[ni].gpu_model, typical_);
  cluster_frag_milli_ += frag - node_frag_[ni];
  node_frag_[ni] = frag;
  placements_.push_back(Placement{pod_index, node, gpus});
}

Status verifyPlacements(const Cluster& cluster, std::span<const PodSpec> pods,
                        std::span<const Placement> placements) {
  std::vector<NodeState> states;
  for (const auto& n : cluster.nodes) states.push_back(initialState(n));
  for (const auto& p : placements) {
    if (p.pod >= pods.size() || p.node < 0 ||
        static_cast<std::size_t>(p.node) >= cluster.nodes.size()) {
      return fail(
          ErrorCode::kInternal,
          fmt::format("placement of pod #{} on node #{}: index out of range", p.pod, p.node));
    }
    const auto& pod = pods[p.pod];
    const auto& node = cluster.nodes[static_cast<std::size_t>(p.node)];
    auto& state = states[static_cast<std::size_t>(p.node)];
    if (FitFailure f = checkFit(node, state, pod); f != FitFailure::kNone) {
      return fail(ErrorCode::kInternal,
                  fmt::format("pod \"{}\" on node \"{}\": {}", pod.name, node.name, describe(f)));
    }
    if (pod.wantsGpu() && !pod.isGpuShare() && p.gpus != lowestFreeGpus(state, pod.num_gpu)) {
      // Not a constraint violation by itself, but whole-GPU pods must take whole free devices.
      for (int i = 0; i < state.gpu_count; ++i) {
        if (((p.gpus >> i) & 1U) &&
            state.gpu_free_milli[static_cast<std::size_t>(i)] != kMilliPerGpu) {
          return fail(ErrorCode::kInternal,
                      fmt::format("pod \"{}\" on node \"{}\": device {} is not free", pod.name,
                                  node.name, i));
        }
      }
    }
    if (auto st = place(state, pod, p.gpus); !st) {
      return fail(st.error().withContext(fmt::format("node \"{}\"", node.name)));
    }
  }
  return {};
}

}  // namespace trimtab::plan
