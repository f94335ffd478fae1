// Node, storage, load-balancer and network prices for a cluster.
//
// Node lookup order (first that applies wins; NodePrice::source says which):
//   1. the first custom rule whose match accepts the node          "custom:rules[1]"
//                                      (with its spot prices)      "custom:rules[1]:spot"
//   2. the catalog row for (provider, instance type, region)        "catalog:aws:m5.large:us-east-1:on-demand"
//      spot nodes: the catalog spot price                           "...:spot"
//      or on-demand × spotToOnDemandRatio when the row has none     "...:spot-estimated"
//      region not in the catalog: the provider's catalog region    "...:on-demand:region-fallback-from=eu-west-1"
//   3. default rates × node capacity: custom defaults if the file sets any node rate
//                                                                   "custom:defaults[:spot]"
//      else OpenCost's defaults (pricing/defaults.h)                "default:opencost[:spot]"
// A total price is split into CPU/RAM/GPU rates by the split policy (split.h); GCP instance
// prices exclude attached GPUs except for a2/a3/a4/g2 types, so other GCP GPU nodes add the
// accelerator's unit rate. discount and negotiatedDiscount then reduce CPU and RAM rates only.
// Thread-safe after construction (const methods only).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/objects.h"
#include "pricing/catalog.h"
#include "pricing/custom.h"
#include "pricing/split.h"

namespace trimtab::pricing {

struct NodePrice {
  double cpu_per_core_hour = 0;  // USD per vCPU-hour, after discounts
  double ram_per_gib_hour = 0;   // USD per GiB-hour, after discounts
  double gpu_per_gpu_hour = 0;   // USD per GPU-hour
  double total_per_hour = 0;     // USD per hour for the whole node, after discounts
  bool spot = false;
  std::string source;            // see the lookup order above
  std::string provider;          // "aws", "gcp", "azure", or ""
  std::string instance_type;
  std::string region;            // the node's region label (may differ from the catalog row's)
};

// USD per GiB transferred.
struct NetworkRates {
  double zone_egress_per_gib = 0;      // cross-zone, same region
  double region_egress_per_gib = 0;    // cross-region
  double internet_egress_per_gib = 0;
};

class Pricer {
 public:
  // REQUIRES: catalog outlives the Pricer.
  Pricer(const Catalog& catalog, std::optional<CustomPricing> custom);

  NodePrice priceNode(const model::Node& node) const;

  // USD per GiB-hour for a storage class: first matching storageClasses entry, else
  // defaults.storagePerGiBHour, else OpenCost's 0.00005479452.
  double storagePerGiBHour(std::string_view storage_class) const;
  // USD per hour for one load balancer (default 0.025, OpenCost's AWS figure).
  double loadBalancerPerHour() const;
  NetworkRates networkRates() const;

  // The size used to split a node's price: capacity, else the catalog row's specs.
  NodeShape nodeShape(const model::Node& node, const InstanceType* row) const;

  const std::optional<CustomPricing>& custom() const { return custom_; }

 private:
  struct Defaults {
    ResourceRates on_demand;
    ResourceRates spot;
    double spot_to_on_demand_ratio = 0;
    bool custom_node_rates = false;  // the file set at least one cpu/ram/gpu default
  };

  ResourceRates splitTotal(double node_per_hour, const NodeShape& shape, SplitPolicy policy,
                           double cpu_to_ram, std::optional<double> known_gpu) const;

  const Catalog& catalog_;
  std::optional<CustomPricing> custom_;
  Defaults defaults_;
};

}  // namespace trimtab::pricing
