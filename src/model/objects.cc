#include "model/objects.h"

#include <algorithm>
#include <iterator>

namespace trimtab::model {
namespace {

std::string labelOr(const StringMap& labels, std::string_view key, std::string_view fallback) {
  if (const std::string* v = lookup(labels, key)) return *v;
  if (const std::string* v = lookup(labels, fallback)) return *v;
  return {};
}

template <typename T>
void append(std::vector<T>& to, std::vector<T>&& from) {
  if (to.empty()) {
    to = std::move(from);
    return;
  }
  // Grow geometrically: an exact reserve here would move every element again on each of many
  // small merges (a paginated list merged page by page).
  if (to.capacity() < to.size() + from.size()) to.reserve(std::max(to.size() + from.size(), 2 * to.capacity()));
  std::move(from.begin(), from.end(), std::back_inserter(to));
  from.clear();
}

}  // namespace

const std::string* lookup(const StringMap& map, std::string_view key) {
  auto it = std::lower_bound(map.begin(), map.end(), key,
                             [](const auto& entry, std::string_view k) { return entry.first < k; });
  if (it != map.end() && it->first == key) return &it->second;
  return nullptr;
}

const OwnerReference* ObjectMeta::controllerRef() const {
  for (const OwnerReference& ref : owner_references) {
    if (ref.controller) return &ref;
  }
  return nullptr;
}

std::string Node::instanceType() const {
  return labelOr(meta.labels, "node.kubernetes.io/instance-type",
                 "beta.kubernetes.io/instance-type");
}

std::string Node::region() const {
  return labelOr(meta.labels, "topology.kubernetes.io/region",
                 "failure-domain.beta.kubernetes.io/region");
}

std::string Node::zone() const {
  return labelOr(meta.labels, "topology.kubernetes.io/zone",
                 "failure-domain.beta.kubernetes.io/zone");
}

ResourceVector Pod::effectiveRequests() const {
  // Mirrors the scheduler's PodRequests (KEP-753 sidecars): regular containers and sidecars run
  // together; each init container runs alongside the sidecars started before it, and a sidecar
  // counts with the sidecars before it while it starts.
  ResourceVector regular;
  ResourceVector sidecars;
  ResourceVector init_peak;
  for (const Container& c : containers) {
    switch (c.kind) {
      case ContainerKind::kRegular:
        regular += c.requests;
        break;
      case ContainerKind::kSidecar:
        sidecars += c.requests;
        init_peak = ResourceVector::max(init_peak, sidecars);
        break;
      case ContainerKind::kInit: {
        ResourceVector running = c.requests;
        running += sidecars;
        init_peak = ResourceVector::max(init_peak, running);
        break;
      }
    }
  }
  regular += sidecars;
  return ResourceVector::max(regular, init_peak);
}

std::string_view workloadKindName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kReplicaSet: return "ReplicaSet";
    case WorkloadKind::kDeployment: return "Deployment";
    case WorkloadKind::kStatefulSet: return "StatefulSet";
    case WorkloadKind::kDaemonSet: return "DaemonSet";
    case WorkloadKind::kJob: return "Job";
    case WorkloadKind::kCronJob: return "CronJob";
  }
  return "Unknown";
}

void ObjectSet::merge(ObjectSet&& other) {
  append(nodes, std::move(other.nodes));
  append(pods, std::move(other.pods));
  append(persistent_volumes, std::move(other.persistent_volumes));
  append(persistent_volume_claims, std::move(other.persistent_volume_claims));
  append(services, std::move(other.services));
  append(namespaces, std::move(other.namespaces));
  append(workloads, std::move(other.workloads));
  append(pod_disruption_budgets, std::move(other.pod_disruption_budgets));
  append(horizontal_pod_autoscalers, std::move(other.horizontal_pod_autoscalers));
}

std::size_t ObjectSet::size() const {
  return nodes.size() + pods.size() + persistent_volumes.size() +
         persistent_volume_claims.size() + services.size() + namespaces.size() +
         workloads.size() + pod_disruption_budgets.size() + horizontal_pod_autoscalers.size();
}

}  // namespace trimtab::model
