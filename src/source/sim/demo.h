// A deterministic, realistic demo cluster: Kubernetes objects plus usage functions, and a
// writer that turns it into a snapshot directory (kubectl JSON + OpenMetrics), see
// docs/snapshot-format.md.
//
// Determinism: everything derives from DemoOptions (seed included) through a private
// splitmix64 generator and hashing; the same options give byte-identical snapshots.
// Usage functions are pure functions of (container, time), so samples can be produced in any
// order without holding them in memory.
//
// Content: node pools of real AWS instance types (m5/c5/r5, spot and on-demand, three zones of
// us-east-1), a GPU pool (p4d.24xlarge with 8 whole A100s, one p4d with MIG slices
// nvidia.com/mig-1g.5gb and mig-3g.20gb, g5.xlarge with time-sliced nvidia.com/gpu.shared);
// Deployments (with ReplicaSets and a mid-window rollout), StatefulSets with PVCs, DaemonSets,
// CronJobs and Jobs with bounded pod lifetimes, a Kubeflow PyTorchJob, a WASM Deployment
// (runtimeClassName wasmtime-spin-v2); namespaces labelled team=<t>; diurnal/weekly usage with
// noise; over- and under-provisioned workloads; one memory-leaking container that is OOMKilled.
//
// Thread-safety: a DemoCluster is immutable after generateDemo; its const methods are
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/clock.h"
#include "model/error.h"
#include "model/objects.h"

namespace trimtab::source {

struct DemoOptions {
  int nodes = 0;  // 0 = default size (16 nodes); GPU nodes included
  int days = 2;
  std::uint64_t seed = 42;
  int scrape_interval_seconds = 60;
  UnixSeconds end = 0;  // REQUIRED: exclusive end of the data, hour-aligned
  std::string cluster = "demo";
};

// How a container's usage evolves over time.
enum class UsageShape : std::uint8_t {
  kWeb,          // diurnal + weekly traffic pattern with noise
  kSteady,       // flat with small diurnal swing (databases, daemons)
  kBatch,        // near-constant high load while running (jobs)
  kLeak,         // memory grows linearly until the limit, then OOMKilled and restarted
  kGpuTraining,  // GPU busy 85-95 %
  kGpuInference  // GPU follows traffic, mostly idle at night
};

// One pod that exists at some point in the window (including pods deleted before `end`).
struct DemoPod {
  std::string namespace_name, name, uid, node_name;  // node_name empty: never scheduled
  std::string owner_kind, owner_name;                 // controller (empty: none)
  std::string owner_api_version;
  model::StringMap labels;
  UnixSeconds created = 0;  // exists in [created, deleted)
  UnixSeconds deleted = 0;  // == cluster end when it still exists at the end
  UnixSeconds start = 0;    // containers run in [start, finish)
  UnixSeconds finish = 0;
  std::vector<std::string> pvc_names;
  std::vector<std::size_t> containers;  // indices into DemoCluster containers
  bool in_objects = false;              // listed in objects.pods (exists at `end`, or a kept job pod)
};

struct DemoContainer {
  std::size_t pod = 0;  // index into DemoCluster pods
  std::string name;
  model::ResourceVector requests, limits;
  UsageShape shape = UsageShape::kSteady;
  double cpu_mean_cores = 0;   // long-run mean of cpuUsageCores
  double memory_mean_bytes = 0;
  double gpu_mean_utilization = 0;  // 0..1
  double leak_bytes_per_second = 0;  // kLeak only
  std::uint64_t noise_key = 0;
};

// One DCGM-visible device: a whole GPU or a MIG instance.
struct DemoGpu {
  std::size_t node = 0;  // index into objects.nodes
  int gpu_index = 0;     // physical GPU index on the node ("gpu" label, device nvidia<i>)
  std::string uuid, model_name;
  std::string mig_profile;  // "1g.5gb" for a MIG instance, empty for a whole GPU
  int mig_instance_id = 0;
  bool time_sliced = false;
  std::vector<std::size_t> containers;  // containers allocated to it (several when time-sliced)
};

class DemoCluster {
 public:
  DemoOptions options;
  UnixSeconds start = 0, end = 0;  // data window [start, end)
  model::ObjectSet objects;        // what `kubectl get -o json` shows at `end`
  std::vector<DemoPod> pods;
  std::vector<DemoContainer> containers;
  std::vector<DemoGpu> gpus;

  std::size_t containerCount() const { return containers.size(); }
  const DemoContainer& container(std::size_t i) const { return containers[i]; }
  const DemoPod& podOf(std::size_t container) const { return pods[containers[container].pod]; }
  const std::string& namespaceOf(std::size_t c) const { return podOf(c).namespace_name; }
  const std::string& podNameOf(std::size_t c) const { return podOf(c).name; }
  const std::string& containerNameOf(std::size_t c) const { return containers[c].name; }
  const std::string& nodeOf(std::size_t c) const { return podOf(c).node_name; }
  const model::ResourceVector& requestsOf(std::size_t c) const { return containers[c].requests; }

  // True when the container runs at t (its pod is scheduled and t in [start, finish)).
  bool running(std::size_t container, UnixSeconds t) const;
  // True when the pod object exists at t ([created, deleted)).
  bool podExists(std::size_t pod, UnixSeconds t) const;
  // CPU usage in cores at t (0 when not running). cAdvisor's counter grows by this rate.
  double cpuUsageCores(std::size_t container, UnixSeconds t) const;
  double memoryWorkingSetBytes(std::size_t container, UnixSeconds t) const;
  // Own GPU utilisation 0..1 (0 for containers without a GPU or not running).
  double gpuUtilization(std::size_t container, UnixSeconds t) const;
  // Number of OOM kills of the container in [pod start, t).
  int oomKillsBefore(std::size_t container, UnixSeconds t) const;
  // Network bytes/s received by the pod at t (transmit is 60 % of it).
  double networkReceiveBytesPerSecond(std::size_t pod, UnixSeconds t) const;
  // Whole-device DCGM utilisation 0..1 (time-sliced: sum of its containers, capped at 1).
  double gpuDeviceUtilization(std::size_t gpu, UnixSeconds t) const;
  // Scrape timestamps in [start, end).
  std::size_t scrapeCount() const;
  UnixSeconds scrapeTime(std::size_t k) const;
};

// REQUIRES: options.end > 0 and hour-aligned, days >= 1, nodes >= 0, interval >= 1.
// Invalid options are clamped to sane values (end is rounded down to the hour).
DemoCluster generateDemo(const DemoOptions& options);

// Writes the snapshot into dir (created if missing; existing files with the same names are
// replaced): one JSON List per kind (nodes.json, pods.json, ...), and per day
// cadvisor-<date>.om, kube-state-metrics-<date>.om, dcgm-exporter-<date>.om. Streams; memory
// use is independent of the number of samples. progress (optional) receives 0..1.
Status writeSnapshot(const DemoCluster& cluster, const std::string& dir,
                     std::function<void(double fraction)> progress = {});

}  // namespace trimtab::source
