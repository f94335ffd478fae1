#include "recommend/hpa.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "recommend/recommend.h"

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

namespace {

bool sameKind(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

// The one HPA whose scaleTargetRef names (kind, name) in the namespace (an empty kind matches
// any), nullptr when none; an error when two do (Kubernetes' behaviour is then undefined).
Result<const HpaSpec*> hpaTargeting(std::span<const HpaSpec> hpas,
                                    const std::string& namespace_name, const std::string& kind,
                                    const std::string& name) {
  const HpaSpec* found = nullptr;
  for (const HpaSpec& h : hpas) {
    if (h.namespace_name != namespace_name || h.target_name != name) continue;
    if (!kind.empty() && !sameKind(h.target_kind, kind)) continue;
    if (found != nullptr) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}/{} {}: conflicting HPAs \"{}\" and \"{}\" target it",
                              namespace_name, kind, name, found->name, h.name));
    }
    found = &h;
  }
  return found;
}

}  // namespace

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
  a.container = metric.container;
  a.json_pointer = metric.json_pointer;
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
  auto targeting = hpaTargeting(hpas, namespace_name, kind, name);
  if (!targeting) return fail(targeting.error());
  const HpaSpec* found = *targeting;
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
    out.push_back(*a);
  }
  return out;
}

void applyHpas(std::vector<Recommendation>& recs, std::span<const HpaSpec> hpas) {
  // Workload -> its containers' recommendations.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::vector<std::size_t>>
      workloads;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const WorkloadKey& k = recs[i].key;
    workloads[{k.cluster, k.namespace_name, k.controller_kind, k.controller}].push_back(i);
  }
  for (const auto& workload : workloads) {
    // Plain references, not structured bindings: lambdas below capture them (clang 14 cannot
    // capture a structured binding).
    const std::vector<std::size_t>& members = workload.second;
    const std::string& ns = std::get<1>(workload.first);
    const std::string& kind = std::get<2>(workload.first);
    const std::string& name = std::get<3>(workload.first);
    auto targeting = hpaTargeting(hpas, ns, kind, name);
    if (targeting && *targeting == nullptr) continue;
    // The request each container will have: recommended when there is one, else current.
    auto next = [&](const Recommendation& r, bool cpu) {
      const ResourceValues& v = r.sufficient ? r.recommended : r.current;
      return cpu ? v.cpu_request_cores : v.memory_request_bytes;
    };
    auto keep = [&](const std::string& why) {
      for (std::size_t i : members) {
        Recommendation& r = recs[i];
        if (r.sufficient) {
          r.recommended = r.current;
          r.monthly_saving_usd = 0;
        }
        r.hpa.clear();
        r.reason = why;
      }
    };
    if (!targeting) {
      keep("requests kept: " + targeting.error().message);
      continue;
    }
    const HpaSpec& hpa = **targeting;
    std::vector<HpaAdjustment> adjustments;
    std::string failure;
    for (const HpaMetricTarget& m : hpa.metrics) {
      const bool cpu = m.resource == "cpu";
      double old_request = 0, new_request = 0;
      for (std::size_t i : members) {
        const Recommendation& r = recs[i];
        if (!m.container.empty() && r.key.container != m.container) continue;
        old_request += cpu ? r.current.cpu_request_cores : r.current.memory_request_bytes;
        new_request += next(r, cpu);
      }
      if (old_request == new_request) continue;  // nothing moves
      auto a = adjustHpaTarget(m, old_request, new_request);
      if (!a) {
        failure = fmt::format("requests kept: HPA \"{}\" {}", hpa.name, a.error().message);
        break;
      }
      a->hpa_name = hpa.name;
      adjustments.push_back(std::move(*a));
    }
    if (!failure.empty()) {
      keep(failure);
      continue;
    }
    if (adjustments.empty()) continue;
    std::string note = fmt::format("; HPA {}:", hpa.name);
    for (const HpaAdjustment& a : adjustments) {
      note += fmt::format(" {}{} target {:.0f}% -> {:.0f}%{}", a.resource,
                          a.container.empty() ? "" : " of " + a.container, a.old_target_percent,
                          a.new_target_percent,
                          a.clamped ? fmt::format(" (clamped to 50-90%: scale point {:+.0f}%)",
                                                  a.scale_point_change * 100)
                                    : "");
    }
    for (std::size_t i : members) {
      recs[i].hpa = adjustments;
      if (recs[i].sufficient) recs[i].reason += note;
    }
  }
}

}  // namespace trimtab::recommend
