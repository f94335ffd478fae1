// Resource vectors in integer units: CPU in millicores, memory and storage in bytes, counts as
// integers. GPUs: whole devices (nvidia.com/gpu), MIG slices (nvidia.com/mig-<profile>) and
// shared GPUs (time-sliced replicas, nvidia.com/gpu.shared) are kept apart so cost and planning
// can convert each to a fraction of a physical GPU.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trimtab::model {

inline constexpr std::string_view kResourceCpu = "cpu";
inline constexpr std::string_view kResourceMemory = "memory";
inline constexpr std::string_view kResourceEphemeralStorage = "ephemeral-storage";
inline constexpr std::string_view kResourcePods = "pods";
inline constexpr std::string_view kResourceNvidiaGpu = "nvidia.com/gpu";
inline constexpr std::string_view kResourceNvidiaGpuShared = "nvidia.com/gpu.shared";
inline constexpr std::string_view kResourceMigPrefix = "nvidia.com/mig-";

struct ResourceVector {
  std::int64_t cpu_millicores = 0;
  std::int64_t memory_bytes = 0;
  std::int64_t ephemeral_storage_bytes = 0;
  std::int64_t pods = 0;
  std::int64_t gpus = 0;          // nvidia.com/gpu (also amd.com/gpu, gpu.intel.com/i915)
  std::int64_t shared_gpus = 0;   // nvidia.com/gpu.shared (time-slicing replicas)
  // MIG slices and any other extended resource: (resource name, integer count), sorted by name.
  std::vector<std::pair<std::string, std::int64_t>> extended;

  bool operator==(const ResourceVector&) const = default;
  ResourceVector& operator+=(const ResourceVector& other);
  // Component-wise max (used for init containers).
  static ResourceVector max(const ResourceVector& a, const ResourceVector& b);
  std::int64_t extendedCount(std::string_view name) const;
  // Number of MIG slices of any profile.
  std::int64_t migSlices() const;
  bool hasGpu() const;
};

// The compute fraction of one physical GPU that a MIG profile name represents, e.g.
// "nvidia.com/mig-1g.5gb" -> 1/7 (A100 40GB has 7 compute slices), "mig-3g.20gb" -> 3/7.
// Returns 0 for a name that is not a MIG profile.
double migComputeFraction(std::string_view resource_name);

}  // namespace trimtab::model
