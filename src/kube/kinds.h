// The object kinds Trimtab lists and watches (every kind model/decode.h decodes), with their
// API paths.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace trimtab::kube {

enum class Kind : unsigned char {
  kNode,
  kPod,
  kPersistentVolume,
  kPersistentVolumeClaim,
  kService,
  kNamespace,
  kReplicaSet,
  kDeployment,
  kStatefulSet,
  kDaemonSet,
  kJob,
  kCronJob,
  kPodDisruptionBudget,
  kHorizontalPodAutoscaler,
};
inline constexpr std::size_t kKindCount = 14;

struct KindInfo {
  Kind kind;
  std::string_view name;       // "Pod"
  std::string_view list_kind;  // "PodList"
  std::string_view path;       // "/api/v1/pods" (all namespaces)
  std::string_view resource;   // "pods" (for --kind flags)
};

inline constexpr std::array<KindInfo, kKindCount> kKinds = {{
    {Kind::kNode, "Node", "NodeList", "/api/v1/nodes", "nodes"},
    {Kind::kPod, "Pod", "PodList", "/api/v1/pods", "pods"},
    {Kind::kPersistentVolume, "PersistentVolume", "PersistentVolumeList",
     "/api/v1/persistentvolumes", "persistentvolumes"},
    {Kind::kPersistentVolumeClaim, "PersistentVolumeClaim", "PersistentVolumeClaimList",
     "/api/v1/persistentvolumeclaims", "persistentvolumeclaims"},
    {Kind::kService, "Service", "ServiceList", "/api/v1/services", "services"},
    {Kind::kNamespace, "Namespace", "NamespaceList", "/api/v1/namespaces", "namespaces"},
    {Kind::kReplicaSet, "ReplicaSet", "ReplicaSetList", "/apis/apps/v1/replicasets", "replicasets"},
    {Kind::kDeployment, "Deployment", "DeploymentList", "/apis/apps/v1/deployments", "deployments"},
    {Kind::kStatefulSet, "StatefulSet", "StatefulSetList", "/apis/apps/v1/statefulsets",
     "statefulsets"},
    {Kind::kDaemonSet, "DaemonSet", "DaemonSetList", "/apis/apps/v1/daemonsets", "daemonsets"},
    {Kind::kJob, "Job", "JobList", "/apis/batch/v1/jobs", "jobs"},
    {Kind::kCronJob, "CronJob", "CronJobList", "/apis/batch/v1/cronjobs", "cronjobs"},
    {Kind::kPodDisruptionBudget, "PodDisruptionBudget", "PodDisruptionBudgetList",
     "/apis/policy/v1/poddisruptionbudgets", "poddisruptionbudgets"},
    {Kind::kHorizontalPodAutoscaler, "HorizontalPodAutoscaler", "HorizontalPodAutoscalerList",
     "/apis/autoscaling/v2/horizontalpodautoscalers", "horizontalpodautoscalers"},
}};

inline const KindInfo& kindInfo(Kind kind) { return kKinds[static_cast<std::size_t>(kind)]; }

// By resource ("pods"), singular ("pod") or kind name ("Pod"); nullopt when unknown.
inline std::optional<Kind> kindByName(std::string_view name) {
  for (const auto& k : kKinds) {
    if (name == k.resource || name == k.name ||
        (name.size() + 1 == k.resource.size() && k.resource.substr(0, name.size()) == name)) {
      return k.kind;
    }
  }
  return std::nullopt;
}

}  // namespace trimtab::kube
