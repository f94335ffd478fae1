#include "plan/policy.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace trimtab::plan {

namespace {

constexpr std::array<PolicyKind, 7> kPolicies = {
    PolicyKind::kRandom,  PolicyKind::kDotProduct, PolicyKind::kClustering, PolicyKind::kPacking,
    PolicyKind::kBestFit, PolicyKind::kFgd,        PolicyKind::kTrimtab};
constexpr std::array<std::string_view, 7> kNames = {"random",  "dotprod", "clustering", "packing",
                                                    "bestfit", "fgd",     "trimtab"};

}  // namespace

std::optional<PolicyKind> parsePolicy(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return kPolicies[i];
  }
  return std::nullopt;
}

std::string_view policyName(PolicyKind policy) { return kNames[static_cast<std::size_t>(policy)]; }

std::span<const PolicyKind> allPolicies() { return kPolicies; }

std::int64_t dotProductScore(const NodeState& node, const PodSpec& pod) {
  if (node.cpu_free_milli < pod.cpu_milli) return 0;
  const double cpu = static_cast<double>(kMaxCpuSpecMilli);
  const double gpu = static_cast<double>(kMaxGpuSpecMilli);
  const double dot = (static_cast<double>(node.cpu_free_milli) / cpu) *
                         (static_cast<double>(pod.cpu_milli) / cpu) +
                     (static_cast<double>(node.gpuFreeTotal()) / gpu) *
                         (static_cast<double>(pod.gpuMilliTotal()) / gpu);
  return static_cast<std::int64_t>(100.0 * (1.0 - dot / 2.0));
}

std::int64_t clusteringScore(const NodeState& node, const PodSpec& pod) {
  const int cls = pod.affinityClass();
  if (cls < 0) return 0;
  const std::int64_t fill = 25 * (kMaxGpuSpecMilli - node.gpuFreeTotal()) / kMaxGpuSpecMilli;
  const std::uint32_t mine = std::uint32_t{1} << cls;
  if (node.affinity_classes & mine) {
    return fill + (node.affinity_classes == mine ? 75 : 50);
  }
  return fill + (node.affinity_classes == 0 ? 25 : 0);
}

std::int64_t packingScore(const NodeState& node, const PodSpec& pod) {
  if (!pod.wantsGpu()) return 0;
  const int fully_free = node.fullyFreeGpus();
  if (fully_free == node.gpu_count) {
    return std::max<std::int64_t>(100 / 3 - fully_free, fully_free);
  }
  // Devices in ascending free order (stable), the pod takes the first that fit.
  std::array<int, kMaxGpusPerNode> order{};
  for (int i = 0; i < node.gpu_count; ++i) order[static_cast<std::size_t>(i)] = i;
  std::stable_sort(order.begin(), order.begin() + node.gpu_count, [&](int a, int b) {
    return node.gpu_free_milli[static_cast<std::size_t>(a)] <
           node.gpu_free_milli[static_cast<std::size_t>(b)];
  });
  int wanted = pod.num_gpu;
  int fully_free_used = 0;
  std::int64_t free_pct_sum = 0;
  for (int k = 0; k < node.gpu_count && wanted > 0; ++k) {
    const int free =
        node.gpu_free_milli[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])];
    if (pod.gpu_milli <= free) {
      --wanted;
      if (free == kMilliPerGpu) ++fully_free_used;
      free_pct_sum += static_cast<std::int64_t>(free) * 100 / kMilliPerGpu;
    }
  }
  if (wanted != 0) return 0;
  if (fully_free_used > 0) return std::max<std::int64_t>(100 / 2 - fully_free_used, 100 / 3);
  return std::max<std::int64_t>(100 - free_pct_sum / 10, 100 / 2);
}

std::int64_t bestFitScore(const NodeState& node, const PodSpec& pod) {
  const double cpu_left = static_cast<double>(node.cpu_free_milli - pod.cpu_milli);
  const double gpu_left = static_cast<double>(node.gpuFreeTotal() - pod.gpuMilliTotal());
  if (cpu_left < 0 || gpu_left < 0) return 0;
  const double waste = cpu_left / static_cast<double>(kMaxCpuSpecMilli) * 0.5 +
                       gpu_left / static_cast<double>(kMaxGpuSpecMilli) * 0.5;
  return static_cast<std::int64_t>((1.0 - waste) * 100.0);
}

std::int64_t fgdScore(double frag_increase_milli) {
  const double sig = 1.0 / (1.0 + std::exp(frag_increase_milli / 1000.0));
  return static_cast<std::int64_t>(sig * 100.0);
}

FragEval evaluateFrag(const NodeState& node, int gpu_model, const PodSpec& pod,
                      std::span<const TypicalPod> typical, double current_frag_milli) {
  FragEval out;
  NodeState after = node;
  after.cpu_free_milli -= pod.cpu_milli;
  if (pod.isGpuShare()) {
    bool first = true;
    for (int i = 0; i < node.gpu_count; ++i) {
      const auto gi = static_cast<std::size_t>(i);
      if (node.gpu_free_milli[gi] < pod.gpu_milli) continue;
      after.gpu_free_milli[gi] -= pod.gpu_milli;
      const double inc = nodeFragMilli(after, gpu_model, typical) - current_frag_milli;
      after.gpu_free_milli[gi] += pod.gpu_milli;
      const std::int64_t score = fgdScore(inc);
      if (first || score > out.fgd_score) {
        out.fgd_score = score;
        out.fgd_gpu = i;
      }
      if (first || inc < out.exact_increase - 1e-9 ||
          (inc <= out.exact_increase + 1e-9 &&
           node.gpu_free_milli[gi] <
               node.gpu_free_milli[static_cast<std::size_t>(out.exact_gpu)])) {
        out.exact_increase = inc;
        out.exact_gpu = i;
      }
      first = false;
    }
    return out;
  }
  if (pod.wantsGpu()) {
    int wanted = pod.num_gpu;
    for (int i = 0; i < node.gpu_count && wanted > 0; ++i) {
      auto& g = after.gpu_free_milli[static_cast<std::size_t>(i)];
      if (g == kMilliPerGpu) {
        g = 0;
        --wanted;
      }
    }
  }
  out.exact_increase = nodeFragMilli(after, gpu_model, typical) - current_frag_milli;
  out.fgd_score = fgdScore(out.exact_increase);
  return out;
}

}  // namespace trimtab::plan
