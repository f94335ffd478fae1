// Every fit rule of the scheduling model, one at a time.
#include <gtest/gtest.h>

#include "plan/cluster.h"

namespace trimtab::plan {
namespace {

NodeSpec gpuNode(int gpus = 4) {
  NodeSpec n;
  n.name = "n1";
  n.cpu_milli = 8000;
  n.memory_mib = 16384;
  n.ephemeral_mib = 1000;
  n.max_pods = 3;
  n.gpu_count = gpus;
  n.gpu_model = gpus > 0 ? 1 : -1;
  n.labels = {{"pool", "gpu"}};
  return n;
}

PodSpec pod(std::int64_t cpu, std::int64_t mem, int num_gpu = 0, int milli = 0) {
  PodSpec p;
  p.name = "p";
  p.cpu_milli = cpu;
  p.memory_mib = mem;
  p.num_gpu = num_gpu;
  p.gpu_milli = milli;
  return p;
}

TEST(PlanFit, CpuMemoryEphemeralAndPodSlots) {
  NodeSpec n = gpuNode();
  NodeState s = initialState(n);
  EXPECT_EQ(checkFit(n, s, pod(8000, 16384)), FitFailure::kNone);
  EXPECT_EQ(checkFit(n, s, pod(8001, 1)), FitFailure::kCpu);
  EXPECT_EQ(checkFit(n, s, pod(1, 16385)), FitFailure::kMemory);
  PodSpec big_disk = pod(1, 1);
  big_disk.ephemeral_mib = 1001;
  EXPECT_EQ(checkFit(n, s, big_disk), FitFailure::kEphemeral);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(place(s, pod(1, 1), 0));
  EXPECT_EQ(s.pods, 3);
  EXPECT_EQ(checkFit(n, s, pod(1, 1)), FitFailure::kPods);
}

TEST(PlanFit, UnlimitedEphemeralAndPods) {
  NodeSpec n = gpuNode();
  n.ephemeral_mib = -1;
  n.max_pods = -1;
  NodeState s = initialState(n);
  PodSpec p = pod(1, 1);
  p.ephemeral_mib = 1 << 30;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(place(s, p, 0));
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kNone);
}

TEST(PlanFit, WholeGpusNeedFullyFreeDevices) {
  NodeSpec n = gpuNode(4);
  NodeState s = initialState(n);
  EXPECT_EQ(checkFit(n, s, pod(1, 1, 4, 1000)), FitFailure::kNone);
  EXPECT_EQ(checkFit(n, s, pod(1, 1, 5, 1000)), FitFailure::kGpuCount);  // node has only 4
  ASSERT_TRUE(place(s, pod(1, 1, 1, 100), GpuMask{1} << 2));             // device 2 now shared
  EXPECT_EQ(checkFit(n, s, pod(1, 1, 4, 1000)), FitFailure::kGpu);
  EXPECT_EQ(checkFit(n, s, pod(1, 1, 3, 1000)), FitFailure::kNone);
  EXPECT_EQ(lowestFreeGpus(s, 3), GpuMask{0b1011});
  EXPECT_EQ(lowestFreeGpus(s, 4), GpuMask{0});
}

TEST(PlanFit, FractionalGpuUsesOneDevice) {
  NodeSpec n = gpuNode(2);
  NodeState s = initialState(n);
  ASSERT_TRUE(place(s, pod(1, 1, 1, 700), GpuMask{1}));
  ASSERT_TRUE(place(s, pod(1, 1, 1, 700), GpuMask{2}));
  // 300 + 300 free on two devices: 600 in total but no single device has 400.
  EXPECT_EQ(s.gpuFreeTotal(), 600);
  EXPECT_EQ(checkFit(n, s, pod(1, 1, 1, 400)), FitFailure::kGpu);
  EXPECT_EQ(checkFit(n, s, pod(1, 1, 1, 300)), FitFailure::kNone);
  EXPECT_EQ(bestFitGpu(s, 300), 0);
  EXPECT_EQ(bestFitGpu(s, 301), -1);
}

TEST(PlanFit, BestFitGpuPrefersLeastFreeThenLowestIndex) {
  NodeState s = initialState(gpuNode(4));
  s.gpu_free_milli = {1000, 500, 300, 300};
  EXPECT_EQ(bestFitGpu(s, 200), 2);
  EXPECT_EQ(bestFitGpu(s, 400), 1);
  EXPECT_EQ(bestFitGpu(s, 600), 0);
}

TEST(PlanFit, GpuModelConstraint) {
  NodeSpec n = gpuNode();  // model id 1
  NodeState s = initialState(n);
  PodSpec p = pod(1, 1, 1, 500);
  p.gpu_model_mask = 0b001;  // only model 0
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kGpuModel);
  p.gpu_model_mask = 0b011;
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kNone);
  NodeSpec cpu_only = gpuNode(0);
  EXPECT_EQ(checkFit(cpu_only, initialState(cpu_only), pod(1, 1, 1, 500)), FitFailure::kGpuModel);
  // A CPU-only pod ignores its GPU model mask.
  PodSpec c = pod(1, 1);
  c.gpu_model_mask = 0b001;
  EXPECT_EQ(checkFit(cpu_only, initialState(cpu_only), c), FitFailure::kNone);
}

TEST(PlanFit, NodeSelector) {
  NodeSpec n = gpuNode();
  NodeState s = initialState(n);
  PodSpec p = pod(1, 1);
  p.node_selector = {{"pool", "gpu"}};
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kNone);
  p.node_selector = {{"pool", "cpu"}};
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kNodeSelector);
  p.node_selector = {{"zone", "a"}};
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kNodeSelector);
}

TEST(PlanFit, TaintsAndTolerations) {
  NodeSpec n = gpuNode();
  n.taints = {Taint{"gpu", "true", TaintEffect::kNoSchedule}};
  NodeState s = initialState(n);
  PodSpec p = pod(1, 1);
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kTaint);
  p.tolerations = {Toleration{"gpu", "false", false, std::nullopt}};
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kTaint);  // Equal with a different value
  p.tolerations = {Toleration{"gpu", "true", false, std::nullopt}};
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kNone);
  p.tolerations = {Toleration{"gpu", "", true, TaintEffect::kNoExecute}};
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kTaint);  // effect does not match
  p.tolerations = {Toleration{"gpu", "", true, TaintEffect::kNoSchedule}};
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kNone);
  p.tolerations = {Toleration{"", "", true, std::nullopt}};  // tolerates everything
  EXPECT_EQ(checkFit(n, s, p), FitFailure::kNone);
  // PreferNoSchedule never blocks.
  n.taints = {Taint{"spot", "", TaintEffect::kPreferNoSchedule}};
  EXPECT_EQ(checkFit(n, s, pod(1, 1)), FitFailure::kNone);
}

TEST(PlanFit, RequiredAntiAffinityOnHostname) {
  NodeSpec n = gpuNode();
  NodeState s = initialState(n);
  PodSpec a = pod(1, 1);
  a.anti_affinity_group = "web";
  ASSERT_TRUE(place(s, a, 0));
  EXPECT_EQ(checkFit(n, s, a), FitFailure::kAntiAffinity);
  PodSpec b = pod(1, 1);
  b.anti_affinity_group = "db";
  EXPECT_EQ(checkFit(n, s, b), FitFailure::kNone);
  EXPECT_EQ(checkFit(n, s, pod(1, 1)), FitFailure::kNone);
}

TEST(PlanFit, PlaceRejectsBadDeviceSetsAndLeavesStateUnchanged) {
  NodeSpec n = gpuNode(2);
  NodeState s = initialState(n);
  const NodeState before = s;
  EXPECT_FALSE(place(s, pod(1, 1, 2, 1000), GpuMask{1}));      // one device for two
  EXPECT_FALSE(place(s, pod(1, 1, 1, 500), GpuMask{1} << 5));  // no such device
  EXPECT_FALSE(place(s, pod(9000, 1), 0));                     // too much CPU
  EXPECT_EQ(s.cpu_free_milli, before.cpu_free_milli);
  EXPECT_EQ(s.gpuFreeTotal(), before.gpuFreeTotal());
  ASSERT_TRUE(place(s, pod(1, 1, 1, 600), GpuMask{2}));
  EXPECT_FALSE(place(s, pod(1, 1, 1, 500), GpuMask{2}));  // device 1 has 400 left
  EXPECT_EQ(s.gpu_free_milli[1], 400);
  EXPECT_EQ(s.affinity_classes, std::uint32_t{1} << kShareClass);
}

TEST(PlanFit, AffinityClasses) {
  EXPECT_EQ(pod(1, 1).affinityClass(), -1);
  EXPECT_EQ(pod(1, 1, 1, 500).affinityClass(), kShareClass);
  EXPECT_EQ(pod(1, 1, 1, 1000).affinityClass(), 1);
  EXPECT_EQ(pod(1, 1, 8, 1000).affinityClass(), 8);
}

TEST(PlanFit, GpuModelsRegistry) {
  GpuModels m;
  EXPECT_EQ(*m.intern("T4"), 0);
  EXPECT_EQ(*m.intern("A100"), 1);
  EXPECT_EQ(*m.intern("T4"), 0);
  EXPECT_EQ(m.find("A100"), 1);
  EXPECT_FALSE(m.find("H100"));
  for (int i = 2; i < kMaxGpuModels; ++i) ASSERT_TRUE(m.intern("m" + std::to_string(i)));
  EXPECT_FALSE(m.intern("one-too-many"));
}

}  // namespace
}  // namespace trimtab::plan
