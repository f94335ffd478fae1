#include "source/sim/demo.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <optional>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "source/sim/internal/demo_util.h"

namespace trimtab::source {

using internal::Rng;
using model::ResourceVector;
using model::StringMap;

namespace {

constexpr std::int64_t kMi = 1024LL * 1024;
constexpr std::int64_t kGi = 1024LL * kMi;
constexpr UnixSeconds kHour = 3600;
constexpr UnixSeconds kDay = 86400;

void sortMap(StringMap& m) { std::sort(m.begin(), m.end()); }

// ---- Usage shapes ---------------------------------------------------------------------------

// Traffic pattern with mean ~1 over a day; us-east-1 local time (UTC-5): low at 03:00, peak 15:00.
double diurnal(UnixSeconds t) {
  double h = std::fmod(static_cast<double>(t - 5 * kHour) / 3600.0, 24.0);
  if (h < 0) h += 24;
  double x = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * (h - 3) / 24.0);
  return (0.35 + 0.65 * x) / 0.675;
}

double weekly(UnixSeconds t) {
  std::int64_t days = t >= 0 ? t / kDay : (t - kDay + 1) / kDay;
  std::int64_t dow = ((days + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday; 0 = Sunday
  return (dow == 0 || dow == 6) ? 0.65 : 1.08;
}

// ---- Cluster shape --------------------------------------------------------------------------

struct InstanceType {
  const char* name;
  int cores;
  std::int64_t memory_bytes;
  int max_pods;
  int gpus;
  const char* gpu_product;
  int gpu_memory_mib;
};

constexpr InstanceType kM5Xlarge{"m5.xlarge", 4, 16 * kGi, 58, 0, "", 0};
constexpr InstanceType kM52xlarge{"m5.2xlarge", 8, 32 * kGi, 58, 0, "", 0};
constexpr InstanceType kC52xlarge{"c5.2xlarge", 8, 16 * kGi, 58, 0, "", 0};
constexpr InstanceType kR52xlarge{"r5.2xlarge", 8, 64 * kGi, 58, 0, "", 0};
constexpr InstanceType kM54xlarge{"m5.4xlarge", 16, 64 * kGi, 234, 0, "", 0};
constexpr InstanceType kC54xlarge{"c5.4xlarge", 16, 32 * kGi, 234, 0, "", 0};
constexpr InstanceType kP4d{"p4d.24xlarge", 96, 1152 * kGi, 737, 8, "NVIDIA-A100-SXM4-40GB", 40960};
constexpr InstanceType kG5Xlarge{"g5.xlarge", 4, 16 * kGi, 58, 1, "NVIDIA-A10G", 23028};

enum class PoolKind : std::uint8_t { kCpu, kGpuWhole, kGpuMig, kGpuShared };

struct Pool {
  std::string name;
  const InstanceType* type;
  bool spot;
  bool karpenter;
  PoolKind kind;
  double share;  // of the CPU nodes (kCpu pools only)
};

// Allocatable as EKS computes it: CPU reserve 6% of the first core, 1% of the second, 0.5% of
// the next two, 0.25% above four; memory 255Mi + 11Mi per pod + 100Mi eviction threshold.
ResourceVector capacityOf(const InstanceType& t) {
  ResourceVector r;
  r.cpu_millicores = t.cores * 1000LL;
  r.memory_bytes = (t.memory_bytes / 1024) * 1000 / 1035 * 1024;  // usable RAM reported by kubelet
  r.pods = t.max_pods;
  r.ephemeral_storage_bytes = 100 * kGi;
  return r;
}

ResourceVector allocatableOf(const InstanceType& t, const ResourceVector& cap) {
  ResourceVector r = cap;
  std::int64_t reserve = 60 + 10 + (t.cores >= 4 ? 10 : 0) + (t.cores > 4 ? (t.cores - 4) * 25 / 10 : 0);
  r.cpu_millicores -= reserve;
  r.memory_bytes -= (255 + 11LL * t.max_pods + 100) * kMi;
  r.ephemeral_storage_bytes = cap.ephemeral_storage_bytes * 9 / 10;
  return r;
}

// ---- Workload catalog -----------------------------------------------------------------------

enum class Kind : std::uint8_t { kDeployment, kStatefulSet, kDaemonSet, kCronJob, kJob, kPyTorchJob };

struct ContainerSpec {
  const char* name;
  const char* image;
  std::int64_t cpu_request_m, memory_request_mi, cpu_limit_m, memory_limit_mi;
  double cpu_ratio, memory_ratio;  // mean usage / request
  UsageShape shape;
  const char* gpu_resource = "";   // nvidia.com/gpu, nvidia.com/mig-1g.5gb, nvidia.com/gpu.shared
  int gpu_count = 0;
  double gpu_mean = 0;
};

struct AppSpec {
  const char* team;   // namespace base name
  const char* name;
  Kind kind;
  int replicas;       // per copy, before the replica multiplier
  std::vector<ContainerSpec> containers;
  std::int64_t pvc_gi = 0;  // StatefulSet volumeClaimTemplate size
  bool load_balancer = false;
  const char* runtime_class = "";
  PoolKind pool = PoolKind::kCpu;
  int cron_every_hours = 0;   // CronJob period
  int run_minutes = 0;        // Job/CronJob pod run time
  bool rollout = false;       // a rollout happens mid-window (new ReplicaSet)
  bool scales = true;         // replicas multiply with cluster size
};

std::vector<AppSpec> tenantCatalog() {
  using S = UsageShape;
  // The leaking worker comes first so that it is scheduled even in the smallest clusters.
  return {
      {"data", "ingest-worker", Kind::kDeployment, 1,
       {{"worker", "ghcr.io/demo/ingest-worker:0.4.0", 200, 512, 0, 1024, 0.4, 0.8, S::kLeak}},
       0, false, "", PoolKind::kCpu, 0, 0, false, false},
      {"shop", "frontend", Kind::kDeployment, 3,
       {{"web", "ghcr.io/demo/shop-frontend:1.14.2", 150, 256, 1000, 512, 0.6, 0.7, S::kWeb},
        {"envoy", "envoyproxy/envoy:v1.29.1", 50, 64, 0, 128, 0.5, 0.6, S::kWeb}},
       0, true, "", PoolKind::kCpu, 0, 0, true},
      {"shop", "cart", Kind::kDeployment, 2,
       {{"cart", "ghcr.io/demo/cart:2.3.0", 250, 512, 0, 512, 0.08, 0.25, S::kWeb}}},
      {"shop", "catalog", Kind::kDeployment, 2,
       {{"catalog", "ghcr.io/demo/catalog:0.9.7", 100, 256, 0, 768, 1.7, 1.3, S::kWeb}}},
      {"shop", "checkout", Kind::kDeployment, 2,
       {{"checkout", "ghcr.io/demo/checkout:3.1.1", 100, 256, 500, 256, 0.5, 0.6, S::kWeb}}},
      {"shop", "redis", Kind::kStatefulSet, 1,
       {{"redis", "redis:7.2.4", 100, 256, 0, 512, 0.3, 0.75, S::kSteady}}, 10},
      {"payments", "payments-api", Kind::kDeployment, 3,
       {{"api", "ghcr.io/demo/payments-api:5.0.3", 150, 384, 1000, 384, 0.45, 0.7, S::kWeb}}},
      {"payments", "ledger-postgres", Kind::kStatefulSet, 1,
       {{"postgres", "postgres:16.2", 500, 2048, 0, 2048, 0.35, 0.8, S::kSteady}}, 100},
      {"payments", "fraud-scorer", Kind::kDeployment, 2,
       {{"scorer", "ghcr.io/demo/fraud-scorer:1.2.0", 100, 256, 0, 1024, 1.8, 1.5, S::kWeb}}},
      {"search", "search-api", Kind::kDeployment, 2,
       {{"api", "ghcr.io/demo/search-api:4.4.1", 200, 512, 1000, 512, 0.5, 0.6, S::kWeb}}},
      {"search", "elasticsearch", Kind::kStatefulSet, 3,
       {{"elasticsearch", "docker.elastic.co/elasticsearch/elasticsearch:8.12.2", 750, 4096, 0,
         4096, 0.45, 0.85, S::kSteady}},
       200},
      {"search", "reindex", Kind::kCronJob, 1,
       {{"reindex", "ghcr.io/demo/search-indexer:4.4.1", 500, 1024, 0, 1024, 0.9, 0.7, S::kBatch}},
       0, false, "", PoolKind::kCpu, 12, 45, false, false},
      {"data", "kafka", Kind::kStatefulSet, 3,
       {{"kafka", "bitnami/kafka:3.6.1", 500, 2048, 0, 2048, 0.4, 0.8, S::kSteady}}, 500},
      {"data", "etl", Kind::kCronJob, 1,
       {{"etl", "ghcr.io/demo/etl:2024.03", 1000, 2048, 0, 2048, 0.85, 0.6, S::kBatch}},
       0, false, "", PoolKind::kCpu, 3, 20, false, false},
      {"wasm-edge", "edge-fn", Kind::kDeployment, 3,
       {{"edge-fn", "ghcr.io/demo/edge-fn-spin:0.3.1", 50, 128, 100, 128, 0.2, 0.3, S::kSteady}},
       0, false, "wasmtime-spin-v2"},
  };
}

// Namespaces that exist once, not per copy.
std::vector<AppSpec> platformCatalog() {
  using S = UsageShape;
  return {
      {"platform", "prometheus", Kind::kStatefulSet, 1,
       {{"prometheus", "quay.io/prometheus/prometheus:v2.51.0", 1000, 8192, 0, 8192, 0.6, 0.7,
         S::kSteady}},
       100, false, "", PoolKind::kCpu, 0, 0, false, false},
      {"platform", "grafana", Kind::kDeployment, 1,
       {{"grafana", "grafana/grafana:10.4.0", 500, 1024, 0, 1024, 0.05, 0.2, S::kWeb}}},
      {"platform", "ingress-nginx", Kind::kDeployment, 2,
       {{"controller", "registry.k8s.io/ingress-nginx/controller:v1.10.0", 200, 256, 0, 512, 0.5,
         0.6, S::kWeb}},
       0, true},
      {"kube-system", "coredns", Kind::kDeployment, 2,
       {{"coredns", "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.1", 100, 70,
         0, 170, 0.3, 0.5, S::kWeb}}},
      {"ml-serving", "triton-llm", Kind::kDeployment, 3,
       {{"triton", "nvcr.io/nvidia/tritonserver:24.02-py3", 2000, 8192, 0, 8192, 0.3, 0.6,
         S::kGpuInference, "nvidia.com/mig-1g.5gb", 1, 0.35}},
       0, true, "", PoolKind::kGpuMig, 0, 0, false, false},
      {"ml-serving", "text-embed", Kind::kDeployment, 3,
       {{"embed", "ghcr.io/demo/text-embed:0.7.0", 500, 2048, 0, 4096, 0.4, 0.5, S::kGpuInference,
         "nvidia.com/gpu.shared", 1, 0.15}},
       0, false, "", PoolKind::kGpuShared, 0, 0, false, false},
  };
}

std::vector<AppSpec> daemonSets() {
  using S = UsageShape;
  return {
      {"kube-system", "kube-proxy", Kind::kDaemonSet, 1,
       {{"kube-proxy", "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.29.0", 100,
         0, 0, 0, 0.1, 0, S::kSteady}}},
      {"kube-system", "aws-node", Kind::kDaemonSet, 1,
       {{"aws-node", "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.16.4", 25, 0,
         0, 0, 0.8, 0, S::kSteady}}},
      {"platform", "node-exporter", Kind::kDaemonSet, 1,
       {{"node-exporter", "quay.io/prometheus/node-exporter:v1.7.0", 50, 64, 250, 180, 0.2, 0.5,
         S::kSteady}}},
  };
}

std::vector<AppSpec> gpuDaemonSets() {
  using S = UsageShape;
  return {
      {"kube-system", "nvidia-device-plugin", Kind::kDaemonSet, 1,
       {{"nvidia-device-plugin", "nvcr.io/nvidia/k8s-device-plugin:v0.14.5", 10, 20, 0, 0, 0.2,
         0.5, S::kSteady}}},
      {"platform", "dcgm-exporter", Kind::kDaemonSet, 1,
       {{"dcgm-exporter", "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.5-3.4.0-ubuntu22.04", 100, 128,
         0, 512, 0.3, 0.6, S::kSteady}}},
  };
}

// ---- Generator ------------------------------------------------------------------------------

struct NodeState {
  ResourceVector free;
  PoolKind kind;
  std::vector<int> free_gpus;                              // whole GPUs (kGpuWhole)
  std::vector<std::pair<std::string, std::vector<std::size_t>>> mig_free;  // profile -> gpu ids
  std::vector<std::size_t> shared_gpu_ids;                 // time-sliced device (kGpuShared)
  int shared_used = 0;
};

class Generator {
 public:
  explicit Generator(const DemoOptions& o) : rng_(o.seed) {
    c_.options = o;
    c_.options.end = o.end - ((o.end % kHour) + kHour) % kHour;
    c_.options.days = std::max(1, o.days);
    c_.options.nodes = o.nodes > 0 ? o.nodes : 16;
    c_.options.scrape_interval_seconds = std::max(1, o.scrape_interval_seconds);
    c_.end = c_.options.end;
    c_.start = c_.end - c_.options.days * kDay;
  }

  DemoCluster run() {
    makeNodes();
    makeDaemonSets();
    makeTraining();
    for (const AppSpec& app : platformCatalog()) makeApp(app, app.team, "prod", scaleReplicas(app));
    makeTenants();
    makeSharedPvcJobs();
    makeOrphanVolume();
    finishObjects();
    return std::move(c_);
  }

 private:
  int cpuNodes() const { return cpu_nodes_; }
  int scaleReplicas(const AppSpec& app) const {
    if (!app.scales) return app.replicas;
    return app.replicas * replica_multiplier_;
  }

  // Copies after the first ("prod") run at half size.
  int copyReplicas(const AppSpec& app, int copy) const {
    int replicas = scaleReplicas(app);
    if (copy > 0 && app.scales) replicas = std::max(1, replicas / 2);
    return replicas;
  }

  void makeNodes() {
    const int n = c_.options.nodes;
    int whole = std::max(1, n / 64);
    int mig = 1 + n / 1000;
    int shared = std::max(1, n / 100);
    cpu_nodes_ = std::max(1, n - whole - mig - shared);
    // Large clusters run larger deployments, not only more of them: replicas grow with the
    // square root of the pool (4x at ~100 nodes, ~60x at 4,000), tenants fill the rest. This
    // keeps the namespace count realistic (hundreds, not tens of thousands, at 4,000 nodes).
    replica_multiplier_ = std::clamp(cpu_nodes_ / 6, 1,
                                     std::max(4, static_cast<int>(std::sqrt(cpu_nodes_))));
    std::vector<Pool> cpu_pools;
    if (n < 200) {
      cpu_pools = {{"general-xlarge", &kM5Xlarge, false, false, PoolKind::kCpu, 0.30},
                   {"general", &kM52xlarge, false, false, PoolKind::kCpu, 0.30},
                   {"compute", &kC52xlarge, false, false, PoolKind::kCpu, 0.15},
                   {"memory", &kR52xlarge, false, false, PoolKind::kCpu, 0.10},
                   {"spot", &kM52xlarge, true, true, PoolKind::kCpu, 0.15}};
    } else {
      cpu_pools = {{"general", &kM54xlarge, false, false, PoolKind::kCpu, 0.35},
                   {"general-2x", &kM52xlarge, false, false, PoolKind::kCpu, 0.15},
                   {"compute", &kC54xlarge, false, false, PoolKind::kCpu, 0.15},
                   {"memory", &kR52xlarge, false, false, PoolKind::kCpu, 0.10},
                   {"spot", &kM54xlarge, true, true, PoolKind::kCpu, 0.25}};
    }
    int index = 0;
    for (int i = 0; i < cpu_nodes_; ++i) {
      double f = (i + 0.5) / cpu_nodes_;
      double acc = 0;
      const Pool* pool = &cpu_pools.back();
      for (const Pool& p : cpu_pools) {
        acc += p.share;
        if (f < acc) {
          pool = &p;
          break;
        }
      }
      addNode(*pool, index++);
    }
    Pool gpu_whole{"gpu-a100", &kP4d, false, true, PoolKind::kGpuWhole, 0};
    Pool gpu_mig{"gpu-a100-mig", &kP4d, false, true, PoolKind::kGpuMig, 0};
    Pool gpu_shared{"gpu-a10g-shared", &kG5Xlarge, false, true, PoolKind::kGpuShared, 0};
    for (int i = 0; i < whole; ++i) addNode(gpu_whole, index++);
    for (int i = 0; i < mig; ++i) addNode(gpu_mig, index++);
    for (int i = 0; i < shared; ++i) addNode(gpu_shared, index++);
  }

  void addNode(const Pool& pool, int i) {
    static constexpr const char* kZones[] = {"us-east-1a", "us-east-1b", "us-east-1c"};
    const char* zone = kZones[i % 3];
    model::Node node;
    node.meta.name = fmt::format("ip-10-0-{}-{}.ec2.internal", (i % 3) * 64 + i / 254, i % 254 + 1);
    node.meta.uid = rng_.uuid();
    node.meta.creation_timestamp = c_.start - rng_.range(2 * kDay, 90 * kDay);
    node.meta.resource_version = std::to_string(rng_.range(100000, 999999));
    const InstanceType& t = *pool.type;
    StringMap& l = node.meta.labels;
    l = {{"beta.kubernetes.io/arch", "amd64"},
         {"beta.kubernetes.io/instance-type", t.name},
         {"beta.kubernetes.io/os", "linux"},
         {"failure-domain.beta.kubernetes.io/region", "us-east-1"},
         {"failure-domain.beta.kubernetes.io/zone", zone},
         {"kubernetes.io/arch", "amd64"},
         {"kubernetes.io/hostname", node.meta.name},
         {"kubernetes.io/os", "linux"},
         {"node.kubernetes.io/instance-type", t.name},
         {"topology.ebs.csi.aws.com/zone", zone},
         {"topology.kubernetes.io/region", "us-east-1"},
         {"topology.kubernetes.io/zone", zone}};
    if (pool.karpenter) {
      l.push_back({"karpenter.sh/capacity-type", pool.spot ? "spot" : "on-demand"});
      l.push_back({"karpenter.sh/nodepool", pool.name});
    } else {
      l.push_back({"eks.amazonaws.com/capacityType", "ON_DEMAND"});
      l.push_back({"eks.amazonaws.com/nodegroup", pool.name});
    }
    node.meta.annotations = {{"alpha.kubernetes.io/provided-node-ip", "10.0.0.1"},
                             {"node.alpha.kubernetes.io/ttl", "0"}};
    node.provider_id = fmt::format("aws:///{}/i-0{}", zone, rng_.hex(16));
    node.capacity = capacityOf(t);
    NodeState st;
    st.kind = pool.kind;
    if (t.gpus > 0) {
      l.push_back({"nvidia.com/gpu.count", std::to_string(t.gpus)});
      l.push_back({"nvidia.com/gpu.memory", std::to_string(t.gpu_memory_mib)});
      l.push_back({"nvidia.com/gpu.present", "true"});
      l.push_back({"nvidia.com/gpu.product", t.gpu_product});
      node.taints.push_back({"nvidia.com/gpu", "true", "NoSchedule"});
      const std::size_t node_index = c_.objects.nodes.size();
      auto addGpu = [&](int gpu, const std::string& uuid, const std::string& profile, int inst) {
        DemoGpu g;
        g.node = node_index;
        g.gpu_index = gpu;
        g.uuid = uuid;
        g.model_name = t.gpu_product == std::string_view("NVIDIA-A10G") ? "NVIDIA A10G"
                                                                        : "NVIDIA A100-SXM4-40GB";
        g.mig_profile = profile;
        g.mig_instance_id = inst;
        g.time_sliced = pool.kind == PoolKind::kGpuShared;
        c_.gpus.push_back(std::move(g));
        return c_.gpus.size() - 1;
      };
      if (pool.kind == PoolKind::kGpuWhole) {
        node.capacity.gpus = t.gpus;
        l.push_back({"nvidia.com/gpu.sharing-strategy", "none"});
        for (int g = 0; g < t.gpus; ++g) {
          addGpu(g, "GPU-" + rng_.uuid(), "", 0);
          st.free_gpus.push_back(static_cast<int>(c_.gpus.size() - 1));
        }
      } else if (pool.kind == PoolKind::kGpuMig) {
        // GPUs 0-3: seven 1g.5gb instances each; GPUs 4-7: two 3g.20gb instances each.
        l.push_back({"nvidia.com/mig.config", "custom-1g-3g"});
        l.push_back({"nvidia.com/mig.strategy", "mixed"});
        st.mig_free = {{"nvidia.com/mig-1g.5gb", {}}, {"nvidia.com/mig-3g.20gb", {}}};
        for (int g = 0; g < t.gpus; ++g) {
          std::string uuid = "GPU-" + rng_.uuid();
          bool small = g < 4;
          int instances = small ? 7 : 2;
          for (int k = 0; k < instances; ++k) {
            std::size_t id = addGpu(g, uuid, small ? "1g.5gb" : "3g.20gb", small ? 7 + k : 1 + k);
            st.mig_free[small ? 0 : 1].second.push_back(id);
          }
        }
        node.capacity.extended = {{"nvidia.com/mig-1g.5gb", 28}, {"nvidia.com/mig-3g.20gb", 8}};
      } else {
        const int replicas = 4;
        node.capacity.shared_gpus = t.gpus * replicas;
        l.push_back({"nvidia.com/gpu.replicas", std::to_string(replicas)});
        l.push_back({"nvidia.com/gpu.sharing-strategy", "time-slicing"});
        st.shared_gpu_ids.push_back(addGpu(0, "GPU-" + rng_.uuid(), "", 0));
      }
    }
    sortMap(l);
    node.allocatable = allocatableOf(t, node.capacity);
    st.free = node.allocatable;
    c_.objects.nodes.push_back(std::move(node));
    node_state_.push_back(std::move(st));
  }

  // Picks a node for a pod of the pool kind with the requests; next-fit over a rotating cursor
  // so pods spread. Returns -1 when nothing fits (the pod stays Pending).
  // Transient pods (jobs) are checked for fit but do not keep their capacity: they come and go.
  int placePod(PoolKind kind, const ResourceVector& req, const std::string& gpu_resource,
               bool transient) {
    const std::size_t n = node_state_.size();
    std::size_t& cursor = cursors_[static_cast<int>(kind)];
    for (std::size_t k = 0; k < n; ++k) {
      std::size_t i = (cursor + k) % n;
      NodeState& s = node_state_[i];
      if (s.kind != kind) continue;
      if (s.free.cpu_millicores < req.cpu_millicores || s.free.memory_bytes < req.memory_bytes ||
          s.free.pods < 1) {
        continue;
      }
      if (req.gpus > 0 && static_cast<std::int64_t>(s.free_gpus.size()) < req.gpus) continue;
      if (req.shared_gpus > 0 && s.free.shared_gpus < req.shared_gpus) continue;
      if (!gpu_resource.empty() && gpu_resource.starts_with("nvidia.com/mig-")) {
        bool ok = false;
        for (auto& [name, ids] : s.mig_free) ok = ok || (name == gpu_resource && !ids.empty());
        if (!ok) continue;
      }
      if (!transient) {
        s.free.cpu_millicores -= req.cpu_millicores;
        s.free.memory_bytes -= req.memory_bytes;
        s.free.pods -= 1;
        s.free.shared_gpus -= req.shared_gpus;
      }
      cursor = i + 1;
      return static_cast<int>(i);
    }
    return -1;
  }

  // Allocates the devices of a placed GPU container.
  void assignGpus(int node, std::size_t container, const ContainerSpec& spec) {
    if (spec.gpu_count == 0) return;
    NodeState& s = node_state_[static_cast<std::size_t>(node)];
    std::string_view res = spec.gpu_resource;
    if (res == model::kResourceNvidiaGpu) {
      for (int k = 0; k < spec.gpu_count && !s.free_gpus.empty(); ++k) {
        c_.gpus[static_cast<std::size_t>(s.free_gpus.front())].containers.push_back(container);
        s.free_gpus.erase(s.free_gpus.begin());
      }
    } else if (res == model::kResourceNvidiaGpuShared) {
      c_.gpus[s.shared_gpu_ids[0]].containers.push_back(container);
    } else {
      for (auto& [name, ids] : s.mig_free) {
        if (name == res && !ids.empty()) {
          c_.gpus[ids.front()].containers.push_back(container);
          ids.erase(ids.begin());
        }
      }
    }
  }

  ResourceVector requestsOf(const ContainerSpec& s, bool limits) const {
    ResourceVector r;
    r.cpu_millicores = limits ? s.cpu_limit_m : s.cpu_request_m;
    r.memory_bytes = (limits ? s.memory_limit_mi : s.memory_request_mi) * kMi;
    if (s.gpu_count > 0) {
      std::string_view res = s.gpu_resource;
      if (res == model::kResourceNvidiaGpu) {
        r.gpus = s.gpu_count;
      } else if (res == model::kResourceNvidiaGpuShared) {
        r.shared_gpus = s.gpu_count;
      } else {
        r.extended = {{std::string(res), s.gpu_count}};
      }
    }
    return r;
  }

  struct PodPlan {
    std::string ns, name;
    std::string owner_kind, owner_name, owner_uid, owner_api = "apps/v1";
    StringMap labels;
    UnixSeconds created, start, finish, deleted;
    bool in_objects = true;
    std::string phase = "Running";
    std::vector<std::string> pvcs;
    std::string runtime_class;
    PoolKind pool = PoolKind::kCpu;
    int fixed_node = -1;
  };

  // Creates the pod, its containers (usage profiles) and, when in_objects, its model::Pod.
  void makePod(const PodPlan& plan, const AppSpec& app) {
    ResourceVector pod_req;
    std::string gpu_resource;
    for (const ContainerSpec& cs : app.containers) {
      pod_req += requestsOf(cs, false);
      if (cs.gpu_count > 0) gpu_resource = cs.gpu_resource;
    }
    int node = plan.fixed_node >= 0 ? plan.fixed_node : placePod(plan.pool, pod_req, gpu_resource,
                                                         plan.finish < c_.end && pod_req.gpus == 0 &&
                                                             pod_req.extended.empty());
    DemoPod pod;
    pod.namespace_name = plan.ns;
    pod.name = plan.name;
    pod.uid = rng_.uuid();
    pod.node_name = node >= 0 ? c_.objects.nodes[static_cast<std::size_t>(node)].meta.name : "";
    pod.owner_kind = plan.owner_kind;
    pod.owner_name = plan.owner_name;
    pod.owner_api_version = plan.owner_api;
    pod.labels = plan.labels;
    sortMap(pod.labels);
    pod.created = plan.created;
    pod.start = plan.start;
    pod.finish = node >= 0 ? plan.finish : plan.start;
    pod.deleted = plan.deleted;
    pod.pvc_names = plan.pvcs;
    pod.in_objects = plan.in_objects;
    const std::size_t pod_index = c_.pods.size();

    model::Pod mp;
    mp.meta.name = plan.name;
    mp.meta.namespace_name = plan.ns;
    mp.meta.uid = pod.uid;
    mp.meta.creation_timestamp = plan.created;
    mp.meta.resource_version = std::to_string(rng_.range(100000, 9999999));
    mp.meta.labels = pod.labels;
    if (!plan.owner_kind.empty()) {
      mp.meta.owner_references.push_back(
          {plan.owner_api, plan.owner_kind, plan.owner_name, plan.owner_uid, true});
    }
    mp.node_name = pod.node_name;
    mp.phase = node >= 0 ? plan.phase : "Pending";
    mp.runtime_class_name = plan.runtime_class;
    mp.scheduler_name = "default-scheduler";
    if (node >= 0) mp.start_time = plan.start;
    if (plan.pool != PoolKind::kCpu) {
      mp.tolerations.push_back({"nvidia.com/gpu", "Exists", "", "NoSchedule"});
    }
    if (app.kind == Kind::kDaemonSet) {
      mp.tolerations.push_back({"", "Exists", "", ""});
    }
    for (const std::string& pvc : plan.pvcs) mp.volumes.push_back({"data", pvc, false, false});
    bool guaranteed = true, best_effort = true;
    for (const ContainerSpec& cs : app.containers) {
      DemoContainer dc;
      dc.pod = pod_index;
      dc.name = cs.name;
      dc.requests = requestsOf(cs, false);
      dc.limits = requestsOf(cs, true);
      dc.shape = cs.shape;
      dc.noise_key = rng_.next();
      double jitter = rng_.uniform(0.85, 1.15);
      double cpu_request_cores = static_cast<double>(cs.cpu_request_m) / 1000.0;
      dc.cpu_mean_cores = std::max(0.002, cpu_request_cores * cs.cpu_ratio * jitter);
      double mem_req = static_cast<double>(cs.memory_request_mi * kMi);
      if (mem_req == 0) mem_req = 48.0 * kMi;
      dc.memory_mean_bytes = mem_req * (cs.memory_ratio > 0 ? cs.memory_ratio : 0.6) * jitter;
      dc.gpu_mean_utilization = cs.gpu_mean * rng_.uniform(0.9, 1.1);
      if (cs.shape == UsageShape::kLeak) {
        // Grows from the mean to the limit in about seven hours, then OOMKilled.
        double limit = static_cast<double>(cs.memory_limit_mi * kMi);
        dc.memory_mean_bytes = std::min(dc.memory_mean_bytes, limit * 0.5);
        dc.leak_bytes_per_second = (limit - dc.memory_mean_bytes) / (7.0 * 3600.0);
      }
      const std::size_t ci = c_.containers.size();
      if (node >= 0) assignGpus(node, ci, cs);
      c_.containers.push_back(dc);
      pod.containers.push_back(ci);

      model::Container mc;
      mc.name = cs.name;
      mc.image = cs.image;
      mc.requests = dc.requests;
      mc.limits = dc.limits;
      guaranteed = guaranteed && cs.cpu_limit_m > 0 && cs.cpu_limit_m == cs.cpu_request_m &&
                   cs.memory_limit_mi > 0 && cs.memory_limit_mi == cs.memory_request_mi;
      best_effort = best_effort && cs.cpu_request_m == 0 && cs.memory_request_mi == 0 &&
                    cs.cpu_limit_m == 0 && cs.memory_limit_mi == 0;
      mp.containers.push_back(std::move(mc));

      if (node >= 0) {
        model::ContainerStatus st;
        st.name = cs.name;
        const bool done = plan.finish < c_.end;
        st.ready = !done;
        st.state = done ? "terminated" : "running";
        int kills = oomKills(dc, pod, c_.end);
        st.restart_count = kills;
        if (kills > 0) st.last_terminated_reason = "OOMKilled";
        if (!done) st.started_at = lastRestart(dc, pod, c_.end);
        mp.container_statuses.push_back(std::move(st));
      }
    }
    mp.qos_class = guaranteed ? "Guaranteed" : best_effort ? "BestEffort" : "Burstable";
    c_.pods.push_back(std::move(pod));
    if (plan.in_objects) c_.objects.pods.push_back(std::move(mp));
  }

  static double leakPeriod(const DemoContainer& c) {
    double limit = static_cast<double>(c.limits.memory_bytes);
    return (limit - c.memory_mean_bytes) / c.leak_bytes_per_second;
  }
  static int oomKills(const DemoContainer& c, const DemoPod& p, UnixSeconds t) {
    if (c.shape != UsageShape::kLeak || c.leak_bytes_per_second <= 0) return 0;
    UnixSeconds until = std::min(t, p.finish);
    if (until <= p.start) return 0;
    return static_cast<int>(static_cast<double>(until - p.start) / leakPeriod(c));
  }
  static UnixSeconds lastRestart(const DemoContainer& c, const DemoPod& p, UnixSeconds t) {
    int kills = oomKills(c, p, t);
    if (kills == 0) return p.start;
    return p.start + static_cast<UnixSeconds>(kills * leakPeriod(c));
  }

  model::Workload workload(model::WorkloadKind kind, const std::string& ns, const std::string& name,
                           UnixSeconds created, const AppSpec& app, const StringMap& template_labels,
                           std::optional<std::int32_t> replicas) {
    model::Workload w;
    w.kind = kind;
    w.meta.name = name;
    w.meta.namespace_name = ns;
    w.meta.uid = rng_.uuid();
    w.meta.creation_timestamp = created;
    w.meta.resource_version = std::to_string(rng_.range(100000, 9999999));
    w.meta.labels = {{"app", app.name}};
    w.replicas = replicas;
    w.selector_match_labels = {{"app", app.name}};
    w.template_labels = template_labels;
    sortMap(w.template_labels);
    for (const ContainerSpec& cs : app.containers) {
      model::Container mc;
      mc.name = cs.name;
      mc.image = cs.image;
      mc.requests = requestsOf(cs, false);
      mc.limits = requestsOf(cs, true);
      w.containers.push_back(std::move(mc));
    }
    return w;
  }

  void addNamespace(const std::string& ns, const std::string& team, const std::string& env) {
    for (const auto& existing : c_.objects.namespaces) {
      if (existing.meta.name == ns) return;
    }
    model::Namespace n;
    n.meta.name = ns;
    n.meta.uid = rng_.uuid();
    n.meta.creation_timestamp = c_.start - rng_.range(100 * kDay, 400 * kDay);
    n.meta.resource_version = std::to_string(rng_.range(1000, 99999));
    n.meta.labels = {{"kubernetes.io/metadata.name", ns}, {"team", team}};
    if (!env.empty()) n.meta.labels.push_back({"env", env});
    sortMap(n.meta.labels);
    c_.objects.namespaces.push_back(std::move(n));
  }

  void addService(const std::string& ns, const AppSpec& app, bool lb) {
    model::Service s;
    s.meta.name = app.name;
    s.meta.namespace_name = ns;
    s.meta.uid = rng_.uuid();
    s.meta.creation_timestamp = c_.start - rng_.range(10 * kDay, 200 * kDay);
    s.meta.resource_version = std::to_string(rng_.range(100000, 9999999));
    s.meta.labels = {{"app", app.name}};
    s.type = lb ? "LoadBalancer" : "ClusterIP";
    s.selector = {{"app", app.name}};
    s.ports.push_back({lb ? "https" : "http", lb ? 443 : 80, "TCP"});
    if (lb) {
      s.meta.annotations = {{"service.beta.kubernetes.io/aws-load-balancer-type", "nlb"}};
      s.load_balancer_ingress.push_back(
          fmt::format("52.{}.{}.{}", rng_.range(0, 255), rng_.range(0, 255), rng_.range(1, 254)));
    }
    c_.objects.services.push_back(std::move(s));
  }

  // A PVC bound to a fresh gp3 PV.
  void addVolume(const std::string& ns, const std::string& claim, std::int64_t bytes,
                 UnixSeconds created, const std::string& zone_hint) {
    model::PersistentVolumeClaim pvc;
    pvc.meta.name = claim;
    pvc.meta.namespace_name = ns;
    pvc.meta.uid = rng_.uuid();
    pvc.meta.creation_timestamp = created;
    pvc.meta.resource_version = std::to_string(rng_.range(100000, 9999999));
    pvc.request_bytes = bytes;
    pvc.storage_class = "gp3";
    pvc.volume_name = "pvc-" + pvc.meta.uid;
    pvc.phase = "Bound";
    model::PersistentVolume pv;
    pv.meta.name = pvc.volume_name;
    pv.meta.uid = rng_.uuid();
    pv.meta.creation_timestamp = created + 2;
    pv.meta.resource_version = std::to_string(rng_.range(100000, 9999999));
    pv.meta.annotations = {{"pv.kubernetes.io/provisioned-by", "ebs.csi.aws.com"}};
    pv.meta.labels = {};
    (void)zone_hint;
    pv.capacity_bytes = bytes;
    pv.storage_class = "gp3";
    pv.claim_namespace = ns;
    pv.claim_name = claim;
    pv.phase = "Bound";
    pv.csi_driver = "ebs.csi.aws.com";
    pv.provider_volume_id = "vol-0" + rng_.hex(16);
    c_.objects.persistent_volume_claims.push_back(std::move(pvc));
    c_.objects.persistent_volumes.push_back(std::move(pv));
  }

  void makeApp(const AppSpec& app, const std::string& ns, const std::string& env, int replicas) {
    addNamespace(ns, std::string(app.team) == "kube-system" ? "platform"
                     : std::string(app.team).starts_with("ml-") ? "ml"
                     : std::string(app.team) == "wasm-edge"     ? "edge"
                                                                : app.team,
                 env);
    std::string team = lookupTeam(ns);
    StringMap base_labels = {{"app", app.name}, {"team", team}, {"env", env}};
    UnixSeconds created = c_.start - rng_.range(3 * kDay, 120 * kDay);
    const double window = static_cast<double>(c_.end - c_.start);
    switch (app.kind) {
      case Kind::kDeployment: {
        model::Workload dep = workload(model::WorkloadKind::kDeployment, ns, app.name, created, app,
                                       base_labels, replicas);
        c_.objects.workloads.push_back(dep);
        if (ns == "shop" && std::string_view(app.name) == "frontend") {
          // The storefront scales on CPU: rightsizing must keep its scale point.
          model::HorizontalPodAutoscaler hpa;
          hpa.meta.name = "frontend";
          hpa.meta.namespace_name = ns;
          hpa.meta.uid = dep.meta.uid + "-hpa";
          hpa.meta.creation_timestamp = created;
          hpa.target_kind = "Deployment";
          hpa.target_name = app.name;
          hpa.min_replicas = replicas;
          hpa.max_replicas = replicas * 4;
          hpa.metrics.push_back({"cpu", "", "Utilization", 70, std::nullopt, 0});
          c_.objects.horizontal_pod_autoscalers.push_back(std::move(hpa));
        }
        UnixSeconds rollout_at = app.rollout
                                     ? c_.start + static_cast<UnixSeconds>(window * rng_.uniform(0.3, 0.7))
                                     : 0;
        rollout_at -= rollout_at % 60;
        int revisions = app.rollout ? 2 : 1;
        for (int rev = 0; rev < revisions; ++rev) {
          std::string hash = rng_.k8sSuffix(10);
          bool current = rev == revisions - 1;
          StringMap labels = base_labels;
          labels.push_back({"pod-template-hash", hash});
          std::string rs_name = app.name + std::string("-") + hash;
          UnixSeconds rs_created = rev == 0 ? created : rollout_at;
          model::Workload rs = workload(model::WorkloadKind::kReplicaSet, ns, rs_name, rs_created,
                                        app, labels, current ? replicas : 0);
          rs.meta.labels.push_back({"pod-template-hash", hash});
          sortMap(rs.meta.labels);
          rs.selector_match_labels.push_back({"pod-template-hash", hash});
          sortMap(rs.selector_match_labels);
          rs.meta.owner_references.push_back(
              {"apps/v1", "Deployment", dep.meta.name, dep.meta.uid, true});
          c_.objects.workloads.push_back(rs);
          for (int r = 0; r < replicas; ++r) {
            PodPlan p;
            p.ns = ns;
            p.name = rs_name + "-" + rng_.k8sSuffix(5);
            p.owner_kind = "ReplicaSet";
            p.owner_name = rs_name;
            p.owner_uid = rs.meta.uid;
            p.labels = labels;
            p.runtime_class = app.runtime_class;
            p.pool = app.pool;
            if (rev == 0) {
              p.created = c_.start - rng_.range(kHour, 3 * kDay);
            } else {
              p.created = rollout_at + r * 20;
            }
            p.start = p.created + 4;
            p.finish = (current ? c_.end : rollout_at + 30 + r * 20);
            p.deleted = p.finish;
            p.in_objects = current;
            makePod(p, app);
          }
        }
        addService(ns, app, app.load_balancer);
        break;
      }
      case Kind::kStatefulSet: {
        model::Workload sts = workload(model::WorkloadKind::kStatefulSet, ns, app.name, created, app,
                                       base_labels, replicas);
        c_.objects.workloads.push_back(sts);
        for (int r = 0; r < replicas; ++r) {
          PodPlan p;
          p.ns = ns;
          p.name = app.name + std::string("-") + std::to_string(r);
          p.owner_kind = "StatefulSet";
          p.owner_name = app.name;
          p.owner_uid = sts.meta.uid;
          p.labels = base_labels;
          p.labels.push_back({"statefulset.kubernetes.io/pod-name", p.name});
          p.created = c_.start - rng_.range(kHour, 5 * kDay);
          p.start = p.created + 10;
          p.finish = p.deleted = c_.end;
          p.pool = app.pool;
          if (app.pvc_gi > 0) {
            std::string claim = "data-" + p.name;
            addVolume(ns, claim, app.pvc_gi * kGi, created + r * 30, "");
            p.pvcs.push_back(claim);
          }
          makePod(p, app);
        }
        break;
      }
      case Kind::kCronJob: {
        model::Workload cj = workload(model::WorkloadKind::kCronJob, ns, app.name, created, app,
                                      base_labels, std::nullopt);
        c_.objects.workloads.push_back(cj);
        const UnixSeconds period = app.cron_every_hours * kHour;
        const UnixSeconds minute = rng_.range(0, 50) * 60;
        std::vector<UnixSeconds> runs;
        for (UnixSeconds t = c_.start + minute; t + app.run_minutes * 60 < c_.end; t += period) {
          runs.push_back(t);
        }
        for (std::size_t k = 0; k < runs.size(); ++k) {
          const bool kept = k + 3 >= runs.size();  // successfulJobsHistoryLimit: 3
          std::string job_name = app.name + std::string("-") + std::to_string(runs[k] / 60);
          model::Workload job = workload(model::WorkloadKind::kJob, ns, job_name, runs[k], app,
                                         base_labels, 1);
          job.meta.owner_references.push_back(
              {"batch/v1", "CronJob", cj.meta.name, cj.meta.uid, true});
          job.selector_match_labels = {{"batch.kubernetes.io/controller-uid", job.meta.uid}};
          if (kept) c_.objects.workloads.push_back(job);
          PodPlan p;
          p.ns = ns;
          p.name = job_name + "-" + rng_.k8sSuffix(5);
          p.owner_kind = "Job";
          p.owner_api = "batch/v1";
          p.owner_name = job_name;
          p.owner_uid = job.meta.uid;
          p.labels = base_labels;
          p.labels.push_back({"batch.kubernetes.io/job-name", job_name});
          p.labels.push_back({"job-name", job_name});
          p.created = runs[k];
          p.start = runs[k] + 5;
          p.finish = p.start + app.run_minutes * 60 + rng_.range(-120, 120);
          p.deleted = kept ? c_.end : p.finish + 60;
          p.in_objects = kept;
          p.phase = "Succeeded";
          p.pool = app.pool;
          makePod(p, app);
        }
        break;
      }
      case Kind::kDaemonSet:
      case Kind::kJob:
      case Kind::kPyTorchJob:
        break;
    }
  }

  std::string lookupTeam(const std::string& ns) const {
    for (const auto& n : c_.objects.namespaces) {
      if (n.meta.name == ns) {
        for (const auto& [k, v] : n.meta.labels) {
          if (k == "team") return v;
        }
      }
    }
    return ns;
  }

  void makeDaemonSets() {
    auto make = [&](const AppSpec& app, PoolKind only, bool gpu_only) {
      addNamespace(app.team, "platform", "prod");
      UnixSeconds created = c_.start - rng_.range(30 * kDay, 200 * kDay);
      StringMap labels = {{"app", app.name}, {"team", "platform"}, {"env", "prod"}};
      model::Workload ds = workload(model::WorkloadKind::kDaemonSet, app.team, app.name, created,
                                    app, labels, std::nullopt);
      c_.objects.workloads.push_back(ds);
      std::string revision = rng_.k8sSuffix(10);
      labels.push_back({"controller-revision-hash", revision});
      for (std::size_t i = 0; i < node_state_.size(); ++i) {
        NodeState& s = node_state_[i];
        if (gpu_only ? s.kind == PoolKind::kCpu : false) continue;
        (void)only;
        ResourceVector req;
        for (const ContainerSpec& cs : app.containers) req += requestsOf(cs, false);
        s.free.cpu_millicores -= req.cpu_millicores;
        s.free.memory_bytes -= req.memory_bytes;
        s.free.pods -= 1;
        PodPlan p;
        p.ns = app.team;
        p.name = app.name + std::string("-") + rng_.k8sSuffix(5);
        p.owner_kind = "DaemonSet";
        p.owner_name = app.name;
        p.owner_uid = ds.meta.uid;
        p.labels = labels;
        const model::Node& node = c_.objects.nodes[i];
        p.created = std::max(created, node.meta.creation_timestamp) + 20;
        p.start = p.created + 3;
        p.finish = p.deleted = c_.end;
        p.pool = s.kind;
        p.fixed_node = static_cast<int>(i);
        makePod(p, app);
      }
    };
    for (const AppSpec& app : daemonSets()) make(app, PoolKind::kCpu, false);
    for (const AppSpec& app : gpuDaemonSets()) make(app, PoolKind::kCpu, true);
  }

  // Kubeflow PyTorchJobs on the whole-GPU pool (one per p4d node: master + worker, 4 GPUs each),
  // and an MIG 3g.20gb sweep Job.
  void makeTraining() {
    addNamespace("ml-training", "ml", "prod");
    int whole_nodes = 0;
    for (const NodeState& s : node_state_) whole_nodes += s.kind == PoolKind::kGpuWhole;
    const double window = static_cast<double>(c_.end - c_.start);
    for (int j = 0; j < whole_nodes; ++j) {
      AppSpec app{"ml-training", "llm-finetune", Kind::kPyTorchJob, 2,
                  {{"pytorch", "ghcr.io/demo/llm-finetune:0.5.0", 16000, 131072, 0, 131072, 0.7,
                    0.8, UsageShape::kGpuTraining, "nvidia.com/gpu", 4, 0.9}}};
      std::string job = fmt::format("llm-finetune-{}", rng_.k8sSuffix(4));
      std::string job_uid = rng_.uuid();
      UnixSeconds begin = c_.start + static_cast<UnixSeconds>(window * rng_.uniform(0.05, 0.3));
      UnixSeconds finish = begin + static_cast<UnixSeconds>(window * rng_.uniform(0.3, 0.6));
      for (int r = 0; r < 2; ++r) {
        PodPlan p;
        p.ns = "ml-training";
        const char* type = r == 0 ? "master" : "worker";
        p.name = fmt::format("{}-{}-{}", job, type, 0);
        p.owner_kind = "PyTorchJob";
        p.owner_api = "kubeflow.org/v1";
        p.owner_name = job;
        p.owner_uid = job_uid;
        p.labels = {{"app", "llm-finetune"},
                    {"team", "ml"},
                    {"env", "prod"},
                    {"training.kubeflow.org/job-name", job},
                    {"training.kubeflow.org/operator-name", "pytorchjob-controller"},
                    {"training.kubeflow.org/replica-index", "0"},
                    {"training.kubeflow.org/replica-type", type}};
        if (r == 0) p.labels.push_back({"training.kubeflow.org/job-role", "master"});
        p.created = begin;
        p.start = begin + 30;
        p.finish = finish;
        p.deleted = c_.end;
        p.phase = "Succeeded";
        p.pool = PoolKind::kGpuWhole;
        makePod(p, app);
      }
    }
    AppSpec sweep{"ml-training", "hparam-sweep", Kind::kJob, 1,
                  {{"trial", "ghcr.io/demo/hparam-trial:0.5.0", 4000, 16384, 0, 16384, 0.6, 0.7,
                    UsageShape::kGpuTraining, "nvidia.com/mig-3g.20gb", 1, 0.75}}};
    UnixSeconds created = c_.start + 2 * kHour;
    StringMap labels = {{"app", "hparam-sweep"}, {"team", "ml"}, {"env", "prod"}};
    model::Workload job = workload(model::WorkloadKind::kJob, "ml-training", "hparam-sweep",
                                   created, sweep, labels, 4);
    job.selector_match_labels = {{"batch.kubernetes.io/controller-uid", job.meta.uid}};
    c_.objects.workloads.push_back(job);
    for (int r = 0; r < 4; ++r) {
      PodPlan p;
      p.ns = "ml-training";
      p.name = "hparam-sweep-" + rng_.k8sSuffix(5);
      p.owner_kind = "Job";
      p.owner_api = "batch/v1";
      p.owner_name = "hparam-sweep";
      p.owner_uid = job.meta.uid;
      p.labels = labels;
      p.labels.push_back({"batch.kubernetes.io/job-name", "hparam-sweep"});
      p.labels.push_back({"job-name", "hparam-sweep"});
      p.created = created;
      p.start = created + 20;
      p.finish = std::min(c_.end - 1, p.start + static_cast<UnixSeconds>(rng_.range(3, 9)) * kHour);
      p.deleted = c_.end;
      p.phase = "Succeeded";
      p.pool = PoolKind::kGpuMig;
      makePod(p, sweep);
    }
  }

  void makeTenants() {
    // Copies of the tenant catalog ("environments") until ~65 % of the CPU pool's allocatable
    // CPU is requested.
    std::int64_t cpu_alloc = 0, cpu_used = 0, mem_alloc = 0, mem_used = 0;
    for (std::size_t i = 0; i < node_state_.size(); ++i) {
      const NodeState& s = node_state_[i];
      if (s.kind != PoolKind::kCpu) continue;
      cpu_alloc += c_.objects.nodes[i].allocatable.cpu_millicores;
      mem_alloc += c_.objects.nodes[i].allocatable.memory_bytes;
      cpu_used += c_.objects.nodes[i].allocatable.cpu_millicores - s.free.cpu_millicores;
      mem_used += c_.objects.nodes[i].allocatable.memory_bytes - s.free.memory_bytes;
    }
    auto catalog = tenantCatalog();
    auto copyCost = [&](int k) {
      std::pair<std::int64_t, std::int64_t> cost{0, 0};
      for (const AppSpec& app : catalog) {
        if (app.kind == Kind::kCronJob) continue;  // transient
        for (const ContainerSpec& cs : app.containers) {
          cost.first += cs.cpu_request_m * copyReplicas(app, k);
          cost.second += cs.memory_request_mi * kMi * copyReplicas(app, k);
        }
      }
      return cost;
    };
    int copies = 0;
    while (true) {
      auto [cpu, mem] = copyCost(copies);
      if (copies > 0 &&
          (cpu_used + cpu > cpu_alloc * 75 / 100 || mem_used + mem > mem_alloc * 75 / 100)) {
        break;
      }
      cpu_used += cpu;
      mem_used += mem;
      ++copies;
    }
    static constexpr const char* kEnvs[] = {"prod", "staging", "dev", "qa"};
    for (int k = 0; k < copies; ++k) {
      std::string env = k < 4 ? kEnvs[k] : "dev";
      for (const AppSpec& app : catalog) {
        std::string ns = app.team;
        if (k == 1 || k == 2 || k == 3) ns += "-" + env;
        if (k >= 4) ns += fmt::format("-t{}", k + 1);
        makeApp(app, ns, env, copyReplicas(app, k));
      }
    }
  }

  // Two Jobs that mount the same PVC one after the other, in namespace "data".
  void makeSharedPvcJobs() {
    const std::string ns = "data";
    UnixSeconds created = c_.start - 2 * kDay;
    addVolume(ns, "shared-scratch", 50 * kGi, created, "");
    struct Step {
      const char* name;
      double begin, hours;
    };
    const Step steps[] = {{"db-migrate", 0.10, 1.0}, {"report-export", 0.40, 1.5}};
    for (const Step& step : steps) {
      AppSpec app{"data", step.name, Kind::kJob, 1,
                  {{"main", "ghcr.io/demo/data-tools:1.0.0", 500, 1024, 0, 1024, 0.8, 0.5,
                    UsageShape::kBatch}}};
      UnixSeconds begin =
          c_.start + static_cast<UnixSeconds>(static_cast<double>(c_.end - c_.start) * step.begin);
      StringMap labels = {{"app", step.name}, {"team", "data"}, {"env", "prod"}};
      model::Workload job =
          workload(model::WorkloadKind::kJob, ns, step.name, begin, app, labels, 1);
      job.selector_match_labels = {{"batch.kubernetes.io/controller-uid", job.meta.uid}};
      c_.objects.workloads.push_back(job);
      PodPlan p;
      p.ns = ns;
      p.name = std::string(step.name) + "-" + rng_.k8sSuffix(5);
      p.owner_kind = "Job";
      p.owner_api = "batch/v1";
      p.owner_name = step.name;
      p.owner_uid = job.meta.uid;
      p.labels = labels;
      p.labels.push_back({"batch.kubernetes.io/job-name", step.name});
      p.labels.push_back({"job-name", step.name});
      p.created = begin;
      p.start = begin + 5;
      p.finish = p.start + static_cast<UnixSeconds>(step.hours * 3600);
      p.deleted = c_.end;
      p.phase = "Succeeded";
      p.pvcs = {"shared-scratch"};
      makePod(p, app);
    }
  }

  void makeOrphanVolume() {
    model::PersistentVolume pv;
    pv.meta.name = "pv-legacy-archive";
    pv.meta.uid = rng_.uuid();
    pv.meta.creation_timestamp = c_.start - 120 * kDay;
    pv.meta.resource_version = std::to_string(rng_.range(100000, 9999999));
    pv.capacity_bytes = 500 * kGi;
    pv.storage_class = "gp2";
    pv.phase = "Available";
    pv.csi_driver = "ebs.csi.aws.com";
    pv.provider_volume_id = "vol-0" + rng_.hex(16);
    c_.objects.persistent_volumes.push_back(std::move(pv));
  }

  void finishObjects() {
    auto byNsName = [](const auto& a, const auto& b) {
      return std::tie(a.meta.namespace_name, a.meta.name) <
             std::tie(b.meta.namespace_name, b.meta.name);
    };
    std::stable_sort(c_.objects.namespaces.begin(), c_.objects.namespaces.end(), byNsName);
    std::stable_sort(c_.objects.services.begin(), c_.objects.services.end(), byNsName);
    std::stable_sort(c_.objects.persistent_volumes.begin(), c_.objects.persistent_volumes.end(),
                     byNsName);
    std::stable_sort(c_.objects.persistent_volume_claims.begin(),
                     c_.objects.persistent_volume_claims.end(), byNsName);
    for (auto& w : c_.objects.workloads) sortMap(w.meta.labels);
    for (auto& s : c_.objects.services) {
      sortMap(s.meta.labels);
      sortMap(s.selector);
    }
  }

  DemoCluster c_;
  Rng rng_;
  std::vector<NodeState> node_state_;
  std::size_t cursors_[4] = {0, 0, 0, 0};
  int cpu_nodes_ = 1;
  int replica_multiplier_ = 1;
};

}  // namespace

// ---- DemoCluster ----------------------------------------------------------------------------

bool DemoCluster::running(std::size_t container, UnixSeconds t) const {
  const DemoPod& p = pods[containers[container].pod];
  return !p.node_name.empty() && t >= p.start && t < p.finish;
}

bool DemoCluster::podExists(std::size_t pod, UnixSeconds t) const {
  return t >= pods[pod].created && t < pods[pod].deleted;
}

double DemoCluster::cpuUsageCores(std::size_t container, UnixSeconds t) const {
  if (!running(container, t)) return 0;
  const DemoContainer& c = containers[container];
  double n = internal::noise(c.noise_key, t);
  double v = c.cpu_mean_cores;
  switch (c.shape) {
    case UsageShape::kWeb:
    case UsageShape::kGpuInference:
      v *= diurnal(t) * weekly(t) * (1 + 0.2 * n);
      break;
    case UsageShape::kSteady:
    case UsageShape::kLeak:
      v *= (1 + 0.15 * (diurnal(t) - 1)) * (1 + 0.08 * n);
      break;
    case UsageShape::kBatch:
    case UsageShape::kGpuTraining:
      v *= 1 + 0.1 * n;
      break;
  }
  if (c.limits.cpu_millicores > 0) {
    v = std::min(v, static_cast<double>(c.limits.cpu_millicores) / 1000.0);
  }
  return std::max(0.0, v);
}

double DemoCluster::memoryWorkingSetBytes(std::size_t container, UnixSeconds t) const {
  if (!running(container, t)) return 0;
  const DemoContainer& c = containers[container];
  const DemoPod& p = pods[c.pod];
  double n = internal::noise(c.noise_key ^ 0x5bd1e995ULL, t);
  double v = c.memory_mean_bytes;
  switch (c.shape) {
    case UsageShape::kWeb:
    case UsageShape::kGpuInference:
      v *= (1 + 0.15 * (diurnal(t) - 1)) * (1 + 0.02 * n);
      break;
    case UsageShape::kBatch: {
      double ramp = std::min(1.0, static_cast<double>(t - p.start) / 600.0);
      v *= (0.3 + 0.7 * ramp) * (1 + 0.02 * n);
      break;
    }
    case UsageShape::kLeak: {
      double limit = static_cast<double>(c.limits.memory_bytes);
      double period = (limit - c.memory_mean_bytes) / c.leak_bytes_per_second;
      double age = std::fmod(static_cast<double>(t - p.start), period);
      v = c.memory_mean_bytes + c.leak_bytes_per_second * age;
      break;
    }
    default:
      v *= 1 + 0.02 * n;
      break;
  }
  if (c.limits.memory_bytes > 0) v = std::min(v, static_cast<double>(c.limits.memory_bytes) * 0.995);
  return std::floor(std::max(0.0, v));
}

double DemoCluster::gpuUtilization(std::size_t container, UnixSeconds t) const {
  const DemoContainer& c = containers[container];
  if (c.gpu_mean_utilization <= 0 || !running(container, t)) return 0;
  double n = internal::noise(c.noise_key ^ 0x27d4eb2fULL, t);
  double v = c.gpu_mean_utilization;
  if (c.shape == UsageShape::kGpuInference) {
    v *= diurnal(t) * (1 + 0.25 * n);
  } else {
    v += 0.05 * n;
  }
  return std::clamp(v, 0.0, 1.0);
}

int DemoCluster::oomKillsBefore(std::size_t container, UnixSeconds t) const {
  const DemoContainer& c = containers[container];
  const DemoPod& p = pods[c.pod];
  if (c.shape != UsageShape::kLeak || c.leak_bytes_per_second <= 0 || p.node_name.empty()) return 0;
  UnixSeconds until = std::min(t, p.finish);
  if (until <= p.start) return 0;
  double period = (static_cast<double>(c.limits.memory_bytes) - c.memory_mean_bytes) /
                  c.leak_bytes_per_second;
  return static_cast<int>(static_cast<double>(until - p.start) / period);
}

double DemoCluster::networkReceiveBytesPerSecond(std::size_t pod, UnixSeconds t) const {
  const DemoPod& p = pods[pod];
  if (p.node_name.empty() || t < p.start || t >= p.finish) return 0;
  double cpu = 0;
  bool web = false;
  std::uint64_t key = 0;
  for (std::size_t c : p.containers) {
    cpu += containers[c].cpu_mean_cores;
    web = web || containers[c].shape == UsageShape::kWeb;
    key ^= containers[c].noise_key;
  }
  double rate = 2000 + 250000 * cpu * (web ? diurnal(t) * weekly(t) : 1.0);
  return rate * (1 + 0.1 * internal::noise(key ^ 0x165667b1ULL, t));
}

double DemoCluster::gpuDeviceUtilization(std::size_t gpu, UnixSeconds t) const {
  double sum = 0;
  for (std::size_t c : gpus[gpu].containers) sum += gpuUtilization(c, t);
  return std::min(1.0, sum);
}

std::size_t DemoCluster::scrapeCount() const {
  const UnixSeconds interval = options.scrape_interval_seconds;
  return static_cast<std::size_t>((end - start + interval - 1) / interval);
}

UnixSeconds DemoCluster::scrapeTime(std::size_t k) const {
  return start + static_cast<UnixSeconds>(k) * options.scrape_interval_seconds;
}

DemoCluster generateDemo(const DemoOptions& options) { return Generator(options).run(); }

}  // namespace trimtab::source
