// Helpers over model::ObjectSet by kube::Kind (one object of one kind at a time).
#pragma once

#include <cstddef>
#include <functional>
#include <variant>

#include "kube/kinds.h"
#include "model/objects.h"

namespace trimtab::kube::internal {

using Object =
    std::variant<model::Node, model::Pod, model::PersistentVolume, model::PersistentVolumeClaim,
                 model::Service, model::Namespace, model::Workload, model::PodDisruptionBudget,
                 model::HorizontalPodAutoscaler>;

Kind workloadKind(model::WorkloadKind kind);
Kind kindOf(const Object& object);
const model::ObjectMeta& metaOf(const Object& object);

// Moves every object out of set, calling fn(object) for each.
void forEachObject(model::ObjectSet&& set, const std::function<void(Object&&)>& fn);
// True when every object in set is of kind.
bool allOfKind(const model::ObjectSet& set, Kind kind);
// Appends object to set.
void addTo(model::ObjectSet& set, Object object);

}  // namespace trimtab::kube::internal
