#include "ingest/folder.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "model/resources.h"
#include "store/sketch.h"

namespace trimtab::ingest {

namespace {

using source::Sample;
constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kPeakWindowMs = 300'000;  // memory sketch: 5-minute peaks
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

std::string_view label(const Sample& s, std::string_view name) {
  for (std::size_t i = 0; i < s.label_count; ++i) {
    if (s.labels[i].name == name) return s.labels[i].value;
  }
  return {};
}

// dcgm-exporter's pod labels are renamed exported_* when Prometheus scrapes it without
// honor_labels; accept both.
std::string_view labelOrExported(const Sample& s, std::string_view name) {
  std::string_view v = label(s, name);
  if (!v.empty()) return v;
  for (std::size_t i = 0; i < s.label_count; ++i) {
    const std::string_view n = s.labels[i].name;
    if (n.size() == name.size() + 9 && n.starts_with("exported_") && n.substr(9) == name) {
      return s.labels[i].value;
    }
  }
  return {};
}

// A counter's increase between two samples; a decrease means the counter restarted from 0.
double counterIncrease(double previous, double current) {
  return current >= previous ? current - previous : current;
}

std::int64_t floorHour(std::int64_t ms) {
  return (ms >= 0 ? ms / kHourMs : (ms - kHourMs + 1) / kHourMs) * kHourMs;
}

// A right-continuous step function of time built from samples: value at t is the value of the
// last sample at or before t (the first sample's value before it).
struct StepFn {
  std::vector<std::pair<std::int64_t, double>> points;
  void add(std::int64_t t, double v) {
    if (!points.empty() && points.back().first <= t) {
      if (points.back().second != v) points.emplace_back(t, v);
      return;
    }
    if (points.empty()) {
      points.emplace_back(t, v);
      return;
    }
    auto it = std::lower_bound(points.begin(), points.end(), std::make_pair(t, -std::numeric_limits<double>::infinity()));
    points.insert(it, {t, v});
  }
  double at(std::int64_t t) const {
    if (points.empty()) return 0;
    auto it = std::upper_bound(points.begin(), points.end(), t,
                               [](std::int64_t x, const auto& p) { return x < p.first; });
    if (it == points.begin()) return points.front().second;
    return std::prev(it)->second;
  }
  // ∫ over (a, b] in value·ms.
  double integral(std::int64_t a, std::int64_t b) const {
    if (points.empty() || b <= a) return 0;
    double sum = 0;
    std::int64_t t = a;
    auto it = std::upper_bound(points.begin(), points.end(), a,
                               [](std::int64_t x, const auto& p) { return x < p.first; });
    double v = it == points.begin() ? points.front().second : std::prev(it)->second;
    for (; it != points.end() && it->first < b; ++it) {
      sum += v * static_cast<double>(it->first - t);
      t = it->first;
      v = it->second;
    }
    sum += v * static_cast<double>(b - t);
    return sum;
  }
};

// Intervals (start, end] in ms, sorted and disjoint.
using Segments = std::vector<std::pair<std::int64_t, std::int64_t>>;

// Calls fn(hour_start_ms, lo, hi) for each piece of (a, b] ∩ segments, split at hour boundaries.
template <typename F>
void forEachOverlap(const Segments& segs, std::int64_t a, std::int64_t b, F&& fn) {
  if (b <= a) return;
  auto it = std::lower_bound(segs.begin(), segs.end(), a,
                             [](const auto& seg, std::int64_t x) { return seg.second <= x; });
  for (; it != segs.end() && it->first < b; ++it) {
    std::int64_t lo = std::max(a, it->first);
    const std::int64_t hi = std::min(b, it->second);
    while (lo < hi) {
      const std::int64_t hour = floorHour(lo);
      const std::int64_t piece_end = std::min(hi, hour + kHourMs);
      fn(hour, lo, piece_end);
      lo = piece_end;
    }
  }
}

struct HourAcc {
  double oom_kills = 0;
  std::int64_t start_ms = std::numeric_limits<std::int64_t>::max();
  std::int64_t end_ms = std::numeric_limits<std::int64_t>::min();
  double running_ms = 0;
  double cpu_request = 0, cpu_excess = 0, cpu_usage = 0, cpu_max = 0;  // core·ms
  double ram_request = 0, ram_excess = 0, ram_usage = 0, ram_max = 0;  // byte·ms
  double gpu_request = 0, gpu_prof = 0, gpu_util = 0;                  // gpu·ms
  bool gpu_prof_seen = false;
  double tx_bytes = 0, rx_bytes = 0;
  store::UsageSketch cpu_sketch, mem_sketch;
};

struct ContainerState {
  std::string namespace_name, pod, container;
  std::uint32_t pod_index = 0;
  std::vector<std::int64_t> running_ts;   // samples with value 1
  std::vector<std::int64_t> fallback_ts;  // request sample times, when no running series exists
  bool has_running_series = false;
  StepFn cpu_request, ram_request;
  std::map<std::string, StepFn, std::less<>> gpu_requests;  // by KSM resource name
  Segments segments;
  std::map<std::int64_t, HourAcc> hours;  // by hour start
  // usage series state
  std::int64_t cpu_prev_t = std::numeric_limits<std::int64_t>::min();
  double cpu_prev_v = 0;
  std::int64_t mem_prev_t = std::numeric_limits<std::int64_t>::min();
  std::int64_t peak_window = std::numeric_limits<std::int64_t>::min();
  double peak_value = 0;
  double gpu_equivalent_per_unit = 1;  // filled at finishInventory (time-slicing replicas)
  // kube_pod_container_status_restarts_total samples, and the times
  // kube_pod_container_status_last_terminated_reason{reason="OOMKilled"} said 1.
  std::vector<std::pair<std::int64_t, double>> restarts;
  std::vector<std::int64_t> oom_reason_ts;

  HourAcc& hour(std::int64_t h) { return hours[h]; }
};

struct PodState {
  std::string namespace_name, pod, uid, node;
  std::string owner_kind, owner_name;
  std::string runtime_class;  // from kube_pod_runtimeclass_name_info
  std::vector<std::pair<std::string, std::string>> metric_labels;  // from kube_pod_labels
  std::vector<std::uint32_t> containers;
  std::vector<std::string> pvc_claims;
  Segments segments;  // union of the containers' running intervals
};

struct NodeState {
  std::string name;
  std::vector<std::int64_t> ts;
  StepFn cpu_cores, ram_bytes, gpus, alloc_cpu, alloc_ram;
  model::StringMap metric_labels;
  std::string provider_id;  // from kube_node_info (metrics-only input)
  Segments segments;
  pricing::NodePrice price;
  double physical_gpus = 0;
  std::int64_t time_slicing_replicas = 1;
};

struct VolumeState {
  std::string name, storage_class;
  std::vector<std::int64_t> ts;
  StepFn bytes;
  Segments segments;
};

struct CounterState {
  std::int64_t prev_t = std::numeric_limits<std::int64_t>::min();
  double prev_v = 0;
};

// kube-state-metrics turns label keys into Prometheus label names ("node.kubernetes.io/
// instance-type" -> "node_kubernetes_io_instance_type"); pricing and GPU sharing read the real
// keys, so the well-known node labels get their names back.
void restoreWellKnownNodeLabels(model::StringMap& labels) {
  static constexpr std::string_view kKeys[] = {
      "node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type", "topology.kubernetes.io/region",
      "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
      "failure-domain.beta.kubernetes.io/zone", "kubernetes.io/os", "kubernetes.io/arch", "kubernetes.io/hostname",
      "karpenter.sh/capacity-type", "karpenter.sh/nodepool", "karpenter.k8s.aws/instance-gpu-name",
      "eks.amazonaws.com/capacityType", "eks.amazonaws.com/nodegroup", "node.kubernetes.io/lifecycle",
      "cloud.google.com/gke-spot", "cloud.google.com/gke-preemptible", "cloud.google.com/gke-provisioning",
      "cloud.google.com/gke-accelerator", "cloud.google.com/gke-nodepool", "kubernetes.azure.com/scalesetpriority",
      "kubernetes.azure.com/accelerator", "kubernetes.azure.com/agentpool", "nvidia.com/gpu.product",
      "nvidia.com/gpu.count", "nvidia.com/gpu.replicas", "nvidia.com/gpu_type", "nvidia.com/mig.strategy"};
  auto sanitized = [](std::string_view key) {
    std::string out(key);
    for (char& ch : out) {
      const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      if (!ok) ch = '_';
    }
    return out;
  };
  for (auto& [key, value] : labels) {
    for (std::string_view known : kKeys) {
      if (key == sanitized(known)) {
        key = std::string(known);
        break;
      }
    }
  }
}

// OOM kills into the container's hours: a rise of the restart counter between two samples,
// with the last termination reason reported as OOMKilled from just before the rise until two
// scrape intervals after it, counts the rise as kills in the hour of the later sample (an hour
// the container ran in; a rise in an hour it did not run in is dropped). A counter that falls
// (a new pod with the same name) starts over.
void countOomKills(ContainerState& c, std::int64_t interval) {
  if (c.restarts.size() < 2 || c.oom_reason_ts.empty()) return;
  std::sort(c.restarts.begin(), c.restarts.end());
  std::sort(c.oom_reason_ts.begin(), c.oom_reason_ts.end());
  for (std::size_t i = 1; i < c.restarts.size(); ++i) {
    const auto [t0, v0] = c.restarts[i - 1];
    const auto [t1, v1] = c.restarts[i];
    if (!(v1 > v0)) continue;
    const auto it = std::lower_bound(c.oom_reason_ts.begin(), c.oom_reason_ts.end(), t0);
    if (it == c.oom_reason_ts.end() || *it > t1 + 2 * interval) continue;
    if (auto acc = c.hours.find(floorHour(t1)); acc != c.hours.end()) acc->second.oom_kills += v1 - v0;
  }
  c.restarts.clear();
  c.oom_reason_ts.clear();
}

Segments segmentsFrom(std::vector<std::int64_t>& ts, std::int64_t interval) {
  Segments segs;
  if (ts.empty()) return segs;
  std::sort(ts.begin(), ts.end());
  ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
  std::int64_t prev = std::numeric_limits<std::int64_t>::min();
  for (std::int64_t t : ts) {
    const std::int64_t gap = prev == std::numeric_limits<std::int64_t>::min() ? -1 : t - prev;
    const std::int64_t cover = (gap > 0 && gap <= 2 * interval) ? gap : interval;
    const std::int64_t start = t - cover;
    if (!segs.empty() && segs.back().second >= start) {
      segs.back().second = t;
    } else {
      segs.emplace_back(start, t);
    }
    prev = t;
  }
  return segs;
}

Segments unionOf(Segments all) {
  std::sort(all.begin(), all.end());
  Segments out;
  for (const auto& s : all) {
    if (!out.empty() && out.back().second >= s.first) {
      out.back().second = std::max(out.back().second, s.second);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

double gpuEquivalentOf(std::string_view ksm_resource) {
  // kube-state-metrics sanitises resource names: nvidia.com/mig-1g.5gb -> nvidia_com_mig_1g_5gb.
  if (ksm_resource == "nvidia_com_gpu" || ksm_resource == "amd_com_gpu" ||
      ksm_resource == "gpu_intel_com_i915") {
    return 1;
  }
  constexpr std::string_view kMig = "nvidia_com_mig_";
  if (ksm_resource.starts_with(kMig)) {
    std::string profile(ksm_resource.substr(kMig.size()));
    std::replace(profile.begin(), profile.end(), '_', '.');
    return model::migComputeFraction(std::string(model::kResourceMigPrefix) + profile);
  }
  return 0;
}

bool isGpuResource(std::string_view r) {
  return r == "nvidia_com_gpu_shared" || gpuEquivalentOf(r) > 0;
}

}  // namespace

struct Folder::State {
  std::string cluster;
  const model::Inventory* inventory;
  const pricing::Pricer& pricer;
  FoldStats stats;

  std::vector<ContainerState> containers;
  std::unordered_map<std::string, std::uint32_t> container_ids;  // ns/pod/container
  std::vector<PodState> pods;
  std::unordered_map<std::string, std::uint32_t> pod_ids;  // ns/pod
  std::vector<NodeState> nodes;
  std::unordered_map<std::string, std::uint32_t> node_ids;
  std::vector<VolumeState> volumes;
  std::unordered_map<std::string, std::uint32_t> volume_ids;
  std::unordered_map<std::string, std::string> pvc_volume;  // ns/pvc -> pv
  std::unordered_map<std::string, CounterState> counters;  // network and GPU series
  std::unordered_map<std::int64_t, std::uint64_t> gap_histogram;
  std::int64_t first_ms = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ms = std::numeric_limits<std::int64_t>::min();

  // Last-series cache: consecutive samples of one series skip the hash lookup.
  std::string last_key;
  std::uint32_t last_container = 0;
  std::string key_buf;

  State(std::string c, const model::Inventory* inv, const pricing::Pricer& p)
      : cluster(std::move(c)), inventory(inv), pricer(p) {}

  void seeTime(std::int64_t t) {
    first_ms = std::min(first_ms, t);
    last_ms = std::max(last_ms, t);
  }

  std::uint32_t podId(std::string_view ns, std::string_view pod) {
    key_buf.assign(ns);
    key_buf.push_back('/');
    key_buf.append(pod);
    auto it = pod_ids.find(key_buf);
    if (it != pod_ids.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(pods.size());
    PodState p;
    p.namespace_name = ns;
    p.pod = pod;
    pods.push_back(std::move(p));
    pod_ids.emplace(key_buf, id);
    return id;
  }

  // Returns the container id, creating it when create is set; UINT32_MAX when absent.
  std::uint32_t containerId(std::string_view ns, std::string_view pod, std::string_view container,
                            bool create) {
    key_buf.assign(ns);
    key_buf.push_back('/');
    key_buf.append(pod);
    key_buf.push_back('/');
    key_buf.append(container);
    if (key_buf == last_key) return last_container;
    auto it = container_ids.find(key_buf);
    std::uint32_t id;
    if (it != container_ids.end()) {
      id = it->second;
    } else {
      if (!create) return std::numeric_limits<std::uint32_t>::max();
      id = static_cast<std::uint32_t>(containers.size());
      const std::string key = key_buf;
      ContainerState c;
      c.namespace_name = ns;
      c.pod = pod;
      c.container = container;
      c.pod_index = podId(ns, pod);
      pods[c.pod_index].containers.push_back(id);
      containers.push_back(std::move(c));
      container_ids.emplace(key, id);
      key_buf = key;
    }
    last_key = key_buf;
    last_container = id;
    return id;
  }

  // Dense id of the named node or volume, created on first sight.
  template <typename Item>
  static std::uint32_t idByName(std::vector<Item>& items,
                                std::unordered_map<std::string, std::uint32_t>& ids,
                                std::string_view name) {
    auto [it, inserted] = ids.try_emplace(std::string(name), static_cast<std::uint32_t>(items.size()));
    if (inserted) {
      items.emplace_back();
      items.back().name = name;
    }
    return it->second;
  }
  // Metrics-only controller resolution: "ReplicaSet/ns/name" or "Job/ns/name" -> (kind, name)
  // from kube_replicaset_owner / kube_job_owner; "ns/name" of kube_cronjob_info.
  std::unordered_map<std::string, std::pair<std::string, std::string>> workload_owner;
  std::unordered_set<std::string> cronjobs;
  std::pair<std::string, std::string> controllerFromMetrics(const PodState& p) const;

  std::uint32_t nodeId(std::string_view name) { return idByName(nodes, node_ids, name); }
  std::uint32_t volumeId(std::string_view name) { return idByName(volumes, volume_ids, name); }

  void onInventory(const Sample& s);
  void onUsage(const Sample& s);
  void finishInventory();
  std::vector<store::Block> buildBlocks(store::Dimensions& dims);

  void addCpuUsage(ContainerState& c, std::int64_t t, double counter_value);
  void addMemory(ContainerState& c, std::int64_t t, double bytes);
  void flushPeak(ContainerState& c);
  std::int64_t coverFor(std::int64_t prev_t, std::int64_t t) const {
    const std::int64_t interval = stats.scrape_interval_ms;
    if (prev_t == std::numeric_limits<std::int64_t>::min()) return interval;
    const std::int64_t gap = t - prev_t;
    return (gap > 0 && gap <= 2 * interval) ? gap : interval;
  }
};

void Folder::State::onInventory(const Sample& s) {
  if (!s.has_timestamp) return;
  const std::string_view m = s.metric;
  const std::int64_t t = s.timestamp_ms;
  if (!m.starts_with("kube_")) return;
  ++stats.inventory_samples;
  if (m == "kube_pod_container_status_running") {
    seeTime(t);
    const auto id = containerId(label(s, "namespace"), label(s, "pod"), label(s, "container"), true);
    // A running series that only says 0 (a finished job's container) means not running: the
    // request-time fallback below is for inputs with no running series at all.
    containers[id].has_running_series = true;
    if (s.value != 1) return;
    auto& ts = containers[id].running_ts;
    if (!ts.empty() && t > ts.back()) ++gap_histogram[t - ts.back()];
    ts.push_back(t);
  } else if (m == "kube_pod_container_status_restarts_total") {
    const auto id = containerId(label(s, "namespace"), label(s, "pod"), label(s, "container"), true);
    containers[id].restarts.emplace_back(t, s.value);
  } else if (m == "kube_pod_container_status_last_terminated_reason") {
    if (s.value != 1 || label(s, "reason") != "OOMKilled") return;
    const auto id = containerId(label(s, "namespace"), label(s, "pod"), label(s, "container"), true);
    containers[id].oom_reason_ts.push_back(t);
  } else if (m == "kube_pod_container_resource_requests") {
    const auto id = containerId(label(s, "namespace"), label(s, "pod"), label(s, "container"), true);
    ContainerState& c = containers[id];
    const std::string_view resource = label(s, "resource");
    if (resource == "cpu") {
      c.cpu_request.add(t, s.value);
      c.fallback_ts.push_back(t);
    } else if (resource == "memory") {
      c.ram_request.add(t, s.value);
    } else if (isGpuResource(resource)) {
      auto it = c.gpu_requests.find(resource);
      if (it == c.gpu_requests.end()) it = c.gpu_requests.emplace(std::string(resource), StepFn{}).first;
      it->second.add(t, s.value);
    }
    const std::string_view node = label(s, "node");
    if (!node.empty()) {
      PodState& p = pods[c.pod_index];
      if (p.node.empty()) p.node = node;
    }
  } else if (m == "kube_pod_info") {
    PodState& p = pods[podId(label(s, "namespace"), label(s, "pod"))];
    if (p.uid.empty()) p.uid = label(s, "uid");
    if (p.node.empty()) p.node = label(s, "node");
    if (p.owner_kind.empty()) {
      p.owner_kind = label(s, "created_by_kind");
      p.owner_name = label(s, "created_by_name");
    }
  } else if (m == "kube_pod_owner") {
    PodState& p = pods[podId(label(s, "namespace"), label(s, "pod"))];
    if (label(s, "owner_is_controller") == "true" || p.owner_kind.empty()) {
      p.owner_kind = label(s, "owner_kind");
      p.owner_name = label(s, "owner_name");
    }
  } else if (m == "kube_pod_runtimeclass_name_info") {
    // kube-state-metrics v2: one series per pod that has spec.runtimeClassName.
    PodState& p = pods[podId(label(s, "namespace"), label(s, "pod"))];
    if (p.uid.empty()) p.uid = label(s, "uid");
    if (p.runtime_class.empty()) p.runtime_class = label(s, "runtimeclass_name");
  } else if (m == "kube_replicaset_owner" || m == "kube_job_owner") {
    // Controllers above the pod's owner, as kube-state-metrics reports them (metrics-only input).
    const std::string_view kind = label(s, "owner_kind");
    if (kind.empty() || kind == "<none>") return;
    const bool rs = m[5] == 'r';
    std::string key = std::string(rs ? "ReplicaSet/" : "Job/") + std::string(label(s, "namespace")) + "/" +
                      std::string(label(s, rs ? "replicaset" : "job_name"));
    workload_owner.try_emplace(std::move(key), std::string(kind), std::string(label(s, "owner_name")));
  } else if (m == "kube_cronjob_info") {
    cronjobs.insert(std::string(label(s, "namespace")) + "/" + std::string(label(s, "cronjob")));
  } else if (m == "kube_pod_labels") {
    PodState& p = pods[podId(label(s, "namespace"), label(s, "pod"))];
    if (p.metric_labels.empty()) {
      for (std::size_t i = 0; i < s.label_count; ++i) {
        const std::string_view n = s.labels[i].name;
        if (n.starts_with("label_")) {
          p.metric_labels.emplace_back(std::string(n.substr(6)), std::string(s.labels[i].value));
        }
      }
    }
  } else if (m == "kube_node_status_capacity" || m == "kube_node_status_allocatable") {
    seeTime(t);
    NodeState& n = nodes[nodeId(label(s, "node"))];
    const std::string_view resource = label(s, "resource");
    const bool capacity = m == "kube_node_status_capacity";
    if (resource == "cpu") {
      (capacity ? n.cpu_cores : n.alloc_cpu).add(t, s.value);
      if (capacity) n.ts.push_back(t);
    } else if (resource == "memory") {
      (capacity ? n.ram_bytes : n.alloc_ram).add(t, s.value);
    } else if (capacity && gpuEquivalentOf(resource) > 0) {
      n.gpus.add(t, s.value * gpuEquivalentOf(resource));
    }
  } else if (m == "kube_node_info") {
    NodeState& n = nodes[nodeId(label(s, "node"))];
    if (n.provider_id.empty()) n.provider_id = label(s, "provider_id");
  } else if (m == "kube_node_labels") {
    NodeState& n = nodes[nodeId(label(s, "node"))];
    if (n.metric_labels.empty()) {
      for (std::size_t i = 0; i < s.label_count; ++i) {
        const std::string_view name = s.labels[i].name;
        if (name.starts_with("label_")) {
          n.metric_labels.emplace_back(std::string(name.substr(6)), std::string(s.labels[i].value));
        }
      }
    }
  } else if (m == "kube_persistentvolume_capacity_bytes") {
    seeTime(t);
    VolumeState& v = volumes[volumeId(label(s, "persistentvolume"))];
    v.bytes.add(t, s.value);
    v.ts.push_back(t);
  } else if (m == "kube_persistentvolumeclaim_info") {
    const std::string_view pv = label(s, "volumename");
    if (!pv.empty()) {
      std::string key = std::string(label(s, "namespace")) + "/" +
                        std::string(label(s, "persistentvolumeclaim"));
      pvc_volume.emplace(std::move(key), std::string(pv));
      VolumeState& v = volumes[volumeId(pv)];
      if (v.storage_class.empty()) v.storage_class = label(s, "storageclass");
    }
  } else if (m == "kube_pod_spec_volumes_persistentvolumeclaims_info") {
    PodState& p = pods[podId(label(s, "namespace"), label(s, "pod"))];
    const std::string claim(label(s, "persistentvolumeclaim"));
    if (std::find(p.pvc_claims.begin(), p.pvc_claims.end(), claim) == p.pvc_claims.end()) {
      p.pvc_claims.push_back(claim);
    }
  } else {
    --stats.inventory_samples;
    ++stats.ignored_samples;
  }
}

std::pair<std::string, std::string> Folder::State::controllerFromMetrics(const PodState& p) const {
  if (p.owner_kind != "ReplicaSet" && p.owner_kind != "Job") return {p.owner_kind, p.owner_name};
  if (auto it = workload_owner.find(p.owner_kind + "/" + p.namespace_name + "/" + p.owner_name);
      it != workload_owner.end()) {
    return it->second;
  }
  if (p.owner_kind == "Job") {
    if (auto parent = model::cronJobFromJobName(p.owner_name);
        parent && cronjobs.contains(p.namespace_name + "/" + std::string(*parent))) {
      return {"CronJob", std::string(*parent)};
    }
  }
  return {p.owner_kind, p.owner_name};
}

void Folder::State::finishInventory() {
  // The scrape interval: the most common gap between running samples (60 s when unknown).
  std::int64_t best = 60'000;
  std::uint64_t best_count = 0;
  for (const auto& [gap, count] : gap_histogram) {
    if (count > best_count || (count == best_count && gap < best)) {
      best = gap;
      best_count = count;
    }
  }
  stats.scrape_interval_ms = best;
  for (ContainerState& c : containers) {
    if (c.running_ts.empty() && !c.has_running_series) c.running_ts = std::move(c.fallback_ts);
    c.segments = segmentsFrom(c.running_ts, best);
    c.running_ts.clear();
    c.running_ts.shrink_to_fit();
    c.fallback_ts.clear();
    c.fallback_ts.shrink_to_fit();
  }
  for (PodState& p : pods) {
    Segments all;
    for (std::uint32_t id : p.containers) {
      all.insert(all.end(), containers[id].segments.begin(), containers[id].segments.end());
    }
    p.segments = unionOf(std::move(all));
  }
  // Nodes: objects from the snapshot when present (they carry the labels pricing needs), else
  // a node synthesised from kube_node_labels and capacity metrics.
  for (PodState& p : pods) {
    if (!p.node.empty()) nodeId(p.node);
  }
  for (NodeState& n : nodes) {
    n.segments = segmentsFrom(n.ts, best);
    const model::Node* object = inventory ? inventory->node(n.name) : nullptr;
    model::Node synthetic;
    if (object == nullptr) {
      synthetic.meta.name = n.name;
      synthetic.meta.labels = n.metric_labels;
      restoreWellKnownNodeLabels(synthetic.meta.labels);
      std::sort(synthetic.meta.labels.begin(), synthetic.meta.labels.end());
      synthetic.provider_id = n.provider_id;
      const std::int64_t t = n.cpu_cores.points.empty() ? 0 : n.cpu_cores.points.back().first;
      synthetic.capacity.cpu_millicores = static_cast<std::int64_t>(n.cpu_cores.at(t) * 1000);
      synthetic.capacity.memory_bytes = static_cast<std::int64_t>(n.ram_bytes.at(t));
      synthetic.capacity.gpus = static_cast<std::int64_t>(std::llround(n.gpus.at(t)));
      object = &synthetic;
    }
    n.price = pricer.priceNode(*object);
    if (const std::string* r = model::lookup(object->meta.labels, "nvidia.com/gpu.replicas")) {
      n.time_slicing_replicas = std::max<std::int64_t>(1, std::atoll(r->c_str()));
    }
    if (const std::string* c = model::lookup(object->meta.labels, "nvidia.com/gpu.count")) {
      n.physical_gpus = std::atof(c->c_str());
    } else {
      n.physical_gpus = model::gpuEquivalent(object->capacity, n.time_slicing_replicas);
      if (n.physical_gpus == 0 && !n.gpus.points.empty()) {
        n.physical_gpus = n.gpus.points.back().second /
                          static_cast<double>(n.time_slicing_replicas);
      }
    }
    if (n.segments.empty() && object != &synthetic && first_ms <= last_ms) {
      // A node known only from the objects: present for the whole data range.
      n.segments.emplace_back(first_ms - best, last_ms);
    }
  }
  for (VolumeState& v : volumes) {
    v.segments = segmentsFrom(v.ts, best);
    if (v.storage_class.empty() && inventory != nullptr) {
      if (const model::PersistentVolume* pv = inventory->pv(v.name)) v.storage_class = pv->storage_class;
    }
  }
  for (ContainerState& c : containers) {
    const PodState& p = pods[c.pod_index];
    auto it = node_ids.find(p.node);
    if (it != node_ids.end()) {
      c.gpu_equivalent_per_unit = 1.0 / static_cast<double>(nodes[it->second].time_slicing_replicas);
    }
  }
  stats.containers = containers.size();
  stats.pods = pods.size();
  stats.nodes = nodes.size();
  stats.volumes = volumes.size();
}

void Folder::State::addCpuUsage(ContainerState& c, std::int64_t t, double v) {
  if (c.cpu_prev_t != std::numeric_limits<std::int64_t>::min() && t > c.cpu_prev_t) {
    const double increase = counterIncrease(c.cpu_prev_v, v);
    const double rate = increase / (static_cast<double>(t - c.cpu_prev_t) / 1000.0);
    const std::int64_t from = t - coverFor(c.cpu_prev_t, t);
    const double request = c.cpu_request.at(t);
    const double excess = std::max(0.0, rate - request);
    bool any = false;
    forEachOverlap(c.segments, from, t, [&](std::int64_t hour, std::int64_t lo, std::int64_t hi) {
      HourAcc& h = c.hour(hour);
      const auto d = static_cast<double>(hi - lo);
      h.cpu_usage += rate * d;
      h.cpu_excess += excess * d;
      any = true;
    });
    if (any) {
      HourAcc& h = c.hour(floorHour(t - 1));
      h.cpu_max = std::max(h.cpu_max, rate);
      h.cpu_sketch.add(rate);
    }
  }
  c.cpu_prev_t = t;
  c.cpu_prev_v = v;
}

void Folder::State::flushPeak(ContainerState& c) {
  if (c.peak_window == std::numeric_limits<std::int64_t>::min()) return;
  c.hour(floorHour(c.peak_window * kPeakWindowMs)).mem_sketch.add(c.peak_value);
  c.peak_window = std::numeric_limits<std::int64_t>::min();
  c.peak_value = 0;
}

void Folder::State::addMemory(ContainerState& c, std::int64_t t, double bytes) {
  // A repeated sample (a remote-write batch sent again after a lost acknowledgement) adds nothing.
  if (t == c.mem_prev_t) return;
  const std::int64_t from = t - coverFor(c.mem_prev_t, t);
  c.mem_prev_t = t;
  const double request = c.ram_request.at(t);
  const double excess = std::max(0.0, bytes - request);
  bool any = false;
  forEachOverlap(c.segments, from, t, [&](std::int64_t hour, std::int64_t lo, std::int64_t hi) {
    HourAcc& h = c.hour(hour);
    const auto d = static_cast<double>(hi - lo);
    h.ram_usage += bytes * d;
    h.ram_excess += excess * d;
    any = true;
  });
  if (!any) return;
  HourAcc& h = c.hour(floorHour(t - 1));
  h.ram_max = std::max(h.ram_max, bytes);
  const std::int64_t window = (t - 1) / kPeakWindowMs;
  if (window != c.peak_window) {
    flushPeak(c);
    c.peak_window = window;
  }
  c.peak_value = std::max(c.peak_value, bytes);
}

void Folder::State::onUsage(const Sample& s) {
  if (!s.has_timestamp) return;
  const std::string_view m = s.metric;
  const std::int64_t t = s.timestamp_ms;
  if (m == "container_cpu_usage_seconds_total" || m == "container_memory_working_set_bytes") {
    const std::string_view container = label(s, "container");
    if (container.empty() || container == "POD") {  // pod-level cgroup aggregates
      ++stats.ignored_samples;
      return;
    }
    const auto id = containerId(label(s, "namespace"), label(s, "pod"), container, false);
    if (id == std::numeric_limits<std::uint32_t>::max()) {
      ++stats.unmatched_usage_samples;
      return;
    }
    ++stats.usage_samples;
    ContainerState& c = containers[id];
    if (m[10] == 'c') {
      addCpuUsage(c, t, s.value);
    } else {
      addMemory(c, t, s.value);
    }
    return;
  }
  if (m == "container_network_transmit_bytes_total" || m == "container_network_receive_bytes_total") {
    const std::string_view ns = label(s, "namespace");
    const std::string_view pod_name = label(s, "pod");
    key_buf.assign(ns);
    key_buf.push_back('/');
    key_buf.append(pod_name);
    auto pit = pod_ids.find(key_buf);
    if (pit == pod_ids.end()) {
      ++stats.unmatched_usage_samples;
      return;
    }
    ++stats.usage_samples;
    const bool tx = m[18] == 't';
    std::string key = key_buf + (tx ? "/tx/" : "/rx/") + std::string(label(s, "interface"));
    CounterState& cs = counters[key];
    if (cs.prev_t != std::numeric_limits<std::int64_t>::min() && t > cs.prev_t) {
      const double increase = counterIncrease(cs.prev_v, s.value);
      PodState& p = pods[pit->second];
      // Bytes are split evenly across the pod's containers (OpenCost's rule).
      const double share = p.containers.empty() ? 0 : increase / static_cast<double>(p.containers.size());
      for (std::uint32_t cid : p.containers) {
        HourAcc& h = containers[cid].hour(floorHour(t - 1));
        (tx ? h.tx_bytes : h.rx_bytes) += share;
      }
    }
    cs.prev_t = t;
    cs.prev_v = s.value;
    return;
  }
  const bool prof = m == "DCGM_FI_PROF_GR_ENGINE_ACTIVE";
  if (prof || m == "DCGM_FI_DEV_GPU_UTIL") {
    if (labelOrExported(s, "pod").empty()) {  // a GPU no pod holds: device-level only
      ++stats.ignored_samples;
      return;
    }
    const auto id = containerId(labelOrExported(s, "namespace"), labelOrExported(s, "pod"),
                                labelOrExported(s, "container"), false);
    if (id == std::numeric_limits<std::uint32_t>::max()) {
      ++stats.unmatched_usage_samples;
      return;
    }
    ++stats.usage_samples;
    ContainerState& c = containers[id];
    std::string key = std::string(m) + "/" + std::to_string(id) + "/" + std::string(label(s, "UUID")) +
                      std::string(label(s, "gpu"));
    CounterState& cs = counters[key];
    if (t == cs.prev_t) return;  // a repeated sample
    const std::int64_t from = t - coverFor(cs.prev_t, t);
    cs.prev_t = t;
    const double utilisation = std::clamp(prof ? s.value : s.value / 100.0, 0.0, 1.0);
    forEachOverlap(c.segments, from, t, [&](std::int64_t hour, std::int64_t lo, std::int64_t hi) {
      HourAcc& h = c.hour(hour);
      const double used = utilisation * c.gpu_equivalent_per_unit * static_cast<double>(hi - lo);
      if (prof) {
        h.gpu_prof += used;
        h.gpu_prof_seen = true;
      } else {
        h.gpu_util += used;
      }
    });
    return;
  }
  ++stats.ignored_samples;
}

std::vector<store::Block> Folder::State::buildBlocks(store::Dimensions& dims) {
  for (ContainerState& c : containers) flushPeak(c);
  stats.first_ms = first_ms;
  stats.last_ms = last_ms;
  std::map<std::int64_t, store::Block> blocks;
  auto blockFor = [&](std::int64_t hour_ms) -> store::Block& {
    auto it = blocks.find(hour_ms);
    if (it != blocks.end()) return it->second;
    store::Block b;
    b.kind = store::BlockKind::kHour;
    b.cluster = cluster;
    b.start = hour_ms / 1000;
    b.end = b.start + 3600;
    return blocks.emplace(hour_ms, std::move(b)).first->second;
  };
  const std::uint32_t cluster_id = dims.intern(cluster);

  // Node identities, rows and rates.
  std::vector<std::uint32_t> node_dim(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    NodeState& n = nodes[i];
    const model::Node* object = inventory ? inventory->node(n.name) : nullptr;
    const model::StringMap& labels = object ? object->meta.labels : n.metric_labels;
    store::LabelPairs pairs;
    for (const auto& [k, v] : labels) pairs.emplace_back(dims.intern(k), dims.intern(v));
    store::NodeDim d;
    d.cluster = cluster_id;
    d.name = dims.intern(n.name);
    d.provider_id = dims.intern(object ? object->provider_id : "");
    d.instance_type = dims.intern(n.price.instance_type);
    d.region = dims.intern(n.price.region);
    d.zone = dims.intern(object ? object->zone() : "");
    d.labels = dims.internLabels(std::move(pairs));
    node_dim[i] = dims.internNode(d);
    const std::uint32_t source = dims.intern(n.price.source);
    std::map<std::int64_t, double> hour_ms;
    std::map<std::int64_t, std::array<double, 6>> integrals;  // cpu, ram, gpu, alloc cpu, alloc ram
    std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> bounds;
    for (const auto& seg : n.segments) {
      forEachOverlap(Segments{seg}, seg.first, seg.second, [&](std::int64_t h, std::int64_t lo, std::int64_t hi) {
        hour_ms[h] += static_cast<double>(hi - lo);
        auto& in = integrals[h];
        in[0] += n.cpu_cores.integral(lo, hi);
        in[1] += n.ram_bytes.integral(lo, hi);
        in[2] += n.gpus.points.empty() ? n.physical_gpus * static_cast<double>(hi - lo)
                                       : std::min(n.gpus.integral(lo, hi),
                                                  n.physical_gpus * static_cast<double>(hi - lo));
        in[3] += n.alloc_cpu.integral(lo, hi);
        in[4] += n.alloc_ram.integral(lo, hi);
        auto [bit, inserted] = bounds.emplace(h, std::make_pair(lo, hi));
        if (!inserted) {
          bit->second.first = std::min(bit->second.first, lo);
          bit->second.second = std::max(bit->second.second, hi);
        }
      });
    }
    if (n.cpu_cores.points.empty() && object != nullptr) {
      // Capacity from the object when no capacity series exists.
      for (auto& [h, in] : integrals) {
        const double ms = hour_ms[h];
        in[0] = static_cast<double>(object->capacity.cpu_millicores) / 1000.0 * ms;
        in[1] = static_cast<double>(object->capacity.memory_bytes) * ms;
        in[3] = static_cast<double>(object->allocatable.cpu_millicores) / 1000.0 * ms;
        in[4] = static_cast<double>(object->allocatable.memory_bytes) * ms;
      }
    }
    for (const auto& [h, ms] : hour_ms) {
      store::NodeRows& rows = blockFor(h).nodes;
      const std::size_t r = rows.size();
      rows.resize(r + 1);
      const auto& in = integrals[h];
      rows.node_id[r] = node_dim[i];
      rows.start[r] = bounds[h].first / 1000;
      rows.end[r] = bounds[h].second / 1000;
      rows.hours[r] = ms / kHourMs;
      rows.cpu_core_hours[r] = in[0] / kHourMs;
      rows.ram_byte_hours[r] = in[1] / kHourMs;
      rows.gpu_hours[r] = in[2] / kHourMs;
      rows.cpu_alloc_core_hours[r] = in[3] / kHourMs;
      rows.ram_alloc_byte_hours[r] = in[4] / kHourMs;
      rows.cpu_cost[r] = rows.cpu_core_hours[r] * n.price.cpu_per_core_hour;
      rows.ram_cost[r] = rows.ram_byte_hours[r] / kGiB * n.price.ram_per_gib_hour;
      rows.gpu_cost[r] = rows.gpu_hours[r] * n.price.gpu_per_gpu_hour;
      rows.spot[r] = n.price.spot ? 1 : 0;
      rows.price_source[r] = source;
    }
  }

  // Container identities.
  std::unordered_map<std::string, std::uint32_t> ns_label_sets, ns_annotation_sets;
  auto namespaceSets = [&](const std::string& ns) -> std::pair<std::uint32_t, std::uint32_t> {
    auto it = ns_label_sets.find(ns);
    if (it != ns_label_sets.end()) return {it->second, ns_annotation_sets[ns]};
    store::LabelPairs l, a;
    if (inventory != nullptr) {
      if (const model::Namespace* n = inventory->namespaceOf(ns)) {
        for (const auto& [k, v] : n->meta.labels) l.emplace_back(dims.intern(k), dims.intern(v));
        for (const auto& [k, v] : n->meta.annotations) a.emplace_back(dims.intern(k), dims.intern(v));
      }
    }
    const auto lid = dims.internLabels(std::move(l));
    const auto aid = dims.internLabels(std::move(a));
    ns_label_sets[ns] = lid;
    ns_annotation_sets[ns] = aid;
    return {lid, aid};
  };
  // Pod objects by UID, and by namespace/name for metrics without a uid label.
  std::unordered_map<std::string_view, const model::Pod*> pod_objects;
  std::unordered_map<std::string, const model::Pod*> pod_objects_by_name;
  if (inventory != nullptr) {
    for (const model::Pod& p : inventory->objects().pods) {
      pod_objects.emplace(p.meta.uid, &p);
      pod_objects_by_name.emplace(p.meta.namespace_name + "/" + p.meta.name, &p);
    }
  }
  auto podObject = [&](const PodState& p) -> const model::Pod* {
    if (!p.uid.empty()) {
      auto it = pod_objects.find(p.uid);
      if (it != pod_objects.end()) return it->second;
    }
    auto it = pod_objects_by_name.find(p.namespace_name + "/" + p.pod);
    return it == pod_objects_by_name.end() ? nullptr : it->second;
  };
  std::vector<std::uint32_t> container_dim(containers.size());
  std::vector<std::string> pod_services_joined(pods.size());
  for (std::size_t pi = 0; pi < pods.size(); ++pi) {
    PodState& p = pods[pi];
    const model::Pod* object = podObject(p);
    std::string controller_kind, controller;
    std::string_view runtime_class = p.runtime_class;
    store::LabelPairs labels, annotations, services;
    if (object != nullptr) {
      if (!object->runtime_class_name.empty()) runtime_class = object->runtime_class_name;
      const model::ControllerRef ref = inventory->controllerOf(*object);
      controller_kind = ref.kind;
      controller = ref.name;
      for (const auto& [k, v] : object->meta.labels) labels.emplace_back(dims.intern(k), dims.intern(v));
      for (const auto& [k, v] : object->meta.annotations) annotations.emplace_back(dims.intern(k), dims.intern(v));
      for (const std::string& svc : inventory->servicesOf(*object)) services.emplace_back(dims.intern(svc), 0);
      if (p.node.empty()) p.node = object->node_name;
      if (p.uid.empty()) p.uid = object->meta.uid;
    } else {
      auto [kind, name] = controllerFromMetrics(p);
      std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      if (kind != "<none>") {
        controller_kind = kind;
        controller = std::move(name);
      }
      for (const auto& [k, v] : p.metric_labels) labels.emplace_back(dims.intern(k), dims.intern(v));
    }
    const auto [ns_labels, ns_annotations] = namespaceSets(p.namespace_name);
    std::string provider_id;
    if (inventory != nullptr) {
      if (const model::Node* n = inventory->node(p.node)) provider_id = n->provider_id;
    }
    store::ContainerDim d;
    d.cluster = cluster_id;
    d.namespace_name = dims.intern(p.namespace_name);
    d.node = dims.intern(p.node);
    d.pod = dims.intern(p.pod);
    d.pod_uid = dims.intern(p.uid);
    d.controller_kind = dims.intern(controller_kind);
    d.controller = dims.intern(controller);
    d.provider_id = dims.intern(provider_id);
    d.labels = dims.internLabels(std::move(labels));
    d.annotations = dims.internLabels(std::move(annotations));
    d.namespace_labels = ns_labels;
    d.namespace_annotations = ns_annotations;
    d.services = dims.internLabels(std::move(services));
    d.runtime_class = dims.intern(runtime_class);
    for (std::uint32_t cid : p.containers) {
      d.container = dims.intern(containers[cid].container);
      container_dim[cid] = dims.internContainer(d);
    }
  }

  // Container rows.
  for (std::size_t ci = 0; ci < containers.size(); ++ci) {
    ContainerState& c = containers[ci];
    const PodState& p = pods[c.pod_index];
    const NodeState* node = nullptr;
    if (auto it = node_ids.find(p.node); it != node_ids.end()) node = &nodes[it->second];
    pricing::NodePrice fallback;
    if (node == nullptr) fallback = pricer.priceNode(model::Node{});
    const pricing::NodePrice& price = node ? node->price : fallback;
    // Request integrals and running time per hour.
    for (const auto& seg : c.segments) {
      forEachOverlap(Segments{seg}, seg.first, seg.second, [&](std::int64_t h, std::int64_t lo, std::int64_t hi) {
        HourAcc& acc = c.hour(h);
        acc.running_ms += static_cast<double>(hi - lo);
        acc.start_ms = std::min(acc.start_ms, lo);
        acc.end_ms = std::max(acc.end_ms, hi);
        acc.cpu_request += c.cpu_request.integral(lo, hi);
        acc.ram_request += c.ram_request.integral(lo, hi);
        for (const auto& [resource, fn] : c.gpu_requests) {
          const double per_unit = resource == "nvidia_com_gpu_shared" || resource == "nvidia_com_gpu"
                                      ? c.gpu_equivalent_per_unit
                                      : gpuEquivalentOf(resource);
          acc.gpu_request += fn.integral(lo, hi) * per_unit;
        }
      });
    }
    countOomKills(c, stats.scrape_interval_ms);
    for (const auto& [h, acc] : c.hours) {
      if (acc.running_ms <= 0) continue;  // usage outside running intervals only
      store::ContainerRows& rows = blockFor(h).containers;
      const std::size_t r = rows.size();
      rows.resize(r + 1);
      rows.container_id[r] = container_dim[ci];
      rows.start[r] = acc.start_ms / 1000;
      rows.end[r] = (acc.end_ms + 999) / 1000;
      rows.running_seconds[r] = acc.running_ms / 1000.0;
      rows.cpu_core_hours[r] = (acc.cpu_request + acc.cpu_excess) / kHourMs;
      rows.cpu_request_core_hours[r] = acc.cpu_request / kHourMs;
      rows.cpu_usage_core_hours[r] = acc.cpu_usage / kHourMs;
      rows.cpu_usage_max_cores[r] = acc.cpu_max;
      rows.ram_byte_hours[r] = (acc.ram_request + acc.ram_excess) / kHourMs;
      rows.ram_request_byte_hours[r] = acc.ram_request / kHourMs;
      rows.ram_usage_byte_hours[r] = acc.ram_usage / kHourMs;
      rows.ram_usage_max_bytes[r] = acc.ram_max;
      rows.gpu_hours[r] = acc.gpu_request / kHourMs;
      rows.gpu_usage_hours[r] = (acc.gpu_prof_seen ? acc.gpu_prof : acc.gpu_util) / kHourMs;
      rows.network_transfer_bytes[r] = acc.tx_bytes;
      rows.network_receive_bytes[r] = acc.rx_bytes;
      rows.cpu_cost[r] = rows.cpu_core_hours[r] * price.cpu_per_core_hour;
      rows.ram_cost[r] = rows.ram_byte_hours[r] / kGiB * price.ram_per_gib_hour;
      rows.gpu_cost[r] = rows.gpu_hours[r] * price.gpu_per_gpu_hour;
      rows.network_cost[r] = 0;  // needs the network-costs egress classes; not in this input
      rows.cpu_sketch.set(r, acc.cpu_sketch.serialize());
      rows.memory_sketch.set(r, acc.mem_sketch.serialize());
      rows.oom_kills[r] = acc.oom_kills;
    }
    c.hours.clear();
  }

  // Persistent volumes: cost per hour split among the pods mounting it, slice by slice;
  // slices with no pod go to kNoContainer (unmounted).
  std::unordered_map<std::string, std::vector<std::uint32_t>> pods_by_volume;
  for (std::size_t pi = 0; pi < pods.size(); ++pi) {
    for (const std::string& claim : pods[pi].pvc_claims) {
      auto it = pvc_volume.find(pods[pi].namespace_name + "/" + claim);
      if (it != pvc_volume.end()) pods_by_volume[it->second].push_back(static_cast<std::uint32_t>(pi));
    }
  }
  for (VolumeState& v : volumes) {
    if (v.segments.empty()) continue;
    store::VolumeDim d;
    d.cluster = cluster_id;
    d.name = dims.intern(v.name);
    d.storage_class = dims.intern(v.storage_class);
    if (inventory != nullptr) {
      if (const model::PersistentVolume* pv = inventory->pv(v.name)) {
        d.provider_id = dims.intern(pv->provider_volume_id);
        d.claim_namespace = dims.intern(pv->claim_namespace);
        d.claim_name = dims.intern(pv->claim_name);
      }
    }
    const std::uint32_t vid = dims.internVolume(d);
    const double rate = pricer.storagePerGiBHour(v.storage_class);
    const auto& mounting = pods_by_volume[v.name];
    for (const auto& seg : v.segments) {
      forEachOverlap(Segments{seg}, seg.first, seg.second, [&](std::int64_t h, std::int64_t lo, std::int64_t hi) {
        store::Block& b = blockFor(h);
        const double byte_ms = v.bytes.integral(lo, hi);
        const double byte_hours = byte_ms / kHourMs;
        const double cost = byte_hours / kGiB * rate;
        store::VolumeRows& rows = b.volumes;
        const std::size_t r = rows.size();
        rows.resize(r + 1);
        rows.volume_id[r] = vid;
        rows.start[r] = lo / 1000;
        rows.end[r] = hi / 1000;
        rows.hours[r] = static_cast<double>(hi - lo) / kHourMs;
        rows.byte_hours[r] = byte_hours;
        rows.cost[r] = cost;
        // Sweep: boundaries of the mounting pods' running intervals within (lo, hi].
        std::vector<std::int64_t> cuts{lo, hi};
        for (std::uint32_t pi : mounting) {
          for (const auto& ps : pods[pi].segments) {
            if (ps.first > lo && ps.first < hi) cuts.push_back(ps.first);
            if (ps.second > lo && ps.second < hi) cuts.push_back(ps.second);
          }
        }
        std::sort(cuts.begin(), cuts.end());
        cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
        std::map<std::uint32_t, double> share;  // container dim id (or kNoContainer) -> fraction
        const auto total = static_cast<double>(hi - lo);
        for (std::size_t k = 0; k + 1 < cuts.size(); ++k) {
          const std::int64_t a = cuts[k], bnd = cuts[k + 1];
          const std::int64_t mid = a + (bnd - a) / 2 + 1;
          std::vector<std::uint32_t> active;
          for (std::uint32_t pi : mounting) {
            for (const auto& ps : pods[pi].segments) {
              if (ps.first < mid && mid <= ps.second) {
                active.push_back(pi);
                break;
              }
            }
          }
          const double slice = static_cast<double>(bnd - a) / total;
          if (active.empty()) {
            share[store::kNoContainer] += slice;
            continue;
          }
          for (std::uint32_t pi : active) {
            const auto& cs = pods[pi].containers;
            for (std::uint32_t cid : cs) {
              share[container_dim[cid]] += slice / static_cast<double>(active.size()) /
                                           static_cast<double>(cs.size());
            }
          }
        }
        store::ShareRows& sr = b.volume_shares;
        for (const auto& [cid, fraction] : share) {
          const std::size_t k = sr.size();
          sr.resize(k + 1);
          sr.container_id[k] = cid;
          sr.asset_id[k] = vid;
          sr.start[k] = lo / 1000;
          sr.end[k] = hi / 1000;
          sr.hours[k] = byte_hours * fraction;
          sr.cost[k] = cost * fraction;
        }
      });
    }
  }

  // Load balancers: Services of type LoadBalancer with an ingress address, present while the
  // data covers them (from creation), split among the backing pods by running overlap.
  if (inventory != nullptr && first_ms <= last_ms) {
    const double rate = pricer.loadBalancerPerHour();
    std::vector<std::uint32_t> all_pods;
    for (const model::Service& svc : inventory->objects().services) {
      if (svc.type != "LoadBalancer" || svc.load_balancer_ingress.empty()) continue;
      ++stats.load_balancers;
      store::ServiceDim d;
      d.cluster = cluster_id;
      d.namespace_name = dims.intern(svc.meta.namespace_name);
      d.name = dims.intern(svc.meta.name);
      d.ip = dims.intern(svc.load_balancer_ingress.front());
      const std::uint32_t sid = dims.internService(d);
      std::vector<std::uint32_t> backends;
      if (!svc.selector.empty()) {
        for (std::size_t pi = 0; pi < pods.size(); ++pi) {
          const PodState& p = pods[pi];
          if (p.namespace_name != svc.meta.namespace_name) continue;
          const model::Pod* object = podObject(p);
          bool match = true;
          for (const auto& [k, val] : svc.selector) {
            const std::string* have = nullptr;
            if (object != nullptr) {
              have = model::lookup(object->meta.labels, k);
            } else {
              for (const auto& [mk, mv] : p.metric_labels) {
                if (mk == k) have = &mv;
              }
            }
            if (have == nullptr || *have != val) {
              match = false;
              break;
            }
          }
          if (match) backends.push_back(static_cast<std::uint32_t>(pi));
        }
      }
      const std::int64_t lb_start = std::max(first_ms - stats.scrape_interval_ms,
                                             svc.meta.creation_timestamp * 1000);
      Segments lb_seg{{lb_start, last_ms}};
      forEachOverlap(lb_seg, lb_start, last_ms, [&](std::int64_t h, std::int64_t lo, std::int64_t hi) {
        store::Block& b = blockFor(h);
        const double hours = static_cast<double>(hi - lo) / kHourMs;
        const double cost = hours * rate;
        store::LoadBalancerRows& rows = b.load_balancers;
        const std::size_t r = rows.size();
        rows.resize(r + 1);
        rows.service_id[r] = sid;
        rows.start[r] = lo / 1000;
        rows.end[r] = hi / 1000;
        rows.hours[r] = hours;
        rows.cost[r] = cost;
        std::map<std::uint32_t, double> overlap_ms;
        double total = 0;
        for (std::uint32_t pi : backends) {
          const auto& cs = pods[pi].containers;
          for (const auto& ps : pods[pi].segments) {
            const auto o = static_cast<double>(std::max<std::int64_t>(0, std::min(hi, ps.second) - std::max(lo, ps.first)));
            if (o <= 0 || cs.empty()) continue;
            for (std::uint32_t cid : cs) overlap_ms[container_dim[cid]] += o / static_cast<double>(cs.size());
            total += o;
          }
        }
        store::ShareRows& sr = b.load_balancer_shares;
        if (total <= 0) overlap_ms = {{store::kNoContainer, 1.0}}, total = 1.0;
        for (const auto& [cid, o] : overlap_ms) {
          const std::size_t k = sr.size();
          sr.resize(k + 1);
          sr.container_id[k] = cid;
          sr.asset_id[k] = sid;
          sr.start[k] = lo / 1000;
          sr.end[k] = hi / 1000;
          sr.hours[k] = hours * o / total;
          sr.cost[k] = cost * o / total;
        }
      });
    }
  }

  std::vector<store::Block> out;
  out.reserve(blocks.size());
  for (auto& [h, b] : blocks) {
    b.canonicalize();
    out.push_back(std::move(b));
  }
  return out;
}

namespace {

class InventorySink final : public source::SampleSink {
 public:
  explicit InventorySink(Folder::State* s) : s_(s) {}
  void onSample(const Sample& sample) override { s_->onInventory(sample); }
  bool wantFamily(std::string_view family) override { return family.starts_with("kube_"); }

 private:
  Folder::State* s_;
};

class UsageSink final : public source::SampleSink {
 public:
  explicit UsageSink(Folder::State* s) : s_(s) {}
  bool wantFamily(std::string_view family) override { return !family.starts_with("kube_"); }
  void onSample(const Sample& sample) override {
    if (sample.metric.starts_with("kube_")) return;  // already folded in the inventory pass
    s_->onUsage(sample);
  }

 private:
  Folder::State* s_;
};

}  // namespace

Folder::Folder(std::string cluster, const model::Inventory* inventory,
               const pricing::Pricer& pricer)
    : state_(std::make_unique<State>(std::move(cluster), inventory, pricer)),
      inventory_sink_(std::make_unique<InventorySink>(state_.get())),
      usage_sink_(std::make_unique<UsageSink>(state_.get())) {}

Folder::~Folder() = default;

source::SampleSink& Folder::inventorySink() { return *inventory_sink_; }

void Folder::finishInventory() { state_->finishInventory(); }

source::SampleSink& Folder::usageSink() { return *usage_sink_; }

std::vector<store::Block> Folder::buildBlocks(store::Dimensions& dims) {
  return state_->buildBlocks(dims);
}

const FoldStats& Folder::stats() const { return state_->stats; }

}  // namespace trimtab::ingest
