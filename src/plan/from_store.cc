#include "plan/from_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <unordered_map>

#include "model/time_format.h"

namespace trimtab::plan {

namespace {

using model::formatRfc3339;

constexpr UnixSeconds kActiveSlack = 900;  // running in the last 15 minutes of the hour
constexpr double kMiB = 1024.0 * 1024.0;
constexpr std::string_view kZoneLabel = "topology.kubernetes.io/zone";
constexpr std::string_view kGpuTaint = "nvidia.com/gpu";

pricing::Provider providerOf(std::string_view provider_id, const pricing::CatalogMatch* match) {
  if (provider_id.starts_with("aws://")) return pricing::Provider::kAws;
  if (provider_id.starts_with("gce://")) return pricing::Provider::kGcp;
  if (provider_id.starts_with("azure://")) return pricing::Provider::kAzure;
  if (match && match->row) return match->row->provider;
  return pricing::Provider::kUnknown;
}

bool isLocalStorageClass(std::string_view sc) {
  return sc.find("local") != std::string_view::npos || sc.find("hostpath") != std::string_view::npos;
}

template <typename T>
T mostCommon(const std::map<T, int>& counts, T fallback) {
  T best = fallback;
  int n = 0;
  for (const auto& [k, v] : counts) {
    if (v > n) {
      best = k;
      n = v;
    }
  }
  return best;
}

}  // namespace

Result<StoreCluster> readStoreCluster(const store::Store& store, const pricing::Catalog& catalog,
                                      const StoreClusterOptions& options) {
  std::string cluster = options.cluster;
  if (cluster.empty()) {
    auto clusters = store.clusters();
    if (!clusters) return tl::unexpected(clusters.error());
    if (clusters->empty()) return fail(ErrorCode::kNotFound, "store holds no cluster");
    if (clusters->size() > 1) {
      std::string names;
      for (const auto& c : *clusters) names += (names.empty() ? "" : ", ") + c;
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("store holds clusters {}; choose one with --cluster", names));
    }
    cluster = clusters->front();
  }
  auto extent = store.extent();
  if (!extent) return tl::unexpected(extent.error());
  const UnixSeconds end = std::min(options.window_end, extent->second) / store::kHourSeconds *
                          store::kHourSeconds;
  if (end <= options.window_start || end - store::kHourSeconds < extent->first) {
    return fail(ErrorCode::kNotFound,
                fmt::format("window [{}, {}) holds no stored hour; the store has [{}, {})",
                            formatRfc3339(options.window_start), formatRfc3339(options.window_end),
                            formatRfc3339(extent->first), formatRfc3339(extent->second)));
  }
  auto blocks = store.listBlocks(cluster, store::BlockKind::kHour, end - store::kHourSeconds, end);
  if (!blocks) return tl::unexpected(blocks.error());
  if (blocks->empty()) {
    return fail(ErrorCode::kNotFound,
                fmt::format("cluster \"{}\": no hour block for [{}, {}) (hour blocks before {} "
                            "are pruned, or the cluster has no data then)",
                            cluster, formatRfc3339(end - store::kHourSeconds), formatRfc3339(end),
                            formatRfc3339(store.hourlyHorizon())));
  }
  auto block = store.readBlock(blocks->back(), store::ColumnSelection{});
  if (!block) return tl::unexpected(block.error());
  const store::Dimensions& dims = store.dimensions();

  StoreCluster out;
  out.hour_start = block->start;
  ClusterDescription& d = out.description;
  d.cluster = cluster;
  const UnixSeconds active_after = block->end - kActiveSlack;

  // Nodes.
  std::map<pricing::Provider, int> providers;
  std::map<std::string, int> regions;
  std::unordered_map<std::string, int> node_index;
  const store::NodeRows& nr = block->nodes;
  int unpriced = 0;
  int gpu_nodes = 0;
  std::map<std::string, int> archs;
  for (std::size_t i = 0; i < nr.size(); ++i) {
    if (nr.end[i] < active_after || nr.hours[i] <= 0) continue;
    if (nr.node_id[i] >= dims.nodeCount()) {
      return fail(ErrorCode::kCorrupt, fmt::format("block {} {}: node row {} names unknown node id {}",
                                                   cluster, block->start, i, nr.node_id[i]));
    }
    const store::NodeDim& nd = dims.node(nr.node_id[i]);
    ClusterNode node;
    node.spec.name = std::string(dims.str(nd.name));
    node.instance_type = std::string(dims.str(nd.instance_type));
    const double h = nr.hours[i];
    const double cpu = nr.cpu_alloc_core_hours[i] > 0 ? nr.cpu_alloc_core_hours[i] : nr.cpu_core_hours[i];
    const double ram = nr.ram_alloc_byte_hours[i] > 0 ? nr.ram_alloc_byte_hours[i] : nr.ram_byte_hours[i];
    node.spec.cpu_milli = std::llround(cpu / h * 1000);
    node.spec.memory_mib = std::llround(ram / h / kMiB);
    node.spec.gpu_count = std::clamp(static_cast<int>(std::lround(nr.gpu_hours[i] / h)), 0, kMaxGpusPerNode);
    for (const auto& [k, v] : dims.labels(nd.labels)) {
      node.spec.labels.emplace(std::string(dims.str(k)), std::string(dims.str(v)));
    }
    for (const char* key : {"karpenter.sh/nodepool", "eks.amazonaws.com/nodegroup",
                            "cloud.google.com/gke-nodepool", "kubernetes.azure.com/agentpool"}) {
      auto it = node.spec.labels.find(key);
      if (it != node.spec.labels.end() && !it->second.empty()) {
        node.pool = it->second;
        break;
      }
    }
    const std::string_view zone = dims.str(nd.zone);
    if (!zone.empty()) node.spec.labels.emplace(std::string(kZoneLabel), std::string(zone));
    node.spot = nr.spot[i] != 0;
    const std::string_view region = dims.str(nd.region);
    auto match = catalog.lookup(std::nullopt, node.instance_type, region);
    const pricing::Provider provider = providerOf(dims.str(nd.provider_id), match ? &*match : nullptr);
    if (provider != pricing::Provider::kUnknown) ++providers[provider];
    if (!region.empty()) ++regions[std::string(region)];
    if (match) {
      auto exact = catalog.lookup(provider, node.instance_type, region);
      if (exact) match = exact;
    }
    node.spec.max_pods = match && match->row->max_pods > 0 ? match->row->max_pods : 110;
    {
      auto it = node.spec.labels.find("kubernetes.io/arch");
      std::string arch = normalizeArch(it != node.spec.labels.end() ? std::string_view(it->second)
                                       : match ? match->row->arch
                                               : std::string_view());
      ++archs[arch];
    }
    const double cost = nr.cpu_cost[i] + nr.ram_cost[i] + nr.gpu_cost[i];
    if (cost > 0) {
      node.hourly_usd = cost / h;
      node.price_source = "store";
    } else if (match) {
      const double od = match->row->ondemand_hourly;
      const double spot = match->row->spot_hourly;
      node.hourly_usd = node.spot && spot > 0 ? spot : std::max(0.0, od);
      node.price_source = "catalog";
    } else {
      node.price_source = "unknown";
      ++unpriced;
    }
    if (node.spec.gpu_count > 0) {
      std::string model;
      for (const char* key : {"nvidia.com/gpu.product", "karpenter.k8s.aws/instance-gpu-name",
                              "cloud.google.com/gke-accelerator"}) {
        auto it = node.spec.labels.find(key);
        if (it != node.spec.labels.end() && !it->second.empty()) {
          model = it->second;
          break;
        }
      }
      if (model.empty() && match) model = std::string(match->row->gpu_model);
      if (model.empty()) model = "gpu:" + node.instance_type;
      auto id = d.gpu_models.intern(model);
      if (!id) return tl::unexpected(id.error());
      node.spec.gpu_model = *id;
      // The store has no taints; GPU nodes are assumed to carry the usual GPU taint (GKE adds it,
      // EKS GPU node groups and Karpenter GPU NodePools are set up with it), so CPU pods do not
      // move onto them.
      node.spec.taints.push_back(Taint{std::string(kGpuTaint), "", TaintEffect::kNoSchedule});
      ++gpu_nodes;
    }
    node_index.emplace(node.spec.name, static_cast<int>(d.nodes.size()));
    d.nodes.push_back(std::move(node));
  }
  out.provider = mostCommon(providers, pricing::Provider::kUnknown);
  out.region = mostCommon(regions, std::string());
  if (archs.size() == 1) out.arch = archs.begin()->first;

  // Containers with local persistent volumes (storage class named local / hostpath).
  std::unordered_map<std::uint32_t, std::string> local_volume_of;
  std::unordered_map<std::uint32_t, bool> has_volume;  // container -> mounts a persistent volume
  const store::ShareRows& vs = block->volume_shares;
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (vs.asset_id[i] >= dims.volumeCount() || vs.container_id[i] == store::kNoContainer) continue;
    const store::VolumeDim& v = dims.volume(vs.asset_id[i]);
    has_volume[vs.container_id[i]] = true;
    const std::string_view sc = dims.str(v.storage_class);
    if (isLocalStorageClass(sc)) {
      local_volume_of[vs.container_id[i]] =
          fmt::format("local storage: volume {} of class {}", dims.str(v.name), sc);
    }
  }

  // Pods: container rows summed per pod.
  struct PodAcc {
    std::string name;
    int node = -1;
    double cpu = 0, mem = 0, gpu = 0;
    PodRole role = PodRole::kMovable;
    std::string pin_reason;
    bool zonal_volume = false;
  };
  std::map<std::pair<std::uint32_t, std::uint32_t>, PodAcc> pods;  // (namespace, pod) -> pod
  const store::ContainerRows& cr = block->containers;
  int off_node = 0;
  for (std::size_t i = 0; i < cr.size(); ++i) {
    if (cr.container_id[i] == store::kNoContainer || cr.running_seconds[i] <= 0) continue;
    if (cr.end[i] < active_after) continue;
    if (cr.container_id[i] >= dims.containerCount()) {
      return fail(ErrorCode::kCorrupt,
                  fmt::format("block {} {}: container row {} names unknown container id {}", cluster,
                              block->start, i, cr.container_id[i]));
    }
    const store::ContainerDim& cd = dims.container(cr.container_id[i]);
    auto nit = node_index.find(std::string(dims.str(cd.node)));
    if (nit == node_index.end()) {
      ++off_node;
      continue;
    }
    const double hours = cr.running_seconds[i] / 3600.0;
    PodAcc& p = pods[{cd.namespace_name, cd.pod}];
    if (p.name.empty()) {
      p.name = fmt::format("{}/{}", dims.str(cd.namespace_name), dims.str(cd.pod));
      p.node = nit->second;
      std::string kind(dims.str(cd.controller_kind));
      std::transform(kind.begin(), kind.end(), kind.begin(),
                     [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (kind == "daemonset" || kind == "node") {
        p.role = PodRole::kDaemonSet;
      } else if (kind.empty()) {
        p.role = PodRole::kPinned;
        p.pin_reason = "no controller";
      }
      const std::string_view* dnd = dims.labelValue(cd.annotations, "karpenter.sh/do-not-disrupt");
      const std::string_view* ste =
          dims.labelValue(cd.annotations, "cluster-autoscaler.kubernetes.io/safe-to-evict");
      if (p.role == PodRole::kMovable && dnd && *dnd == "true") {
        p.role = PodRole::kPinned;
        p.pin_reason = "annotation karpenter.sh/do-not-disrupt=true";
      } else if (p.role == PodRole::kMovable && ste && *ste == "false") {
        p.role = PodRole::kPinned;
        p.pin_reason = "annotation cluster-autoscaler.kubernetes.io/safe-to-evict=false";
      }
    }
    if (p.role == PodRole::kMovable) {
      auto lv = local_volume_of.find(cr.container_id[i]);
      if (lv != local_volume_of.end()) {
        p.role = PodRole::kPinned;
        p.pin_reason = lv->second;
      }
    }
    if (has_volume.count(cr.container_id[i])) p.zonal_volume = true;
    p.cpu += cr.cpu_request_core_hours[i] / hours;
    p.mem += cr.ram_request_byte_hours[i] / hours;
    p.gpu += cr.gpu_hours[i] / hours;
  }
  int zonal = 0;
  for (auto& [key, p] : pods) {
    ClusterPod cp;
    cp.spec.name = p.name;
    cp.node = p.node;
    cp.role = p.role;
    cp.pin_reason = p.pin_reason;
    cp.spec.cpu_milli = std::llround(p.cpu * 1000);
    cp.spec.memory_mib = std::llround(p.mem / kMiB);
    if (p.gpu > 0.0005) {
      if (p.gpu >= 0.9995) {
        cp.spec.num_gpu = static_cast<int>(std::lround(p.gpu));
        cp.spec.gpu_milli = kMilliPerGpu;
      } else {
        cp.spec.num_gpu = 1;
        cp.spec.gpu_milli = static_cast<int>(std::lround(p.gpu * kMilliPerGpu));
      }
      const int model = d.nodes[static_cast<std::size_t>(p.node)].spec.gpu_model;
      if (model >= 0) cp.spec.gpu_model_mask = std::uint64_t{1} << model;
    }
    const auto& labels = d.nodes[static_cast<std::size_t>(p.node)].spec.labels;
    if (p.zonal_volume) {
      // Persistent volumes are zonal: the pod stays in its node's zone.
      auto zone = labels.find(std::string(kZoneLabel));
      if (zone != labels.end()) {
        cp.spec.node_selector.emplace(zone->first, zone->second);
        ++zonal;
      }
    }
    if (cp.spec.wantsGpu()) cp.spec.tolerations.push_back(Toleration{std::string(kGpuTaint), "", true, std::nullopt});
    d.pods.push_back(std::move(cp));
  }
  d.pdbs_known = false;
  d.local_storage_known = false;
  d.notes.push_back(fmt::format("cluster as of the hour {} (last stored hour of the window)",
                                formatRfc3339(block->start)));
  d.notes.push_back("PDBs: not in store (no budget is enforced)");
  d.notes.push_back(
      "local storage: only PVs of a local/hostpath storage class are seen; emptyDir is not in store");
  d.notes.push_back(
      "taints and nodeSelectors: not in store; GPU nodes are assumed tainted nvidia.com/gpu:NoSchedule "
      "(only GPU pods move onto them), other pods may move to any node that fits");
  if (gpu_nodes > 0 || zonal > 0) {
    d.notes.push_back(fmt::format(
        "{} pod(s) with persistent volumes stay in their node's zone (volumes are zonal)", zonal));
  }
  if (unpriced > 0) {
    d.notes.push_back(fmt::format("{} node(s) have no price in the store or the catalog (counted as $0)",
                                  unpriced));
  }
  if (off_node > 0) {
    d.notes.push_back(fmt::format("{} container row(s) on nodes not running at the end of the hour were skipped",
                                  off_node));
  }
  return out;
}

}  // namespace trimtab::plan
