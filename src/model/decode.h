// Decoding Kubernetes objects from JSON exactly as `kubectl get <kind> -o json` (or the API
// server's list endpoints) print them.
//
// Accepted documents: a single object, or a list (kind "List" or "<Kind>List") with items[].
// Items of a "<Kind>List" without their own kind are taken to be <Kind>. Recognised kinds: Node,
// Pod, PersistentVolume, PersistentVolumeClaim, Service, Namespace, ReplicaSet, Deployment,
// StatefulSet, DaemonSet, Job, CronJob, PodDisruptionBudget, HorizontalPodAutoscaler (autoscaling
// v1 and v2; resource metrics only). Other kinds are skipped and reported
// in DecodeResult::warnings (one warning per kind, with the count).
//
// Field rules:
//   - Unknown fields are ignored; JSON null is treated as an absent field.
//   - A field of the wrong JSON type is an error (never a crash).
//   - metadata.name is required; everything else defaults to empty/zero.
//   - Quantities may be strings (as kubectl prints them) or JSON numbers.
//   - Pod containers are stored in start order: initContainers first (kind kInit, or kSidecar
//     when restartPolicy is "Always"), then containers (kRegular). Statuses likewise: init
//     container statuses first, then container statuses.
//   - The annotation kubectl.kubernetes.io/last-applied-configuration is dropped (it repeats the
//     whole object and is never used for cost).
//   - Workload replicas: spec.replicas for ReplicaSet/Deployment/StatefulSet, spec.parallelism
//     for Job, absent for DaemonSet and CronJob. CronJob containers and labels come from
//     spec.jobTemplate.spec.template.
//
// Errors (ErrorCode::kParse) name the source, the object and the field, e.g.
//   pods.json: Pod "shop/api-7f9" container "web": resources.requests.cpu "12x": not a quantity
//     (expected e.g. 100m, 0.5, 1Gi)
//   nodes.json: items[3]: metadata.name: missing
//   x.json: not JSON: TAPE_ERROR: ... at byte 17
//
// Thread-safe (no shared state); memory use is about 3× the document size while decoding.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/error.h"
#include "model/objects.h"

namespace trimtab::model {

struct DecodeResult {
  ObjectSet objects;
  std::vector<std::string> warnings;  // e.g. "pods.json: skipped 2 objects of kind Event"
};

// Copies json into a padded buffer, then decodes it. source_name prefixes every message.
Result<DecodeResult> decodeObjects(std::string_view json, std::string_view source_name);

// Bytes that must be readable (any value) after the end of the text given to
// decodeObjectsPadded.
inline constexpr std::size_t kJsonPadding = 64;

// As decodeObjects, without the copy. REQUIRES: json.data() is followed by kJsonPadding readable
// bytes (e.g. a std::string whose capacity is json.size() + kJsonPadding).
Result<DecodeResult> decodeObjectsPadded(std::string_view json, std::string_view source_name);

}  // namespace trimtab::model
