// Property tests of the query layer: random block stores (SQLite, temp dir) read through
// query::runAllocation and checked against facts derived independently from the blocks the
// test wrote.
//
//   1. Conservation: unfiltered with idle, Σ totalCost = Σ node CPU+RAM+GPU + Σ PV share
//      + Σ LB share + Σ network + overhead; without idle, container CPU+RAM+GPU replaces nodes.
//   2. The pre-grouped fast path equals the container-grain path.
//   3. A day-step query (day blocks) equals hour steps accumulated by day (hour blocks).
//   4. Filter partition: result(F) + result(¬F) = result(unfiltered) − orphans, per key.
//   5. Committing the same blocks again writes nothing and changes no result.
//
// Reproduce a failure: every message starts with the world seed, the shape index and the query
// shape, then the first differing allocation; TRIMTAB_QUERY_PROP_SEED=<seed> runs only that
// world (the shapes follow from the seed). TRIMTAB_QUERY_PROP_SCALE=<k> runs k times as many
// shapes per world, for a longer hunt.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cost/filter.h"
#include "query/allocation_reader.h"
#include "store/store.h"

namespace trimtab::query {
namespace {

namespace fs = std::filesystem;
using cost::Allocation;
using cost::AllocationSet;
using store::Block;

constexpr UnixSeconds kDay0 = 1704067200;  // 2024-01-01T00:00:00Z, a UTC day boundary
constexpr UnixSeconds kHour = store::kHourSeconds;
constexpr UnixSeconds kDay = store::kDaySeconds;
constexpr double kHoursPerMonth = 730.08;
constexpr double kRel = 1e-9;
constexpr int kWorlds = 4;  // random stores shared by properties 1-4

// World seeds salt·1000 + 0..count-1 (properties 1-4 share salt 1 and so their stores; the
// commit test, which writes again, uses its own), or the one seed from TRIMTAB_QUERY_PROP_SEED.
std::vector<std::uint64_t> worldSeeds(std::uint64_t salt, int count) {
  if (const char* env = std::getenv("TRIMTAB_QUERY_PROP_SEED"); env != nullptr && *env != 0) {
    return {std::strtoull(env, nullptr, 0)};
  }
  std::vector<std::uint64_t> out;
  for (int i = 0; i < count; ++i) out.push_back(salt * 1000 + static_cast<std::uint64_t>(i));
  return out;
}

// Shapes per world: `base` × TRIMTAB_QUERY_PROP_SCALE (default 1; raise it for a longer hunt).
int shapesPerWorld(int base) {
  if (const char* env = std::getenv("TRIMTAB_QUERY_PROP_SCALE"); env != nullptr && *env != 0) {
    return static_cast<int>(std::max(0.0, std::strtod(env, nullptr) * base));
  }
  return base;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("trimtab-query-prop-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

struct Rng {
  explicit Rng(std::uint64_t seed) : gen(seed) {}
  std::mt19937_64 gen;
  int below(int n) { return static_cast<int>(gen() % static_cast<std::uint64_t>(n)); }
  int between(int lo, int hi) { return lo + below(hi - lo + 1); }
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(gen);
  }
  bool chance(double p) { return uniform(0, 1) < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(below(static_cast<int>(v.size())))];
  }
};

std::string join(const std::vector<std::string>& v, std::string_view sep = ",") {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The random world: what the test wrote, kept for independent expectations.

struct ContainerInfo {
  std::string cluster, node, namespace_name;
  std::map<std::string, std::string> labels;
};

struct NodeInfo {
  std::string cluster, name;
};

struct World {
  std::uint64_t seed = 0;
  int days = 0;
  UnixSeconds data_start = 0, data_end = 0;
  std::vector<Block> blocks;                          // canonical hour blocks, as committed
  std::map<std::uint32_t, ContainerInfo> containers;  // by container dim id
  std::map<std::uint32_t, NodeInfo> nodes;            // by node dim id
};

struct NodeGen {
  std::string cluster, name;
  bool priced = true;
  double cpu_rate = 0, ram_rate = 0, gpu_rate = 0;  // $ per core-hour, byte-hour, GPU-hour
  double cores = 0, ram_bytes = 0, gpus = 0;
  std::uint32_t dim = 0;
};

struct ContainerGen {
  std::uint32_t id = 0;
  std::size_t node = 0;
  int first_hour = 0, last_hour = 0;
  double cpu_request = 0, cpu_usage = 0, ram_request = 0, ram_usage = 0, gpus = 0;
  bool free = false;  // on an unpriced node and costed at 0
};

store::LabelPairs labelPairs(store::Dimensions& dims, const std::map<std::string, std::string>& m) {
  store::LabelPairs out;
  for (const auto& [k, v] : m) out.emplace_back(dims.intern(k), dims.intern(v));
  return out;
}

// Interns the world's identities into dims and builds its hour blocks (canonical).
World buildWorld(std::uint64_t seed, store::Dimensions& dims) {
  Rng rng(seed);
  World w;
  w.seed = seed;
  w.days = rng.between(1, 3);
  const int head = rng.chance(0.5) ? rng.between(1, 6) : 0;
  const int tail = rng.chance(0.5) ? rng.between(1, 6) : 0;
  w.data_start = kDay0 + head * kHour;
  w.data_end = kDay0 + w.days * kDay - tail * kHour;
  const int hours = static_cast<int>((w.data_end - w.data_start) / kHour);
  const std::vector<std::string> clusters{"cluster-a", "cluster-b"};
  const std::vector<std::string> namespaces{"ns0", "ns1", "ns2", "ns3", "kube-system"};
  const std::vector<std::string> kinds{"", "deployment", "statefulset", "daemonset", "job"};

  // Nodes: names repeat across clusters ("node-0" in both) so idle keys must use the cluster.
  std::vector<NodeGen> nodes;
  const int n_nodes = rng.between(5, 20);
  int per_cluster[2] = {0, 0};
  for (int k = 0; k < n_nodes; ++k) {
    NodeGen n;
    const int c = k < 2 ? k : rng.below(2);
    n.cluster = clusters[static_cast<std::size_t>(c)];
    n.name = "node-" + std::to_string(per_cluster[c]++);
    n.priced = rng.chance(0.8);  // unpriced nodes never have a node row
    n.cpu_rate = rng.uniform(0.01, 0.05);
    n.ram_rate = rng.uniform(1e-12, 6e-12);
    n.gpu_rate = rng.uniform(0.5, 2.5);
    n.cores = rng.between(1, 16);
    n.ram_bytes = n.cores * 4e9;
    n.gpus = rng.chance(0.2) ? rng.between(1, 4) : 0;
    store::NodeDim d;
    d.cluster = dims.intern(n.cluster);
    d.name = dims.intern(n.name);
    d.provider_id = dims.intern("i-" + n.cluster + "-" + n.name);
    d.instance_type = dims.intern("m5.large");
    n.dim = dims.internNode(d);
    w.nodes[n.dim] = {n.cluster, n.name};
    nodes.push_back(std::move(n));
  }

  // Pods and their containers.
  std::vector<ContainerGen> containers;
  const int n_pods = rng.between(8, 30);
  for (int p = 0; p < n_pods; ++p) {
    const std::size_t node = static_cast<std::size_t>(rng.below(static_cast<int>(nodes.size())));
    const NodeGen& n = nodes[node];
    std::map<std::string, std::string> labels, annotations;
    if (rng.chance(0.7)) labels["team"] = "t" + std::to_string(rng.below(3));
    if (rng.chance(0.6)) labels["app"] = "a" + std::to_string(rng.below(3));
    if (rng.chance(0.5)) labels["env"] = rng.chance(0.5) ? "prod" : "dev";
    // Prometheus-sanitised key (kube-state-metrics form).
    if (rng.chance(0.3)) labels["app_kubernetes_io_name"] = "n" + std::to_string(rng.below(2));
    if (rng.chance(0.5)) annotations["x"] = "x" + std::to_string(rng.below(2));
    if (rng.chance(0.3)) annotations["team"] = "at" + std::to_string(rng.below(2));
    store::ContainerDim d;
    d.cluster = dims.intern(n.cluster);
    d.node = dims.intern(n.name);
    d.provider_id = dims.intern("i-" + n.cluster + "-" + n.name);
    const std::string& ns = rng.pick(namespaces);
    d.namespace_name = dims.intern(ns);
    // Pod names repeat across namespaces: the "pod" key merges them, the fast path must not
    // tell them apart wrongly.
    d.pod = dims.intern("pod-" + std::to_string(p % 10));
    d.pod_uid = dims.intern("uid-" + std::to_string(p));
    const std::string& kind = rng.pick(kinds);
    d.controller_kind = dims.intern(kind);
    d.controller = dims.intern(kind.empty() ? "" : "ctl" + std::to_string(rng.below(3)));
    d.labels = dims.internLabels(labelPairs(dims, labels));
    d.annotations = dims.internLabels(labelPairs(dims, annotations));
    if (rng.chance(0.3)) {
      d.services = dims.internLabels({{dims.intern("svc" + std::to_string(rng.below(2))), 0}});
    }
    const int n_containers = rng.between(1, 3);
    for (int k = 0; k < n_containers; ++k) {
      d.container = dims.intern("ctr" + std::to_string(k));
      ContainerGen c;
      c.id = dims.internContainer(d);
      c.node = node;
      c.first_hour = rng.chance(0.6) ? 0 : rng.below(hours);
      c.last_hour = rng.chance(0.6) ? hours - 1 : rng.between(c.first_hour, hours - 1);
      const double heavy = rng.chance(0.15) ? 8 : 1;  // over-allocates its node
      c.cpu_request = heavy * rng.uniform(0.05, 2);
      c.cpu_usage = rng.uniform(0, 2.5);
      c.ram_request = heavy * rng.uniform(1e8, 4e9);
      c.ram_usage = rng.uniform(0, 4e9);
      c.gpus = n.gpus > 0 && rng.chance(0.5) ? 1 : 0;
      c.free = !n.priced && rng.chance(0.5);
      w.containers[c.id] = {n.cluster, n.name, ns, labels};
      containers.push_back(c);
    }
  }

  // Volumes and load balancers per cluster.
  struct Asset {
    int cluster;
    std::uint32_t id;
  };
  std::vector<Asset> volumes, lbs;
  for (int c = 0; c < 2; ++c) {
    const std::string& cl = clusters[static_cast<std::size_t>(c)];
    const int nv = rng.below(4), nl = rng.below(3);
    for (int k = 0; k < nv; ++k) {
      store::VolumeDim d;
      d.cluster = dims.intern(cl);
      d.name = dims.intern("pv-" + std::to_string(k));
      d.storage_class = dims.intern("gp2");
      d.provider_id = dims.intern("vol-" + cl + "-" + std::to_string(k));
      volumes.push_back({c, dims.internVolume(d)});
    }
    for (int k = 0; k < nl; ++k) {
      store::ServiceDim d;
      d.cluster = dims.intern(cl);
      d.namespace_name = dims.intern(rng.pick(namespaces));
      d.name = dims.intern("lb-" + std::to_string(k));
      d.ip = dims.intern("10.0.0." + std::to_string(k));
      lbs.push_back({c, dims.internService(d)});
    }
  }

  // Splits an asset's cost among up to two present containers and kNoContainer.
  auto addShares = [&](store::ShareRows& rows, std::uint32_t asset, double qty, double cost,
                       const std::vector<std::uint32_t>& present, UnixSeconds span_start,
                       UnixSeconds span_end) {
    std::vector<std::uint32_t> to;
    if (!present.empty() && rng.chance(0.75)) {
      to.push_back(rng.pick(present));
      if (present.size() > 1 && rng.chance(0.5)) {
        const std::uint32_t other = rng.pick(present);
        if (other != to[0]) to.push_back(other);
      }
    }
    const double unmounted = to.empty() ? 1.0 : (rng.chance(0.3) ? rng.uniform(0, 0.5) : 0.0);
    auto add = [&](std::uint32_t cid, double f) {
      rows.container_id.push_back(cid);
      rows.asset_id.push_back(asset);
      rows.start.push_back(span_start);
      rows.end.push_back(span_end);
      rows.hours.push_back(qty * f);
      rows.cost.push_back(cost * f);
    };
    if (unmounted > 0) add(store::kNoContainer, unmounted);
    for (std::uint32_t cid : to) add(cid, (1 - unmounted) / static_cast<double>(to.size()));
  };

  for (int h = 0; h < hours; ++h) {
    for (int c = 0; c < 2; ++c) {
      if (rng.chance(0.04)) continue;  // a gap in the data
      Block b;
      b.kind = store::BlockKind::kHour;
      b.cluster = clusters[static_cast<std::size_t>(c)];
      b.start = w.data_start + h * kHour;
      b.end = b.start + kHour;
      std::vector<std::uint32_t> present;
      std::vector<const ContainerGen*> rows;
      for (const ContainerGen& g : containers) {
        if (nodes[g.node].cluster != b.cluster || h < g.first_hour || h > g.last_hour) continue;
        if (!rng.chance(0.92)) continue;
        rows.push_back(&g);
        present.push_back(g.id);
      }
      store::ContainerRows& cr = b.containers;
      cr.resize(rows.size());
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const ContainerGen& g = *rows[i];
        const NodeGen& n = nodes[g.node];
        UnixSeconds s = b.start, e = b.end;
        if (rng.chance(0.15)) s += rng.between(1, 50) * 60;
        if (rng.chance(0.15)) e -= rng.between(1, 9) * 60;
        const double dur = static_cast<double>(e - s) / 3600.0;
        const double usage = g.cpu_usage * rng.uniform(0.5, 1.5);
        const double ram_usage = g.ram_usage * rng.uniform(0.5, 1.5);
        cr.container_id[i] = g.id;
        cr.start[i] = s;
        cr.end[i] = e;
        cr.running_seconds[i] = static_cast<double>(e - s);
        cr.cpu_core_hours[i] = std::max(g.cpu_request, usage) * dur;
        cr.cpu_request_core_hours[i] = g.cpu_request * dur;
        cr.cpu_usage_core_hours[i] = usage * dur;
        cr.cpu_usage_max_cores[i] = usage * 1.3;
        cr.ram_byte_hours[i] = std::max(g.ram_request, ram_usage) * dur;
        cr.ram_request_byte_hours[i] = g.ram_request * dur;
        cr.ram_usage_byte_hours[i] = ram_usage * dur;
        cr.ram_usage_max_bytes[i] = ram_usage * 1.1;
        cr.gpu_hours[i] = g.gpus * dur;
        cr.gpu_usage_hours[i] = g.gpus * dur * rng.uniform(0, 1);
        cr.network_transfer_bytes[i] = rng.uniform(0, 1e9);
        cr.network_receive_bytes[i] = rng.uniform(0, 1e9);
        const double f = g.free ? 0.0 : 1.0;
        cr.cpu_cost[i] = f * cr.cpu_core_hours[i] * n.cpu_rate;
        cr.ram_cost[i] = f * cr.ram_byte_hours[i] * n.ram_rate;
        cr.gpu_cost[i] = f * cr.gpu_hours[i] * n.gpu_rate;
        cr.network_cost[i] = rng.chance(0.5) ? rng.uniform(0, 0.02) : 0.0;
      }
      for (const NodeGen& n : nodes) {
        if (n.cluster != b.cluster || !n.priced || !rng.chance(0.93)) continue;
        const double nh = rng.chance(0.1) ? 0.5 : 1.0;
        store::NodeRows& nr = b.nodes;
        nr.node_id.push_back(n.dim);
        nr.start.push_back(b.start);
        nr.end.push_back(b.start + static_cast<UnixSeconds>(nh * 3600));
        nr.hours.push_back(nh);
        nr.cpu_core_hours.push_back(n.cores * nh);
        nr.ram_byte_hours.push_back(n.ram_bytes * nh);
        nr.gpu_hours.push_back(n.gpus * nh);
        nr.cpu_alloc_core_hours.push_back(n.cores * nh * 0.9);
        nr.ram_alloc_byte_hours.push_back(n.ram_bytes * nh * 0.9);
        nr.cpu_cost.push_back(n.cores * nh * n.cpu_rate);
        nr.ram_cost.push_back(n.ram_bytes * nh * n.ram_rate);
        nr.gpu_cost.push_back(n.gpus * nh * n.gpu_rate);
        nr.spot.push_back(0);
        nr.price_source.push_back(0);
      }
      for (const Asset& v : volumes) {
        if (v.cluster != c || !rng.chance(0.85)) continue;
        const double cost = rng.uniform(0.002, 0.05), byte_hours = 1e10;
        b.volumes.volume_id.push_back(v.id);
        b.volumes.start.push_back(b.start);
        b.volumes.end.push_back(b.end);
        b.volumes.hours.push_back(1);
        b.volumes.byte_hours.push_back(byte_hours);
        b.volumes.cost.push_back(cost);
        addShares(b.volume_shares, v.id, byte_hours, cost, present, b.start, b.end);
      }
      for (const Asset& l : lbs) {
        if (l.cluster != c || !rng.chance(0.9)) continue;
        const double cost = 0.025;
        b.load_balancers.service_id.push_back(l.id);
        b.load_balancers.start.push_back(b.start);
        b.load_balancers.end.push_back(b.end);
        b.load_balancers.hours.push_back(1);
        b.load_balancers.cost.push_back(cost);
        addShares(b.load_balancer_shares, l.id, 1.0, cost, present, b.start, b.end);
      }
      if (b.containers.size() + b.nodes.size() + b.volumes.size() + b.load_balancers.size() == 0) {
        continue;
      }
      b.canonicalize();
      w.blocks.push_back(std::move(b));
    }
  }
  return w;
}

// A committed world in its own store.
struct Fixture {
  TempDir dir;
  std::unique_ptr<store::Store> store;
  World world;
  store::CommitStats first_commit;
};

// Aborts the test binary on a store error: every property needs the store.
std::unique_ptr<Fixture> makeFixture(std::uint64_t seed) {
  auto f = std::make_unique<Fixture>();
  auto s = store::openSqliteStore(f->dir.file("store.db"), store::OpenMode::kReadWrite);
  if (!s) {
    ADD_FAILURE() << "seed " << seed << ": " << s.error().message;
    std::abort();
  }
  f->store = std::move(*s);
  f->world = buildWorld(seed, f->store->mutableDimensions());
  auto stats = f->store->commit(f->world.blocks);
  if (!stats) {
    ADD_FAILURE() << "seed " << seed << ": commit: " << stats.error().message;
    std::abort();
  }
  f->first_commit = *stats;
  return f;
}

// Worlds shared by the read-only properties (building and committing one costs ~0.3 s under
// ASan), kept until the process exits.
const Fixture& sharedWorld(std::uint64_t seed) {
  static std::map<std::uint64_t, std::unique_ptr<Fixture>> cache;
  auto& slot = cache[seed];
  if (!slot) slot = makeFixture(seed);
  return *slot;
}

// ---------------------------------------------------------------------------------------------
// Query shapes.

struct Shape {
  AllocationRequest request;
  std::string filter_text;

  std::string describe() const {
    const cost::AllocationQuery& q = request.query;
    std::vector<std::string> labels;
    for (const auto& [k, v] : q.share_labels) labels.push_back(k + "=" + v);
    const char* acc = request.accumulate == cost::Accumulate::kNone  ? "none"
                      : request.accumulate == cost::Accumulate::kAll ? "all"
                      : request.accumulate == cost::Accumulate::kDay ? "day"
                                                                     : "other";
    return fmt::format(
        "window=[day0+{}h, day0+{}h) (day0=2024-01-01T00Z) step={}h aggregate=[{}] "
        "include_idle={} share_idle={} idle_by_node={} split_idle={} share_namespaces=[{}] "
        "share_labels=[{}] share_cost_monthly={} share_split={} accumulate={} "
        "aggregated_metadata={} filter='{}' cluster='{}'",
        (request.window.start - kDay0) / kHour, (request.window.end - kDay0) / kHour,
        request.step_seconds / 3600, join(q.aggregate), q.include_idle, q.share_idle,
        q.idle_by_node, q.split_idle, join(q.share_namespaces), join(labels), q.share_cost_monthly,
        q.share_split == cost::ShareSplit::kEven ? "even" : "weighted", acc,
        q.include_aggregated_metadata, filter_text, request.cluster);
  }
};

const std::vector<std::vector<std::string>>& aggregations() {
  static const std::vector<std::vector<std::string>> kAggs{
      {},
      {"namespace"},
      {"cluster"},
      {"node"},
      {"controller"},
      {"controllerKind"},
      {"pod"},
      {"container"},
      {"label:team"},
      {"annotation:x"},
      {"team"},
      {"namespace", "label:app"},
      {"label:app_kubernetes_io_name"},
      {"label:app.kubernetes.io/name"},
      {"service"},
      {"deployment"},
      {"providerID"},
      {"cluster", "node"},
      {"all"},
  };
  return kAggs;
}

struct ShapeOptions {
  bool sharing = true;      // share namespaces/labels, overhead, share_idle
  bool whole_days = false;  // window = the world's whole days
};

Shape randomShape(Rng& rng, const World& w, const ShapeOptions& opt) {
  Shape s;
  AllocationRequest& r = s.request;
  const int data_from = static_cast<int>((w.data_start - kDay0) / kHour);
  const int data_hours = static_cast<int>((w.data_end - w.data_start) / kHour);
  if (opt.whole_days || rng.chance(0.2)) {
    r.window = {kDay0, kDay0 + w.days * kDay};
  } else {
    const int from = rng.between(data_from - 6, data_from + data_hours - 1);
    const int len = rng.between(1, std::min(data_hours + 12, 60));
    r.window = {kDay0 + from * kHour, kDay0 + (from + len) * kHour};
  }
  const double steps[] = {0, 3600, 6 * 3600, 86400};
  r.step_seconds = steps[rng.below(4)];
  if (r.step_seconds == 3600 && r.window.end - r.window.start > 48 * kHour) {
    r.step_seconds = 6 * 3600;  // keeps the run time down under ASan
  }
  r.accumulate = rng.chance(0.5) ? cost::Accumulate::kNone : cost::Accumulate::kAll;
  cost::AllocationQuery& q = r.query;
  q.aggregate = rng.pick(aggregations());
  q.include_idle = rng.chance(0.7);
  q.idle_by_node = rng.chance(0.5);
  q.split_idle = rng.chance(0.5);
  if (opt.sharing) {
    q.share_idle = q.include_idle && rng.chance(0.4);
    if (rng.chance(0.4)) q.share_namespaces.push_back(rng.chance(0.5) ? "kube-system" : "ns1");
    if (rng.chance(0.2)) q.share_namespaces.push_back("ns2");
    if (rng.chance(0.3)) q.share_labels.emplace_back("team", "t" + std::to_string(rng.below(3)));
    if (rng.chance(0.4)) q.share_cost_monthly = rng.uniform(1, 500);
    q.share_split = rng.chance(0.5) ? cost::ShareSplit::kEven : cost::ShareSplit::kWeighted;
  }
  return s;
}

Result<std::vector<AllocationSet>> run(const store::Store& store, const Shape& shape) {
  return runAllocation(store, shape.request);
}

// ---------------------------------------------------------------------------------------------
// Comparison helpers.

bool close(double a, double b, double floor) {
  return std::abs(a - b) <= kRel * std::max(std::abs(a), std::abs(b)) + floor;
}

struct Field {
  const char* name;
  double (*get)(const Allocation&);
};

const std::vector<Field>& comparedFields() {
  static const std::vector<Field> kFields{
      {"totalCost", [](const Allocation& a) { return a.totalCost(); }},
      {"cpu_cost", [](const Allocation& a) { return a.cpu_cost; }},
      {"ram_cost", [](const Allocation& a) { return a.ram_cost; }},
      {"gpu_cost", [](const Allocation& a) { return a.gpu_cost; }},
      {"pvCost", [](const Allocation& a) { return a.pvCost(); }},
      {"lbTotalCost", [](const Allocation& a) { return a.lbTotalCost(); }},
      {"network_cost", [](const Allocation& a) { return a.network_cost; }},
      {"shared_cost", [](const Allocation& a) { return a.shared_cost; }},
      {"cpu_core_hours", [](const Allocation& a) { return a.cpu_core_hours; }},
      {"ram_byte_hours", [](const Allocation& a) { return a.ram_byte_hours; }},
      {"cpuEfficiency", [](const Allocation& a) { return a.cpuEfficiency(); }},
      {"ramEfficiency", [](const Allocation& a) { return a.ramEfficiency(); }},
      {"minutes", [](const Allocation& a) { return a.minutes(); }},
  };
  return kFields;
}

std::string describe(const Allocation& a) {
  std::string out = fmt::format("\"{}\" [{}, {})", a.name, a.start, a.end);
  for (const Field& f : comparedFields()) out += fmt::format(" {}={:.17g}", f.name, f.get(a));
  return out;
}

// Scale for absolute tolerances: the largest magnitude of any compared value.
double scaleOf(const std::vector<AllocationSet>& sets, const Field& f) {
  double s = 0;
  for (const auto& set : sets)
    for (const auto& a : set.allocations) s = std::max(s, std::abs(f.get(a)));
  return s;
}

// "" when the two results agree (names in order and every compared field except skip_field:
// relative kRel, or bit for bit when exact); else the first difference. `skip` leaves
// allocations out of the comparison.
std::string firstDifference(const std::vector<AllocationSet>& a,
                            const std::vector<AllocationSet>& b, bool exact,
                            bool (*skip)(const Allocation&) = nullptr,
                            std::string_view skip_field = "") {
  if (a.size() != b.size()) return fmt::format("{} sets vs {} sets", a.size(), b.size());
  std::vector<double> floors;
  for (const Field& f : comparedFields()) floors.push_back(1e-12 * scaleOf(a, f));
  for (std::size_t s = 0; s < a.size(); ++s) {
    std::vector<const Allocation*> x, y;
    for (const auto& al : a[s].allocations)
      if (skip == nullptr || !skip(al)) x.push_back(&al);
    for (const auto& al : b[s].allocations)
      if (skip == nullptr || !skip(al)) y.push_back(&al);
    for (std::size_t i = 0; i < std::max(x.size(), y.size()); ++i) {
      if (i >= x.size() || i >= y.size() || x[i]->name != y[i]->name) {
        return fmt::format("set {}: allocation #{}: {} vs {}", s, i,
                           i < x.size() ? describe(*x[i]) : "(none)",
                           i < y.size() ? describe(*y[i]) : "(none)");
      }
      for (std::size_t fi = 0; fi < comparedFields().size(); ++fi) {
        const Field& f = comparedFields()[fi];
        if (f.name == skip_field) continue;
        const double u = f.get(*x[i]), v = f.get(*y[i]);
        if (exact ? !(u == v || (std::isnan(u) && std::isnan(v))) : !close(u, v, floors[fi])) {
          return fmt::format("set {}: field {} differs ({:.17g} vs {:.17g}):\n  {}\n  {}", s,
                             f.name, u, v, describe(*x[i]), describe(*y[i]));
        }
      }
    }
  }
  return "";
}

double sumTotal(const std::vector<AllocationSet>& sets) {
  double s = 0;
  for (const auto& set : sets)
    for (const auto& a : set.allocations) s += a.totalCost();
  return s;
}

double sumAbsTotal(const std::vector<AllocationSet>& sets) {
  double s = 0;
  for (const auto& set : sets)
    for (const auto& a : set.allocations) s += std::abs(a.totalCost());
  return s;
}

// ---------------------------------------------------------------------------------------------
// Independent facts from the written blocks.

struct Truth {
  double node_cost = 0;       // CPU+RAM+GPU of node rows
  double container_cost = 0;  // CPU+RAM+GPU of container rows
  double network_cost = 0;    // container rows
  double pv_share_cost = 0;   // volume share rows (mounted and not)
  double lb_share_cost = 0;   // load balancer share rows
};

// cluster empty = all clusters.
Truth truthOf(const World& w, UnixSeconds from, UnixSeconds to, const std::string& cluster) {
  Truth t;
  for (const Block& b : w.blocks) {
    if (b.start < from || b.start >= to) continue;
    if (!cluster.empty() && b.cluster != cluster) continue;
    for (std::size_t i = 0; i < b.nodes.size(); ++i) {
      t.node_cost += b.nodes.cpu_cost[i] + b.nodes.ram_cost[i] + b.nodes.gpu_cost[i];
    }
    const store::ContainerRows& c = b.containers;
    for (std::size_t i = 0; i < c.size(); ++i) {
      t.container_cost += c.cpu_cost[i] + c.ram_cost[i] + c.gpu_cost[i];
      t.network_cost += c.network_cost[i];
    }
    for (double v : b.volume_shares.cost) t.pv_share_cost += v;
    for (double v : b.load_balancer_shares.cost) t.lb_share_cost += v;
  }
  return t;
}

double overheadOf(const cost::AllocationQuery& q, UnixSeconds from, UnixSeconds to) {
  return (q.shared_hourly_cost + q.share_cost_monthly / kHoursPerMonth) *
         static_cast<double>(to - from) / 3600.0;
}

bool isSharedContainer(const ContainerInfo& c, const cost::AllocationQuery& q) {
  if (std::find(q.share_namespaces.begin(), q.share_namespaces.end(), c.namespace_name) !=
      q.share_namespaces.end()) {
    return true;
  }
  for (const auto& [k, v] : q.share_labels) {
    auto it = c.labels.find(k);
    if (it != c.labels.end() && it->second == v) return true;
  }
  return false;
}

// Cost that only an unfiltered result shows, by line name, for one step: the asset cost of
// idle keys whose allocations have no CPU/RAM/GPU cost, and the overhead when nobody can
// receive shares (aggregate.h).
std::map<std::string, double> orphansOf(const World& w, const cost::AllocationQuery& q,
                                        UnixSeconds from, UnixSeconds to) {
  struct Key {
    double asset = 0, elig = 0;
  };
  std::map<std::pair<std::string, std::string>, Key> keys;
  bool any_receiver = false;
  for (const Block& b : w.blocks) {
    if (b.start < from || b.start >= to) continue;
    for (std::size_t i = 0; i < b.nodes.size(); ++i) {
      const NodeInfo& n = w.nodes.at(b.nodes.node_id[i]);
      keys[{n.cluster, q.idle_by_node ? n.name : ""}].asset +=
          b.nodes.cpu_cost[i] + b.nodes.ram_cost[i] + b.nodes.gpu_cost[i];
    }
    const store::ContainerRows& c = b.containers;
    for (std::size_t i = 0; i < c.size(); ++i) {
      const ContainerInfo& info = w.containers.at(c.container_id[i]);
      keys[{info.cluster, q.idle_by_node ? info.node : ""}].elig +=
          c.cpu_cost[i] + c.ram_cost[i] + c.gpu_cost[i];
      if (!isSharedContainer(info, q)) any_receiver = true;
    }
  }
  std::map<std::string, double> out;
  if (q.include_idle || q.share_idle) {
    for (const auto& [key, k] : keys) {
      if (k.elig != 0 || k.asset == 0) continue;
      const std::string& prefix = q.idle_by_node ? key.second : key.first;
      out[q.split_idle ? prefix + "/__idle__" : "__idle__"] += k.asset;
    }
  }
  const double overhead = overheadOf(q, from, to);
  if (!any_receiver && overhead != 0) out["__shared__"] += overhead;
  return out;
}

using KeyTotals = std::map<std::pair<std::size_t, std::string>, double>;

KeyTotals totalsByKey(const std::vector<AllocationSet>& sets) {
  KeyTotals out;
  for (std::size_t s = 0; s < sets.size(); ++s)
    for (const auto& a : sets[s].allocations) out[{s, a.name}] += a.totalCost();
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. Conservation.

TEST(QueryProperty, UnfilteredTotalsConserveAssetCostForEveryQueryShape) {
  int checked = 0;
  for (std::uint64_t seed : worldSeeds(1, kWorlds)) {
    const Fixture* fx = &sharedWorld(seed);
    Rng rng(seed * 7919 + 1);
    for (int i = 0; i < shapesPerWorld(16); ++i) {
      Shape shape = randomShape(rng, fx->world, {});
      if (rng.chance(0.25)) shape.request.cluster = rng.chance(0.5) ? "cluster-a" : "cluster-b";
      const cost::AllocationQuery& q = shape.request.query;
      const bool idle = q.include_idle || q.share_idle;
      auto result = run(*fx->store, shape);
      ASSERT_TRUE(result) << "seed " << seed << " shape " << i << ": " << shape.describe() << ": "
                          << result.error().message;
      const Truth t = truthOf(fx->world, shape.request.window.start, shape.request.window.end,
                              shape.request.cluster);
      const double expected = (idle ? t.node_cost : t.container_cost) + t.pv_share_cost +
                              t.lb_share_cost + t.network_cost +
                              overheadOf(q, shape.request.window.start, shape.request.window.end);
      const double actual = sumTotal(*result);
      const double scale = std::max(std::abs(expected), sumAbsTotal(*result));
      EXPECT_LE(std::abs(actual - expected), kRel * scale + 1e-12)
          << "seed " << seed << " shape " << i << ": " << shape.describe()
          << "\n  expected Σ totalCost " << fmt::format("{:.17g}", expected) << " = "
          << (idle ? "node " : "container ") << (idle ? t.node_cost : t.container_cost) << " + pv "
          << t.pv_share_cost << " + lb " << t.lb_share_cost << " + network " << t.network_cost
          << " + overhead; got " << fmt::format("{:.17g}", actual);
      ++checked;
      if (HasFailure()) return;  // the first failing shape is enough to reproduce
    }
  }
  EXPECT_GT(checked, 0);
}

// ---------------------------------------------------------------------------------------------
// 2. Fast path == container grain.

bool isUnfilteredOnlyLine(const Allocation& a) {
  return a.isIdle() || a.isOverallocated() || a.name == cost::kSharedName;
}

TEST(QueryProperty, PreGroupedFastPathEqualsContainerGrainPath) {
  int checked = 0;
  for (std::uint64_t seed : worldSeeds(1, kWorlds)) {
    const Fixture* fx = &sharedWorld(seed);
    Rng rng(seed * 7919 + 2);
    for (int i = 0; i < shapesPerWorld(8); ++i) {
      Shape fast = randomShape(rng, fx->world, {});
      if (fast.request.query.aggregate.empty()) fast.request.query.aggregate = {"namespace"};
      // Slow path without changing the engine's semantics: keeping aggregated metadata needs
      // every property, so the reader builds container-grain allocations.
      Shape slow = fast;
      slow.request.query.include_aggregated_metadata = true;
      auto a = run(*fx->store, fast);
      auto b = run(*fx->store, slow);
      ASSERT_TRUE(a && b) << "seed " << seed << " shape " << i << ": " << fast.describe();
      const std::string diff = firstDifference(*a, *b, false);
      EXPECT_EQ(diff, "") << "seed " << seed << " shape " << i << ": " << fast.describe()
                          << "\n  fast path vs container grain: " << diff;
      // Slow path through a filter matching everything: a filtered query drops the lines only
      // an unfiltered one shows (idle, overallocated, __shared__); everything else is equal.
      Shape filtered = fast;
      filtered.filter_text = "cluster!:\"__none__\"";
      auto parsed = cost::parseAllocationFilter(filtered.filter_text);
      ASSERT_TRUE(parsed) << parsed.error().message;
      filtered.request.query.filter = *parsed;
      auto c = run(*fx->store, filtered);
      ASSERT_TRUE(c) << "seed " << seed << " shape " << i << ": " << filtered.describe();
      const std::string diff2 = firstDifference(*a, *c, false, isUnfilteredOnlyLine);
      EXPECT_EQ(diff2, "") << "seed " << seed << " shape " << i << ": " << filtered.describe()
                           << "\n  fast path vs match-all filter (idle lines skipped): " << diff2;
      ++checked;
      if (HasFailure()) return;  // the first failing shape is enough to reproduce
    }
  }
  EXPECT_GT(checked, 0);
}

// A label stored under its Prometheus-sanitised key ("app_kubernetes_io_name") is found by
// "label:app.kubernetes.io/name" (aggregate.cc lookup() falls back to the sanitised key); the
// pre-grouped path must find it too.
// Regression (fixed; src/query/allocation_reader.cc, labelMap() called from groupContainers()): the fast
// path keeps only labels whose key equals the query's key exactly, so a label stored as
// "app_kubernetes_io_name" is invisible to "label:app.kubernetes.io/name" (and to share_labels
// and alias keys with non-[A-Za-z0-9_] characters); the container-grain path finds it.
TEST(QueryProperty, FastPathFindsLabelsStoredUnderTheirSanitisedKey) {
  TempDir dir;
  auto opened = store::openSqliteStore(dir.file("store.db"), store::OpenMode::kReadWrite);
  ASSERT_TRUE(opened) << opened.error().message;
  store::Store& st = **opened;
  store::Dimensions& dims = st.mutableDimensions();
  Block b;
  b.cluster = "c";
  b.start = kDay0;
  b.end = kDay0 + kHour;
  b.containers.resize(2);
  for (std::uint32_t i = 0; i < 2; ++i) {
    store::ContainerDim d;
    d.cluster = dims.intern("c");
    d.namespace_name = dims.intern("ns");
    d.pod = dims.intern("pod-" + std::to_string(i));
    d.container = dims.intern("main");
    d.labels = dims.internLabels(
        {{dims.intern("app_kubernetes_io_name"), dims.intern(i == 0 ? "web" : "db")}});
    b.containers.container_id[i] = dims.internContainer(d);
    b.containers.start[i] = kDay0;
    b.containers.end[i] = kDay0 + kHour;
    b.containers.cpu_core_hours[i] = 1;
    b.containers.cpu_cost[i] = 1 + i;
  }
  b.canonicalize();
  ASSERT_TRUE(st.commit({b}));
  Shape fast;
  fast.request.window = {kDay0, kDay0 + kHour};
  fast.request.query.aggregate = {"label:app.kubernetes.io/name"};
  Shape slow = fast;
  slow.request.query.include_aggregated_metadata = true;
  auto a = run(st, fast);
  auto c = run(st, slow);
  ASSERT_TRUE(a && c);
  ASSERT_EQ(c->size(), 1u);
  ASSERT_EQ((*c)[0].allocations.size(), 2u);  // container grain: "db" and "web"
  EXPECT_EQ((*c)[0].allocations[0].name, "db");
  EXPECT_EQ(firstDifference(*a, *c, false), "") << fast.describe();
}

// ---------------------------------------------------------------------------------------------
// 3. Day blocks vs hour blocks.

// Idle and overallocated lines of one idle prefix: their sum (asset − allocation per key) is
// step-independent, the split between them is not.
std::string idleFamily(const std::string& name) {
  for (std::string_view suffix : {cost::kIdleName, cost::kOverallocatedName}) {
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return name.substr(0, name.size() - suffix.size()) + "<idle+over>";
    }
  }
  return "";
}

TEST(QueryProperty, DayBlocksEqualHourBlocksAccumulatedByDay) {
  int checked = 0;
  for (std::uint64_t seed : worldSeeds(1, kWorlds)) {
    const Fixture* fx = &sharedWorld(seed);
    const World& w = fx->world;
    // The day query must really read day blocks.
    auto plan = store::planWindow(*fx->store, "", kDay0, kDay0 + kDay);
    ASSERT_TRUE(plan);
    ASSERT_FALSE(plan->empty());
    for (const auto& info : *plan) EXPECT_EQ(info.kind, store::BlockKind::kDay);
    Rng rng(seed * 7919 + 3);
    for (int i = 0; i < shapesPerWorld(4); ++i) {
      ShapeOptions opt;
      opt.sharing = false;  // shares and idle attribution are per step by definition
      opt.whole_days = true;
      Shape days = randomShape(rng, w, opt);
      days.request.step_seconds = 86400;
      days.request.accumulate = cost::Accumulate::kNone;
      Shape hours = days;
      hours.request.step_seconds = 3600;
      hours.request.accumulate = cost::Accumulate::kDay;
      auto a = run(*fx->store, days);
      auto b = run(*fx->store, hours);
      ASSERT_TRUE(a && b) << "seed " << seed << ": " << days.describe();
      ASSERT_EQ(a->size(), static_cast<std::size_t>(w.days));
      ASSERT_EQ(b->size(), a->size());
      const auto strip = [](std::vector<AllocationSet> sets) {
        for (auto& s : sets) {
          std::erase_if(s.allocations,
                        [](const Allocation& al) { return !idleFamily(al.name).empty(); });
        }
        return sets;
      };
      const std::string diff = firstDifference(strip(*a), strip(*b), false, nullptr, "");
      EXPECT_EQ(diff, "") << "seed " << seed << " shape " << i << ": " << days.describe()
                          << "\n  day blocks vs hour blocks accumulated by day: " << diff;
      // Idle + overallocated per idle prefix, and the grand total, per day.
      for (std::size_t d = 0; d < a->size(); ++d) {
        std::map<std::string, double> x, y;
        for (const auto& al : (*a)[d].allocations)
          if (auto f = idleFamily(al.name); !f.empty()) x[f] += al.totalCost();
        for (const auto& al : (*b)[d].allocations)
          if (auto f = idleFamily(al.name); !f.empty()) y[f] += al.totalCost();
        for (const auto& m : {x, y}) {
          for (const auto& [name, unused] : m) {
            const double u = x[name], v = y[name];
            EXPECT_TRUE(close(u, v, 1e-12 * sumAbsTotal(*a)))
                << "seed " << seed << " shape " << i << ": " << days.describe() << "\n  day " << d
                << " " << name << ": day blocks " << fmt::format("{:.17g}", u) << " vs hour blocks "
                << fmt::format("{:.17g}", v);
          }
        }
        EXPECT_TRUE(close((*a)[d].totalCost(), (*b)[d].totalCost(), 1e-12))
            << "seed " << seed << " shape " << i << ": " << days.describe() << "\n  day " << d;
      }
      ++checked;
      if (HasFailure()) return;  // the first failing shape is enough to reproduce
    }
  }
  EXPECT_GT(checked, 0);
}

// A one-cluster store with hand-written hour blocks.
struct SmallStore {
  TempDir dir;
  std::unique_ptr<store::Store> store;
  store::Dimensions& dims() { return store->mutableDimensions(); }
  std::uint32_t container(const std::string& pod) {
    store::ContainerDim d;
    d.cluster = dims().intern("c");
    d.node = dims().intern("n");
    d.namespace_name = dims().intern("ns");
    d.pod = dims().intern(pod);
    d.container = dims().intern("main");
    return dims().internContainer(d);
  }
  std::uint32_t volume(const std::string& name) {
    store::VolumeDim d;
    d.cluster = dims().intern("c");
    d.name = dims().intern(name);
    return dims().internVolume(d);
  }
};

std::unique_ptr<SmallStore> openSmallStore() {
  auto s = std::make_unique<SmallStore>();
  auto opened = store::openSqliteStore(s->dir.file("store.db"), store::OpenMode::kReadWrite);
  EXPECT_TRUE(opened) << opened.error().message;
  if (!opened) return nullptr;
  s->store = std::move(*opened);
  return s;
}

Block emptyHour(UnixSeconds start) {
  Block b;
  b.cluster = "c";
  b.start = start;
  b.end = start + kHour;
  return b;
}

void addVolume(Block& b, std::uint32_t volume, std::uint32_t container, double cost) {
  b.volumes.volume_id.push_back(volume);
  b.volumes.start.push_back(b.start);
  b.volumes.end.push_back(b.end);
  b.volumes.hours.push_back(1);
  b.volumes.byte_hours.push_back(1e9);
  b.volumes.cost.push_back(cost);
  b.volume_shares.container_id.push_back(container);
  b.volume_shares.asset_id.push_back(volume);
  b.volume_shares.start.push_back(b.start);
  b.volume_shares.end.push_back(b.end);
  b.volume_shares.hours.push_back(1e9);
  b.volume_shares.cost.push_back(cost);
}

// Regression (fixed; src/query/allocation_reader.cc, buildStep, unmountedFor): the __unmounted__ allocation
// gets start/end = the step window, whatever hours its volumes and load balancers existed. A
// day step over a day with 3 hours of unmounted volume reports 1440 minutes (and dilutes the
// averages of any aggregate that contains it); the same hours read with hour steps report 180.
TEST(QueryProperty, UnmountedAllocationRunsOnlyWhileItsAssetsExist) {
  auto s = openSmallStore();
  ASSERT_TRUE(s);
  const std::uint32_t v = s->volume("pv-1");
  std::vector<Block> blocks;
  for (int h = 3; h < 6; ++h) {
    Block b = emptyHour(kDay0 + h * kHour);
    addVolume(b, v, store::kNoContainer, 0.1);
    b.canonicalize();
    blocks.push_back(std::move(b));
  }
  ASSERT_TRUE(s->store->commit(blocks));
  Shape days;
  days.request.window = {kDay0, kDay0 + kDay};
  days.request.step_seconds = 86400;
  days.request.query.aggregate = {"cluster"};
  Shape hours = days;
  hours.request.step_seconds = 3600;
  hours.request.accumulate = cost::Accumulate::kAll;
  auto a = run(*s->store, days);
  auto b = run(*s->store, hours);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->size(), 1u);
  ASSERT_EQ((*a)[0].allocations.size(), 1u);
  EXPECT_NEAR((*a)[0].allocations[0].totalCost(), 0.3, 1e-12);
  EXPECT_EQ((*a)[0].allocations[0].minutes(), 180.0) << describe((*a)[0].allocations[0]);
  EXPECT_EQ(firstDifference(*a, *b, false), "") << days.describe();
}

// Regression (fixed; src/query/allocation_reader.cc, buildStep, the `else continue;` in the pv and lb share
// loops): a share row whose container has no container row in the step is dropped on the
// container-grain path, but kept on the pre-grouped path when another container of its group
// ran; cost is lost and the result depends on the query shape.
TEST(QueryProperty, ShareOfAContainerWithoutARowInTheStepIsNotDropped) {
  auto s = openSmallStore();
  ASSERT_TRUE(s);
  const std::uint32_t ran = s->container("pod-ran");
  const std::uint32_t pending = s->container("pod-pending");  // mounts the volume, no row
  const std::uint32_t v = s->volume("pv-1");
  Block b = emptyHour(kDay0);
  b.containers.resize(1);
  b.containers.container_id[0] = ran;
  b.containers.start[0] = kDay0;
  b.containers.end[0] = kDay0 + kHour;
  b.containers.cpu_core_hours[0] = 1;
  b.containers.cpu_cost[0] = 1;
  addVolume(b, v, pending, 0.5);
  b.canonicalize();
  ASSERT_TRUE(s->store->commit({b}));
  Shape fast;
  fast.request.window = {kDay0, kDay0 + kHour};
  fast.request.query.aggregate = {"namespace"};
  Shape slow = fast;
  slow.request.query.include_aggregated_metadata = true;
  auto x = run(*s->store, fast);
  auto y = run(*s->store, slow);
  ASSERT_TRUE(x && y);
  EXPECT_NEAR(sumTotal(*x), 1.5, 1e-12) << "fast path";
  EXPECT_NEAR(sumTotal(*y), 1.5, 1e-12) << "container grain";
  EXPECT_EQ(firstDifference(*x, *y, false), "");
}

// ---------------------------------------------------------------------------------------------
// 4. Filter partition.

TEST(QueryProperty, FilterAndItsNegationPartitionTheUnfilteredResult) {
  static const std::vector<std::pair<std::string, std::string>> kFilters{
      {R"(namespace:"ns0")", R"(namespace!:"ns0")"},
      {R"(namespace:"ns1","kube-system")", R"(namespace!:"ns1","kube-system")"},
      {R"(label[team]:"t0")", R"(label[team]!:"t0")"},
      {R"(label[team]:"t1","t2")", R"(label[team]!:"t1","t2")"},
      {R"(team:"t1")", R"(team!:"t1")"},
      {R"(cluster!:"__none__")", R"(cluster:"__none__")"},
  };
  int checked = 0;
  for (std::uint64_t seed : worldSeeds(1, kWorlds)) {
    const Fixture* fx = &sharedWorld(seed);
    Rng rng(seed * 7919 + 4);
    for (int i = 0; i < shapesPerWorld(8); ++i) {
      Shape all = randomShape(rng, fx->world, {});
      const auto& [f_text, not_f_text] = rng.pick(kFilters);
      Shape f = all, not_f = all;
      f.filter_text = f_text;
      not_f.filter_text = not_f_text;
      auto pf = cost::parseAllocationFilter(f_text);
      auto pn = cost::parseAllocationFilter(not_f_text);
      ASSERT_TRUE(pf && pn) << f_text;
      f.request.query.filter = *pf;
      not_f.request.query.filter = *pn;
      auto u = run(*fx->store, all);
      auto x = run(*fx->store, f);
      auto y = run(*fx->store, not_f);
      ASSERT_TRUE(u && x && y) << "seed " << seed << ": " << f.describe();
      ASSERT_EQ(u->size(), x->size());
      ASSERT_EQ(u->size(), y->size());
      // Orphans per set: steps map to sets one to one, or all into one (accumulate all).
      KeyTotals orphans;
      auto windows = stepWindows(all.request.window, all.request.step_seconds);
      ASSERT_TRUE(windows);
      for (std::size_t s = 0; s < windows->size(); ++s) {
        const std::size_t set = all.request.accumulate == cost::Accumulate::kAll ? 0 : s;
        for (const auto& [name, v] :
             orphansOf(fx->world, all.request.query, (*windows)[s].start, (*windows)[s].end)) {
          orphans[{set, name}] += v;
        }
      }
      const KeyTotals tu = totalsByKey(*u), tx = totalsByKey(*x), ty = totalsByKey(*y);
      std::set<std::pair<std::size_t, std::string>> names;
      for (const KeyTotals* m : std::initializer_list<const KeyTotals*>{&tu, &tx, &ty, &orphans})
        for (const auto& [k, unused] : *m) names.insert(k);
      const double floor = 1e-12 * std::max(1.0, sumAbsTotal(*u));
      auto at = [](const KeyTotals& m, const std::pair<std::size_t, std::string>& k) {
        auto it = m.find(k);
        return it == m.end() ? 0.0 : it->second;
      };
      for (const auto& k : names) {
        const double lhs = at(tx, k) + at(ty, k) + at(orphans, k);
        const double rhs = at(tu, k);
        EXPECT_TRUE(close(lhs, rhs, floor))
            << "seed " << seed << " shape " << i << ": " << all.describe() << "\n  filter '"
            << f_text << "' / '" << not_f_text << "': set " << k.first << " key \"" << k.second
            << "\": F " << fmt::format("{:.17g}", at(tx, k)) << " + ¬F "
            << fmt::format("{:.17g}", at(ty, k)) << " + orphans "
            << fmt::format("{:.17g}", at(orphans, k)) << " != unfiltered "
            << fmt::format("{:.17g}", rhs);
      }
      ++checked;
      if (HasFailure()) return;  // the first failing shape is enough to reproduce
    }
  }
  EXPECT_GT(checked, 0);
}

// ---------------------------------------------------------------------------------------------
// 5. Idempotent commit.

TEST(QueryProperty, CommittingTheSameBlocksAgainWritesNothingAndChangesNoResult) {
  int checked = 0;
  for (std::uint64_t seed : worldSeeds(5, 1)) {
    auto fx = makeFixture(seed);
    const World& w = fx->world;
    EXPECT_EQ(fx->first_commit.hour_blocks_written, w.blocks.size()) << "seed " << seed;
    Rng rng(seed * 7919 + 5);
    std::vector<Shape> shapes;
    std::vector<std::vector<AllocationSet>> before;
    for (int i = 0; i < shapesPerWorld(5); ++i) {
      shapes.push_back(randomShape(rng, w, {}));
      auto r = run(*fx->store, shapes.back());
      ASSERT_TRUE(r) << "seed " << seed << ": " << shapes.back().describe();
      before.push_back(std::move(*r));
    }
    auto check = [&](const store::Store& st, const char* after) {
      for (std::size_t i = 0; i < shapes.size(); ++i) {
        auto r = run(st, shapes[i]);
        ASSERT_TRUE(r) << "seed " << seed << ": " << shapes[i].describe();
        const std::string diff = firstDifference(before[i], *r, true);
        EXPECT_EQ(diff, "") << "seed " << seed << " shape " << i << ": " << shapes[i].describe()
                            << "\n  before vs " << after << ": " << diff;
        ++checked;
      }
    };
    auto again = fx->store->commit(w.blocks);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->hour_blocks_written, 0u) << "seed " << seed;
    EXPECT_EQ(again->hour_blocks_unchanged, w.blocks.size()) << "seed " << seed;
    EXPECT_EQ(again->day_blocks_written, 0u) << "seed " << seed;
    check(*fx->store, "second commit");
    // Block order inside a commit does not matter either.
    std::vector<Block> shuffled = w.blocks;
    std::shuffle(shuffled.begin(), shuffled.end(), rng.gen);
    auto third = fx->store->commit(std::move(shuffled));
    ASSERT_TRUE(third) << third.error().message;
    EXPECT_EQ(third->hour_blocks_written, 0u) << "seed " << seed;
    check(*fx->store, "third (shuffled) commit");
    // And a fresh reader of the file sees the same.
    auto reopened = store::openSqliteStore(fx->dir.file("store.db"), store::OpenMode::kReadOnly);
    ASSERT_TRUE(reopened) << reopened.error().message;
    check(**reopened, "reopened read-only");
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace trimtab::query
