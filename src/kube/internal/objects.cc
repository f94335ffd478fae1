#include "kube/internal/objects.h"

namespace trimtab::kube::internal {

Kind workloadKind(model::WorkloadKind kind) {
  switch (kind) {
    case model::WorkloadKind::kReplicaSet:
      return Kind::kReplicaSet;
    case model::WorkloadKind::kDeployment:
      return Kind::kDeployment;
    case model::WorkloadKind::kStatefulSet:
      return Kind::kStatefulSet;
    case model::WorkloadKind::kDaemonSet:
      return Kind::kDaemonSet;
    case model::WorkloadKind::kJob:
      return Kind::kJob;
    case model::WorkloadKind::kCronJob:
      return Kind::kCronJob;
  }
  return Kind::kDeployment;
}

Kind kindOf(const Object& object) {
  switch (object.index()) {
    case 0:
      return Kind::kNode;
    case 1:
      return Kind::kPod;
    case 2:
      return Kind::kPersistentVolume;
    case 3:
      return Kind::kPersistentVolumeClaim;
    case 4:
      return Kind::kService;
    case 5:
      return Kind::kNamespace;
    case 6:
      return workloadKind(std::get<model::Workload>(object).kind);
    case 7:
      return Kind::kPodDisruptionBudget;
    default:
      return Kind::kHorizontalPodAutoscaler;
  }
}

const model::ObjectMeta& metaOf(const Object& object) {
  return std::visit([](const auto& o) -> const model::ObjectMeta& { return o.meta; }, object);
}

void forEachObject(model::ObjectSet&& set, const std::function<void(Object&&)>& fn) {
  for (auto& o : set.nodes) fn(Object(std::move(o)));
  for (auto& o : set.pods) fn(Object(std::move(o)));
  for (auto& o : set.persistent_volumes) fn(Object(std::move(o)));
  for (auto& o : set.persistent_volume_claims) fn(Object(std::move(o)));
  for (auto& o : set.services) fn(Object(std::move(o)));
  for (auto& o : set.namespaces) fn(Object(std::move(o)));
  for (auto& o : set.workloads) fn(Object(std::move(o)));
  for (auto& o : set.pod_disruption_budgets) fn(Object(std::move(o)));
  for (auto& o : set.horizontal_pod_autoscalers) fn(Object(std::move(o)));
  set = model::ObjectSet{};
}

bool allOfKind(const model::ObjectSet& set, Kind kind) {
  std::size_t n = 0;
  switch (kind) {
    case Kind::kNode:
      n = set.nodes.size();
      break;
    case Kind::kPod:
      n = set.pods.size();
      break;
    case Kind::kPersistentVolume:
      n = set.persistent_volumes.size();
      break;
    case Kind::kPersistentVolumeClaim:
      n = set.persistent_volume_claims.size();
      break;
    case Kind::kService:
      n = set.services.size();
      break;
    case Kind::kNamespace:
      n = set.namespaces.size();
      break;
    case Kind::kPodDisruptionBudget:
      n = set.pod_disruption_budgets.size();
      break;
    case Kind::kHorizontalPodAutoscaler:
      n = set.horizontal_pod_autoscalers.size();
      break;
    default:
      for (const auto& w : set.workloads) {
        if (workloadKind(w.kind) == kind) ++n;
      }
  }
  return n == set.size();
}

void addTo(model::ObjectSet& set, Object object) {
  std::visit(
      [&](auto&& o) {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, model::Node>)
          set.nodes.push_back(std::move(o));
        else if constexpr (std::is_same_v<T, model::Pod>)
          set.pods.push_back(std::move(o));
        else if constexpr (std::is_same_v<T, model::PersistentVolume>)
          set.persistent_volumes.push_back(std::move(o));
        else if constexpr (std::is_same_v<T, model::PersistentVolumeClaim>)
          set.persistent_volume_claims.push_back(std::move(o));
        else if constexpr (std::is_same_v<T, model::Service>)
          set.services.push_back(std::move(o));
        else if constexpr (std::is_same_v<T, model::Namespace>)
          set.namespaces.push_back(std::move(o));
        else if constexpr (std::is_same_v<T, model::Workload>)
          set.workloads.push_back(std::move(o));
        else if constexpr (std::is_same_v<T, model::PodDisruptionBudget>)
          set.pod_disruption_budgets.push_back(std::move(o));
        else
          set.horizontal_pod_autoscalers.push_back(std::move(o));
      },
      std::move(object));
}

}  // namespace trimtab::kube::internal
