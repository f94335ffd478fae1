// Splitting a node's total hourly price into per-resource rates. Pure functions; formulas and
// worked examples in docs/pricing.md.
#pragma once

#include <optional>

namespace trimtab::pricing {

// Billable size of a node (capacity, not allocatable).
struct NodeShape {
  double vcpus = 0;
  double ram_gib = 0;
  double gpus = 0;
};

// USD per vCPU-hour, per GiB-hour, per GPU-hour.
struct ResourceRates {
  double cpu_per_core_hour = 0;
  double ram_per_gib_hour = 0;
  double gpu_per_gpu_hour = 0;

  // Σ rate × quantity.
  double totalPerHour(const NodeShape& shape) const {
    return cpu_per_core_hour * shape.vcpus + ram_per_gib_hour * shape.ram_gib +
           gpu_per_gpu_hour * shape.gpus;
  }
};

// OpenCost's ratio method (costmodel.go GetNodeCost):
//   known GPU price g: ram = (total − gpus·g) / (vcpus·cpu_to_ram + ram_gib), gpu = g
//   otherwise:         ram = total / (vcpus·cpu_to_ram + ram_gib + gpus·gpu_to_ram),
//                      gpu = ram·gpu_to_ram
//   cpu = ram·cpu_to_ram.
// A node with no size gets zero rates; when gpus·g exceeds the total, the GPUs take it all.
ResourceRates splitOpenCost(double node_per_hour, const NodeShape& shape, double cpu_to_ram,
                            double gpu_to_ram, std::optional<double> known_gpu_per_gpu_hour);

// AWS split cost allocation data weights: GPUs (when present) take 90 % of the node price;
// the rest is shared by vCPU and GiB with weights 9:1: unit = rest / (9·vcpus + ram_gib),
// cpu = 9·unit, ram = unit. m5.xlarge at $1/h: $0.1731/vCPU-h, $0.0192/GiB-h.
ResourceRates splitAws9To1(double node_per_hour, const NodeShape& shape);

// Scales weights so that Σ rate × quantity equals node_per_hour, keeping their ratios
// (spec Appendix A: base GPU 30, CPU 30, RAM 10 on a 35 node -> 15/15/5). Empty when the
// weighted sum is zero.
std::optional<ResourceRates> normalizeToTotal(double node_per_hour, const NodeShape& shape,
                                              const ResourceRates& weights);

}  // namespace trimtab::pricing
