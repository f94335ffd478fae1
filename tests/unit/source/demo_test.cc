#include "source/sim/demo.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "model/decode.h"
#include "source/snapshot/openmetrics.h"
#include "source/snapshot/snapshot.h"
#include "test_dirs.h"

namespace trimtab::source {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr UnixSeconds kEnd = 1714521600;  // 2024-05-01T00:00:00Z (a Wednesday)

DemoOptions smallOptions(std::uint64_t seed = 42) {
  DemoOptions o;
  o.nodes = 4;
  o.days = 1;
  o.seed = seed;
  o.scrape_interval_seconds = 300;
  o.end = kEnd;
  return o;
}

std::map<std::string, std::string> readAll(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto text = readFile(e.path().string());
    files[e.path().filename().string()] = text ? *text : "<unreadable>";
  }
  return files;
}

TEST(SourceDemo, SameSeedGivesIdenticalFilesAndOtherSeedDiffers) {
  TempDir a, b, c;
  ASSERT_TRUE(writeSnapshot(generateDemo(smallOptions(7)), a.path()));
  ASSERT_TRUE(writeSnapshot(generateDemo(smallOptions(7)), b.path()));
  ASSERT_TRUE(writeSnapshot(generateDemo(smallOptions(8)), c.path()));
  auto fa = readAll(a.path()), fb = readAll(b.path()), fc = readAll(c.path());
  ASSERT_GE(fa.size(), 10u);
  EXPECT_EQ(fa, fb);
  ASSERT_EQ(fa.size(), fc.size());
  EXPECT_NE(fa["pods.json"], fc["pods.json"]);
  EXPECT_NE(fa["cadvisor-2024-04-30.om"], fc["cadvisor-2024-04-30.om"]);
}

TEST(SourceDemo, HasTheAdvertisedContent) {
  DemoCluster demo = generateDemo(smallOptions());
  EXPECT_EQ(demo.end, kEnd);
  EXPECT_EQ(demo.start, kEnd - 86400);
  const auto& o = demo.objects;
  EXPECT_EQ(o.nodes.size(), 4u);
  bool mig = false, shared = false, whole = false;
  for (const auto& n : o.nodes) {
    EXPECT_TRUE(n.provider_id.starts_with("aws:///us-east-1")) << n.provider_id;
    EXPECT_FALSE(n.instanceType().empty());
    mig = mig || n.capacity.extendedCount("nvidia.com/mig-1g.5gb") == 28;
    shared = shared || n.capacity.shared_gpus == 4;
    whole = whole || n.capacity.gpus == 8;
  }
  EXPECT_TRUE(mig && shared && whole);

  bool kubeflow = false, wasm = false, oom = false, job_done = false;
  for (const auto& p : o.pods) {
    kubeflow = kubeflow || model::lookup(p.meta.labels, "training.kubeflow.org/job-name") != nullptr;
    wasm = wasm || p.runtime_class_name == "wasmtime-spin-v2";
    for (const auto& s : p.container_statuses) oom = oom || s.last_terminated_reason == "OOMKilled";
    job_done = job_done || p.phase == "Succeeded";
  }
  EXPECT_TRUE(kubeflow);
  EXPECT_TRUE(wasm);
  EXPECT_TRUE(oom);
  EXPECT_TRUE(job_done);

  // One PVC mounted by two pods one after the other; one PV Available.
  std::vector<const DemoPod*> scratch;
  for (const auto& p : demo.pods) {
    if (std::find(p.pvc_names.begin(), p.pvc_names.end(), "shared-scratch") != p.pvc_names.end()) {
      scratch.push_back(&p);
    }
  }
  ASSERT_EQ(scratch.size(), 2u);
  EXPECT_LE(scratch[0]->finish, scratch[1]->start);
  EXPECT_TRUE(std::any_of(o.persistent_volumes.begin(), o.persistent_volumes.end(),
                          [](const auto& pv) { return pv.phase == "Available"; }));
  EXPECT_TRUE(std::any_of(o.services.begin(), o.services.end(), [](const auto& s) {
    return s.type == "LoadBalancer" && !s.load_balancer_ingress.empty();
  }));

  // Usage functions: a leak that reaches the limit, an over-provisioned container, GPUs busy.
  bool over = false, under = false, gpu_busy = false;
  for (std::size_t i = 0; i < demo.containerCount(); ++i) {
    const auto& c = demo.container(i);
    double req = static_cast<double>(c.requests.cpu_millicores) / 1000.0;
    if (req > 0 && c.cpu_mean_cores < 0.15 * req) over = true;
    if (req > 0 && c.cpu_mean_cores > 1.2 * req) under = true;
    for (UnixSeconds t = demo.start; t < demo.end; t += 3600) {
      gpu_busy = gpu_busy || demo.gpuUtilization(i, t) > 0.7;
      EXPECT_GE(demo.cpuUsageCores(i, t), 0);
      if (!demo.running(i, t)) {
        EXPECT_EQ(demo.cpuUsageCores(i, t), 0);
        EXPECT_EQ(demo.memoryWorkingSetBytes(i, t), 0);
      }
    }
  }
  EXPECT_TRUE(over);
  EXPECT_TRUE(under);
  EXPECT_TRUE(gpu_busy);
}

TEST(SourceDemo, DefaultSizeAndScaling) {
  DemoOptions o;
  o.end = kEnd;
  o.days = 1;
  DemoCluster demo = generateDemo(o);
  EXPECT_EQ(demo.objects.nodes.size(), 16u);
  double pods_per_node = static_cast<double>(demo.objects.pods.size()) / 16.0;
  EXPECT_GT(pods_per_node, 10);
  o.nodes = 200;
  DemoCluster big = generateDemo(o);
  EXPECT_EQ(big.objects.nodes.size(), 200u);
  EXPECT_GT(big.objects.pods.size(), 200u * 30u);
  std::set<std::string> names;
  for (const auto& p : big.objects.pods) {
    EXPECT_TRUE(names.insert(p.meta.namespace_name + "/" + p.meta.name).second) << p.meta.name;
  }
  // No node is over-committed by requests.
  std::map<std::string, std::int64_t> cpu;
  for (const auto& p : big.objects.pods) {
    if (p.phase == "Running") cpu[p.node_name] += p.effectiveRequests().cpu_millicores;
  }
  for (const auto& n : big.objects.nodes) {
    EXPECT_LE(cpu[n.meta.name], n.allocatable.cpu_millicores + 500) << n.meta.name;
  }
}

class Checker : public SampleSink {
 public:
  void onSample(const Sample& s) override {
    ++samples;
    std::string key(s.metric);
    for (std::size_t i = 0; i < s.label_count; ++i) {
      key += '|';
      key += s.labels[i].name;
      key += '=';
      key += s.labels[i].value;
    }
    if (!s.has_timestamp) missing_timestamp = true;
    auto [it, fresh] = last_ts.emplace(key, s.timestamp_ms);
    if (!fresh) {
      if (s.timestamp_ms <= it->second) out_of_order = true;
      it->second = s.timestamp_ms;
    }
    std::string family(s.metric);
    if (family.ends_with("_total")) family.resize(family.size() - 6);
    if (family != current_family) {
      if (!families.insert(family).second) family_split = true;
      current_family = family;
    }
  }
  std::size_t samples = 0;
  bool missing_timestamp = false, out_of_order = false, family_split = false;
  std::map<std::string, std::int64_t> last_ts;
  std::set<std::string> families;
  std::string current_family;
};

TEST(SourceDemo, SnapshotParsesDecodesAndFollowsOpenMetricsRules) {
  TempDir dir;
  DemoCluster demo = generateDemo(smallOptions());
  std::vector<double> progress;
  ASSERT_TRUE(writeSnapshot(demo, dir.path(), [&](double f) { progress.push_back(f); }));
  ASSERT_FALSE(progress.empty());
  EXPECT_DOUBLE_EQ(progress.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));

  auto files = scanSnapshot(dir.path());
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_TRUE(files->skipped.empty());
  EXPECT_EQ(files->json_files.size(), 13u);
  EXPECT_EQ(files->openmetrics_files.size(), 3u);

  std::set<std::string> all_families;
  for (const auto& path : files->openmetrics_files) {
    Checker check;
    auto st = parseOpenMetricsFile(path, check);
    ASSERT_TRUE(st) << st.error().message;
    EXPECT_GT(check.samples, 0u) << path;
    EXPECT_FALSE(check.missing_timestamp) << path;
    EXPECT_FALSE(check.out_of_order) << path;
    EXPECT_FALSE(check.family_split) << path;
    all_families.insert(check.families.begin(), check.families.end());
  }
  for (const char* f :
       {"container_cpu_usage_seconds", "container_memory_working_set_bytes",
        "container_network_receive_bytes", "container_network_transmit_bytes",
        "kube_pod_container_resource_requests", "kube_pod_container_resource_limits",
        "kube_pod_container_status_running", "kube_pod_info", "kube_pod_owner", "kube_pod_labels",
        "kube_node_status_capacity", "kube_node_status_allocatable", "kube_node_labels",
        "kube_persistentvolume_capacity_bytes", "kube_persistentvolumeclaim_info",
        "kube_pod_spec_volumes_persistentvolumeclaims_info",
        "kube_pod_container_status_last_terminated_reason",
        "kube_pod_container_status_restarts", "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
        "DCGM_FI_DEV_GPU_UTIL"}) {
    EXPECT_TRUE(all_families.count(f)) << f;
  }

  std::vector<std::string> warnings;
  auto objects = loadObjects(*files, &warnings);
  ASSERT_TRUE(objects) << objects.error().message;
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  const auto& want = demo.objects;
  EXPECT_EQ(objects->nodes.size(), want.nodes.size());
  EXPECT_EQ(objects->pods.size(), want.pods.size());
  EXPECT_EQ(objects->workloads.size(), want.workloads.size());
  EXPECT_EQ(objects->services.size(), want.services.size());
  EXPECT_EQ(objects->persistent_volumes.size(), want.persistent_volumes.size());
  EXPECT_EQ(objects->persistent_volume_claims.size(), want.persistent_volume_claims.size());
  EXPECT_EQ(objects->namespaces.size(), want.namespaces.size());
  ASSERT_EQ(objects->horizontal_pod_autoscalers.size(), want.horizontal_pod_autoscalers.size());
  ASSERT_EQ(want.horizontal_pod_autoscalers.size(), 1u);
  const model::HorizontalPodAutoscaler& hpa = objects->horizontal_pod_autoscalers[0];
  EXPECT_EQ(hpa.meta.namespace_name, "shop");
  EXPECT_EQ(hpa.target_kind, "Deployment");
  EXPECT_EQ(hpa.target_name, "frontend");
  ASSERT_EQ(hpa.metrics.size(), 1u);
  EXPECT_EQ(hpa.metrics[0].average_utilization, 70);
  EXPECT_EQ(hpa.metrics[0].spec_index, 0);
  // Field-level round trip of the fields the generator sets.
  for (std::size_t i = 0; i < std::min(objects->nodes.size(), want.nodes.size()); ++i) {
    EXPECT_EQ(objects->nodes[i].capacity, want.nodes[i].capacity) << want.nodes[i].meta.name;
    EXPECT_EQ(objects->nodes[i].allocatable, want.nodes[i].allocatable);
    EXPECT_EQ(objects->nodes[i].meta.labels, want.nodes[i].meta.labels);
    EXPECT_EQ(objects->nodes[i].provider_id, want.nodes[i].provider_id);
  }
  for (std::size_t i = 0; i < std::min(objects->pods.size(), want.pods.size()); ++i) {
    const auto& got = objects->pods[i];
    const auto& exp = want.pods[i];
    EXPECT_EQ(got.meta.name, exp.meta.name);
    EXPECT_EQ(got.meta.creation_timestamp, exp.meta.creation_timestamp);
    EXPECT_EQ(got.node_name, exp.node_name);
    EXPECT_EQ(got.phase, exp.phase);
    EXPECT_EQ(got.runtime_class_name, exp.runtime_class_name);
    ASSERT_EQ(got.containers.size(), exp.containers.size());
    for (std::size_t k = 0; k < got.containers.size(); ++k) {
      EXPECT_EQ(got.containers[k].requests, exp.containers[k].requests) << exp.meta.name;
      EXPECT_EQ(got.containers[k].limits, exp.containers[k].limits) << exp.meta.name;
    }
    ASSERT_EQ(got.meta.owner_references.size(), exp.meta.owner_references.size());
    if (!exp.meta.owner_references.empty()) {
      EXPECT_EQ(got.meta.owner_references[0].kind, exp.meta.owner_references[0].kind);
    }
  }
}

}  // namespace
}  // namespace trimtab::source
