// The planner's scheduling model: node and pod shapes, per-node free capacity, and the fit rules
// (CPU, memory, ephemeral storage, pod slots, whole GPUs, fractional GPUs by milli-GPU per
// device, GPU model constraints, nodeSelector, taints/tolerations, required anti-affinity on
// kubernetes.io/hostname). Units: CPU in millicores, memory and ephemeral storage in MiB, GPU in
// milli-GPU (1000 = one device). Plain data; no locking.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"

namespace trimtab::plan {

constexpr int kMilliPerGpu = 1000;
constexpr int kMaxGpusPerNode = 16;
constexpr int kMaxGpuModels = 64;

// GPU model names ("T4", "V100M32", ...) interned to small ids so a pod's allowed set is a bitmask.
class GpuModels {
 public:
  // Returns the id of name, adding it when new. Error when more than kMaxGpuModels exist.
  Result<int> intern(std::string_view name);
  std::optional<int> find(std::string_view name) const;
  std::string_view name(int id) const { return names_.at(static_cast<std::size_t>(id)); }
  int size() const { return static_cast<int>(names_.size()); }

 private:
  std::vector<std::string> names_;
};

enum class TaintEffect { kNoSchedule, kPreferNoSchedule, kNoExecute };

struct Taint {
  std::string key;
  std::string value;
  TaintEffect effect = TaintEffect::kNoSchedule;
};

// Kubernetes toleration semantics: empty key with exists=true tolerates everything; an unset
// effect tolerates every effect.
struct Toleration {
  std::string key;
  std::string value;
  bool exists = false;  // operator Exists (value ignored) vs Equal
  std::optional<TaintEffect> effect;
};

struct NodeSpec {
  std::string name;
  std::int64_t cpu_milli = 0;       // allocatable
  std::int64_t memory_mib = 0;      // allocatable
  std::int64_t ephemeral_mib = -1;  // allocatable ephemeral storage; negative = not limited
  int max_pods = -1;                // negative = not limited
  int gpu_count = 0;                // whole devices, 0..kMaxGpusPerNode
  int gpu_model = -1;               // id in the cluster's GpuModels; -1 when gpu_count == 0
  std::map<std::string, std::string> labels;
  std::vector<Taint> taints;
};

// Affinity class used by GpuClustering: 0 = GPU-sharing pod, k = pod of k whole GPUs.
constexpr int kShareClass = 0;

struct PodSpec {
  std::string name;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  std::int64_t ephemeral_mib = 0;
  int num_gpu = 0;                   // devices
  int gpu_milli = 0;                 // per device; 1000 for whole-GPU pods, 0 for CPU-only
  std::uint64_t gpu_model_mask = 0;  // allowed models (bit = GpuModels id); 0 = any model
  std::string gpu_spec;              // the allowed-model text as read ("T4|P100"), for reports
  std::map<std::string, std::string> node_selector;
  std::vector<Toleration> tolerations;
  // Required pod anti-affinity on kubernetes.io/hostname against pods with the same group
  // (e.g. the same app label); empty = none.
  std::string anti_affinity_group;

  bool wantsGpu() const { return num_gpu > 0 && gpu_milli > 0; }
  bool isGpuShare() const { return num_gpu == 1 && gpu_milli > 0 && gpu_milli < kMilliPerGpu; }
  std::int64_t gpuMilliTotal() const { return static_cast<std::int64_t>(num_gpu) * gpu_milli; }
  // kShareClass for sharing pods, num_gpu for whole-GPU pods, -1 for CPU-only pods.
  int affinityClass() const { return !wantsGpu() ? -1 : isGpuShare() ? kShareClass : num_gpu; }
};

// A set of nodes and the GPU models they carry.
struct Cluster {
  GpuModels gpu_models;
  std::vector<NodeSpec> nodes;
  int totalGpus() const;
};

// Free capacity of one node as pods land on it.
struct NodeState {
  std::int64_t cpu_free_milli = 0;
  std::int64_t memory_free_mib = 0;
  std::int64_t ephemeral_free_mib = -1;  // negative = not limited
  int pods_free = -1;                    // negative = not limited
  int gpu_count = 0;
  std::array<int, kMaxGpusPerNode> gpu_free_milli{};
  std::uint32_t affinity_classes = 0;  // bit c set when a pod of affinity class c is hosted
  int pods = 0;                        // pods placed
  std::vector<std::string> anti_affinity_groups;  // groups of hosted pods

  std::int64_t gpuFreeTotal() const;
  int fullyFreeGpus() const;
};

// Why a pod does not fit a node; kNone when it fits.
enum class FitFailure {
  kNone,
  kGpuModel,      // node has no GPU or its model is not in the pod's allowed set
  kGpuCount,      // node has fewer GPU devices than the pod requests
  kNodeSelector,  // a nodeSelector label is missing or different
  kTaint,         // an untolerated NoSchedule/NoExecute taint
  kAntiAffinity,  // a pod of the same anti-affinity group is already on the node
  kPods,          // no pod slot left
  kCpu,
  kMemory,
  kEphemeral,
  kGpu,  // not enough free GPU (devices or milli on one device)
};
std::string_view describe(FitFailure f);

// Static rules (independent of what is placed): model, selector, taints. kNone when allowed.
FitFailure checkStatic(const NodeSpec& node, const PodSpec& pod);
// Capacity rules against the current state: anti-affinity, pods, CPU, memory, storage, GPU.
FitFailure checkCapacity(const NodeState& state, const PodSpec& pod);
// Both, static first.
FitFailure checkFit(const NodeSpec& node, const NodeState& state, const PodSpec& pod);
bool tolerates(const std::vector<Toleration>& tolerations, const Taint& taint);

// The empty state of a node (its allocatable capacity).
NodeState initialState(const NodeSpec& node);

// Device sets are bitmasks over GPU indexes.
using GpuMask = std::uint32_t;
// The lowest-index fully free devices for a whole-GPU pod; 0 if not enough are free.
GpuMask lowestFreeGpus(const NodeState& state, int count);
// The fitting device with the least free milli (lowest index on ties); -1 if none fits.
int bestFitGpu(const NodeState& state, int gpu_milli);
// The devices a pod would take by the simple rule (best-fit device for a GPU share, lowest free
// devices for whole GPUs); 0 for CPU-only pods and when nothing fits.
GpuMask simpleDevicesFor(const NodeState& state, const PodSpec& pod);

// Places pod on state using devices gpus (ignored for CPU-only pods). Error (and state
// unchanged) when the placement violates a capacity rule or the device set is wrong.
Status place(NodeState& state, const PodSpec& pod, GpuMask gpus);

}  // namespace trimtab::plan
