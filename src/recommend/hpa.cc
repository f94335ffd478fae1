#include "recommend/hpa.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace trimtab::recommend {

std::vector<HpaSpec> hpaSpecsFrom(std::span<const model::HorizontalPodAutoscaler> hpas) {
  std::vector<HpaSpec> out;
  out.reserve(hpas.size());
  for (const model::HorizontalPodAutoscaler& h : hpas) {
    HpaSpec& spec = out.emplace_back();
    spec.namespace_name = h.meta.namespace_name;
    spec.name = h.meta.name;
    spec.target_kind = h.target_kind;
    spec.target_name = h.target_name;
    for (const model::HpaResourceMetric& m : h.metrics) {
      if (m.target_type != "Utilization" || !m.average_utilization) continue;
      if (m.resource != "cpu" && m.resource != "memory") continue;
      HpaMetricTarget t;
      t.resource = m.resource;
      t.container = m.container;
      t.target_utilization_percent = *m.average_utilization;
      t.json_pointer = m.spec_index < 0
                           ? "/spec/targetCPUUtilizationPercentage"
                           : fmt::format("/spec/metrics/{}/{}/target/averageUtilization",
                                         m.spec_index, m.container.empty() ? "resource"
                                                                           : "containerResource");
      spec.metrics.push_back(std::move(t));
    }
  }
  return out;
}

Result<HpaAdjustment> adjustHpaTarget(const HpaMetricTarget& metric, double old_request,
                                      double new_request) {
  if (!(old_request > 0) || !(new_request > 0)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("hpa metric {}: requests must be positive to keep the scale point "
                            "(old {}, new {})",
                            metric.resource, old_request, new_request));
  }
  if (!(metric.target_utilization_percent > 0) || metric.target_utilization_percent > 1000) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("hpa metric {}: target utilisation {}% is not in (0, 1000]",
                            metric.resource, metric.target_utilization_percent));
  }
  HpaAdjustment a;
  a.resource = metric.resource;
  a.old_target_percent = metric.target_utilization_percent;
  const double exact = metric.target_utilization_percent * old_request / new_request;
  a.new_target_percent = std::clamp(exact, kHpaMinTargetPercent, kHpaMaxTargetPercent);
  a.clamped = a.new_target_percent != exact;
  // Scale point in absolute units: target × request; relative change after the clamp.
  const double before = metric.target_utilization_percent * old_request;
  const double after = a.new_target_percent * new_request;
  a.scale_point_change = a.clamped ? after / before - 1 : 0;
  return a;
}

Result<std::vector<HpaAdjustment>> adjustHpas(const std::vector<HpaSpec>& hpas,
                                              const std::string& namespace_name,
                                              const std::string& kind, const std::string& name,
                                              double old_cpu_request, double new_cpu_request,
                                              double old_memory_request,
                                              double new_memory_request) {
  const HpaSpec* found = nullptr;
  for (const HpaSpec& h : hpas) {
    if (h.namespace_name != namespace_name || h.target_name != name) continue;
    if (!kind.empty() && !std::equal(h.target_kind.begin(), h.target_kind.end(), kind.begin(),
                                     kind.end(), [](char a, char b) {
                                       return std::tolower(static_cast<unsigned char>(a)) ==
                                              std::tolower(static_cast<unsigned char>(b));
                                     })) {
      continue;
    }
    if (found != nullptr) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}/{} {}: conflicting HPAs \"{}\" and \"{}\" target it",
                              namespace_name, kind, name, found->name, h.name));
    }
    found = &h;
  }
  std::vector<HpaAdjustment> out;
  if (found == nullptr) return out;
  for (const HpaMetricTarget& m : found->metrics) {
    double old_r = 0, new_r = 0;
    if (m.resource == "cpu") {
      old_r = old_cpu_request;
      new_r = new_cpu_request;
    } else if (m.resource == "memory") {
      old_r = old_memory_request;
      new_r = new_memory_request;
    } else {
      continue;
    }
    auto a = adjustHpaTarget(m, old_r, new_r);
    if (!a) {
      return fail(a.error().code, fmt::format("hpa {}/{}: {}", found->namespace_name, found->name,
                                              a.error().message));
    }
    a->hpa_name = found->name;
    a->container = m.container;
    a->json_pointer = m.json_pointer;
    out.push_back(*a);
  }
  return out;
}

}  // namespace trimtab::recommend
