#include "model/inventory.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>

namespace trimtab::model {
namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::size_t mix(std::size_t seed, std::size_t h) {
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

const OwnerReference* ownerOf(const ObjectMeta& meta) {
  if (const OwnerReference* ref = meta.controllerRef()) return ref;
  if (!meta.owner_references.empty()) return &meta.owner_references.front();
  return nullptr;
}

// A selector matches when every selector pair is present in labels (both sorted by key).
bool selectorMatches(const StringMap& selector, const StringMap& labels) {
  for (const auto& [key, value] : selector) {
    const std::string* v = lookup(labels, key);
    if (v == nullptr || *v != value) return false;
  }
  return true;
}

}  // namespace

// --- Dictionary --------------------------------------------------------------------------

std::string_view Dictionary::store(std::string_view s) {
  if (s.empty()) return {};
  if (s.size() > kBlockBytes / 4) {
    // Large strings get their own block, inserted before the current one so the current block
    // stays last and keeps filling.
    auto block = std::make_unique<char[]>(s.size());
    std::memcpy(block.get(), s.data(), s.size());
    std::string_view view(block.get(), s.size());
    blocks_.insert(blocks_.empty() ? blocks_.end() : blocks_.end() - 1, std::move(block));
    return view;
  }
  if (blocks_.empty() || block_used_ + s.size() > kBlockBytes) {
    blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
    block_used_ = 0;
  }
  char* dest = blocks_.back().get() + block_used_;
  std::memcpy(dest, s.data(), s.size());
  block_used_ += s.size();
  return std::string_view(dest, s.size());
}

std::uint32_t Dictionary::intern(std::string_view s) {
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  const std::string_view stored = store(s);
  const auto id = static_cast<std::uint32_t>(strings_.size());
  strings_.push_back(stored);
  ids_.emplace(stored, id);
  return id;
}

std::optional<std::uint32_t> Dictionary::find(std::string_view s) const {
  if (auto it = ids_.find(s); it != ids_.end()) return it->second;
  return std::nullopt;
}

// --- Inventory ---------------------------------------------------------------------------

std::size_t Inventory::PairHash::operator()(
    const std::pair<std::string_view, std::string_view>& p) const {
  std::hash<std::string_view> h;
  return mix(h(p.first), h(p.second));
}

std::size_t Inventory::VectorHash::operator()(const std::vector<std::uint32_t>& v) const {
  std::size_t seed = v.size();
  for (std::uint32_t x : v) seed = mix(seed, x);
  return seed;
}

Inventory Inventory::build(ObjectSet objects) {
  Inventory inv;
  inv.objects_ = std::make_unique<ObjectSet>(std::move(objects));
  inv.strings_ = std::make_unique<Dictionary>();
  inv.label_sets_ = std::make_unique<LabelSets>();
  const ObjectSet& o = *inv.objects_;
  // Later duplicates do not replace earlier ones (try_emplace).
  for (std::uint32_t i = 0; i < o.nodes.size(); ++i) inv.nodes_.try_emplace(o.nodes[i].meta.name, i);
  for (std::uint32_t i = 0; i < o.namespaces.size(); ++i) {
    inv.namespaces_.try_emplace(o.namespaces[i].meta.name, i);
  }
  for (std::uint32_t i = 0; i < o.persistent_volumes.size(); ++i) {
    inv.pvs_.try_emplace(o.persistent_volumes[i].meta.name, i);
  }
  for (std::uint32_t i = 0; i < o.persistent_volume_claims.size(); ++i) {
    const ObjectMeta& m = o.persistent_volume_claims[i].meta;
    inv.pvcs_.try_emplace(std::pair<std::string_view, std::string_view>(m.namespace_name, m.name),
                          i);
  }
  for (std::uint32_t i = 0; i < o.workloads.size(); ++i) {
    const Workload& w = o.workloads[i];
    inv.workloads_[static_cast<std::size_t>(w.kind)].try_emplace(
        std::pair<std::string_view, std::string_view>(w.meta.namespace_name, w.meta.name), i);
  }
  for (std::uint32_t i = 0; i < o.services.size(); ++i) {
    inv.services_by_namespace_[o.services[i].meta.namespace_name].push_back(i);
  }
  inv.pod_labels_.reserve(o.pods.size());
  for (const Pod& pod : o.pods) inv.pod_labels_.push_back(inv.internLabels(pod.meta.labels));
  return inv;
}

const Workload* Inventory::workload(WorkloadKind kind, std::string_view namespace_name,
                                    std::string_view name) const {
  const PairMap& map = workloads_[static_cast<std::size_t>(kind)];
  auto it = map.find({namespace_name, name});
  return it == map.end() ? nullptr : &objects_->workloads[it->second];
}

std::optional<std::string_view> cronJobFromJobName(std::string_view job_name) {
  const auto dash = job_name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= job_name.size()) return std::nullopt;
  for (std::size_t i = dash + 1; i < job_name.size(); ++i) {
    if (job_name[i] < '0' || job_name[i] > '9') return std::nullopt;
  }
  return job_name.substr(0, dash);
}

ControllerRef Inventory::controllerOf(const Pod& pod) const {
  const OwnerReference* ref = ownerOf(pod.meta);
  if (ref == nullptr) return {};
  const std::string& ns = pod.meta.namespace_name;
  if (ref->kind == "ReplicaSet" || ref->kind == "Job") {
    const bool is_rs = ref->kind == "ReplicaSet";
    const Workload* w =
        workload(is_rs ? WorkloadKind::kReplicaSet : WorkloadKind::kJob, ns, ref->name);
    if (w != nullptr) {
      if (const OwnerReference* parent = ownerOf(w->meta)) {
        return ControllerRef{lowercase(parent->kind), parent->name};
      }
    }
    // A Job a CronJob created is named <cronjob>-<scheduled minute>; once the CronJob's history
    // limit has deleted the Job, its pods still belong to the CronJob.
    if (!is_rs) {
      if (auto parent = cronJobFromJobName(ref->name); parent && workload(WorkloadKind::kCronJob, ns, *parent)) {
        return ControllerRef{"cronjob", std::string(*parent)};
      }
    }
    return ControllerRef{is_rs ? "replicaset" : "job", ref->name};
  }
  return ControllerRef{lowercase(ref->kind), ref->name};
}

std::vector<std::string> Inventory::servicesOf(const Pod& pod) const {
  std::vector<std::string> out;
  auto it = services_by_namespace_.find(pod.meta.namespace_name);
  if (it == services_by_namespace_.end()) return out;
  for (std::uint32_t i : it->second) {
    const Service& svc = objects_->services[i];
    if (svc.selector.empty()) continue;
    if (selectorMatches(svc.selector, pod.meta.labels)) out.push_back(svc.meta.name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const Namespace* Inventory::namespaceOf(std::string_view name) const {
  auto it = namespaces_.find(name);
  return it == namespaces_.end() ? nullptr : &objects_->namespaces[it->second];
}

const Node* Inventory::node(std::string_view name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &objects_->nodes[it->second];
}

const PersistentVolumeClaim* Inventory::pvc(std::string_view namespace_name,
                                            std::string_view name) const {
  auto it = pvcs_.find({namespace_name, name});
  return it == pvcs_.end() ? nullptr : &objects_->persistent_volume_claims[it->second];
}

const PersistentVolume* Inventory::pv(std::string_view name) const {
  auto it = pvs_.find(name);
  return it == pvs_.end() ? nullptr : &objects_->persistent_volumes[it->second];
}

LabelSetId Inventory::internLabels(const StringMap& labels) {
  std::vector<std::uint32_t> key;
  key.reserve(labels.size() * 2);
  for (const auto& [k, v] : labels) {
    key.push_back(strings_->intern(k));
    key.push_back(strings_->intern(v));
  }
  auto it = label_sets_->ids.find(key);
  if (it != label_sets_->ids.end()) return it->second;
  const auto id = static_cast<LabelSetId>(label_sets_->sets.size());
  auto& set = label_sets_->sets.emplace_back();
  set.reserve(labels.size());
  for (std::size_t i = 0; i + 1 < key.size(); i += 2) set.emplace_back(key[i], key[i + 1]);
  label_sets_->ids.emplace(std::move(key), id);
  return id;
}

}  // namespace trimtab::model
