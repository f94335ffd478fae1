// Drainable nodes and spot candidates (recommend/insights.h) over a hand-built store: one hour
// block with node rows (allocatable, price, spot), container rows (requests, cost) and volume
// shares, committed through the normal store path.
#include "recommend/insights.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"
#include "test_store.h"

namespace trimtab::recommend {
namespace {

using testing::kEnd;
constexpr double kGiB = 1024.0 * 1024 * 1024;

struct FakeNode {
  std::string name, instance_type = "m5.xlarge";
  double cpu = 4, mem_gib = 16, gpu = 0, hourly_usd = 0.2;
  bool spot = false;
};

struct FakePod {
  std::string namespace_name, kind, controller, pod, node;
  double cpu = 0, mem_gib = 0, gpu = 0, hourly_usd = 0.01;
  std::string volume_class = "";  // non-empty: mounts a PV of this storage class
};

std::unique_ptr<store::Store> makeStore(const std::string& path, const std::vector<FakeNode>& nodes,
                                        const std::vector<FakePod>& pods) {
  std::filesystem::remove(path);
  auto opened = store::openSqliteStore(path, store::OpenMode::kReadWrite);
  if (!opened) return nullptr;
  std::unique_ptr<store::Store> st = std::move(*opened);
  store::Dimensions& dims = st->mutableDimensions();
  store::Block b;
  b.kind = store::BlockKind::kHour;
  b.cluster = "test";
  b.start = kEnd - 3600;
  b.end = kEnd;
  b.nodes.resize(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const FakeNode& n = nodes[i];
    store::NodeDim d;
    d.cluster = dims.intern("test");
    d.name = dims.intern(n.name);
    d.instance_type = dims.intern(n.instance_type);
    d.region = dims.intern("us-east-1");
    store::NodeRows& r = b.nodes;
    r.node_id[i] = dims.internNode(d);
    r.start[i] = b.start;
    r.end[i] = b.end;
    r.hours[i] = 1;
    r.cpu_core_hours[i] = r.cpu_alloc_core_hours[i] = n.cpu;
    r.ram_byte_hours[i] = r.ram_alloc_byte_hours[i] = n.mem_gib * kGiB;
    r.gpu_hours[i] = n.gpu;
    r.cpu_cost[i] = n.hourly_usd * 0.6;
    r.ram_cost[i] = n.hourly_usd * 0.4;
    r.spot[i] = n.spot ? 1 : 0;
    r.price_source[i] = dims.intern("test");
  }
  b.containers.resize(pods.size());
  for (std::size_t i = 0; i < pods.size(); ++i) {
    const FakePod& p = pods[i];
    store::ContainerDim d;
    d.cluster = dims.intern("test");
    d.namespace_name = dims.intern(p.namespace_name);
    d.node = dims.intern(p.node);
    d.pod = dims.intern(p.pod);
    d.pod_uid = dims.intern("uid-" + p.pod);
    d.container = dims.intern("main");
    d.controller_kind = dims.intern(p.kind);
    d.controller = p.controller.empty() ? 0 : dims.intern(p.controller);
    store::ContainerRows& r = b.containers;
    r.container_id[i] = dims.internContainer(d);
    r.start[i] = b.start;
    r.end[i] = b.end;
    r.running_seconds[i] = 3600;
    r.cpu_request_core_hours[i] = r.cpu_core_hours[i] = p.cpu;
    r.ram_request_byte_hours[i] = r.ram_byte_hours[i] = p.mem_gib * kGiB;
    r.gpu_hours[i] = p.gpu;
    r.cpu_cost[i] = p.hourly_usd / 2;
    r.ram_cost[i] = p.hourly_usd / 2;
    if (!p.volume_class.empty()) {
      store::VolumeDim v;
      v.cluster = dims.intern("test");
      v.name = dims.intern("pv-" + p.pod);
      v.storage_class = dims.intern(p.volume_class);
      v.claim_namespace = d.namespace_name;
      v.claim_name = dims.intern("data-" + p.pod);
      const std::uint32_t vid = dims.internVolume(v);
      const std::size_t k = b.volume_shares.size();
      b.volume_shares.resize(k + 1);
      b.volume_shares.container_id[k] = r.container_id[i];
      b.volume_shares.asset_id[k] = vid;
      b.volume_shares.start[k] = b.start;
      b.volume_shares.end[k] = b.end;
      b.volume_shares.hours[k] = 10 * kGiB;
      b.volume_shares.cost[k] = 0.001;
    }
  }
  b.canonicalize();
  std::vector<store::Block> blocks;
  blocks.push_back(std::move(b));
  if (!st->commit(std::move(blocks))) return nullptr;
  return st;
}

InsightOptions lastHour() {
  InsightOptions o;
  o.window_start = kEnd - 24 * 3600;
  o.window_end = kEnd;
  return o;
}

std::vector<Insight> ofKind(const std::vector<Insight>& all, const std::string& kind) {
  std::vector<Insight> out;
  for (const Insight& i : all) {
    if (i.kind == kind) out.push_back(i);
  }
  return out;
}

class InsightsTest : public ::testing::Test {
 protected:
  std::string path_ = (std::filesystem::temp_directory_path() /
                       ("trimtab_insights_" + std::to_string(::getpid()) + ".db"))
                          .string();
  void TearDown() override { std::filesystem::remove(path_); }
};

TEST_F(InsightsTest, DrainsTheNodeWhosePodsFitElsewhereAndNoMore) {
  // a: 3.2 of 4 cores used; b: 0.6; c: 1 (one pod of 1 core). b is the least used: its
  // Deployment pod goes to a (first fit by name), its DaemonSet pod goes with it. Then c's 1-core
  // pod fits on neither a (0.3 left) nor the drained b, and a's 3.2 cores not on c (3 free).
  auto st = makeStore(path_, {{"node-a"}, {"node-b", "m5.xlarge", 4, 16, 0, 0.25}, {"node-c"}},
                      {{"shop", "deployment", "api", "api-1", "node-a", 3.2, 4},
                       {"shop", "deployment", "web", "web-1", "node-b", 0.5, 1},
                       {"kube-system", "daemonset", "agent", "agent-b", "node-b", 0.1, 0.1},
                       {"shop", "deployment", "web", "web-2", "node-c", 1, 1}});
  ASSERT_NE(st, nullptr);
  auto insights = savingsInsights(*st, lastHour());
  ASSERT_TRUE(insights.has_value()) << insights.error().message;
  auto drain = ofKind(*insights, "drainable-node");
  ASSERT_EQ(drain.size(), 1u);
  EXPECT_EQ(drain[0].object, "test/node-b");
  EXPECT_NEAR(drain[0].monthly_cost_usd, 0.25 * 730, 1e-6);
  EXPECT_NE(drain[0].evidence.find("1 pods"), std::string::npos) << drain[0].evidence;
  EXPECT_NE(drain[0].evidence.find("node-a (1)"), std::string::npos) << drain[0].evidence;
  EXPECT_NE(drain[0].evidence.find("1 DaemonSet pods go with it"), std::string::npos);
  EXPECT_NE(drain[0].evidence.find("on-demand m5.xlarge at $0.2500/h"), std::string::npos);
  EXPECT_NE(drain[0].evidence.find("PDB: unknown (not in store)"), std::string::npos);
  EXPECT_EQ(ofKind(*insights, "spot-candidate").size(), 0u);  // no spot price lookup given
}

TEST_F(InsightsTest, MemoryAndBarePodsAndLocalVolumesBlockADrain) {
  // c is pinned by a bare pod, d by a local PV (both still take pods). a's pod (8 GiB) does not
  // fit on b (6 GiB free) but on c: a is drained. b's pod (10 GiB) then fits nowhere (c 7.9 GiB,
  // d 8 GiB free).
  auto st =
      makeStore(path_, {{"node-a"}, {"node-b"}, {"node-c"}, {"node-d"}},
                {{"shop", "deployment", "api", "api-1", "node-a", 1, 8},
                 {"shop", "deployment", "big", "big-1", "node-b", 0.1, 10},
                 {"shop", "", "", "debug", "node-c", 0.1, 0.1},
                 {"shop", "statefulset", "db", "db-0", "node-d", 0.1, 8, 0, 0.01, "local-path"}});
  ASSERT_NE(st, nullptr);
  auto insights = savingsInsights(*st, lastHour());
  ASSERT_TRUE(insights.has_value()) << insights.error().message;
  auto drain = ofKind(*insights, "drainable-node");
  ASSERT_EQ(drain.size(), 1u);
  EXPECT_EQ(drain[0].object, "test/node-a");
  EXPECT_NE(drain[0].evidence.find("node-c (1)"), std::string::npos) << drain[0].evidence;
}

TEST_F(InsightsTest, GpuPodsMoveOnlyToFreeGpusAndCpuPodsNeverToGpuNodes) {
  auto st = makeStore(path_,
                      {{"gpu-1", "g5.xlarge", 4, 16, 1, 1.0},
                       {"gpu-2", "g5.xlarge", 4, 16, 1, 1.0},
                       {"cpu-1", "m5.xlarge", 4, 16, 0, 0.2},
                       {"cpu-2", "m5.xlarge", 4, 16, 0, 0.2},
                       {"gpu-big", "p4d.24xlarge", 96, 1024, 8, 30.0}},
                      {// gpu-big has 7 free GPUs of another model (no product label: its instance
                       // type) and is pinned by a bare pod.
                       {"ml", "", "", "notebook", "gpu-big", 1, 4, 1},
                       {"ml", "deployment", "infer", "infer-1", "gpu-1", 1, 4, 1},
                       {"ml", "deployment", "infer", "infer-2", "gpu-2", 1, 4, 1},
                       {"shop", "deployment", "api", "api-1", "cpu-1", 3.5, 4},
                       {"shop", "deployment", "api", "api-2", "cpu-2", 1, 4}});
  ASSERT_NE(st, nullptr);
  auto insights = savingsInsights(*st, lastHour());
  ASSERT_TRUE(insights.has_value()) << insights.error().message;
  // Neither g5 node can go (the other g5's GPU is taken, gpu-big's are another model); cpu-2's
  // 1-core pod cannot go to cpu-1 (0.5 core free) nor to a GPU node with free cores.
  EXPECT_EQ(ofKind(*insights, "drainable-node").size(), 0u);
}

TEST_F(InsightsTest, SpotCandidatesAreStatelessReplicatedDeploymentsOnOnDemandNodes) {
  auto st = makeStore(path_,
                      {{"od-1", "m5.large"},
                       {"od-2", "m5.large"},
                       {"spot-1", "m5.large", 4, 16, 0, 0.1, true},
                       {"od-3", "x9.unknown"}},
                      {// web: 2 replicas on on-demand: a candidate.
                       {"shop", "deployment", "web", "web-1", "od-1", 3, 12, 0, 0.04},
                       {"shop", "deployment", "web", "web-2", "od-2", 3, 12, 0, 0.06},
                       // one: a single replica.
                       {"shop", "deployment", "one", "one-1", "od-1", 0.1, 0.1},
                       // cache: a PV (even a network one) makes it stateful.
                       {"shop", "deployment", "cache", "cache-1", "od-1", 0.1, 0.1, 0, 0.01, "gp3"},
                       {"shop", "deployment", "cache", "cache-2", "od-2", 0.1, 0.1, 0, 0.01, "gp3"},
                       // db: a StatefulSet.
                       {"shop", "statefulset", "db", "db-0", "od-1", 0.1, 0.1},
                       {"shop", "statefulset", "db", "db-1", "od-2", 0.1, 0.1},
                       // batch: already on spot.
                       {"shop", "replicaset", "batch", "batch-1", "spot-1", 0.1, 0.1},
                       {"shop", "replicaset", "batch", "batch-2", "spot-1", 0.1, 0.1},
                       // rs: one pod on spot, one on-demand: the on-demand one's cost counts.
                       {"shop", "replicaset", "rs", "rs-1", "spot-1", 0.1, 0.1, 0, 0.02},
                       {"shop", "replicaset", "rs", "rs-2", "od-2", 0.1, 0.1, 0, 0.02},
                       // odd: its nodes' type has no spot price.
                       {"shop", "deployment", "odd", "odd-1", "od-3", 0.1, 0.1},
                       {"shop", "deployment", "odd", "odd-2", "od-3", 0.1, 0.1}});
  ASSERT_NE(st, nullptr);
  InsightOptions o = lastHour();
  o.drainable_nodes = false;
  o.spot_price = [](std::string_view type, std::string_view) -> std::optional<SpotPrice> {
    if (type != "m5.large") return std::nullopt;
    return SpotPrice{0.096, 0.0384, "test:m5.large"};  // spot = 40% of on-demand
  };
  auto insights = savingsInsights(*st, o);
  ASSERT_TRUE(insights.has_value()) << insights.error().message;
  EXPECT_EQ(ofKind(*insights, "drainable-node").size(), 0u);
  auto spot = ofKind(*insights, "spot-candidate");
  ASSERT_EQ(spot.size(), 2u);
  EXPECT_EQ(spot[0].object, "test/shop/deployment/web");
  EXPECT_NEAR(spot[0].monthly_cost_usd, (0.04 + 0.06) * 0.6 * 730, 1e-9);
  EXPECT_NE(spot[0].evidence.find("2 replicas"), std::string::npos) << spot[0].evidence;
  EXPECT_NE(spot[0].evidence.find("m5.large: test:m5.large 40% of on-demand"), std::string::npos)
      << spot[0].evidence;
  EXPECT_NE(spot[0].evidence.find("PDB: unknown (not in store)"), std::string::npos);
  EXPECT_EQ(spot[1].object, "test/shop/replicaset/rs");
  EXPECT_NEAR(spot[1].monthly_cost_usd, 0.02 * 0.6 * 730, 1e-9);
  EXPECT_NE(spot[1].evidence.find("1 pods already on spot"), std::string::npos) << spot[1].evidence;
  const std::string json = insightsJson(*insights);
  EXPECT_NE(json.find("\"kind\":\"spot-candidate\""), std::string::npos);
}

}  // namespace
}  // namespace trimtab::recommend
