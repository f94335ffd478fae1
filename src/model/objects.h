// Kubernetes objects as Trimtab sees them: the fields cost, rightsizing and planning need,
// decoded from JSON exactly as `kubectl get -o json` prints it (see model/decode.h).
// Plain data; quantities are already integers (millicores, bytes, counts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/clock.h"
#include "model/resources.h"

namespace trimtab::model {

// Ordered (by key) list of key/value pairs; small and cache-friendly. Keys are unique.
using StringMap = std::vector<std::pair<std::string, std::string>>;

// Returns the value for key, or nullptr.
const std::string* lookup(const StringMap& map, std::string_view key);

struct OwnerReference {
  std::string api_version;
  std::string kind;  // "ReplicaSet", "Job", "StatefulSet", ...
  std::string name;
  std::string uid;
  bool controller = false;
};

struct ObjectMeta {
  std::string name;
  std::string namespace_name;  // empty for cluster-scoped objects
  std::string uid;
  std::string resource_version;
  UnixSeconds creation_timestamp = 0;
  std::optional<UnixSeconds> deletion_timestamp;
  StringMap labels;
  StringMap annotations;
  std::vector<OwnerReference> owner_references;

  // The owner reference with controller=true, else nullptr.
  const OwnerReference* controllerRef() const;
};

struct Taint {
  std::string key, value, effect;  // effect: NoSchedule, PreferNoSchedule, NoExecute
};

struct Toleration {
  std::string key, op, value, effect;  // op: Equal (default) or Exists
};

struct NodeSelectorRequirement {
  std::string key;
  std::string op;  // In, NotIn, Exists, DoesNotExist, Gt, Lt
  std::vector<std::string> values;
};

// requiredDuringSchedulingIgnoredDuringExecution: OR of terms, each an AND of requirements.
using NodeSelectorTerms = std::vector<std::vector<NodeSelectorRequirement>>;

struct Node {
  ObjectMeta meta;
  std::string provider_id;
  ResourceVector capacity;
  ResourceVector allocatable;
  std::vector<Taint> taints;
  bool unschedulable = false;
  bool ready = true;
  // Convenience accessors of well-known labels (empty when absent).
  std::string instanceType() const;  // node.kubernetes.io/instance-type, then beta label
  std::string region() const;        // topology.kubernetes.io/region, then beta label
  std::string zone() const;          // topology.kubernetes.io/zone, then beta label
};

struct ContainerPort {
  std::string name;
  std::int32_t container_port = 0;
  std::string protocol;
};

enum class ContainerKind : std::uint8_t { kRegular, kInit, kSidecar /* init with restartPolicy Always */ };

struct Container {
  std::string name;
  std::string image;
  ContainerKind kind = ContainerKind::kRegular;
  ResourceVector requests;
  ResourceVector limits;
};

struct ContainerStatus {
  std::string name;
  bool ready = false;
  std::int32_t restart_count = 0;
  std::string state;                        // running, waiting, terminated
  std::string last_terminated_reason;       // e.g. OOMKilled
  std::optional<UnixSeconds> started_at;    // state.running.startedAt
};

struct Volume {
  std::string name;
  std::string pvc_claim_name;  // persistentVolumeClaim.claimName, empty otherwise
  bool empty_dir = false;
  bool host_path = false;
};

struct Pod {
  ObjectMeta meta;
  std::string node_name;
  std::string phase;  // Pending, Running, Succeeded, Failed, Unknown
  std::string runtime_class_name;
  std::string priority_class_name;
  std::string scheduler_name;
  bool host_network = false;
  StringMap node_selector;
  NodeSelectorTerms required_node_affinity;
  std::vector<Toleration> tolerations;
  // Label selectors of requiredDuringScheduling pod anti-affinity terms on kubernetes.io/hostname.
  std::vector<StringMap> required_anti_affinity_hostname;
  std::vector<Container> containers;  // regular, init and sidecar, in spec order
  std::vector<ContainerStatus> container_statuses;
  std::vector<Volume> volumes;
  std::optional<UnixSeconds> start_time;  // status.startTime
  std::string qos_class;

  // Effective pod request as the scheduler computes it:
  // max(Σ regular + Σ sidecars, max over init containers of (init + sidecars started before it)).
  ResourceVector effectiveRequests() const;
};

struct PersistentVolume {
  ObjectMeta meta;
  std::int64_t capacity_bytes = 0;
  std::string storage_class;
  std::string claim_namespace;  // spec.claimRef
  std::string claim_name;
  std::string phase;  // Bound, Available, Released
  std::string csi_driver;
  std::string provider_volume_id;  // csi.volumeHandle / awsElasticBlockStore.volumeID / gcePersistentDisk.pdName
};

struct PersistentVolumeClaim {
  ObjectMeta meta;
  std::int64_t request_bytes = 0;
  std::string storage_class;
  std::string volume_name;  // spec.volumeName
  std::string phase;
};

struct ServicePort {
  std::string name;
  std::int32_t port = 0;
  std::string protocol;
};

struct Service {
  ObjectMeta meta;
  std::string type;  // ClusterIP, NodePort, LoadBalancer, ExternalName
  StringMap selector;
  std::vector<ServicePort> ports;
  std::vector<std::string> load_balancer_ingress;  // status.loadBalancer.ingress[].ip or hostname
};

struct Namespace {
  ObjectMeta meta;
};

// ReplicaSet, Deployment, StatefulSet, DaemonSet, Job, CronJob share this shape.
enum class WorkloadKind : std::uint8_t {
  kReplicaSet, kDeployment, kStatefulSet, kDaemonSet, kJob, kCronJob
};

std::string_view workloadKindName(WorkloadKind kind);  // "ReplicaSet", ...

struct Workload {
  WorkloadKind kind = WorkloadKind::kDeployment;
  ObjectMeta meta;
  std::optional<std::int32_t> replicas;
  StringMap selector_match_labels;
  std::vector<Container> containers;  // from the pod template (jobTemplate for CronJob)
  StringMap template_labels;
};

struct PodDisruptionBudget {
  ObjectMeta meta;
  StringMap selector_match_labels;
  std::optional<std::string> min_available;    // int or percent, as written
  std::optional<std::string> max_unavailable;
};

// One resource metric of a HorizontalPodAutoscaler (autoscaling/v2 `spec.metrics[]` of type
// Resource or ContainerResource; autoscaling/v1's targetCPUUtilizationPercentage becomes a cpu
// Utilization metric). Other metric types (Pods, Object, External) are not kept.
struct HpaResourceMetric {
  std::string resource;   // "cpu", "memory"
  std::string container;  // ContainerResource only
  std::string target_type;  // "Utilization", "AverageValue"
  std::optional<std::int32_t> average_utilization;  // percent of the request
  std::optional<std::string> average_value;          // a quantity, as written
  int spec_index = -1;  // position in spec.metrics; -1: v1's targetCPUUtilizationPercentage
};

struct HorizontalPodAutoscaler {
  ObjectMeta meta;
  std::string target_kind, target_name;  // spec.scaleTargetRef
  std::optional<std::int32_t> min_replicas;
  std::int32_t max_replicas = 0;
  std::vector<HpaResourceMetric> metrics;
};

// Everything decoded from one or more JSON documents.
struct ObjectSet {
  std::vector<Node> nodes;
  std::vector<Pod> pods;
  std::vector<PersistentVolume> persistent_volumes;
  std::vector<PersistentVolumeClaim> persistent_volume_claims;
  std::vector<Service> services;
  std::vector<Namespace> namespaces;
  std::vector<Workload> workloads;
  std::vector<PodDisruptionBudget> pod_disruption_budgets;
  std::vector<HorizontalPodAutoscaler> horizontal_pod_autoscalers;

  // Appends all objects of other.
  void merge(ObjectSet&& other);
  std::size_t size() const;
};

}  // namespace trimtab::model
