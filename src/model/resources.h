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

#include "model/error.h"

namespace trimtab::model {

inline constexpr std::string_view kResourceCpu = "cpu";
inline constexpr std::string_view kResourceMemory = "memory";
inline constexpr std::string_view kResourceEphemeralStorage = "ephemeral-storage";
inline constexpr std::string_view kResourcePods = "pods";
inline constexpr std::string_view kResourceNvidiaGpu = "nvidia.com/gpu";
inline constexpr std::string_view kResourceNvidiaGpuShared = "nvidia.com/gpu.shared";
inline constexpr std::string_view kResourceMigPrefix = "nvidia.com/mig-";
inline constexpr std::string_view kResourceAmdGpu = "amd.com/gpu";
inline constexpr std::string_view kResourceIntelGpu = "gpu.intel.com/i915";

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
  // Component-wise sum; saturates at the int64 limits instead of overflowing.
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
// Accepts the "nvidia.com/mig-" prefix or a bare "mig-" prefix, then "<N>g.<M>gb" with an optional
// profile qualifier ("+me", "-me", ".me"); N must be 1..7.
double migComputeFraction(std::string_view resource_name);

// Adds one Kubernetes resource entry (name: quantity text) to vector:
//   cpu -> cpu_millicores; memory, ephemeral-storage -> bytes; pods -> count;
//   nvidia.com/gpu, amd.com/gpu, gpu.intel.com/i915 -> gpus; nvidia.com/gpu.shared -> shared_gpus;
//   anything else (nvidia.com/mig-*, hugepages-*, ...) -> extended, kept sorted by name.
// Values are summed when a resource is already present. Integer overflow of the sum is an error.
// Errors carry the quantity message only (e.g. "\"12x\": not a quantity ..."); callers prefix
// the field name.
Result<void> addResource(ResourceVector& vector, std::string_view name, std::string_view quantity);

// The vector's GPU demand in physical-GPU equivalents, for fractional GPU cost:
// gpus + Σ(MIG slices × migComputeFraction) + shared_gpus / time_slicing_replicas
// (time_slicing_replicas <= 0 is treated as 1).
double gpuEquivalent(const ResourceVector& r, std::int64_t time_slicing_replicas);

}  // namespace trimtab::model
