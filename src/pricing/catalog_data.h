// Row types of the built-in instance catalog and the generated tables that hold them.
// The tables live in catalog_data.cc, which scripts/gen_pricing_catalog writes from
// ../shared/data/pricing/*.csv; do not edit that file by hand.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace trimtab::pricing {

enum class Provider : std::uint8_t { kUnknown, kAws, kGcp, kAzure };

// "aws", "gcp", "azure", or "" for kUnknown.
std::string_view providerName(Provider provider);

// One instance type in one region. Prices are list prices in USD per hour (Linux).
// Unknown numbers are negative (-1); unknown strings are empty.
struct InstanceType {
  Provider provider = Provider::kUnknown;
  std::string_view instance_type;  // "m5.large", "a2-highgpu-1g", "Standard_NC6s_v3"
  std::string_view region;         // "us-east-1", "us-central1", "eastus"
  double vcpu = -1;
  double memory_gib = -1;
  int gpu = -1;                     // whole GPUs attached (GCP a2/a3: from the name)
  std::string_view gpu_model;       // "a100", "nvidia-tesla-a100", "V100", ...
  double ondemand_hourly = -1;      // USD/h
  double spot_hourly = -1;          // USD/h; negative when the source has no spot price
  std::int64_t alloc_cpu_milli = -1;   // Kubernetes allocatable (AWS only)
  std::int64_t alloc_memory_mib = -1;
  int max_pods = -1;
  std::string_view arch;            // "amd64", "arm64", "x64", "Arm64", or ""
};

// Google Compute Engine unit rates from cluster-autoscaler's price table, USD per hour.
enum class GcpRateKind : std::uint8_t {
  kCpuPerVcpu,    // key: machine family ("n1", "e2", ...)
  kMemoryPerGb,   // key: machine family; per GB (GCE bills GiB as "GB")
  kGpuPerDevice,  // key: accelerator name ("nvidia-tesla-t4")
  kInstance,      // key: machine type; whole-instance price
};

struct GcpUnitRate {
  GcpRateKind kind = GcpRateKind::kCpuPerVcpu;
  std::string_view key;
  double ondemand_hourly = -1;
  double preemptible_hourly = -1;  // negative when unknown
};

// Provenance of the generated tables (source files, repositories, commits, checksums).
struct CatalogProvenance {
  std::string_view instance_prices_sha256;  // hex digest of instance_prices.csv
  std::string_view gcp_unit_rates_sha256;   // hex digest of gcp_unit_rates_cluster_autoscaler.csv
  std::string_view origin;                  // one line per source table
};

namespace internal {
std::span<const InstanceType> builtinInstanceRows();
std::span<const GcpUnitRate> builtinGcpUnitRates();
const CatalogProvenance& builtinProvenance();
}  // namespace internal

}  // namespace trimtab::pricing
