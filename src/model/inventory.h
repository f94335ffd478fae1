// A decoded cluster snapshot with the indexes cost allocation needs: controller resolution
// (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob), services selecting a pod, and O(1)
// lookups of nodes, namespaces, volumes and workloads by name. Also string interning for labels so
// that many pods with the same labels share storage downstream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/objects.h"

namespace trimtab::model {

// Interns strings: equal strings get the same id, ids are dense from 0 in insertion order.
// Views returned by at() stay valid for the Dictionary's lifetime (storage never moves, including
// when the Dictionary itself is moved). Thread-compatible: concurrent const use is safe.
class Dictionary {
 public:
  Dictionary() = default;
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  Dictionary(Dictionary&&) noexcept = default;
  Dictionary& operator=(Dictionary&&) noexcept = default;

  std::uint32_t intern(std::string_view s);
  // REQUIRES: id < size().
  std::string_view at(std::uint32_t id) const { return strings_[id]; }
  std::optional<std::uint32_t> find(std::string_view s) const;
  std::size_t size() const { return strings_.size(); }

 private:
  std::string_view store(std::string_view s);

  static constexpr std::size_t kBlockBytes = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_used_ = kBlockBytes;  // bytes used in blocks_.back()
  std::vector<std::string_view> strings_;
  std::unordered_map<std::string_view, std::uint32_t> ids_;
};

// Identifies an interned label set (an ordered map of interned key/value ids).
using LabelSetId = std::uint32_t;

// A pod's controller as OpenCost names it: kind is lowercase ("deployment", "statefulset",
// "daemonset", "job", "cronjob", "replicaset", or another owner kind lowercased) and empty for a
// bare pod.
struct ControllerRef {
  std::string kind;
  std::string name;
  bool operator==(const ControllerRef&) const = default;
};

// Owns the objects it was built from; immutable after build() except for the string dictionary.
// Thread-compatible: concurrent const use is safe; strings()/internLabels() need external locking.
// Pointers returned by lookups stay valid for the Inventory's lifetime (also across moves).
// The CronJob a Job was created by, from the Job's name alone: a CronJob names its Jobs
// <cronjob>-<scheduled minute> (digits). nullopt when the name does not have that shape; the
// caller checks that such a CronJob exists.
std::optional<std::string_view> cronJobFromJobName(std::string_view job_name);

class Inventory {
 public:
  static Inventory build(ObjectSet objects);

  Inventory(const Inventory&) = delete;
  Inventory& operator=(const Inventory&) = delete;
  Inventory(Inventory&&) noexcept = default;
  Inventory& operator=(Inventory&&) noexcept = default;

  const ObjectSet& objects() const { return *objects_; }

  // Controller resolution rules, in order:
  //  1. The owner reference with controller=true, else the first owner reference; none -> {"",""}.
  //  2. ReplicaSet owner: when the ReplicaSet object is known and has a controller (normally a
  //     Deployment), that controller (lowercased kind, its name); when the ReplicaSet is known
  //     without a controller, or is not in the inventory, {"replicaset", <rs name>} (the same
  //     answer OpenCost gives without kube_replicaset_owner; no name-based guessing).
  //  3. Job owner: likewise resolved to {"cronjob", <name>} through a known Job's CronJob
  //     controller, else {"job", <job name>}.
  //  4. Any other owner: {lowercased kind, name}.
  ControllerRef controllerOf(const Pod& pod) const;

  // Names of services in the pod's namespace whose non-empty selector matches the pod labels,
  // sorted.
  std::vector<std::string> servicesOf(const Pod& pod) const;

  // Lookups by name; nullptr when absent.
  const Namespace* namespaceOf(std::string_view name) const;
  const Node* node(std::string_view name) const;
  const PersistentVolumeClaim* pvc(std::string_view namespace_name, std::string_view name) const;
  const PersistentVolume* pv(std::string_view name) const;
  const Workload* workload(WorkloadKind kind, std::string_view namespace_name,
                           std::string_view name) const;

  // Label and annotation strings.
  Dictionary& strings() { return *strings_; }
  const Dictionary& strings() const { return *strings_; }

  // Interns every key and value of labels; equal maps get equal ids.
  LabelSetId internLabels(const StringMap& labels);
  // The (key id, value id) pairs of an interned set, in key order. REQUIRES: id was returned by
  // internLabels on this Inventory.
  const std::vector<std::pair<std::uint32_t, std::uint32_t>>& labelSet(LabelSetId id) const {
    return label_sets_->sets[id];
  }
  // The interned labels of objects().pods[i], computed by build().
  LabelSetId podLabels(std::size_t pod_index) const { return pod_labels_[pod_index]; }

 private:
  Inventory() = default;

  struct PairHash {
    std::size_t operator()(const std::pair<std::string_view, std::string_view>& p) const;
  };
  using PairMap =
      std::unordered_map<std::pair<std::string_view, std::string_view>, std::uint32_t, PairHash>;

  struct VectorHash {
    std::size_t operator()(const std::vector<std::uint32_t>& v) const;
  };
  struct LabelSets {
    std::vector<std::vector<std::pair<std::uint32_t, std::uint32_t>>> sets;
    std::unordered_map<std::vector<std::uint32_t>, LabelSetId, VectorHash> ids;
  };

  // Boxed so that views and pointers into them survive moves of the Inventory.
  std::unique_ptr<ObjectSet> objects_;
  std::unique_ptr<Dictionary> strings_;
  std::unique_ptr<LabelSets> label_sets_;
  std::unordered_map<std::string_view, std::uint32_t> nodes_;
  std::unordered_map<std::string_view, std::uint32_t> namespaces_;
  std::unordered_map<std::string_view, std::uint32_t> pvs_;
  PairMap pvcs_;
  PairMap workloads_[6];  // by WorkloadKind
  // Services per namespace (indexes into objects_->services).
  std::unordered_map<std::string_view, std::vector<std::uint32_t>> services_by_namespace_;
  std::vector<LabelSetId> pod_labels_;
};

}  // namespace trimtab::model
