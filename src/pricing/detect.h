// What a node is, from its providerID and labels: cloud provider, spot capacity, GPU model.
// Pure functions over model::Node; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "model/objects.h"
#include "pricing/catalog.h"

namespace trimtab::pricing {

// Provider of a node, first match wins:
//  1. spec.providerID prefix: "aws://", "gce://", "azure://";
//  2. labels: eks.amazonaws.com/*, karpenter.k8s.aws/*, cloud.google.com/gke-*,
//     kubernetes.azure.com/*;
//  3. instance-type shape: "Standard_*" -> Azure; "<family>.<size>" (m5.large) -> AWS;
//     "<family>-<kind>[-<n>]" (n1-standard-4) -> GCP;
//  4. the provider of the catalog row for the node's instance type, when catalog is given.
// kUnknown when nothing says.
Provider detectProvider(const model::Node& node, const Catalog* catalog = nullptr);

// A user-configured spot label (OpenCost's spotLabel / spotLabelValue).
struct SpotLabel {
  std::string key;
  std::string value;  // compared case-insensitively; empty: any value marks spot
};

// True when a label marks the node as spot/preemptible capacity (values case-insensitive):
//   karpenter.sh/capacity-type=spot, eks.amazonaws.com/capacityType=SPOT,
//   node.kubernetes.io/lifecycle=spot, cloud.google.com/gke-spot=true,
//   cloud.google.com/gke-preemptible=true, cloud.google.com/gke-provisioning=spot,
//   kubernetes.azure.com/scalesetpriority=spot, and extra when given.
bool isSpotNode(const model::Node& node, const std::optional<SpotLabel>& extra = std::nullopt);

// GPU model named by the node's labels (first present): nvidia.com/gpu.product,
// cloud.google.com/gke-accelerator, karpenter.k8s.aws/instance-gpu-name, nvidia.com/gpu_type,
// kubernetes.azure.com/accelerator. Empty when none.
std::string nodeGpuModel(const model::Node& node);

}  // namespace trimtab::pricing
