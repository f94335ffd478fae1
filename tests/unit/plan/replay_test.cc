// The replay harness: a tiny case computed by hand, the arrival sequence (shuffle + tuning),
// binning, unschedulable pods with reasons, and the property that no placement ever violates a
// constraint (every placement re-checked from scratch).
#include "plan/replay.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "plan/openb.h"

namespace trimtab::plan {
namespace {

PodSpec pod(const char* name, std::int64_t cpu, int num_gpu = 0, int milli = 0) {
  PodSpec p;
  p.name = name;
  p.cpu_milli = cpu;
  p.memory_mib = 100;
  p.num_gpu = num_gpu;
  p.gpu_milli = milli;
  return p;
}

Cluster tinyCluster() {
  Cluster c;
  const int model = *c.gpu_models.intern("T4");
  NodeSpec a{"a", 4000, 4096, -1, -1, 1, model, {}, {}};
  NodeSpec b{"b", 8000, 8192, -1, -1, 2, model, {}, {}};
  c.nodes = {a, b};
  return c;
}

// Hand computation (BestFit, no shuffle, no tuning; 3 GPUs, so 1 % = 30 milli-GPU):
//  p1 (1 CPU, 0.5 GPU): a scores 95, b 87 -> a, device 0. arrived 500, used 500.
//  p2 (1 CPU, 2 GPUs): only b has 2 devices -> b, devices 0,1. arrived 2500, used 2500.
//  p3 (1 CPU, 1 GPU): a has 500 milli, b none free -> unschedulable. arrived 3500.
//  p4 (5 CPU): a has 3 CPU left; b 6 -> b.
//  p5 (100 CPU): larger than any node -> unschedulable.
// Bins: 500/30 = 16.7 -> 17 (alloc 16.67); 2500/30 = 83.3 -> 83 (83.33); 3500/30 -> 117 (83.33).
TEST(PlanReplay, TinyReplayByHand) {
  const Cluster c = tinyCluster();
  const std::vector<PodSpec> pods = {pod("p1", 1000, 1, 500), pod("p2", 1000, 2, 1000),
                                     pod("p3", 1000, 1, 1000), pod("p4", 5000), pod("p5", 100000)};
  ReplayOptions o;
  o.policy = PolicyKind::kBestFit;
  o.shuffle = false;
  o.inflate = 0;
  auto r = replay(c, pods, o);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->placements.size(), 3u);
  EXPECT_EQ(r->placements[0].node, 0);
  EXPECT_EQ(r->placements[0].gpus, GpuMask{1});
  EXPECT_EQ(r->placements[1].node, 1);
  EXPECT_EQ(r->placements[1].gpus, GpuMask{0b11});
  EXPECT_EQ(r->placements[2].node, 1);
  EXPECT_EQ(r->placements[2].pod, 3u);
  ASSERT_EQ(r->failed.size(), 2u);
  EXPECT_EQ(r->failed[0].name, "p3");
  EXPECT_EQ(r->failed[0].reason, "0/2 nodes fit: 2 insufficient GPU");
  EXPECT_EQ(r->failed[1].name, "p5");
  EXPECT_EQ(r->failed[1].reason, "0/2 nodes fit: 2 insufficient cpu");
  ASSERT_EQ(r->records.size(), 5u);
  EXPECT_EQ(r->records[2].arrived_gpu_milli, 3500);
  EXPECT_EQ(r->records[4].used_gpu_milli, 2500);

  std::map<int, CurvePoint> curve;
  for (const auto& p : r->curve) curve[p.arrived_pct] = p;
  ASSERT_TRUE(curve.count(17));
  EXPECT_DOUBLE_EQ(curve[17].gpu_alloc_pct, 16.67);
  EXPECT_DOUBLE_EQ(curve[16].gpu_alloc_pct, 16.67);  // empty bin: neighbours
  EXPECT_DOUBLE_EQ(curve[50].gpu_alloc_pct, 16.67);  // gap: carried forward
  EXPECT_DOUBLE_EQ(curve[83].gpu_alloc_pct, 83.33);
  EXPECT_DOUBLE_EQ(curve[117].unallocated_gpu_pct, 16.67);
  EXPECT_DOUBLE_EQ(r->unallocated_gpu_pct_at_100, 16.67);
  // A point for every whole percent from the first bin on.
  for (int k = 16; k <= 117; ++k) EXPECT_TRUE(curve.count(k)) << k;

  const std::string json = replayJson(*r);
  EXPECT_NE(json.find("\"policy\":\"bestfit\""), std::string::npos);
  EXPECT_NE(json.find("\"failed_pods\":2"), std::string::npos);
  EXPECT_NE(json.find("\"unallocated_gpu_pct_at_100\":16.67"), std::string::npos);
  EXPECT_NE(json.find("{\"arrived_pct\":17,\"gpu_alloc_pct\":16.67,\"unallocated_gpu_pct\":83.33,"),
            std::string::npos)
      << json;
}

TEST(PlanReplay, DiscretiseRoundsHalfToEven) {
  // 1 GPU: 1 % = 10 milli. 25 milli -> 2.5 -> 2 (half to even); 35 -> 3.5 -> 4.
  std::vector<ReplayRecord> recs = {{25, 10, 0}, {35, 30, 0}};
  auto c = discretise(recs, 1);
  std::map<int, double> alloc;
  for (const auto& p : c) alloc[p.arrived_pct] = p.gpu_alloc_pct;
  EXPECT_DOUBLE_EQ(alloc.at(2), 1.0);
  EXPECT_DOUBLE_EQ(alloc.at(4), 3.0);
  EXPECT_DOUBLE_EQ(alloc.at(3), 2.0);  // neighbours 2 and 4: mean of 1 and 3
}

TEST(PlanReplay, ArrivalSequenceTunesToTarget) {
  std::vector<PodSpec> pods;
  for (int i = 0; i < 20; ++i) {
    pods.push_back(pod(("p" + std::to_string(100 + i)).c_str(), 1000, 1, i % 2 ? 1000 : 250));
  }
  Rng rng(42);
  // 20 pods request 12.5 GPUs; a 10-GPU cluster at 1.3 wants <= 13 GPUs.
  auto seq = arrivalSequence(pods, 10, 1.3, true, rng);
  std::int64_t total = 0;
  for (const auto& p : seq) total += p.gpuMilliTotal();
  EXPECT_LE(total, 13000);
  EXPECT_GT(seq.size(), pods.size());
  EXPECT_NE(seq.back().name.find("-tuned-"), std::string::npos);
  // Over the target: pods are removed.
  Rng rng2(42);
  auto cut = arrivalSequence(pods, 5, 1.3, true, rng2);
  total = 0;
  for (const auto& p : cut) total += p.gpuMilliTotal();
  EXPECT_LE(total, 6500);
  EXPECT_LT(cut.size(), pods.size());
  // Same seed, same sequence.
  Rng a(7), b(7);
  auto s1 = arrivalSequence(pods, 10, 1.3, true, a);
  auto s2 = arrivalSequence(pods, 10, 1.3, true, b);
  ASSERT_EQ(s1.size(), s2.size());
  for (std::size_t i = 0; i < s1.size(); ++i) EXPECT_EQ(s1[i].name, s2[i].name);
}

TEST(PlanReplay, RejectsClusterWithoutGpus) {
  Cluster c;
  c.nodes.push_back(NodeSpec{"cpu", 1000, 1000, -1, -1, 0, -1, {}, {}});
  ReplayOptions o;
  EXPECT_FALSE(replay(c, std::vector<PodSpec>{pod("p", 1)}, o));
  EXPECT_FALSE(replay(tinyCluster(), std::vector<PodSpec>{}, o));
}

// Property: for random clusters with taints, selectors, anti-affinity, models and random pods,
// every policy's placements pass every fit rule when re-applied from scratch, and every pod is
// either placed or listed as unschedulable.
TEST(PlanReplay, PlacementsNeverViolateConstraints) {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    Rng rng(seed);
    Cluster c;
    const int t4 = *c.gpu_models.intern("T4");
    const int a100 = *c.gpu_models.intern("A100");
    const int nodes = 3 + static_cast<int>(rng.below(10));
    for (int i = 0; i < nodes; ++i) {
      NodeSpec n;
      n.name = "n" + std::to_string(i);
      n.cpu_milli = 2000 + static_cast<std::int64_t>(rng.below(30)) * 1000;
      n.memory_mib = 2048 + static_cast<std::int64_t>(rng.below(60)) * 1024;
      n.ephemeral_mib = rng.below(2) ? -1 : 5000;
      n.max_pods = rng.below(2) ? -1 : 4 + static_cast<int>(rng.below(8));
      n.gpu_count = static_cast<int>(std::vector<int>{0, 1, 2, 4, 8}[rng.below(5)]);
      n.gpu_model = n.gpu_count > 0 ? (rng.below(2) ? t4 : a100) : -1;
      n.labels = {{"zone", rng.below(2) ? "a" : "b"}};
      if (rng.below(4) == 0) n.taints = {Taint{"dedicated", "ml", TaintEffect::kNoSchedule}};
      c.nodes.push_back(n);
    }
    std::vector<PodSpec> pods;
    const int count = 30 + static_cast<int>(rng.below(60));
    for (int i = 0; i < count; ++i) {
      PodSpec p;
      p.name = "pod" + std::to_string(1000 + i);
      p.cpu_milli = 100 + static_cast<std::int64_t>(rng.below(8000));
      p.memory_mib = 64 + static_cast<std::int64_t>(rng.below(8000));
      p.ephemeral_mib = static_cast<std::int64_t>(rng.below(2000));
      switch (rng.below(4)) {
        case 0:
          break;
        case 1:
          p.num_gpu = 1;
          p.gpu_milli = 100 + static_cast<int>(rng.below(900));
          break;
        default:
          p.num_gpu = static_cast<int>(std::vector<int>{1, 2, 4}[rng.below(3)]);
          p.gpu_milli = 1000;
      }
      if (rng.below(4) == 0) p.gpu_model_mask = std::uint64_t{1} << (rng.below(2) ? t4 : a100);
      if (rng.below(5) == 0) p.node_selector = {{"zone", "a"}};
      if (rng.below(3) == 0) p.tolerations = {Toleration{"dedicated", "ml", false, std::nullopt}};
      if (rng.below(4) == 0) p.anti_affinity_group = "app" + std::to_string(rng.below(3));
      pods.push_back(p);
    }
    for (PolicyKind k : allPolicies()) {
      for (TieBreak tb : {TieBreak::kShuffledFirst, TieBreak::kFirst, TieBreak::kRandom}) {
        ReplayOptions o;
        o.policy = k;
        o.seed = seed;
        o.inflate = rng.below(2) ? 1.3 : 0;
        o.tie_break = tb;
        if (c.totalGpus() == 0) continue;
        auto r = replay(c, pods, o);
        ASSERT_TRUE(r) << r.error().message;
        auto st = verifyPlacements(c, r->sequence, r->placements);
        EXPECT_TRUE(st) << policyName(k) << " seed " << seed << ": " << st.error().message;
        EXPECT_EQ(r->placements.size() + r->failed.size(), r->sequence.size());
        for (const auto& f : r->failed) EXPECT_EQ(f.reason.rfind("0/", 0), 0u) << f.reason;
      }
    }
  }
}

TEST(PlanReplay, VerifyPlacementsCatchesViolations) {
  const Cluster c = tinyCluster();
  const std::vector<PodSpec> pods = {pod("x", 3000), pod("y", 3000)};
  std::vector<Placement> bad = {{0, 0, 0}, {1, 0, 0}};  // 6 CPU on a 4-CPU node
  auto st = verifyPlacements(c, pods, bad);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("insufficient cpu"), std::string::npos);
  std::vector<Placement> dev = {{0, 1, GpuMask{0b100}}};
  const std::vector<PodSpec> gpu_pod = {pod("g", 1, 1, 1000)};
  EXPECT_FALSE(verifyPlacements(c, gpu_pod, dev));
}

TEST(PlanReplay, DefaultTraceFgdBeatsBestFitAndVerifies) {
  const std::string dir = std::string(TRIMTAB_SHARED_DIR) + "/data/fgd-openb";
  if (!std::filesystem::exists(dir + "/openb_pod_list_default.csv")) {
    GTEST_SKIP() << "openb trace not found under " << dir << " (../shared absent)";
  }
  auto c = readOpenbNodes(dir + "/openb_node_list_gpu_node.csv");
  ASSERT_TRUE(c);
  auto pods = readOpenbPods(dir + "/openb_pod_list_default.csv", c->gpu_models);
  ASSERT_TRUE(pods);
  ReplayOptions o;
  o.policy = PolicyKind::kFgd;
  auto r = replay(*c, *pods, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(verifyPlacements(*c, r->sequence, r->placements));
  ASSERT_GT(r->unallocated_gpu_pct_at_100, 0);
  // Paper: FGD 4.77 +- 0.10 at arrived 100 %; allow a wide band (one seed).
  EXPECT_LT(r->unallocated_gpu_pct_at_100, 6.0);
  for (int k = 0; k <= 129; ++k) {
    EXPECT_TRUE(std::any_of(r->curve.begin(), r->curve.end(),
                            [k](const CurvePoint& p) { return p.arrived_pct == k; }))
        << "no curve point at " << k;
  }
}

}  // namespace
}  // namespace trimtab::plan
