#include "pricing/detect.h"

#include <string_view>

#include "pricing/internal/text.h"

namespace trimtab::pricing {
namespace {

using internal::equalsIgnoreCase;
using internal::labelValue;
using internal::startsWith;

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool allLowerAlnum(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!isLowerAlnum(c)) return false;
  }
  return true;
}

// "m5.large", "p4d.24xlarge", "c7gn.metal-48xl": lower-case family with a digit, '.', size.
bool looksLikeAws(std::string_view type) {
  std::size_t dot = type.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view family = type.substr(0, dot);
  if (!allLowerAlnum(family) || family.find_first_of("0123456789") == std::string_view::npos) {
    return false;
  }
  std::string_view size = type.substr(dot + 1);
  if (size.empty()) return false;
  for (char c : size) {
    if (!isLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

// "n1-standard-4", "e2-medium", "a2-highgpu-1g", "c3-standard-4-lssd": no dot, '-' separated
// lower-case words, the first a family with a digit.
bool looksLikeGcp(std::string_view type) {
  if (type.find('.') != std::string_view::npos) return false;
  std::size_t dash = type.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= type.size()) return false;
  std::string_view family = type.substr(0, dash);
  if (!allLowerAlnum(family) || family.find_first_of("0123456789") == std::string_view::npos) {
    return false;
  }
  for (char c : type) {
    if (!isLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

bool hasLabelPrefix(const model::Node& node, std::string_view prefix) {
  for (const auto& [key, value] : node.meta.labels) {
    if (startsWith(key, prefix)) return true;
  }
  return false;
}

bool labelIs(const model::Node& node, std::string_view key, std::string_view value) {
  const std::string* v = labelValue(node.meta.labels, key);
  return v != nullptr && equalsIgnoreCase(*v, value);
}

}  // namespace

Provider detectProvider(const model::Node& node, const Catalog* catalog) {
  const std::string& id = node.provider_id;
  if (startsWith(id, "aws://")) return Provider::kAws;
  if (startsWith(id, "gce://")) return Provider::kGcp;
  if (startsWith(id, "azure://")) return Provider::kAzure;

  if (hasLabelPrefix(node, "eks.amazonaws.com/") || hasLabelPrefix(node, "karpenter.k8s.aws/")) {
    return Provider::kAws;
  }
  if (hasLabelPrefix(node, "cloud.google.com/gke-")) return Provider::kGcp;
  if (hasLabelPrefix(node, "kubernetes.azure.com/")) return Provider::kAzure;

  std::string type = internal::nodeInstanceType(node);
  if (type.empty()) return Provider::kUnknown;
  if (startsWith(internal::toLower(type), "standard_")) return Provider::kAzure;
  if (looksLikeAws(type)) return Provider::kAws;
  if (looksLikeGcp(type)) return Provider::kGcp;
  if (catalog != nullptr) {
    if (auto match = catalog->lookup(std::nullopt, type, internal::nodeRegion(node))) {
      return match->row->provider;
    }
  }
  return Provider::kUnknown;
}

bool isSpotNode(const model::Node& node, const std::optional<SpotLabel>& extra) {
  if (labelIs(node, "karpenter.sh/capacity-type", "spot") ||
      labelIs(node, "eks.amazonaws.com/capacityType", "spot") ||
      labelIs(node, "node.kubernetes.io/lifecycle", "spot") ||
      labelIs(node, "cloud.google.com/gke-spot", "true") ||
      labelIs(node, "cloud.google.com/gke-preemptible", "true") ||
      labelIs(node, "cloud.google.com/gke-provisioning", "spot") ||
      labelIs(node, "kubernetes.azure.com/scalesetpriority", "spot")) {
    return true;
  }
  if (extra && !extra->key.empty()) {
    const std::string* v = labelValue(node.meta.labels, extra->key);
    if (v != nullptr && (extra->value.empty() || equalsIgnoreCase(*v, extra->value))) return true;
  }
  return false;
}

std::string nodeGpuModel(const model::Node& node) {
  for (std::string_view key :
       {"nvidia.com/gpu.product", "cloud.google.com/gke-accelerator",
        "karpenter.k8s.aws/instance-gpu-name", "nvidia.com/gpu_type",
        "kubernetes.azure.com/accelerator"}) {
    if (const std::string* v = labelValue(node.meta.labels, key); v != nullptr && !v->empty()) {
      return *v;
    }
  }
  return {};
}

}  // namespace trimtab::pricing
