#include "pricing/pricer.h"

#include <algorithm>

#include <fmt/format.h>

#include "pricing/defaults.h"
#include "pricing/detect.h"
#include "pricing/internal/text.h"

namespace trimtab::pricing {
namespace {

constexpr double kBytesPerGiB = 1024.0 * 1024.0 * 1024.0;

// GCP machine families whose instance price already includes the attached GPUs.
bool gcpPriceIncludesGpus(std::string_view instance_type) {
  for (std::string_view family : {"a2-", "a3-", "a4-", "g2-", "g4-"}) {
    if (internal::startsWith(instance_type, family)) return true;
  }
  return false;
}

std::string_view gcpFamily(std::string_view instance_type) {
  return instance_type.substr(0, instance_type.find('-'));
}

bool ruleMatches(const RuleMatch& match, const model::Node& node, std::string_view instance_type,
                 std::string_view gpu_model, Provider provider, bool spot) {
  if (match.provider && *match.provider != provider) return false;
  if (match.spot && *match.spot != spot) return false;
  if (match.instance_type && !internal::globMatch(*match.instance_type, instance_type)) return false;
  if (match.node_name && !internal::globMatch(*match.node_name, node.meta.name)) return false;
  if (match.gpu_model && !internal::globMatch(*match.gpu_model, gpu_model)) return false;
  for (const auto& [key, pattern] : match.labels) {
    const std::string* value = internal::labelValue(node.meta.labels, key);
    if (value == nullptr || !internal::globMatch(pattern, *value)) return false;
  }
  return true;
}

}  // namespace

Pricer::Pricer(const Catalog& catalog, std::optional<CustomPricing> custom)
    : catalog_(catalog), custom_(std::move(custom)) {
  CustomDefaults d = custom_ ? custom_->defaults : CustomDefaults{};
  defaults_.on_demand = {d.cpu_per_core_hour.value_or(kDefaultCpuPerCoreHour),
                         d.ram_per_gib_hour.value_or(kDefaultRamPerGiBHour),
                         d.gpu_per_gpu_hour.value_or(kDefaultGpuPerGpuHour)};
  defaults_.spot = {d.spot_cpu_per_core_hour.value_or(kDefaultSpotCpuPerCoreHour),
                    d.spot_ram_per_gib_hour.value_or(kDefaultSpotRamPerGiBHour),
                    d.spot_gpu_per_gpu_hour.value_or(kDefaultSpotGpuPerGpuHour)};
  defaults_.spot_to_on_demand_ratio = d.spot_to_on_demand_ratio.value_or(kDefaultSpotToOnDemandRatio);
  defaults_.custom_node_rates = d.cpu_per_core_hour || d.ram_per_gib_hour || d.gpu_per_gpu_hour ||
                                d.spot_cpu_per_core_hour || d.spot_ram_per_gib_hour ||
                                d.spot_gpu_per_gpu_hour;
}

NodeShape Pricer::nodeShape(const model::Node& node, const InstanceType* row) const {
  NodeShape shape;
  if (node.capacity.cpu_millicores > 0) {
    shape.vcpus = static_cast<double>(node.capacity.cpu_millicores) / 1000.0;
  } else if (row != nullptr && row->vcpu > 0) {
    shape.vcpus = row->vcpu;
  }
  if (node.capacity.memory_bytes > 0) {
    shape.ram_gib = static_cast<double>(node.capacity.memory_bytes) / kBytesPerGiB;
  } else if (row != nullptr && row->memory_gib > 0) {
    shape.ram_gib = row->memory_gib;
  }
  // The Kubernetes GPU count wins; a GPU type whose GPUs are not advertised (no device plugin,
  // MIG slices only) still pays for them, so fall back to the catalog count.
  if (node.capacity.gpus > 0) {
    shape.gpus = static_cast<double>(node.capacity.gpus);
  } else if (row != nullptr && row->gpu > 0) {
    shape.gpus = row->gpu;
  }
  return shape;
}

ResourceRates Pricer::splitTotal(double node_per_hour, const NodeShape& shape, SplitPolicy policy,
                                 double cpu_to_ram, std::optional<double> known_gpu) const {
  if (policy == SplitPolicy::kAws9To1) return splitAws9To1(node_per_hour, shape);
  const ResourceRates& d = defaults_.on_demand;
  double gpu_to_ram = d.ram_per_gib_hour > 0 ? d.gpu_per_gpu_hour / d.ram_per_gib_hour
                                             : kDefaultGpuPerGpuHour / kDefaultRamPerGiBHour;
  return splitOpenCost(node_per_hour, shape, cpu_to_ram, gpu_to_ram, known_gpu);
}

NodePrice Pricer::priceNode(const model::Node& node) const {
  NodePrice price;
  price.instance_type = internal::nodeInstanceType(node);
  price.region = internal::nodeRegion(node);
  Provider provider = detectProvider(node, &catalog_);
  std::optional<SpotLabel> spot_label = custom_ ? custom_->spot_label : std::nullopt;
  price.spot = isSpotNode(node, spot_label);

  std::optional<CatalogMatch> match;
  if (!custom_ || custom_->use_catalog) {
    match = catalog_.lookup(provider == Provider::kUnknown ? std::nullopt
                                                           : std::optional<Provider>(provider),
                            price.instance_type, price.region);
    if (match && provider == Provider::kUnknown) provider = match->row->provider;
  }
  price.provider = std::string(providerName(provider));
  const InstanceType* row = match ? match->row : nullptr;
  NodeShape shape = nodeShape(node, row);
  std::string gpu_model = nodeGpuModel(node);
  if (gpu_model.empty() && row != nullptr) gpu_model = std::string(row->gpu_model);

  SplitPolicy policy = custom_ ? custom_->split : SplitPolicy::kOpenCost;
  const ResourceRates& od = defaults_.on_demand;
  double default_cpu_to_ram = od.ram_per_gib_hour > 0
                                  ? od.cpu_per_core_hour / od.ram_per_gib_hour
                                  : kDefaultCpuPerCoreHour / kDefaultRamPerGiBHour;

  ResourceRates rates;
  double total = 0;
  bool apply_discount = true;
  bool priced = false;

  // 1. Custom rules.
  if (custom_) {
    for (std::size_t i = 0; i < custom_->rules.size() && !priced; ++i) {
      const PricingRule& rule = custom_->rules[i];
      if (!ruleMatches(rule.match, node, price.instance_type, gpu_model, provider, price.spot)) {
        continue;
      }
      bool use_spot = price.spot && rule.spot_prices.has_value();
      const RatePrices& p = use_spot ? *rule.spot_prices : rule.prices;
      const ResourceRates& base = price.spot ? defaults_.spot : defaults_.on_demand;
      SplitPolicy rule_policy = rule.split.value_or(policy);
      bool has_rates = p.cpu_per_core_hour || p.ram_per_gib_hour || p.gpu_per_gpu_hour;
      ResourceRates weights{p.cpu_per_core_hour.value_or(base.cpu_per_core_hour),
                            p.ram_per_gib_hour.value_or(base.ram_per_gib_hour),
                            p.gpu_per_gpu_hour.value_or(base.gpu_per_gpu_hour)};
      if (p.node_per_hour) {
        total = *p.node_per_hour;
        std::optional<ResourceRates> normalized;
        if (has_rates) normalized = normalizeToTotal(total, shape, weights);
        rates = normalized ? *normalized
                           : splitTotal(total, shape, rule_policy, default_cpu_to_ram, std::nullopt);
      } else {
        rates = weights;
        total = rates.totalPerHour(shape);
      }
      price.source = fmt::format("custom:rules[{}]{}", i, use_spot ? ":spot" : "");
      apply_discount = rule.apply_discount;
      priced = true;
    }
  }

  // 2. Catalog.
  if (!priced && row != nullptr) {
    std::string_view kind = "on-demand";
    total = row->ondemand_hourly;
    if (price.spot) {
      if (row->spot_hourly >= 0) {
        total = row->spot_hourly;
        kind = "spot";
      } else {
        total = row->ondemand_hourly * defaults_.spot_to_on_demand_ratio;
        kind = "spot-estimated";
      }
    }
    double cpu_to_ram = default_cpu_to_ram;
    std::optional<double> known_gpu;
    if (row->provider == Provider::kGcp) {
      std::string_view family = gcpFamily(row->instance_type);
      auto cpu = catalog_.gcpUnitRate(GcpRateKind::kCpuPerVcpu, family);
      auto ram = catalog_.gcpUnitRate(GcpRateKind::kMemoryPerGb, family);
      if (policy == SplitPolicy::kOpenCost && cpu && ram && *cpu > 0 && *ram > 0) {
        cpu_to_ram = *cpu / *ram;
      }
      // Accelerators attached to N1-style machines are billed on top of the machine.
      if (shape.gpus > 0 && !gcpPriceIncludesGpus(row->instance_type) && !gpu_model.empty()) {
        auto gpu = catalog_.gcpUnitRate(GcpRateKind::kGpuPerDevice, gpu_model, price.spot);
        if (gpu && *gpu > 0) {
          known_gpu = *gpu;
          total += *gpu * shape.gpus;
        }
      }
    }
    rates = splitTotal(total, shape, policy, cpu_to_ram, known_gpu);
    price.source = fmt::format("catalog:{}:{}:{}:{}", providerName(row->provider),
                               row->instance_type, row->region, kind);
    if (match->region_fallback) {
      price.source += fmt::format(":region-fallback-from={}",
                                  price.region.empty() ? "unknown" : price.region);
    }
    priced = true;
  }

  // 3. Defaults.
  if (!priced) {
    rates = price.spot ? defaults_.spot : defaults_.on_demand;
    total = rates.totalPerHour(shape);
    price.source = defaults_.custom_node_rates ? "custom:defaults" : "default:opencost";
    if (price.spot) price.source += ":spot";
  }

  if (apply_discount && custom_) {
    double keep = 1.0 - custom_->combinedDiscount();
    double cpu_off = rates.cpu_per_core_hour * (1.0 - keep);
    double ram_off = rates.ram_per_gib_hour * (1.0 - keep);
    rates.cpu_per_core_hour -= cpu_off;
    rates.ram_per_gib_hour -= ram_off;
    total = std::max(0.0, total - cpu_off * shape.vcpus - ram_off * shape.ram_gib);
  }

  price.cpu_per_core_hour = rates.cpu_per_core_hour;
  price.ram_per_gib_hour = rates.ram_per_gib_hour;
  price.gpu_per_gpu_hour = rates.gpu_per_gpu_hour;
  price.total_per_hour = total;
  return price;
}

double Pricer::storagePerGiBHour(std::string_view storage_class) const {
  if (custom_) {
    for (const StorageClassPrice& entry : custom_->storage_classes) {
      if (internal::globMatch(entry.name, storage_class)) return entry.per_gib_hour;
    }
    if (custom_->defaults.storage_per_gib_hour) return *custom_->defaults.storage_per_gib_hour;
  }
  return kDefaultStoragePerGiBHour;
}

double Pricer::loadBalancerPerHour() const {
  if (custom_ && custom_->load_balancer_per_hour) return *custom_->load_balancer_per_hour;
  return kDefaultLoadBalancerPerHour;
}

NetworkRates Pricer::networkRates() const {
  CustomNetwork n = custom_ ? custom_->network : CustomNetwork{};
  return {n.zone_egress_per_gib.value_or(kDefaultZoneEgressPerGiB),
          n.region_egress_per_gib.value_or(kDefaultRegionEgressPerGiB),
          n.internet_egress_per_gib.value_or(kDefaultInternetEgressPerGiB)};
}

}  // namespace trimtab::pricing
