#include "plan/cluster.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

namespace trimtab::plan {

Result<int> GpuModels::intern(std::string_view name) {
  if (auto id = find(name)) return *id;
  if (size() >= kMaxGpuModels) {
    return fail(
        ErrorCode::kUnsupported,
        fmt::format("GPU model \"{}\": more than {} distinct GPU models", name, kMaxGpuModels));
  }
  names_.emplace_back(name);
  return size() - 1;
}

std::optional<int> GpuModels::find(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

int Cluster::totalGpus() const {
  int total = 0;
  for (const auto& n : nodes) total += n.gpu_count;
  return total;
}

std::int64_t NodeState::gpuFreeTotal() const {
  std::int64_t total = 0;
  for (int i = 0; i < gpu_count; ++i) total += gpu_free_milli[static_cast<std::size_t>(i)];
  return total;
}

int NodeState::fullyFreeGpus() const {
  int n = 0;
  for (int i = 0; i < gpu_count; ++i) {
    if (gpu_free_milli[static_cast<std::size_t>(i)] == kMilliPerGpu) ++n;
  }
  return n;
}

std::string_view describe(FitFailure f) {
  switch (f) {
    case FitFailure::kNone:
      return "fits";
    case FitFailure::kGpuModel:
      return "no GPU of an allowed model";
    case FitFailure::kGpuCount:
      return "fewer GPUs than requested";
    case FitFailure::kNodeSelector:
      return "nodeSelector does not match";
    case FitFailure::kTaint:
      return "untolerated taint";
    case FitFailure::kAntiAffinity:
      return "required anti-affinity on hostname";
    case FitFailure::kPods:
      return "no pod slot left";
    case FitFailure::kCpu:
      return "insufficient cpu";
    case FitFailure::kMemory:
      return "insufficient memory";
    case FitFailure::kEphemeral:
      return "insufficient ephemeral storage";
    case FitFailure::kGpu:
      return "insufficient GPU";
  }
  return "unknown";
}

bool tolerates(const std::vector<Toleration>& tolerations, const Taint& taint) {
  for (const auto& t : tolerations) {
    if (t.effect && *t.effect != taint.effect) continue;
    if (t.key.empty()) {
      if (t.exists) return true;
      continue;
    }
    if (t.key != taint.key) continue;
    if (t.exists || t.value == taint.value) return true;
  }
  return false;
}

FitFailure checkStatic(const NodeSpec& node, const PodSpec& pod) {
  if (pod.wantsGpu()) {
    if (node.gpu_model < 0 || node.gpu_count <= 0) return FitFailure::kGpuModel;
    if (node.gpu_count < pod.num_gpu) return FitFailure::kGpuCount;
    if (pod.gpu_model_mask != 0 && ((pod.gpu_model_mask >> node.gpu_model) & 1U) == 0) {
      return FitFailure::kGpuModel;
    }
  }
  for (const auto& [key, value] : pod.node_selector) {
    auto it = node.labels.find(key);
    if (it == node.labels.end() || it->second != value) return FitFailure::kNodeSelector;
  }
  for (const auto& taint : node.taints) {
    if (taint.effect == TaintEffect::kPreferNoSchedule) continue;
    if (!tolerates(pod.tolerations, taint)) return FitFailure::kTaint;
  }
  return FitFailure::kNone;
}

namespace {

bool gpuFits(const NodeState& state, const PodSpec& pod) {
  if (!pod.wantsGpu()) return true;
  if (pod.isGpuShare()) return bestFitGpu(state, pod.gpu_milli) >= 0;
  int fitting = 0;
  for (int i = 0; i < state.gpu_count; ++i) {
    if (state.gpu_free_milli[static_cast<std::size_t>(i)] >= pod.gpu_milli) ++fitting;
  }
  return fitting >= pod.num_gpu;
}

}  // namespace

FitFailure checkCapacity(const NodeState& state, const PodSpec& pod) {
  if (!pod.anti_affinity_group.empty() &&
      std::find(state.anti_affinity_groups.begin(), state.anti_affinity_groups.end(),
                pod.anti_affinity_group) != state.anti_affinity_groups.end()) {
    return FitFailure::kAntiAffinity;
  }
  if (state.pods_free == 0) return FitFailure::kPods;
  if (state.cpu_free_milli < pod.cpu_milli) return FitFailure::kCpu;
  if (state.memory_free_mib < pod.memory_mib) return FitFailure::kMemory;
  if (state.ephemeral_free_mib >= 0 && state.ephemeral_free_mib < pod.ephemeral_mib) {
    return FitFailure::kEphemeral;
  }
  if (!gpuFits(state, pod)) return FitFailure::kGpu;
  return FitFailure::kNone;
}

FitFailure checkFit(const NodeSpec& node, const NodeState& state, const PodSpec& pod) {
  FitFailure f = checkStatic(node, pod);
  return f != FitFailure::kNone ? f : checkCapacity(state, pod);
}

NodeState initialState(const NodeSpec& node) {
  NodeState s;
  s.cpu_free_milli = node.cpu_milli;
  s.memory_free_mib = node.memory_mib;
  s.ephemeral_free_mib = node.ephemeral_mib;
  s.pods_free = node.max_pods;
  s.gpu_count = std::clamp(node.gpu_count, 0, kMaxGpusPerNode);
  for (int i = 0; i < s.gpu_count; ++i)
    s.gpu_free_milli[static_cast<std::size_t>(i)] = kMilliPerGpu;
  return s;
}

GpuMask lowestFreeGpus(const NodeState& state, int count) {
  GpuMask mask = 0;
  int found = 0;
  for (int i = 0; i < state.gpu_count && found < count; ++i) {
    if (state.gpu_free_milli[static_cast<std::size_t>(i)] == kMilliPerGpu) {
      mask |= GpuMask{1} << i;
      ++found;
    }
  }
  return found == count ? mask : 0;
}

GpuMask simpleDevicesFor(const NodeState& state, const PodSpec& pod) {
  if (!pod.wantsGpu()) return 0;
  if (pod.isGpuShare()) {
    const int g = bestFitGpu(state, pod.gpu_milli);
    return g < 0 ? 0 : GpuMask{1} << g;
  }
  return lowestFreeGpus(state, pod.num_gpu);
}

int bestFitGpu(const NodeState& state, int gpu_milli) {
  int best = -1;
  for (int i = 0; i < state.gpu_count; ++i) {
    const int free = state.gpu_free_milli[static_cast<std::size_t>(i)];
    if (free >= gpu_milli &&
        (best < 0 || free < state.gpu_free_milli[static_cast<std::size_t>(best)])) {
      best = i;
    }
  }
  return best;
}

Status place(NodeState& state, const PodSpec& pod, GpuMask gpus) {
  if (FitFailure f = checkCapacity(state, pod); f != FitFailure::kNone) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("pod \"{}\": {}", pod.name, describe(f)));
  }
  if (pod.wantsGpu()) {
    if (std::popcount(gpus) != pod.num_gpu || (gpus >> state.gpu_count) != 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("pod \"{}\": device set {:#x} does not hold {} of {} devices",
                              pod.name, gpus, pod.num_gpu, state.gpu_count));
    }
    for (int i = 0; i < state.gpu_count; ++i) {
      if (((gpus >> i) & 1U) && state.gpu_free_milli[static_cast<std::size_t>(i)] < pod.gpu_milli) {
        return fail(
            ErrorCode::kInvalidArgument,
            fmt::format("pod \"{}\": device {} has {} milli-GPU free, needs {}", pod.name, i,
                        state.gpu_free_milli[static_cast<std::size_t>(i)], pod.gpu_milli));
      }
    }
    for (int i = 0; i < state.gpu_count; ++i) {
      if ((gpus >> i) & 1U) state.gpu_free_milli[static_cast<std::size_t>(i)] -= pod.gpu_milli;
    }
    state.affinity_classes |= std::uint32_t{1} << pod.affinityClass();
  }
  state.cpu_free_milli -= pod.cpu_milli;
  state.memory_free_mib -= pod.memory_mib;
  if (state.ephemeral_free_mib >= 0) state.ephemeral_free_mib -= pod.ephemeral_mib;
  if (state.pods_free > 0) --state.pods_free;
  ++state.pods;
  if (!pod.anti_affinity_group.empty())
    state.anti_affinity_groups.push_back(pod.anti_affinity_group);
  return {};
}

}  // namespace trimtab::plan
