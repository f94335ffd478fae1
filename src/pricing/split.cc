#include "pricing/split.h"

#include <algorithm>

namespace trimtab::pricing {

ResourceRates splitOpenCost(double node_per_hour, const NodeShape& shape, double cpu_to_ram,
                            double gpu_to_ram, std::optional<double> known_gpu_per_gpu_hour) {
  ResourceRates rates;
  double rest = node_per_hour;
  double denominator = shape.vcpus * cpu_to_ram + shape.ram_gib;
  if (known_gpu_per_gpu_hour && shape.gpus > 0) {
    double gpu_total = shape.gpus * *known_gpu_per_gpu_hour;
    if (gpu_total >= node_per_hour || denominator <= 0) {
      rates.gpu_per_gpu_hour = node_per_hour / shape.gpus;
      return rates;
    }
    rates.gpu_per_gpu_hour = *known_gpu_per_gpu_hour;
    rest -= gpu_total;
  } else {
    denominator += shape.gpus * gpu_to_ram;
  }
  if (denominator <= 0) return rates;
  rates.ram_per_gib_hour = rest / denominator;
  rates.cpu_per_core_hour = rates.ram_per_gib_hour * cpu_to_ram;
  if (!(known_gpu_per_gpu_hour && shape.gpus > 0)) {
    rates.gpu_per_gpu_hour = shape.gpus > 0 ? rates.ram_per_gib_hour * gpu_to_ram : 0;
  }
  return rates;
}

ResourceRates splitAws9To1(double node_per_hour, const NodeShape& shape) {
  ResourceRates rates;
  double rest = node_per_hour;
  double weight = 9.0 * shape.vcpus + shape.ram_gib;
  if (shape.gpus > 0) {
    double gpu_share = weight > 0 ? 0.9 * node_per_hour : node_per_hour;
    rates.gpu_per_gpu_hour = gpu_share / shape.gpus;
    rest -= gpu_share;
  }
  if (weight <= 0) return rates;
  double unit = rest / weight;
  rates.cpu_per_core_hour = 9.0 * unit;
  rates.ram_per_gib_hour = unit;
  return rates;
}

std::optional<ResourceRates> normalizeToTotal(double node_per_hour, const NodeShape& shape,
                                              const ResourceRates& weights) {
  double weighted = weights.totalPerHour(shape);
  if (!(weighted > 0)) return std::nullopt;
  double factor = node_per_hour / weighted;
  ResourceRates rates;
  rates.cpu_per_core_hour = weights.cpu_per_core_hour * factor;
  rates.ram_per_gib_hour = weights.ram_per_gib_hour * factor;
  rates.gpu_per_gpu_hour = weights.gpu_per_gpu_hour * factor;
  return rates;
}

}  // namespace trimtab::pricing
