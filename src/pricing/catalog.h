// Instance-type catalog: specs and list prices per (provider, instance type, region).
// The built-in catalog is compiled in from catalog_data.cc (see docs/pricing.md for sources);
// it holds one region per provider for AWS (us-east-1) and GCP (us-central1) and three for Azure.
// Thread-safe: a Catalog is immutable after construction.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pricing/catalog_data.h"

namespace trimtab::pricing {

// Parses "aws" / "gcp" / "azure" (case-insensitive; "gce", "google", "eks", "gke", "aks" too).
std::optional<Provider> parseProvider(std::string_view name);

// The result of a lookup. region_fallback is true when no row exists for the requested region
// and the row of the provider's catalog region was used instead.
struct CatalogMatch {
  const InstanceType* row = nullptr;
  bool region_fallback = false;
};

class Catalog {
 public:
  // REQUIRES: rows and gcp_rates outlive the Catalog (the built-in tables are static).
  Catalog(std::span<const InstanceType> rows, std::span<const GcpUnitRate> gcp_rates);

  // The compiled-in catalog. Thread-safe (constructed once).
  static const Catalog& builtin();

  // Finds instance_type (case-insensitive; Azure names also without the "Standard_" prefix).
  // provider: restricts the search when given and not kUnknown.
  // region: the exact region's row when present, else the provider's catalog region
  // (catalogRegion), else any row of that type; region_fallback says a fallback was used.
  // Empty result when the type is unknown.
  std::optional<CatalogMatch> lookup(std::optional<Provider> provider,
                                     std::string_view instance_type,
                                     std::string_view region) const;

  // Every row, in table order.
  std::vector<const InstanceType*> all() const;
  // Rows of one provider, in table order.
  std::vector<const InstanceType*> byProvider(Provider provider) const;
  std::size_t size() const { return rows_.size(); }

  // GCE unit rate for (kind, key) in USD/h; preemptible selects the spot column.
  // Empty when absent or unknown (negative in the table).
  std::optional<double> gcpUnitRate(GcpRateKind kind, std::string_view key,
                                    bool preemptible = false) const;

  // The region the built-in catalog prices a provider in: "us-east-1", "us-central1",
  // "eastus"; "" for kUnknown.
  static std::string_view catalogRegion(Provider provider);

 private:
  std::span<const InstanceType> rows_;
  std::span<const GcpUnitRate> gcp_rates_;
  // Lower-cased instance type -> indexes into rows_.
  std::unordered_map<std::string, std::vector<std::size_t>> by_type_;
};

}  // namespace trimtab::pricing
