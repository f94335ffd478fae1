// Consolidation on hand-built clusters whose right answer is known, plus a property test that
// re-checks every plan (verifyPlan: fit rules, capacity, pinned pods, disruption, prices).
#include "plan/consolidate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "plan/rng.h"
#include "pricing/catalog.h"

namespace trimtab::plan {
namespace {

ClusterNode node(const std::string& name, std::int64_t cpu_milli, std::int64_t mem_mib, double usd,
                 const std::string& type = "m.test") {
  ClusterNode n;
  n.spec.name = name;
  n.spec.cpu_milli = cpu_milli;
  n.spec.memory_mib = mem_mib;
  n.spec.max_pods = 110;
  n.instance_type = type;
  n.hourly_usd = usd;
  n.price_source = "test";
  return n;
}

ClusterPod pod(const std::string& name, std::int64_t cpu_milli, std::int64_t mem_mib, int on,
               PodRole role = PodRole::kMovable) {
  ClusterPod p;
  p.spec.name = name;
  p.spec.cpu_milli = cpu_milli;
  p.spec.memory_mib = mem_mib;
  p.node = on;
  p.role = role;
  if (role == PodRole::kPinned) p.pin_reason = "no controller";
  return p;
}

InstanceOption option(const std::string& type, std::int64_t cpu_milli, std::int64_t mem_mib,
                      double usd) {
  InstanceOption o;
  o.instance_type = type;
  o.cpu_milli = cpu_milli;
  o.memory_mib = mem_mib;
  o.max_pods = 110;
  o.hourly_usd = usd;
  return o;
}

ConsolidateOptions noThreshold() {
  ConsolidateOptions o;
  o.min_saving_per_disruption_usd = 0;
  o.deadline_ms = 20000;
  return o;
}

double removedMinusAdded(const ClusterDescription& c, const ConsolidationPlan& p) {
  double usd = 0;
  for (const auto& a : p.actions) {
    for (int n : a.removed) usd += c.nodes[static_cast<std::size_t>(n)].hourly_usd;
    for (const auto& n : a.added) usd -= n.option.hourly_usd;
  }
  return usd * kHoursPerMonth;
}

int removedCount(const ConsolidationPlan& p) {
  int n = 0;
  for (const auto& a : p.actions) n += static_cast<int>(a.removed.size());
  return n;
}

TEST(Consolidate, TwoHalfEmptyNodesBecomeOne) {
  ClusterDescription c;
  c.nodes = {node("a", 4000, 16384, 0.2), node("b", 4000, 16384, 0.2)};
  c.pods = {pod("ns/x", 1500, 4096, 0), pod("ns/y", 1500, 4096, 1)};
  const auto opts = noThreshold();
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->actions.size(), 1U);
  EXPECT_EQ(p->actions[0].kind, ActionKind::kDelete);
  ASSERT_EQ(p->actions[0].removed.size(), 1U);
  ASSERT_EQ(p->actions[0].moves.size(), 1U);
  EXPECT_EQ(p->evicted, 1);
  EXPECT_NEAR(p->monthly_saving_usd, 0.2 * 730, 1e-9);
  EXPECT_NEAR(p->monthly_saving_usd, removedMinusAdded(c, *p), 1e-9);
  const int kept = p->actions[0].removed[0] == 0 ? 1 : 0;
  EXPECT_EQ(p->actions[0].moves[0].target, kept);
  EXPECT_NE(p->verdicts[static_cast<std::size_t>(kept)].reason.find("do not fit"), std::string::npos)
      << p->verdicts[static_cast<std::size_t>(kept)].reason;
  EXPECT_TRUE(verifyPlan(c, *p, opts));
}

TEST(Consolidate, PinnedPodBlocksRemoval) {
  ClusterDescription c;
  c.nodes = {node("a", 4000, 16384, 0.2), node("b", 4000, 16384, 0.2)};
  c.pods = {pod("ns/bare", 500, 1024, 0, PodRole::kPinned), pod("ns/y", 1500, 4096, 1)};
  const auto opts = noThreshold();
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  ASSERT_EQ(removedCount(*p), 1);
  EXPECT_EQ(p->actions[0].removed[0], 1);  // b goes, a is pinned
  EXPECT_NE(p->verdicts[0].reason.find("pinned by pod ns/bare (no controller)"), std::string::npos)
      << p->verdicts[0].reason;
  EXPECT_TRUE(verifyPlan(c, *p, opts));

  c.pods[1].role = PodRole::kPinned;
  c.pods[1].pin_reason = "annotation karpenter.sh/do-not-disrupt=true";
  p = consolidate(c, opts);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->actions.empty());
  EXPECT_NE(p->verdicts[1].reason.find("do-not-disrupt"), std::string::npos);
  for (const auto& s : p->strategies) EXPECT_EQ(s.nodes_removed, 0) << s.name;
}

TEST(Consolidate, DaemonSetPodsStayAndDoNotCountAsEvictions) {
  ClusterDescription c;
  c.nodes = {node("a", 4000, 16384, 0.2), node("b", 4000, 16384, 0.3)};
  c.pods = {pod("ds/a", 100, 128, 0, PodRole::kDaemonSet), pod("ds/b", 100, 128, 1, PodRole::kDaemonSet),
            pod("ns/y", 1000, 1024, 0)};
  const auto opts = noThreshold();
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  ASSERT_EQ(removedCount(*p), 1);
  // b (pricier, only DaemonSet pods) goes; nothing is evicted.
  EXPECT_EQ(p->actions[0].removed[0], 1);
  EXPECT_EQ(p->evicted, 0);
  EXPECT_NE(p->verdicts[1].reason.find("empty apart from DaemonSet"), std::string::npos);
  EXPECT_TRUE(verifyPlan(c, *p, opts));
}

TEST(Consolidate, PodsThatDoNotFitKeepTheNodeWithTheNumbers) {
  ClusterDescription c;
  c.nodes = {node("a", 4000, 16384, 0.2), node("b", 4000, 16384, 0.2)};
  c.pods = {pod("ns/big", 3200, 2048, 0), pod("ns/other", 2900, 2048, 1)};
  const auto opts = noThreshold();
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->actions.empty());
  EXPECT_NE(p->verdicts[0].reason.find("needs 3.20 cores"), std::string::npos) << p->verdicts[0].reason;
  EXPECT_NE(p->verdicts[0].reason.find("1.10 cores"), std::string::npos) << p->verdicts[0].reason;
  EXPECT_NE(p->verdicts[0].reason.find("insufficient cpu"), std::string::npos);
}

TEST(Consolidate, MultiNodeDeletion) {
  ClusterDescription c;
  for (int i = 0; i < 3; ++i) c.nodes.push_back(node("n" + std::to_string(i), 4000, 16384, 0.2));
  for (int i = 0; i < 3; ++i) c.pods.push_back(pod("ns/p" + std::to_string(i), 1200, 2048, i));
  const auto opts = noThreshold();
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  EXPECT_EQ(removedCount(*p), 2);
  EXPECT_EQ(p->evicted, 2);
  EXPECT_NEAR(p->monthly_saving_usd, 0.4 * 730, 1e-9);
  EXPECT_TRUE(verifyPlan(c, *p, opts));
}

TEST(Consolidate, BigNodeSplitIntoTwoCheaperSmallOnes) {
  ClusterDescription c;
  c.nodes = {node("big", 16000, 65536, 1.0, "x.4xlarge")};
  c.pods = {pod("ns/a", 1500, 3072, 0), pod("ns/b", 1500, 3072, 0)};
  ConsolidateOptions opts = noThreshold();
  opts.replacements = {option("x.small", 2000, 8192, 0.1), option("x.4xlarge", 16000, 65536, 1.0)};
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_EQ(p->actions.size(), 1U);
  const auto& a = p->actions[0];
  EXPECT_EQ(a.kind, ActionKind::kReplace);
  ASSERT_EQ(a.added.size(), 2U);
  for (const auto& n : a.added) EXPECT_EQ(n.option.instance_type, "x.small");
  EXPECT_EQ(a.moves.size(), 2U);
  EXPECT_NE(a.moves[0].target, a.moves[1].target);
  EXPECT_NEAR(p->monthly_saving_usd, 0.8 * 730, 1e-9);
  EXPECT_NEAR(p->monthly_saving_usd, removedMinusAdded(c, *p), 1e-9);
  EXPECT_NE(p->verdicts[0].reason.find("2x x.small"), std::string::npos) << p->verdicts[0].reason;
  EXPECT_TRUE(verifyPlan(c, *p, opts));
  // Karpenter never splits one node into two: both of its methods save nothing here.
  ASSERT_EQ(p->strategies.size(), 3U);
  EXPECT_EQ(p->strategies[1].monthly_saving_usd, 0);
  EXPECT_EQ(p->strategies[2].monthly_saving_usd, 0);
}

TEST(Consolidate, NewNodesKeepTheZoneOfTheNodesTheyReplace) {
  const std::string zone = "topology.kubernetes.io/zone";
  ClusterDescription c;
  c.nodes = {node("big-a", 16000, 65536, 1.0), node("big-b", 16000, 65536, 1.0)};
  c.nodes[0].spec.labels[zone] = "a";
  c.nodes[1].spec.labels[zone] = "b";
  c.pods = {pod("db/pg-0", 1500, 3072, 0), pod("db/pg-1", 15000, 3072, 1)};
  c.pods[0].spec.node_selector[zone] = "a";  // a zonal volume
  c.pods[1].spec.node_selector[zone] = "b";
  ConsolidateOptions opts = noThreshold();
  opts.replacements = {option("x.small", 2000, 8192, 0.1)};
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->actions.size(), 1U);  // big-a -> one x.small in zone a; pg-1 fits no x.small
  ASSERT_EQ(p->actions[0].added.size(), 1U);
  EXPECT_EQ(p->actions[0].removed, std::vector<int>{0});
  EXPECT_EQ(p->actions[0].added[0].labels.at(zone), "a");
  EXPECT_TRUE(verifyPlan(c, *p, opts));
  // A group spanning both zones has no shared zone: its zonal pods cannot go to new nodes.
  c.pods[1].spec.cpu_milli = 1500;
  opts.max_replace_groups = 0;  // groups only
  p = consolidate(c, opts);
  ASSERT_TRUE(p);
  for (const auto& a : p->actions) EXPECT_LE(a.removed.size(), 1U);
  EXPECT_TRUE(verifyPlan(c, *p, opts));
}

TEST(Consolidate, ReplacementCarriesDaemonSetOverhead) {
  ClusterDescription c;
  c.nodes = {node("big", 16000, 65536, 1.0)};
  c.pods = {pod("ds/x", 600, 512, 0, PodRole::kDaemonSet), pod("ns/a", 1500, 3072, 0)};
  ConsolidateOptions opts = noThreshold();
  // 2000m minus 600m of DaemonSets leaves 1400m < 1500m: the small type cannot take the pod.
  opts.replacements = {option("x.small", 2000, 8192, 0.1), option("x.medium", 4000, 16384, 0.2)};
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->actions.size(), 1U);
  ASSERT_EQ(p->actions[0].added.size(), 1U);
  EXPECT_EQ(p->actions[0].added[0].option.instance_type, "x.medium");
  EXPECT_TRUE(verifyPlan(c, *p, opts));
}

TEST(Consolidate, MaxDisruptionRespected) {
  ClusterDescription c;
  for (int i = 0; i < 4; ++i) c.nodes.push_back(node("n" + std::to_string(i), 8000, 32768, 0.4));
  for (int i = 0; i < 4; ++i) {
    c.pods.push_back(pod("ns/a" + std::to_string(i), 500, 512, i));
    c.pods.push_back(pod("ns/b" + std::to_string(i), 500, 512, i));
  }
  ConsolidateOptions opts = noThreshold();
  opts.max_disruption = 3;
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  EXPECT_LE(p->evicted, 3);
  EXPECT_EQ(removedCount(*p), 1);  // each node evicts 2 pods
  for (const auto& s : p->strategies) EXPECT_LE(s.evicted, 3) << s.name;
  EXPECT_TRUE(verifyPlan(c, *p, opts));
  bool said = false;
  for (const auto& v : p->verdicts) said = said || v.reason.find("--max-disruption 3") != std::string::npos;
  EXPECT_TRUE(said);

  opts.max_disruption = 0;
  p = consolidate(c, opts);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->actions.empty());
}

TEST(Consolidate, SavingBelowThresholdIsStated) {
  ClusterDescription c;
  c.nodes = {node("a", 4000, 16384, 0.2), node("b", 4000, 16384, 0.2)};
  c.pods = {pod("ns/x", 500, 1024, 0), pod("ns/y", 500, 1024, 1)};
  ConsolidateOptions opts;
  opts.min_saving_per_disruption_usd = 1000;  // 146 $/month over 2 units = 73 per unit
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->actions.empty());
  EXPECT_NE(p->verdicts[0].reason.find("saving below threshold"), std::string::npos)
      << p->verdicts[0].reason;
  EXPECT_DOUBLE_EQ(p->threshold_usd, 1000);

  // Balanced default: cluster 292 $/month over 4 units / 2 = 36.5 per unit; 73 passes.
  opts.min_saving_per_disruption_usd = -1;
  p = consolidate(c, opts);
  ASSERT_TRUE(p);
  EXPECT_NEAR(p->threshold_usd, 0.4 * 730 / 4 / 2, 1e-9);
  EXPECT_EQ(removedCount(*p), 1);
  EXPECT_NE(p->threshold_rule.find("k=2"), std::string::npos);
}

TEST(Consolidate, BalancedThresholdIsPerPool) {
  // One expensive GPU node would set a cluster-wide threshold no CPU node reaches.
  ClusterDescription c;
  ASSERT_TRUE(c.gpu_models.intern("A100"));
  c.nodes = {node("a", 4000, 16384, 0.2), node("b", 4000, 16384, 0.2), node("gpu", 96000, 1 << 20, 30.0)};
  c.nodes[2].spec.gpu_count = 8;
  c.nodes[2].spec.gpu_model = 0;
  c.pods = {pod("ns/x", 500, 1024, 0), pod("ns/y", 500, 1024, 1)};
  for (int i = 0; i < 8; ++i) {
    ClusterPod g = pod("ml/t" + std::to_string(i), 12000, 8192, 2);  // the GPU node is full
    g.spec.num_gpu = 1;
    g.spec.gpu_milli = 1000;
    c.pods.push_back(g);
  }
  ConsolidateOptions opts;
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->pools.size(), 2U);
  EXPECT_EQ(p->pools[0].pool, "cpu nodes");
  EXPECT_NEAR(p->pools[0].threshold_usd, 0.4 * 730 / 4 / 2, 1e-9);
  EXPECT_NEAR(p->pools[1].threshold_usd, 30.0 * 730 / 9 / 2, 1e-9);
  EXPECT_EQ(removedCount(*p), 1);
  EXPECT_TRUE(verifyPlan(c, *p, opts));
}

TEST(Consolidate, PdbBlocksNode) {
  ClusterDescription c;
  c.nodes = {node("a", 4000, 16384, 0.2), node("b", 4000, 16384, 0.2)};
  c.pods = {pod("ns/x1", 500, 512, 0), pod("ns/x2", 500, 512, 0), pod("ns/y", 500, 512, 1)};
  c.pdbs_known = true;
  c.pdbs = {DisruptionBudget{"ns/x", 1}};
  c.pods[0].pdb = 0;
  c.pods[1].pdb = 0;
  const auto opts = noThreshold();
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  ASSERT_EQ(removedCount(*p), 1);
  EXPECT_EQ(p->actions[0].removed[0], 1);
  EXPECT_NE(p->verdicts[0].reason.find("PDB ns/x allows 1"), std::string::npos) << p->verdicts[0].reason;
  EXPECT_TRUE(verifyPlan(c, *p, opts));
}

TEST(Consolidate, FitRulesHonouredOnTargets) {
  // The pod needs a GPU of model 0 and a label; only node c qualifies.
  ClusterDescription c;
  ASSERT_TRUE(c.gpu_models.intern("A100"));
  ASSERT_TRUE(c.gpu_models.intern("T4"));
  c.nodes = {node("src", 8000, 32768, 3.0), node("t4", 8000, 32768, 1.0), node("plain", 8000, 32768, 0.5),
             node("c", 8000, 32768, 3.0)};
  for (int i : {0, 3}) {
    c.nodes[static_cast<std::size_t>(i)].spec.gpu_count = 2;
    c.nodes[static_cast<std::size_t>(i)].spec.gpu_model = 0;
  }
  c.nodes[1].spec.gpu_count = 4;
  c.nodes[1].spec.gpu_model = 1;
  c.nodes[3].spec.labels["pool"] = "gpu";
  c.nodes[0].spec.labels["pool"] = "gpu";
  ClusterPod g = pod("ml/train", 1000, 4096, 0);
  g.spec.num_gpu = 1;
  g.spec.gpu_milli = 1000;
  g.spec.gpu_model_mask = 1;
  g.spec.node_selector["pool"] = "gpu";
  c.pods = {g, pod("ml/keep", 7500, 1024, 3), pod("x/t4", 7500, 1024, 1), pod("x/plain", 7500, 1024, 2)};
  c.pods[1].spec.cpu_milli = 6000;  // c has room for the GPU pod and cannot go itself
  c.pods[1].role = PodRole::kPinned;
  c.pods[1].pin_reason = "no controller";
  const auto opts = noThreshold();
  auto p = consolidate(c, opts);
  ASSERT_TRUE(p);
  ASSERT_GE(removedCount(*p), 1);
  bool moved = false;
  for (const auto& a : p->actions)
    for (const auto& m : a.moves)
      if (m.pod == 0) {
        EXPECT_EQ(m.target, 3);
        moved = true;
      }
  EXPECT_TRUE(moved);
  EXPECT_TRUE(verifyPlan(c, *p, opts));
}

TEST(Consolidate, BadInputIsAnError) {
  ClusterDescription c;
  c.nodes = {node("a", 4000, 16384, 0.2)};
  c.pods = {pod("ns/x", 500, 1024, 3)};
  auto p = consolidate(c, noThreshold());
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("ns/x"), std::string::npos);
}

TEST(Consolidate, VerifyCatchesAnOverfullTarget) {
  ClusterDescription c;
  c.nodes = {node("a", 4000, 16384, 0.2), node("b", 4000, 16384, 0.2)};
  c.pods = {pod("ns/x", 3000, 1024, 0), pod("ns/y", 3000, 1024, 1)};
  ConsolidationPlan bad;
  ConsolidationAction a;
  a.removed = {0};
  a.removed_hourly_usd = 0.2;
  a.moves = {PodMove{0, 1, "b"}};
  a.evicted = 1;
  bad.actions.push_back(a);
  bad.evicted = 1;
  bad.monthly_saving_usd = 0.2 * 730;
  auto st = verifyPlan(c, bad, noThreshold());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("insufficient cpu"), std::string::npos) << st.error().message;
}

TEST(Consolidate, VerifyCatchesPinnedMovesAndStrandedPods) {
  ClusterDescription c;
  c.nodes = {node("a", 4000, 16384, 0.2), node("b", 4000, 16384, 0.2)};
  c.pods = {pod("ns/bare", 500, 1024, 0, PodRole::kPinned), pod("ns/y", 500, 1024, 0)};
  ConsolidationPlan bad;
  ConsolidationAction a;
  a.removed = {0};
  a.removed_hourly_usd = 0.2;
  a.moves = {PodMove{1, 1, "b"}};
  a.evicted = 1;
  bad.actions.push_back(a);
  bad.evicted = 1;
  bad.monthly_saving_usd = 0.2 * 730;
  auto st = verifyPlan(c, bad, noThreshold());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("ns/bare stays on removed node a"), std::string::npos)
      << st.error().message;
  bad.actions[0].moves.push_back(PodMove{0, 1, "b"});
  bad.actions[0].evicted = 2;
  bad.evicted = 2;
  st = verifyPlan(c, bad, noThreshold());
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("ns/bare cannot move"), std::string::npos) << st.error().message;
}

// Random clusters: every plan passes verifyPlan, saving = removed - added, and Trimtab saves
// at least as much as Karpenter's single-node method.
TEST(ConsolidateProperty, EveryPlanRechecks) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);
    ClusterDescription c;
    ASSERT_TRUE(c.gpu_models.intern("A10G"));
    const int nodes = 3 + static_cast<int>(rng.below(12));
    for (int i = 0; i < nodes; ++i) {
      const std::int64_t cpu = 2000 * (1 + static_cast<std::int64_t>(rng.below(8)));
      ClusterNode n = node("n" + std::to_string(i), cpu, cpu * 4, static_cast<double>(cpu) / 1000 * 0.05);
      if (rng.below(5) == 0) {
        n.spec.gpu_count = 1 + static_cast<int>(rng.below(4));
        n.spec.gpu_model = 0;
        n.hourly_usd += n.spec.gpu_count;
      }
      if (rng.below(4) == 0) n.spec.labels["zone"] = rng.below(2) ? "a" : "b";
      c.nodes.push_back(n);
    }
    for (int i = 0; i < nodes; ++i) {
      const auto& n = c.nodes[static_cast<std::size_t>(i)];
      c.pods.push_back(pod("ds/" + std::to_string(i), 100, 200, i, PodRole::kDaemonSet));
      std::int64_t used = 100;
      const int count = static_cast<int>(rng.below(6));
      for (int k = 0; k < count; ++k) {
        const std::int64_t cpu = 100 * (1 + static_cast<std::int64_t>(rng.below(20)));
        if (used + cpu > n.spec.cpu_milli) break;
        used += cpu;
        ClusterPod p = pod(fmt::format("ns/p{}-{}", i, k), cpu, cpu * 2, i,
                           rng.below(10) == 0 ? PodRole::kPinned : PodRole::kMovable);
        if (n.spec.gpu_count > 0 && rng.below(2) == 0) {
          p.spec.num_gpu = 1;
          p.spec.gpu_milli = rng.below(2) ? 1000 : 500;
        }
        if (rng.below(6) == 0) p.spec.node_selector["zone"] = "a";
        if (rng.below(6) == 0) p.spec.anti_affinity_group = "web";
        c.pods.push_back(p);
      }
    }
    ConsolidateOptions opts = noThreshold();
    opts.replacements = {option("r.small", 2000, 8000, 0.09), option("r.medium", 4000, 16000, 0.19),
                         option("r.large", 8000, 32000, 0.39)};
    opts.max_disruption = rng.below(3) == 0 ? static_cast<int>(rng.below(6)) : -1;
    opts.threads = 2;
    auto p = consolidate(c, opts);
    ASSERT_TRUE(p) << "seed " << seed << ": " << p.error().message;
    auto st = verifyPlan(c, *p, opts);
    EXPECT_TRUE(st) << "seed " << seed << ": " << (st ? "" : st.error().message);
    EXPECT_NEAR(p->monthly_saving_usd, removedMinusAdded(c, *p), 1e-6) << "seed " << seed;
    ASSERT_EQ(p->strategies.size(), 3U);
    EXPECT_GE(p->monthly_saving_usd + 1e-6, 0.0);
    EXPECT_FALSE(planJson(c, *p).empty());
  }
}

}  // namespace
}  // namespace trimtab::plan

namespace trimtab::plan {
namespace {

TEST(ConsolidateOptions, ArchitectureFilterKeepsTheClustersArch) {
  EXPECT_EQ(normalizeArch("x64"), "amd64");
  EXPECT_EQ(normalizeArch("Arm64"), "arm64");
  EXPECT_EQ(normalizeArch(""), "");
  SizingOptions o;
  o.target_utilization = 1.0;
  o.architectures = {"amd64"};
  auto amd = catalogOptions(pricing::Catalog::builtin(), o);
  ASSERT_TRUE(amd);
  for (const auto& opt : *amd) EXPECT_FALSE(opt.instance_type.starts_with("t4g.")) << opt.instance_type;
  o.architectures = {"arm64"};
  auto arm = catalogOptions(pricing::Catalog::builtin(), o);
  ASSERT_TRUE(arm);
  for (const auto& opt : *arm) EXPECT_FALSE(opt.instance_type.starts_with("m5.")) << opt.instance_type;
}

}  // namespace
}  // namespace trimtab::plan
