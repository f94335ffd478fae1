// Golden scores of every paper policy on small hand-made nodes (values computed by hand from the
// formulas in docs/planner.md), the fragmentation measure and the typical-pod set.
#include "plan/policy.h"

#include <gtest/gtest.h>

#include "plan/frag.h"
#include "plan/rng.h"
#include "plan/scheduler.h"

namespace trimtab::plan {
namespace {

NodeState node(std::int64_t cpu_free, std::vector<int> gpus) {
  NodeState s;
  s.cpu_free_milli = cpu_free;
  s.memory_free_mib = 1 << 20;
  s.gpu_count = static_cast<int>(gpus.size());
  for (std::size_t i = 0; i < gpus.size(); ++i) s.gpu_free_milli[i] = gpus[i];
  return s;
}

PodSpec pod(std::int64_t cpu, int num_gpu = 0, int milli = 0) {
  PodSpec p;
  p.name = "p";
  p.cpu_milli = cpu;
  p.memory_mib = 1;
  p.num_gpu = num_gpu;
  p.gpu_milli = milli;
  return p;
}

TEST(PlanPolicy, Names) {
  for (PolicyKind k : allPolicies()) EXPECT_EQ(parsePolicy(policyName(k)), k);
  EXPECT_FALSE(parsePolicy("fifo"));
  EXPECT_EQ(allPolicies().size(), 7u);
}

TEST(PlanPolicy, DotProduct) {
  // dot = 0.5*0.0625 + 0.25*0.0625 = 0.046875; 100*(1 - dot/2) = 97.66
  EXPECT_EQ(dotProductScore(node(64000, {1000, 1000}), pod(8000, 1, 500)), 97);
  EXPECT_EQ(dotProductScore(node(4000, {1000}), pod(8000, 1, 500)), 0);  // lacks CPU
  // A less aligned node (less free) scores higher.
  EXPECT_GT(dotProductScore(node(8000, {500}), pod(8000, 1, 500)),
            dotProductScore(node(96000, {1000, 1000, 1000, 1000}), pod(8000, 1, 500)));
}

TEST(PlanPolicy, ClusteringBands) {
  NodeState shared = node(1000, {500, 1000, 1000, 1000, 1000, 1000, 1000, 1000});
  shared.affinity_classes = 1u << kShareClass;
  // fill = 25*500/8000 = 1 (integer), same-class-only band +75
  EXPECT_EQ(clusteringScore(shared, pod(1, 1, 300)), 76);
  EXPECT_EQ(clusteringScore(shared, pod(1, 1, 1000)), 1);  // only other classes
  NodeState mixed = shared;
  mixed.affinity_classes |= 1u << 1;
  EXPECT_EQ(clusteringScore(mixed, pod(1, 1, 300)), 51);
  EXPECT_EQ(clusteringScore(node(1000, std::vector<int>(8, 1000)), pod(1, 1, 300)), 25);
  EXPECT_EQ(clusteringScore(node(1000, {1000, 1000}), pod(1, 1, 300)), 25 + 25 * 6000 / 8000);
  EXPECT_EQ(clusteringScore(shared, pod(1000)), 0);  // CPU-only
}

TEST(PlanPolicy, PackingCases) {
  EXPECT_EQ(packingScore(node(1, std::vector<int>(8, 1000)), pod(1, 1, 500)), 25);  // 33-8
  EXPECT_EQ(packingScore(node(1, {1000, 1000}), pod(1, 1, 500)), 31);
  EXPECT_EQ(packingScore(node(1, {1000}), pod(1, 1, 500)), 32);
  const NodeState used = node(1, {1000, 1000, 1000, 400});
  EXPECT_EQ(packingScore(used, pod(1, 1, 1000)), 49);  // 50 - 1 fully free device
  EXPECT_EQ(packingScore(used, pod(1, 2, 1000)), 48);
  EXPECT_EQ(packingScore(used, pod(1, 1, 300)), 96);  // 100 - 40/10
  EXPECT_EQ(packingScore(used, pod(1, 1, 500)), 49);  // must open a free device
  EXPECT_EQ(packingScore(used, pod(1000)), 0);
}

TEST(PlanPolicy, BestFit) {
  // waste = 56000/128000*0.5 + 1500/8000*0.5 = 0.3125 -> 68.75
  EXPECT_EQ(bestFitScore(node(64000, {1000, 1000}), pod(8000, 1, 500)), 68);
  EXPECT_EQ(bestFitScore(node(8000, {500}), pod(8000, 1, 500)), 100);
}

TEST(PlanPolicy, FgdSigmoid) {
  EXPECT_EQ(fgdScore(0), 50);
  EXPECT_EQ(fgdScore(1000), 26);
  EXPECT_EQ(fgdScore(-1000), 73);
}

std::vector<TypicalPod> handTypical() {
  TypicalPod cpu{0, 0, 0, 0, "", 0.25};
  cpu.cpu_milli = 1000;
  TypicalPod share{1000, 500, 1, 0, "", 0.5};
  TypicalPod two{1000, 1000, 2, 0, "", 0.25};
  return {cpu, share, two};
}

TEST(PlanFrag, HandComputedNodeFragmentation) {
  const auto typical = handTypical();
  // idle 1300: cpu-only 0.25*1300 + share fits (only the 300 device is too small) 0.5*300 +
  // two-GPU does not fit 0.25*1300 = 800.
  EXPECT_DOUBLE_EQ(nodeFragMilli(node(4000, {1000, 300}), 0, typical), 800);
  // Without CPU for the share task its term becomes the whole idle GPU.
  EXPECT_DOUBLE_EQ(nodeFragMilli(node(500, {1000, 300}), 0, typical), 1300);
  EXPECT_DOUBLE_EQ(nodeFragMilli(node(4000, {0, 0}), 0, typical), 0);
  // A task restricted to another model cannot use the node at all.
  auto restricted = typical;
  restricted[1].gpu_model_mask = 0b10;
  EXPECT_DOUBLE_EQ(nodeFragMilli(node(4000, {1000, 300}), 0, restricted), 1300);
  EXPECT_DOUBLE_EQ(nodeFragMilli(node(4000, {1000, 300}), 1, restricted), 800);
}

TEST(PlanFrag, EvaluatePicksTheLeastFragmentingDevice) {
  const auto typical = handTypical();
  const NodeState s = node(4000, {1000, 600});
  const double now = nodeFragMilli(s, 0, typical);
  // Share pod of 500 on device 0 (-> [500, 600]: both devices still hold a share task, the
  // two-GPU task was impossible anyway): 800 -> 550 = -250. On device 1 (-> [1000, 100]): the
  // 100 left is a fragment for the share task: 800 -> 600 = -200. Device 0 wins.
  const FragEval e = evaluateFrag(s, 0, pod(100, 1, 500), typical, now);
  EXPECT_EQ(e.exact_gpu, 0);
  EXPECT_EQ(e.fgd_gpu, 0);
  NodeState after = s;
  after.cpu_free_milli -= 100;
  after.gpu_free_milli[0] = 500;
  EXPECT_DOUBLE_EQ(now, 800);
  EXPECT_DOUBLE_EQ(e.exact_increase, nodeFragMilli(after, 0, typical) - now);
  EXPECT_DOUBLE_EQ(e.exact_increase, -250);
  EXPECT_EQ(e.fgd_score, fgdScore(e.exact_increase));
}

TEST(PlanFrag, TypicalPodsGroupSortAndCut) {
  std::vector<PodSpec> pods;
  for (int i = 0; i < 5; ++i) pods.push_back(pod(1000, 1, 500));
  for (int i = 0; i < 3; ++i) pods.push_back(pod(2000));
  pods.push_back(pod(4000, 1, 1000));
  pods.push_back(pod(8000, 2, 1000));
  auto all = typicalPods(pods, 95);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].gpu_milli, 500);
  EXPECT_DOUBLE_EQ(all[0].probability, 0.5);
  EXPECT_EQ(all[2].cpu_milli, 8000);  // count tie: larger CPU first
  auto top = typicalPods(pods, 80);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_DOUBLE_EQ(top[0].probability, 5.0 / 8.0);
  EXPECT_DOUBLE_EQ(top[1].probability, 3.0 / 8.0);
  EXPECT_TRUE(typicalPods({}, 95).empty());
}

// Golden placements on a hand-made cluster: which node each policy picks for one pod.
TEST(PlanPolicy, GoldenChoicesOnSmallCluster) {
  Cluster c;
  const int model = *c.gpu_models.intern("T4");
  auto add = [&](const char* name, std::int64_t cpu, int gpus) {
    NodeSpec n;
    n.name = name;
    n.cpu_milli = cpu;
    n.memory_mib = 1 << 20;
    n.gpu_count = gpus;
    n.gpu_model = model;
    c.nodes.push_back(n);
  };
  add("big", 96000, 8);
  add("small", 16000, 2);
  add("one", 8000, 1);
  auto choose = [&](PolicyKind k, const std::vector<PodSpec>& before, const PodSpec& p) {
    Rng rng(1);
    std::vector<PodSpec> all = before;
    all.push_back(p);
    Scheduler s(c, k, typicalPods(all), rng, TieBreak::kFirst);
    for (std::size_t i = 0; i < before.size(); ++i) s.schedule(before[i], i);
    return s.schedule(p, before.size()).node;
  };
  const PodSpec share = pod(4000, 1, 500);
  EXPECT_EQ(choose(PolicyKind::kBestFit, {}, share), 2);  // least waste: "one" scores 95
  EXPECT_EQ(choose(PolicyKind::kPacking, {}, share), 2);  // free 1-GPU node: max(33-1, 1) = 32
  // "small" and "one" both score 99; the first listed wins.
  EXPECT_EQ(choose(PolicyKind::kDotProduct, {}, share), 1);
  EXPECT_EQ(choose(PolicyKind::kClustering, {}, share), 2);  // idle band: 25 + 25*7000/8000 = 46
  // A second share pod joins the first: Packing 100 - 50/10 = 95, Clustering 75 + 23.
  EXPECT_EQ(choose(PolicyKind::kPacking, {share}, share), 2);
  EXPECT_EQ(choose(PolicyKind::kClustering, {share}, share), 2);
}

TEST(PlanPolicy, FgdFillsTheHalfUsedDevice) {
  // Target workload: half share pods (500), half whole-GPU pods. The second share pod on the
  // half-used 1-GPU node lowers fragmentation by 250 (score 56); on the free 2-GPU node it would
  // strand 500 milli for whole-GPU tasks (+250, score 43).
  Cluster c;
  const int model = *c.gpu_models.intern("T4");
  for (auto [name, gpus] : {std::pair{"a", 1}, std::pair{"b", 2}}) {
    NodeSpec n;
    n.name = name;
    n.cpu_milli = 64000;
    n.memory_mib = 1 << 20;
    n.gpu_count = gpus;
    n.gpu_model = model;
    c.nodes.push_back(n);
  }
  const PodSpec share = pod(1000, 1, 500);
  const PodSpec whole = pod(1000, 1, 1000);
  std::vector<PodSpec> workload = {share, share, whole, whole};
  for (PolicyKind k : {PolicyKind::kFgd, PolicyKind::kTrimtab}) {
    Rng rng(7);
    Scheduler s(c, k, typicalPods(workload), rng, TieBreak::kFirst);
    EXPECT_EQ(s.schedule(share, 0).node, 0);  // tie (+250 both): first node
    const Decision d = s.schedule(share, 1);
    EXPECT_EQ(d.node, 0) << policyName(k);
    EXPECT_EQ(d.gpus, GpuMask{1});
    EXPECT_DOUBLE_EQ(s.clusterFragMilli(), 0);
  }
}

}  // namespace
}  // namespace trimtab::plan
