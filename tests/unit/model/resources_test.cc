#include "model/resources.h"

#include <gtest/gtest.h>

#include "model/objects.h"

namespace trimtab::model {
namespace {

TEST(ModelResourcesTest, AddResourceMapsNames) {
  ResourceVector r;
  ASSERT_TRUE(addResource(r, "cpu", "250m"));
  ASSERT_TRUE(addResource(r, "memory", "1Gi"));
  ASSERT_TRUE(addResource(r, "ephemeral-storage", "10G"));
  ASSERT_TRUE(addResource(r, "pods", "110"));
  ASSERT_TRUE(addResource(r, "nvidia.com/gpu", "2"));
  ASSERT_TRUE(addResource(r, "amd.com/gpu", "1"));
  ASSERT_TRUE(addResource(r, "gpu.intel.com/i915", "1"));
  ASSERT_TRUE(addResource(r, "nvidia.com/gpu.shared", "4"));
  ASSERT_TRUE(addResource(r, "nvidia.com/mig-3g.20gb", "2"));
  ASSERT_TRUE(addResource(r, "hugepages-2Mi", "0"));
  ASSERT_TRUE(addResource(r, "nvidia.com/mig-1g.5gb", "1"));
  ASSERT_TRUE(addResource(r, "nvidia.com/mig-1g.5gb", "2"));
  EXPECT_EQ(r.cpu_millicores, 250);
  EXPECT_EQ(r.memory_bytes, 1LL << 30);
  EXPECT_EQ(r.ephemeral_storage_bytes, 10000000000LL);
  EXPECT_EQ(r.pods, 110);
  EXPECT_EQ(r.gpus, 4);
  EXPECT_EQ(r.shared_gpus, 4);
  ASSERT_EQ(r.extended.size(), 3u);
  EXPECT_EQ(r.extended[0].first, "hugepages-2Mi");
  EXPECT_EQ(r.extended[1].first, "nvidia.com/mig-1g.5gb");
  EXPECT_EQ(r.extended[2].first, "nvidia.com/mig-3g.20gb");
  EXPECT_EQ(r.extendedCount("nvidia.com/mig-1g.5gb"), 3);
  EXPECT_EQ(r.extendedCount("absent"), 0);
  EXPECT_EQ(r.migSlices(), 5);
  EXPECT_TRUE(r.hasGpu());
}

TEST(ModelResourcesTest, AddResourceErrors) {
  ResourceVector r;
  auto bad = addResource(r, "cpu", "12x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "\"12x\": not a quantity (expected e.g. 100m, 0.5, 1Gi)");
  ASSERT_FALSE(addResource(r, "memory", "8Ei").has_value());
  ASSERT_TRUE(addResource(r, "memory", "7Ei"));
  auto overflow = addResource(r, "memory", "7Ei");
  ASSERT_FALSE(overflow);
  EXPECT_NE(overflow.error().message.find("out of range"), std::string::npos);
  EXPECT_EQ(r.memory_bytes, 7 * (1LL << 60));
}

TEST(ModelResourcesTest, PlusAndMax) {
  ResourceVector a;
  a.cpu_millicores = 100;
  a.memory_bytes = 10;
  a.extended = {{"b", 1}, {"d", 4}};
  ResourceVector b;
  b.cpu_millicores = 50;
  b.memory_bytes = 20;
  b.gpus = 1;
  b.extended = {{"a", 2}, {"b", 3}};
  ResourceVector sum = a;
  sum += b;
  EXPECT_EQ(sum.cpu_millicores, 150);
  EXPECT_EQ(sum.memory_bytes, 30);
  EXPECT_EQ(sum.gpus, 1);
  const std::vector<std::pair<std::string, std::int64_t>> want_sum = {{"a", 2}, {"b", 4}, {"d", 4}};
  EXPECT_EQ(sum.extended, want_sum);
  ResourceVector m = ResourceVector::max(a, b);
  EXPECT_EQ(m.cpu_millicores, 100);
  EXPECT_EQ(m.memory_bytes, 20);
  const std::vector<std::pair<std::string, std::int64_t>> want_max = {{"a", 2}, {"b", 3}, {"d", 4}};
  EXPECT_EQ(m.extended, want_max);
  EXPECT_FALSE(a.hasGpu());
}

TEST(ModelResourcesTest, PlusSaturates) {
  ResourceVector a;
  a.cpu_millicores = INT64_MAX - 1;
  ResourceVector b;
  b.cpu_millicores = 10;
  a += b;
  EXPECT_EQ(a.cpu_millicores, INT64_MAX);
}

TEST(ModelResourcesTest, MigComputeFraction) {
  EXPECT_DOUBLE_EQ(migComputeFraction("nvidia.com/mig-1g.5gb"), 1.0 / 7);
  EXPECT_DOUBLE_EQ(migComputeFraction("nvidia.com/mig-3g.20gb"), 3.0 / 7);
  EXPECT_DOUBLE_EQ(migComputeFraction("mig-3g.20gb"), 3.0 / 7);
  EXPECT_DOUBLE_EQ(migComputeFraction("nvidia.com/mig-7g.80gb"), 1.0);
  EXPECT_DOUBLE_EQ(migComputeFraction("nvidia.com/mig-1g.10gb+me"), 1.0 / 7);
  EXPECT_EQ(migComputeFraction("nvidia.com/mig-8g.80gb"), 0);
  EXPECT_EQ(migComputeFraction("nvidia.com/mig-0g.5gb"), 0);
  EXPECT_EQ(migComputeFraction("nvidia.com/mig-1g.5"), 0);
  EXPECT_EQ(migComputeFraction("nvidia.com/mig-1g.gb"), 0);
  EXPECT_EQ(migComputeFraction("nvidia.com/mig-g.5gb"), 0);
  EXPECT_EQ(migComputeFraction("nvidia.com/mig-1g.5gbx"), 0);
  EXPECT_EQ(migComputeFraction("nvidia.com/gpu"), 0);
  EXPECT_EQ(migComputeFraction(""), 0);
}

TEST(ModelResourcesTest, GpuEquivalent) {
  ResourceVector r;
  r.gpus = 1;
  r.shared_gpus = 2;
  r.extended = {{"hugepages-2Mi", 5}, {"nvidia.com/mig-1g.5gb", 7}, {"nvidia.com/mig-2g.10gb", 1}};
  EXPECT_DOUBLE_EQ(gpuEquivalent(r, 4), 1 + 1.0 + 2.0 / 7 + 0.5);
  EXPECT_DOUBLE_EQ(gpuEquivalent(r, 0), 1 + 1.0 + 2.0 / 7 + 2);
  EXPECT_DOUBLE_EQ(gpuEquivalent(ResourceVector{}, 1), 0);
}

TEST(ModelObjectsTest, EffectiveRequestsWithInitAndSidecars) {
  auto container = [](ContainerKind kind, std::int64_t cpu, std::int64_t mem) {
    Container c;
    c.kind = kind;
    c.requests.cpu_millicores = cpu;
    c.requests.memory_bytes = mem;
    return c;
  };
  Pod pod;
  // init(2000m, 256) ; sidecar(100m, 128) ; init(500m, 1024) ; regular 250+50 / 512+64
  pod.containers = {container(ContainerKind::kInit, 2000, 256),
                    container(ContainerKind::kSidecar, 100, 128),
                    container(ContainerKind::kInit, 500, 1024),
                    container(ContainerKind::kRegular, 250, 512),
                    container(ContainerKind::kRegular, 50, 64)};
  ResourceVector r = pod.effectiveRequests();
  // cpu: max(250+50+100, 2000, 100, 500+100) = 2000
  EXPECT_EQ(r.cpu_millicores, 2000);
  // memory: max(512+64+128, 256, 128, 1024+128) = 1152
  EXPECT_EQ(r.memory_bytes, 1152);

  Pod plain;
  plain.containers = {container(ContainerKind::kRegular, 100, 10),
                      container(ContainerKind::kRegular, 200, 20)};
  EXPECT_EQ(plain.effectiveRequests().cpu_millicores, 300);
  EXPECT_EQ(plain.effectiveRequests().memory_bytes, 30);

  Pod sidecar_only;
  sidecar_only.containers = {container(ContainerKind::kSidecar, 100, 10),
                             container(ContainerKind::kSidecar, 100, 10),
                             container(ContainerKind::kRegular, 1, 1)};
  EXPECT_EQ(sidecar_only.effectiveRequests().cpu_millicores, 201);
}

TEST(ModelObjectsTest, LookupAndMetaHelpers) {
  StringMap m = {{"a", "1"}, {"c", "3"}};
  ASSERT_NE(lookup(m, "c"), nullptr);
  EXPECT_EQ(*lookup(m, "c"), "3");
  EXPECT_EQ(lookup(m, "b"), nullptr);
  ObjectMeta meta;
  EXPECT_EQ(meta.controllerRef(), nullptr);
  meta.owner_references = {{"v1", "A", "a", "", false}, {"v1", "B", "b", "", true}};
  ASSERT_NE(meta.controllerRef(), nullptr);
  EXPECT_EQ(meta.controllerRef()->name, "b");
  Node node;
  node.meta.labels = {{"beta.kubernetes.io/instance-type", "old"},
                      {"failure-domain.beta.kubernetes.io/zone", "z1"},
                      {"node.kubernetes.io/instance-type", "new"}};
  EXPECT_EQ(node.instanceType(), "new");
  EXPECT_EQ(node.zone(), "z1");
  EXPECT_EQ(node.region(), "");
  EXPECT_EQ(workloadKindName(WorkloadKind::kCronJob), "CronJob");
  EXPECT_EQ(workloadKindName(WorkloadKind::kReplicaSet), "ReplicaSet");
}

TEST(ModelObjectsTest, MergeAndSize) {
  ObjectSet a;
  a.pods.resize(2);
  a.nodes.resize(1);
  ObjectSet b;
  b.pods.resize(3);
  b.workloads.resize(4);
  a.merge(std::move(b));
  EXPECT_EQ(a.pods.size(), 5u);
  EXPECT_EQ(a.size(), 10u);
}

}  // namespace
}  // namespace trimtab::model
