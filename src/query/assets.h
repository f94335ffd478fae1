// Assets over a window: nodes (CPU/RAM/GPU cost, spot flag, price source), disks (persistent
// volumes) and load balancers, read from the store's blocks; JSON in OpenCost's /assets shape.
#pragma once

#include <string>
#include <vector>

#include "cost/filter.h"
#include "cost/window.h"
#include "model/error.h"
#include "store/store.h"

namespace trimtab::query {

struct Asset {
  std::string type;  // "Node", "Disk", "LoadBalancer"
  std::string key;   // OpenCost's asset key, e.g. "cluster/node-1"
  std::string cluster, name, provider_id, instance_type, region, category;
  std::string price_source;  // Trimtab: where the price came from
  double start = 0, end = 0, minutes = 0;
  double cpu_cores = 0, ram_bytes = 0, gpu_count = 0;
  double cpu_core_hours = 0, ram_byte_hours = 0, gpu_hours = 0;
  double cpu_alloc_cores = 0, ram_alloc_bytes = 0;
  double cpu_cost = 0, ram_cost = 0, gpu_cost = 0;
  double bytes = 0, byte_hours = 0;  // disks
  bool preemptible = false;
  double total_cost = 0;
  std::vector<std::pair<std::string, std::string>> labels;
};

struct AssetSet {
  cost::Window window;
  std::vector<Asset> assets;  // sorted by key
};

// cluster empty = all clusters.
// filter (optional): OpenCost asset filter fields name, assetType, category, cluster,
// provider, providerID, label[k].
Result<AssetSet> loadAssets(const store::Store& store, const cost::Window& window,
                            const std::string& cluster, const cost::Filter* filter = nullptr);

std::string assetsToOpenCostJson(const AssetSet& set);

}  // namespace trimtab::query
