// HPA awareness: when a HorizontalPodAutoscaler scales a workload on CPU or memory utilisation
// (a percentage of the request), changing the request moves its scale point. To keep the scale
// point, the target utilisation is rescaled so target × request stays constant, clamped to
// 50-90%; when the clamp bites, the scale point moves and the adjustment says so.
//
// HPAs come from Kubernetes objects (`kubectl get hpa -A -o json`, decoded by model/decode.h)
// given to `trimtab recommend --objects`: the store keeps usage history, not autoscaler specs.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "model/error.h"
#include "model/objects.h"

namespace trimtab::recommend {

inline constexpr double kHpaMinTargetPercent = 50;
inline constexpr double kHpaMaxTargetPercent = 90;

struct HpaMetricTarget {
  std::string resource;  // "cpu" or "memory"
  double target_utilization_percent = 0;
  std::string container;     // ContainerResource metrics: utilisation of this container only
  std::string json_pointer;  // the target in the HPA object, for a JSON 6902 patch
};

struct HpaSpec {
  std::string namespace_name, name;
  std::string target_kind, target_name;  // scaleTargetRef, e.g. "Deployment", "api"
  std::vector<HpaMetricTarget> metrics;
};

struct HpaAdjustment {
  std::string hpa_name;
  std::string resource;
  std::string container;     // as in the metric
  std::string json_pointer;  // as in the metric
  double old_target_percent = 0, new_target_percent = 0;
  bool clamped = false;           // the scale point could not be kept exactly
  double scale_point_change = 0;  // relative change of target × request (0 when kept)
};

// The specs of `hpas` that can move with requests: cpu and memory metrics with a Utilization
// target (Resource: the pod's summed request; ContainerResource: one container's). Metrics
// with AverageValue targets, or on other resources, do not depend on requests and are left out;
// an HPA left with no metric is still listed (it targets the workload: conflicts count).
std::vector<HpaSpec> hpaSpecsFrom(std::span<const model::HorizontalPodAutoscaler> hpas);

// The new utilisation target for one metric: old × old_request / new_request, clamped.
// Errors (kInvalidArgument) when a request is zero or negative (utilisation of a zero request
// is undefined) or the old target is outside (0, 1000]%.
Result<HpaAdjustment> adjustHpaTarget(const HpaMetricTarget& metric, double old_request,
                                      double new_request);

// The HPA changes that go with new requests for a workload. hpas: every HPA in the workload's
// namespace; those whose scaleTargetRef names (kind, name) apply. Errors: more than one HPA
// targets the workload (conflicting HPAs: Kubernetes' behaviour is undefined), or any metric
// adjustment fails. Metrics on resources other than cpu/memory are left alone.
Result<std::vector<HpaAdjustment>> adjustHpas(const std::vector<HpaSpec>& hpas,
                                              const std::string& namespace_name,
                                              const std::string& kind, const std::string& name,
                                              double old_cpu_request, double new_cpu_request,
                                              double old_memory_request, double new_memory_request);

}  // namespace trimtab::recommend
