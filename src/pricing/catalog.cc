#include "pricing/catalog.h"

#include "pricing/internal/text.h"

namespace trimtab::pricing {

std::string_view providerName(Provider provider) {
  switch (provider) {
    case Provider::kAws: return "aws";
    case Provider::kGcp: return "gcp";
    case Provider::kAzure: return "azure";
    case Provider::kUnknown: break;
  }
  return "";
}

std::optional<Provider> parseProvider(std::string_view name) {
  using internal::equalsIgnoreCase;
  for (std::string_view n : {"aws", "eks", "amazon"}) {
    if (equalsIgnoreCase(name, n)) return Provider::kAws;
  }
  for (std::string_view n : {"gcp", "gce", "gke", "google"}) {
    if (equalsIgnoreCase(name, n)) return Provider::kGcp;
  }
  for (std::string_view n : {"azure", "aks"}) {
    if (equalsIgnoreCase(name, n)) return Provider::kAzure;
  }
  return std::nullopt;
}

Catalog::Catalog(std::span<const InstanceType> rows, std::span<const GcpUnitRate> gcp_rates)
    : rows_(rows), gcp_rates_(gcp_rates) {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    by_type_[internal::toLower(rows_[i].instance_type)].push_back(i);
  }
}

const Catalog& Catalog::builtin() {
  static const Catalog catalog(internal::builtinInstanceRows(), internal::builtinGcpUnitRates());
  return catalog;
}

std::string_view Catalog::catalogRegion(Provider provider) {
  switch (provider) {
    case Provider::kAws: return "us-east-1";
    case Provider::kGcp: return "us-central1";
    case Provider::kAzure: return "eastus";
    case Provider::kUnknown: break;
  }
  return "";
}

std::optional<CatalogMatch> Catalog::lookup(std::optional<Provider> provider,
                                            std::string_view instance_type,
                                            std::string_view region) const {
  if (instance_type.empty()) return std::nullopt;
  if (provider == Provider::kUnknown) provider.reset();
  std::string key = internal::toLower(instance_type);
  auto it = by_type_.find(key);
  if (it == by_type_.end() && (!provider || *provider == Provider::kAzure) &&
      !internal::startsWith(key, "standard_")) {
    it = by_type_.find("standard_" + key);
  }
  if (it == by_type_.end()) return std::nullopt;

  const InstanceType* home = nullptr;   // row in the provider's catalog region
  const InstanceType* first = nullptr;  // any row of that provider
  for (std::size_t index : it->second) {
    const InstanceType& row = rows_[index];
    if (provider && row.provider != *provider) continue;
    if (internal::equalsIgnoreCase(row.region, region)) return CatalogMatch{&row, false};
    if (home == nullptr && row.region == catalogRegion(row.provider)) home = &row;
    if (first == nullptr) first = &row;
  }
  if (home != nullptr) return CatalogMatch{home, true};
  if (first != nullptr) return CatalogMatch{first, true};
  return std::nullopt;
}

std::vector<const InstanceType*> Catalog::all() const {
  std::vector<const InstanceType*> out;
  out.reserve(rows_.size());
  for (const InstanceType& row : rows_) out.push_back(&row);
  return out;
}

std::vector<const InstanceType*> Catalog::byProvider(Provider provider) const {
  std::vector<const InstanceType*> out;
  for (const InstanceType& row : rows_) {
    if (row.provider == provider) out.push_back(&row);
  }
  return out;
}

std::optional<double> Catalog::gcpUnitRate(GcpRateKind kind, std::string_view key,
                                           bool preemptible) const {
  for (const GcpUnitRate& rate : gcp_rates_) {
    if (rate.kind != kind || !internal::equalsIgnoreCase(rate.key, key)) continue;
    double value = preemptible ? rate.preemptible_hourly : rate.ondemand_hourly;
    if (value < 0) return std::nullopt;
    return value;
  }
  return std::nullopt;
}

}  // namespace trimtab::pricing
