// Builds the planner's cluster description from a block store: the cluster as it is in the last
// hour block of a window.
//
// Nodes: node rows of that hour still running in its last 15 minutes; capacity = allocatable
// (the hour's allocatable integrals / hours; capacity when allocatable is absent), whole GPUs,
// max pods from the catalog row (110 otherwise); price per hour = the hour's node cost / hours
// (price source "store"), or the catalog's on-demand (spot) price when the store has none; pool
// from the labels karpenter.sh/nodepool, eks.amazonaws.com/nodegroup,
// cloud.google.com/gke-nodepool or kubernetes.azure.com/agentpool.
// Pods: container rows of that hour still running in its last 15 minutes, summed per pod;
// requests = the hour's request integrals / running hours (CPU, memory, GPU devices: a fraction
// below 1 is a shared GPU). Roles from the container dimension: controller kind DaemonSet (any case; and
// Node, for static pods) = per-node overhead; no controller = pinned ("no controller");
// annotations karpenter.sh/do-not-disrupt=true or
// cluster-autoscaler.kubernetes.io/safe-to-evict=false, or a PV of a local/hostpath storage
// class = pinned. GPU pods may only land on nodes of the GPU model they run on. The store holds
// no PodDisruptionBudgets, taints, nodeSelectors or emptyDir volumes: the description says so
// (pdbs_known and local_storage_known false, notes), and two stand-ins are applied: GPU nodes get
// the taint nvidia.com/gpu:NoSchedule (tolerated by GPU pods), and pods with a persistent volume
// get a nodeSelector on their node's topology.kubernetes.io/zone (volumes are zonal).
// Thread-compatible (reads through Store's thread-safe readers).
#pragma once

#include <string>

#include "model/clock.h"
#include "model/error.h"
#include "plan/consolidate.h"
#include "pricing/catalog.h"
#include "store/store.h"

namespace trimtab::plan {

struct StoreClusterOptions {
  std::string cluster;  // empty: the store's only cluster (error when it has several)
  UnixSeconds window_start = 0;
  UnixSeconds window_end = 0;  // clamped to the end of the stored data
};

struct StoreCluster {
  ClusterDescription description;
  pricing::Provider provider = pricing::Provider::kUnknown;  // most nodes' provider
  std::string region;                                        // most nodes' region
  std::string arch;  // "amd64"/"arm64" when every node has that architecture, else ""
  UnixSeconds hour_start = 0;                                // the hour read
};

// Error when the window holds no hour block of the cluster (the message names the stored range),
// or when a block cannot be read.
Result<StoreCluster> readStoreCluster(const store::Store& store, const pricing::Catalog& catalog,
                                      const StoreClusterOptions& options);

}  // namespace trimtab::plan
