// Custom pricing file (YAML): default rates, discounts, split policy, and ordered per-node
// rules. The schema is documented with an example in docs/pricing.md.
//
// Parsing is strict: unknown keys, duplicate keys, wrong types, negative or non-finite prices
// and discounts outside [0, 1) are errors, and every error names the file, the line and the
// field path and says what was expected, e.g.
//   pricing.yaml:12: rules[2].match.instanceType: expected a string, got a sequence
// Prices are USD. Absent optional values are std::nullopt and the Pricer fills them in.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/error.h"
#include "pricing/detect.h"

namespace trimtab::pricing {

// How a node's total hourly price is split into CPU, RAM and GPU rates.
enum class SplitPolicy {
  kOpenCost,  // OpenCost's ratio method: default CPU:RAM:GPU price ratios (docs/pricing.md)
  kAws9To1,   // AWS split cost allocation data: vCPU:GiB weights 9:1, GPUs 90 % of the node
};

std::string_view splitPolicyName(SplitPolicy policy);  // "opencost", "aws-9to1"

// Prices of a node, each optional. node_per_hour alone is split by the policy; per-resource
// rates alone are used as given (missing ones from the defaults); both together: the rates are
// scaled so that they sum to node_per_hour (spec Appendix A normalisation).
struct RatePrices {
  std::optional<double> node_per_hour;
  std::optional<double> cpu_per_core_hour;
  std::optional<double> ram_per_gib_hour;
  std::optional<double> gpu_per_gpu_hour;

  bool empty() const {
    return !node_per_hour && !cpu_per_core_hour && !ram_per_gib_hour && !gpu_per_gpu_hour;
  }
};

// A node matches when every given criterion matches (globs are case-insensitive, '*' and '?').
struct RuleMatch {
  std::vector<std::pair<std::string, std::string>> labels;  // key -> value glob, all must match
  std::optional<std::string> instance_type;                 // glob
  std::optional<std::string> node_name;                     // glob
  std::optional<std::string> gpu_model;                     // glob over detect.h nodeGpuModel
  std::optional<Provider> provider;
  std::optional<bool> spot;                                 // capacity type must be spot / not
};

struct PricingRule {
  std::string name;  // optional label for reports
  int line = 0;      // 1-based line of the rule in the file
  RuleMatch match;
  RatePrices prices;                 // on-demand (and spot, when spot_prices is empty)
  std::optional<RatePrices> spot_prices;
  std::optional<SplitPolicy> split;  // overrides CustomPricing::split for this rule
  bool apply_discount = true;        // discount / negotiatedDiscount apply to this rule's CPU/RAM
};

struct StorageClassPrice {
  std::string name;  // storage class name glob
  double per_gib_hour = 0;  // from perGiBHour, or perGiBMonth / 730
};

struct CustomDefaults {
  std::optional<double> cpu_per_core_hour;
  std::optional<double> ram_per_gib_hour;
  std::optional<double> gpu_per_gpu_hour;
  std::optional<double> spot_cpu_per_core_hour;
  std::optional<double> spot_ram_per_gib_hour;
  std::optional<double> spot_gpu_per_gpu_hour;
  std::optional<double> storage_per_gib_hour;
  std::optional<double> spot_to_on_demand_ratio;  // for catalog types without a spot price
};

struct CustomNetwork {
  std::optional<double> zone_egress_per_gib;
  std::optional<double> region_egress_per_gib;
  std::optional<double> internet_egress_per_gib;
};

struct CustomPricing {
  std::string source_name;  // file name used in messages and price sources
  CustomDefaults defaults;
  CustomNetwork network;
  std::optional<double> load_balancer_per_hour;
  SplitPolicy split = SplitPolicy::kOpenCost;
  double discount = 0;              // fraction in [0, 1), CPU and RAM only
  double negotiated_discount = 0;   // fraction in [0, 1), CPU and RAM only
  std::optional<SpotLabel> spot_label;
  bool use_catalog = true;          // false: skip the built-in catalog (on-premises clusters)
  std::vector<PricingRule> rules;   // first match wins
  std::vector<StorageClassPrice> storage_classes;  // first match wins

  // 1 − (1 − discount)(1 − negotiated_discount): the fraction taken off CPU and RAM.
  double combinedDiscount() const { return 1.0 - (1.0 - discount) * (1.0 - negotiated_discount); }
};

// Parses YAML text; source_name (e.g. the file name) prefixes every error message.
// Never throws; malformed input gives ErrorCode::kParse.
Result<CustomPricing> parseCustomPricing(std::string_view yaml, std::string_view source_name);

// Reads and parses a file (kIo when it cannot be read). Messages use the path as given.
Result<CustomPricing> loadCustomPricing(const std::string& path);

}  // namespace trimtab::pricing
