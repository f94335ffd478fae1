#include "recommend/insights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include "model/json_text.h"

namespace trimtab::recommend {

using model::jsonString;

namespace {

constexpr double kHoursPerMonth = 730;

struct WorkloadAcc {
  UnixSeconds first = 0, last = 0;
  double running_hours = 0, cpu_usage_core_hours = 0, network_bytes = 0, cost = 0;
  double cpu_max = 0;
};

struct VolumeAcc {
  double hours = 0, cost = 0;
};

constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr char kNoPdb[] = "PDB: unknown (not in store)";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

bool isLocalStorageClass(std::string_view storage_class) {
  const std::string sc = lower(storage_class);
  return sc.find("local") != std::string::npos || sc.find("hostpath") != std::string::npos;
}

// One node of the last hour: allocatable capacity, what its pods request, its price.
struct NodeState {
  std::string name, instance_type, region;
  std::string gpu_model;             // GPU product label, else the instance type ("" without GPUs)
  double cpu = 0, mem = 0, gpu = 0;  // allocatable (capacity when not recorded)
  double cpu_used = 0, mem_used = 0, gpu_used = 0;  // Σ requests of the pods on it
  double hourly_usd = 0;
  bool spot = false;
  bool drained = false;
  std::string pinned_by;          // why it cannot be drained ("" = it can be tried)
  std::vector<std::size_t> pods;  // movable pods (indexes into the pod list)
  std::size_t daemon_pods = 0;
};

struct PodState {
  std::string name;  // namespace/pod
  std::size_t node = 0;
  double cpu = 0, mem = 0, gpu = 0;  // requests (cores, bytes, GPUs)
  double hourly_cost = 0;            // its containers' last-hour cost per hour
  bool persistent_volume = false;
  std::string workload;  // cluster/namespace/kind/name for Deployments and ReplicaSets, else ""
};

// Fits a pod onto a node's free capacity: GPU pods onto nodes with enough free GPUs of the
// model of their own node, CPU pods never onto GPU nodes (assumed tainted). A small tolerance
// absorbs rounding of the integrals.
bool fits(const PodState& p, const NodeState& from, const NodeState& n) {
  constexpr double kEps = 1e-9;
  if ((p.gpu > 0) != (n.gpu > 0)) return false;
  if (p.gpu > 0 && n.gpu_model != from.gpu_model) return false;
  return p.cpu <= n.cpu - n.cpu_used + kEps * std::max(1.0, n.cpu) &&
         p.mem <= n.mem - n.mem_used + kEps * std::max(1.0, n.mem) &&
         p.gpu <= n.gpu - n.gpu_used + kEps;
}

// Drainable nodes and spot candidates of one cluster's last hour block.
void lastHourInsights(const store::Dimensions& dims, const store::Block& block,
                      const InsightOptions& options, std::vector<Insight>& out) {
  const double block_hours = static_cast<double>(block.end - block.start) / 3600.0;
  // Running in the last 5 minutes of the block's data (a block of the newest hour may end
  // before the hour does).
  std::int64_t latest = block.start;
  for (std::int64_t e : block.nodes.end) latest = std::max(latest, e);
  for (std::int64_t e : block.containers.end) latest = std::max(latest, e);
  const std::int64_t active_after = latest - 300;
  std::vector<NodeState> nodes;
  std::unordered_map<std::uint32_t, std::size_t> node_of_name;  // name string id -> index
  const store::NodeRows& nr = block.nodes;
  for (std::size_t i = 0; i < nr.size(); ++i) {
    if (nr.node_id[i] >= dims.nodeCount() || !(nr.hours[i] > 0)) continue;
    if (nr.end[i] < active_after) continue;
    const store::NodeDim& d = dims.node(nr.node_id[i]);
    if (node_of_name.count(d.name)) continue;  // one row per node name
    const double h = nr.hours[i];
    NodeState n;
    n.name = std::string(dims.str(d.name));
    n.instance_type = std::string(dims.str(d.instance_type));
    n.region = std::string(dims.str(d.region));
    n.cpu =
        (nr.cpu_alloc_core_hours[i] > 0 ? nr.cpu_alloc_core_hours[i] : nr.cpu_core_hours[i]) / h;
    n.mem =
        (nr.ram_alloc_byte_hours[i] > 0 ? nr.ram_alloc_byte_hours[i] : nr.ram_byte_hours[i]) / h;
    n.gpu = nr.gpu_hours[i] / h;
    if (n.gpu > 0) {
      for (const char* key : {"nvidia.com/gpu.product", "karpenter.k8s.aws/instance-gpu-name",
                              "cloud.google.com/gke-accelerator"}) {
        const std::string_view* v = dims.labelValue(d.labels, key);
        if (v != nullptr && !v->empty()) {
          n.gpu_model = std::string(*v);
          break;
        }
      }
      if (n.gpu_model.empty()) n.gpu_model = "type:" + n.instance_type;
    }
    n.hourly_usd = (nr.cpu_cost[i] + nr.ram_cost[i] + nr.gpu_cost[i]) / h;
    n.spot = nr.spot[i] != 0;
    node_of_name.emplace(d.name, nodes.size());
    nodes.push_back(std::move(n));
  }
  // Containers with persistent volumes, and which of those are local.
  std::unordered_map<std::uint32_t, std::string> local_volume_of;
  std::set<std::uint32_t> with_volume;
  const store::ShareRows& vs = block.volume_shares;
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (vs.asset_id[i] >= dims.volumeCount() || vs.container_id[i] == store::kNoContainer) continue;
    const store::VolumeDim& v = dims.volume(vs.asset_id[i]);
    with_volume.insert(vs.container_id[i]);
    if (isLocalStorageClass(dims.str(v.storage_class))) {
      local_volume_of[vs.container_id[i]] =
          fmt::format("local volume {} (class {})", dims.str(v.name), dims.str(v.storage_class));
    }
  }
  // Pods: their containers' rows summed.
  std::vector<PodState> pods;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> pod_index;  // (ns, pod)
  std::vector<int> pod_role;  // 0 movable, 1 DaemonSet, 2 pinned
  const store::ContainerRows& cr = block.containers;
  for (std::size_t i = 0; i < cr.size(); ++i) {
    if (cr.container_id[i] >= dims.containerCount() || !(cr.running_seconds[i] > 0)) continue;
    if (cr.end[i] < active_after) continue;
    const store::ContainerDim& cd = dims.container(cr.container_id[i]);
    auto nit = node_of_name.find(cd.node);
    if (nit == node_of_name.end()) continue;
    auto [it, added] = pod_index.emplace(std::make_pair(cd.namespace_name, cd.pod), pods.size());
    if (added) {
      PodState p;
      p.name = fmt::format("{}/{}", dims.str(cd.namespace_name), dims.str(cd.pod));
      p.node = nit->second;
      const std::string kind = lower(dims.str(cd.controller_kind));
      int role = 0;
      if (kind == "daemonset" || kind == "node") {
        role = 1;
      } else if (cd.controller == 0 || kind.empty() || kind == "pod") {
        role = 2;
        NodeState& n = nodes[p.node];
        if (n.pinned_by.empty()) n.pinned_by = fmt::format("pod {} has no controller", p.name);
      }
      if (kind == "deployment" || kind == "replicaset") {
        p.workload = fmt::format("{}/{}/{}/{}", block.cluster, dims.str(cd.namespace_name), kind,
                                 dims.str(cd.controller));
      }
      pods.push_back(std::move(p));
      pod_role.push_back(role);
    }
    const std::size_t pi = it->second;
    PodState& p = pods[pi];
    const double hours = cr.running_seconds[i] / 3600.0;
    p.cpu += cr.cpu_request_core_hours[i] / hours;
    p.mem += cr.ram_request_byte_hours[i] / hours;
    p.gpu += cr.gpu_hours[i] / hours;
    p.hourly_cost += (cr.cpu_cost[i] + cr.ram_cost[i] + cr.gpu_cost[i]) / block_hours;
    if (with_volume.count(cr.container_id[i])) p.persistent_volume = true;
    auto lv = local_volume_of.find(cr.container_id[i]);
    if (lv != local_volume_of.end() && pod_role[pi] == 0) {
      pod_role[pi] = 2;
      NodeState& n = nodes[p.node];
      if (n.pinned_by.empty()) n.pinned_by = fmt::format("pod {} has a {}", p.name, lv->second);
    }
  }
  for (std::size_t pi = 0; pi < pods.size(); ++pi) {
    NodeState& n = nodes[pods[pi].node];
    n.cpu_used += pods[pi].cpu;
    n.mem_used += pods[pi].mem;
    n.gpu_used += pods[pi].gpu;
    if (pod_role[pi] == 0) n.pods.push_back(pi);
    if (pod_role[pi] == 1) ++n.daemon_pods;
  }

  if (options.drainable_nodes && nodes.size() > 1) {
    // Least requested first (max of the CPU and memory shares), then the dearest, then by name.
    std::vector<std::size_t> order(nodes.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto share = [&](const NodeState& n) {
      return std::max(n.cpu > 0 ? n.cpu_used / n.cpu : 1.0, n.mem > 0 ? n.mem_used / n.mem : 1.0);
    };
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      const double sa = share(nodes[a]), sb = share(nodes[b]);
      if (sa != sb) return sa < sb;
      if (nodes[a].hourly_usd != nodes[b].hourly_usd)
        return nodes[a].hourly_usd > nodes[b].hourly_usd;
      return nodes[a].name < nodes[b].name;
    });
    // Targets in name order (first fit).
    std::vector<std::size_t> by_name = order;
    std::sort(by_name.begin(), by_name.end(),
              [&](std::size_t a, std::size_t b) { return nodes[a].name < nodes[b].name; });
    for (std::size_t ni : order) {
      NodeState& n = nodes[ni];
      if (!n.pinned_by.empty() || !(n.hourly_usd > 0) || !(n.cpu > 0) || !(n.mem > 0)) continue;
      std::vector<std::size_t> movers = n.pods;
      std::sort(movers.begin(), movers.end(), [&](std::size_t a, std::size_t b) {
        if (pods[a].gpu != pods[b].gpu) return pods[a].gpu > pods[b].gpu;
        if (pods[a].cpu != pods[b].cpu) return pods[a].cpu > pods[b].cpu;
        if (pods[a].mem != pods[b].mem) return pods[a].mem > pods[b].mem;
        return pods[a].name < pods[b].name;
      });
      std::vector<std::pair<std::size_t, std::size_t>> placed;  // (pod, target)
      bool ok = true;
      for (std::size_t pi : movers) {
        bool found = false;
        for (std::size_t ti : by_name) {
          NodeState& t = nodes[ti];
          if (ti == ni || t.drained || !fits(pods[pi], n, t)) continue;
          t.cpu_used += pods[pi].cpu;
          t.mem_used += pods[pi].mem;
          t.gpu_used += pods[pi].gpu;
          placed.emplace_back(pi, ti);
          found = true;
          break;
        }
        if (!found) {
          ok = false;
          break;
        }
      }
      if (!ok) {
        for (const auto& [pi, ti] : placed) {
          nodes[ti].cpu_used -= pods[pi].cpu;
          nodes[ti].mem_used -= pods[pi].mem;
          nodes[ti].gpu_used -= pods[pi].gpu;
        }
        continue;
      }
      n.drained = true;
      std::map<std::string, int> to;
      double cpu = 0, mem = 0, gpu = 0;
      for (const auto& [pi, ti] : placed) {
        ++to[nodes[ti].name];
        cpu += pods[pi].cpu;
        mem += pods[pi].mem;
        gpu += pods[pi].gpu;
      }
      std::string where;
      for (const auto& [name, count] : to) {
        where += fmt::format("{}{} ({})", where.empty() ? "" : ", ", name, count);
      }
      std::string evidence =
          movers.empty()
              ? std::string("no pods to move")
              : fmt::format("{} pods ({:.2f} cores, {:.1f} GiB{} requested) fit by first fit on {}",
                            movers.size(), cpu, mem / kGiB,
                            gpu > 0 ? fmt::format(", {:.2f} GPUs", gpu) : std::string(), where);
      if (n.daemon_pods > 0)
        evidence += fmt::format("; {} DaemonSet pods go with it", n.daemon_pods);
      evidence +=
          fmt::format("; {} {} at ${:.4f}/h; requests as now; {}", n.spot ? "spot" : "on-demand",
                      n.instance_type.empty() ? "node" : n.instance_type, n.hourly_usd, kNoPdb);
      out.push_back({"drainable-node", fmt::format("{}/{}", block.cluster, n.name),
                     n.hourly_usd * kHoursPerMonth, std::move(evidence)});
    }
  }

  if (options.spot_price) {
    struct SpotAcc {
      std::set<std::string> pods, on_spot;
      double on_demand_cost = 0, saving = 0, unpriced_cost = 0;
      bool persistent_volume = false;
      std::map<std::string, std::string> sources;  // instance type -> price source
    };
    std::map<std::string, SpotAcc> workloads;
    std::map<std::pair<std::string, std::string>, std::optional<SpotPrice>> prices;
    for (std::size_t pi = 0; pi < pods.size(); ++pi) {
      const PodState& p = pods[pi];
      if (p.workload.empty()) continue;
      SpotAcc& a = workloads[p.workload];
      a.pods.insert(p.name);
      a.persistent_volume = a.persistent_volume || p.persistent_volume;
      const NodeState& n = nodes[p.node];
      if (n.spot) {
        a.on_spot.insert(p.name);
        continue;
      }
      auto key = std::make_pair(n.instance_type, n.region);
      auto pit = prices.find(key);
      if (pit == prices.end())
        pit = prices.emplace(key, options.spot_price(key.first, key.second)).first;
      const std::optional<SpotPrice>& sp = pit->second;
      if (!sp || !(sp->on_demand_hourly > 0) || !(sp->spot_hourly > 0) ||
          sp->spot_hourly >= sp->on_demand_hourly) {
        a.unpriced_cost += p.hourly_cost;
        continue;
      }
      a.on_demand_cost += p.hourly_cost;
      a.saving += p.hourly_cost * (1 - sp->spot_hourly / sp->on_demand_hourly);
      a.sources.emplace(n.instance_type, fmt::format("{} {:.0f}% of on-demand", sp->source,
                                                     100 * sp->spot_hourly / sp->on_demand_hourly));
    }
    for (const auto& [name, a] : workloads) {
      if (a.pods.size() < 2 || a.persistent_volume || !(a.saving > 0)) continue;
      std::string prices_text;
      for (const auto& [type, src] : a.sources) {
        prices_text += fmt::format("{}{}: {}", prices_text.empty() ? "" : ", ", type, src);
      }
      std::string evidence = fmt::format(
          "{} replicas, stateless (no persistent volume; hostPath/emptyDir not in store), "
          "${:.4f}/h on on-demand nodes",
          a.pods.size(), a.on_demand_cost);
      if (!a.on_spot.empty())
        evidence += fmt::format(", {} pods already on spot", a.on_spot.size());
      if (a.unpriced_cost > 0) {
        evidence += fmt::format(", ${:.4f}/h on nodes without a spot price", a.unpriced_cost);
      }
      evidence += fmt::format("; spot {}; {}", prices_text, kNoPdb);
      out.push_back({"spot-candidate", name, a.saving * kHoursPerMonth, std::move(evidence)});
    }
  }
}

}  // namespace

Result<std::vector<Insight>> savingsInsights(const store::Store& store,
                                             const InsightOptions& options) {
  if (options.window_start % 3600 != 0 || options.window_end % 3600 != 0 ||
      options.window_end <= options.window_start) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("insights: window [{}, {}) must be non-empty and hour-aligned",
                            options.window_start, options.window_end));
  }
  const store::Dimensions& dims = store.dimensions();
  auto blocks = store::planWindow(store, options.cluster, options.window_start, options.window_end);
  if (!blocks) return tl::unexpected(blocks.error());
  std::map<std::string, WorkloadAcc> workloads;
  std::vector<std::string> name_of(dims.containerCount());
  for (std::uint32_t id = 0; id < dims.containerCount(); ++id) {
    const store::ContainerDim& d = dims.container(id);
    const bool bare = d.controller == 0;
    name_of[id] =
        fmt::format("{}/{}/{}/{}/{}", dims.str(d.cluster), dims.str(d.namespace_name),
                    bare ? "pod" : dims.str(d.controller_kind),
                    bare ? dims.str(d.pod) : dims.str(d.controller), dims.str(d.container));
  }
  std::map<std::uint32_t, VolumeAcc> volumes;
  for (const store::BlockInfo& info : *blocks) {
    auto block = store.readBlock(info, store::ColumnSelection{});
    if (!block) return tl::unexpected(block.error());
    const store::ContainerRows& c = block->containers;
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (c.container_id[i] >= name_of.size()) continue;
      WorkloadAcc& a = workloads[name_of[c.container_id[i]]];
      a.first = a.first == 0 ? c.start[i] : std::min(a.first, c.start[i]);
      a.last = std::max(a.last, c.end[i]);
      a.running_hours += c.running_seconds[i] / 3600.0;
      a.cpu_usage_core_hours += c.cpu_usage_core_hours[i];
      a.cpu_max = std::max(a.cpu_max, c.cpu_usage_max_cores[i]);
      a.network_bytes += c.network_transfer_bytes[i] + c.network_receive_bytes[i];
      a.cost += c.cpu_cost[i] + c.ram_cost[i] + c.gpu_cost[i];
    }
    const store::VolumeRows& v = block->volumes;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v.volume_id[i] >= dims.volumeCount()) continue;
      if (dims.volume(v.volume_id[i]).claim_name != 0) continue;
      VolumeAcc& a = volumes[v.volume_id[i]];
      a.hours += v.hours[i];
      a.cost += v.cost[i];
    }
  }
  std::vector<Insight> out;
  for (const auto& [name, a] : workloads) {
    const double span_days = static_cast<double>(a.last - a.first) / 86400.0;
    if (span_days < options.idle_days || a.running_hours <= 0) continue;
    const double mean_cpu = a.cpu_usage_core_hours / a.running_hours;
    if (mean_cpu >= options.idle_cpu_cores || a.network_bytes > 0) continue;
    const double span_hours = static_cast<double>(a.last - a.first) / 3600.0;
    out.push_back({"idle-workload", name, a.cost / span_hours * kHoursPerMonth,
                   fmt::format("mean CPU {:.4f} cores (max {:.4f}) and no network traffic over "
                               "{:.1f} days",
                               mean_cpu, a.cpu_max, span_days)});
  }
  for (const auto& [id, a] : volumes) {
    if (a.hours <= 0 || a.cost <= 0) continue;
    const store::VolumeDim& d = dims.volume(id);
    out.push_back({"unclaimed-volume", fmt::format("{}/{}", dims.str(d.cluster), dims.str(d.name)),
                   a.cost / a.hours * kHoursPerMonth,
                   fmt::format("no claim for {:.0f} h; storage class \"{}\"", a.hours,
                               dims.str(d.storage_class))});
  }
  if (options.drainable_nodes || options.spot_price) {
    // Per cluster, the newest hour block inside the window (data may lag the window's end).
    auto hours = store.listBlocks(options.cluster, store::BlockKind::kHour, options.window_start,
                                  options.window_end);
    if (!hours) return tl::unexpected(hours.error());
    std::map<std::string, store::BlockInfo> newest;
    for (const store::BlockInfo& info : *hours) {
      if (info.end > options.window_end) continue;
      auto [it, added] = newest.emplace(info.cluster, info);
      if (!added && info.start > it->second.start) it->second = info;
    }
    for (const auto& [cluster, info] : newest) {
      auto block = store.readBlock(info, store::ColumnSelection{});
      if (!block) return tl::unexpected(block.error());
      lastHourInsights(dims, *block, options, out);
    }
  }
  std::sort(out.begin(), out.end(), [](const Insight& x, const Insight& y) {
    return x.monthly_cost_usd != y.monthly_cost_usd ? x.monthly_cost_usd > y.monthly_cost_usd
                                                    : x.object < y.object;
  });
  return out;
}

std::string insightsJson(const std::vector<Insight>& insights) {
  std::string out = "{\"insights\":[";
  double total = 0;
  for (std::size_t i = 0; i < insights.size(); ++i) {
    const Insight& x = insights[i];
    total += x.monthly_cost_usd;
    out += fmt::format("{}{{\"kind\":{},\"object\":{},\"monthlyCostUsd\":{},\"evidence\":{}}}",
                       i ? "," : "", jsonString(x.kind), jsonString(x.object), x.monthly_cost_usd,
                       jsonString(x.evidence));
  }
  return out + fmt::format("],\"monthlyCostUsd\":{}}}", total);
}

}  // namespace trimtab::recommend
