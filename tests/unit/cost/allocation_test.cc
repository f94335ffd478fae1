#include "cost/allocation.h"

#include <gtest/gtest.h>

#include <cmath>

namespace trimtab::cost {
namespace {

// Kubecost efficiency-idle.md: 2 CPU / 1 GB requested, 0.5 CPU / 0.5 GB used, $10/CPU, $1/GB
// → ((0.5/2)·20 + (0.5/1)·1)/21 = 26%.
TEST(Allocation, TotalEfficiencyKubecostExample) {
  Allocation a;
  a.start = 0;
  a.end = 3600;
  a.cpu_core_request_average = 2;
  a.cpu_core_usage_average = 0.5;
  a.cpu_cost = 20;
  a.ram_byte_request_average = 1e9;
  a.ram_byte_usage_average = 0.5e9;
  a.ram_cost = 1;
  EXPECT_DOUBLE_EQ(a.cpuEfficiency(), 0.25);
  EXPECT_DOUBLE_EQ(a.ramEfficiency(), 0.5);
  EXPECT_NEAR(a.totalEfficiency(), (0.25 * 20 + 0.5 * 1) / 21, 1e-12);
  EXPECT_EQ(std::round(a.totalEfficiency() * 100), 26);
}

TEST(Allocation, EfficiencyWithZeroRequest) {
  Allocation a;
  a.cpu_core_usage_average = 0.1;
  a.cpu_cost = 1;
  EXPECT_EQ(a.cpuEfficiency(), 1.0);
  a.cpu_cost = 0;
  EXPECT_EQ(a.cpuEfficiency(), 0.0);
  a.cpu_core_usage_average = 0;
  a.cpu_cost = 1;
  EXPECT_EQ(a.cpuEfficiency(), 0.0);
  EXPECT_EQ(a.totalEfficiency(), 0.0);  // RAM cost 0, CPU eff 0
  a.cpu_core_request_average = 0.1;
  a.cpu_core_usage_average = 0.3;
  EXPECT_NEAR(a.cpuEfficiency(), 3.0, 1e-12);  // may exceed 1
}

TEST(Allocation, DerivedQuantities) {
  Allocation a;
  a.start = 1000;
  a.end = 1000 + 7200;
  a.cpu_core_hours = 3;
  a.ram_byte_hours = 4e9;
  a.gpu_hours = 2;
  a.pvs["cluster=c:name=pv1"] = {2e9, 0.5, ""};
  a.pvs["cluster=c:name=pv2"] = {4e9, 0.25, ""};
  a.cpu_cost = 1;
  a.cpu_cost_adjustment = -0.5;
  a.network_cost = 2;
  a.load_balancer_cost = 1;
  a.shared_cost = 0.25;
  a.external_cost = 0.125;
  EXPECT_DOUBLE_EQ(a.minutes(), 120);
  EXPECT_DOUBLE_EQ(a.cpuCores(), 1.5);
  EXPECT_DOUBLE_EQ(a.ramBytes(), 2e9);
  EXPECT_DOUBLE_EQ(a.gpuCount(), 1);
  EXPECT_DOUBLE_EQ(a.pvByteHours(), 6e9);
  EXPECT_DOUBLE_EQ(a.pvBytes(), 3e9);
  EXPECT_DOUBLE_EQ(a.pvCost(), 0.75);
  EXPECT_DOUBLE_EQ(a.totalCost(), 0.5 + 0.75 + 2 + 1 + 0.25 + 0.125);
  Allocation empty;
  EXPECT_EQ(empty.cpuCores(), 0);
}

TEST(Allocation, AddSumsAndWeightsAveragesOverMergedRuntime) {
  Allocation a, b;
  a.start = 0;
  a.end = 3600;
  b.start = 0;
  b.end = 3600;
  a.cpu_core_request_average = 1;
  b.cpu_core_request_average = 2;
  a.cpu_core_hours = 1;
  b.cpu_core_hours = 2;
  a.cpu_cost = 1;
  b.cpu_cost = 2;
  a.cpu_core_usage_max = 3;
  b.cpu_core_usage_max = 1;
  a.ram_byte_usage_max = 5;
  a.add(b);
  EXPECT_DOUBLE_EQ(a.cpu_core_request_average, 3);  // concurrent containers sum
  EXPECT_DOUBLE_EQ(a.cpu_core_hours, 3);
  EXPECT_DOUBLE_EQ(a.cpu_cost, 3);
  EXPECT_FALSE(a.cpu_core_usage_max.has_value());
  EXPECT_FALSE(a.ram_byte_usage_max.has_value());

  // Back-to-back: [0,1h) at 2 cores and [1h,3h) at 1 core → average 4/3 over 3h.
  Allocation c, d;
  c.start = 0;
  c.end = 3600;
  c.cpu_core_request_average = 2;
  d.start = 3600;
  d.end = 3 * 3600;
  d.cpu_core_request_average = 1;
  c.add(d);
  EXPECT_DOUBLE_EQ(c.start, 0);
  EXPECT_DOUBLE_EQ(c.end, 3 * 3600);
  EXPECT_NEAR(c.cpu_core_request_average, 4.0 / 3, 1e-12);
}

TEST(Allocation, AddIntersectsProperties) {
  Allocation a, b;
  a.properties.cluster = b.properties.cluster = "c1";
  a.properties.namespace_name = "ns1";
  b.properties.namespace_name = "ns2";
  a.properties.labels = {{"app", "x"}, {"env", "prod"}, {"team", "a"}};
  b.properties.labels = {{"app", "x"}, {"env", "dev"}};
  a.pvs["k"] = {1, 1, ""};
  b.pvs["k"] = {2, 3, ""};
  b.pvs["k2"] = {1, 1, ""};
  Allocation a2 = a;
  a.add(b, true);
  EXPECT_EQ(a.properties.cluster, "c1");
  EXPECT_EQ(a.properties.namespace_name, "");
  EXPECT_EQ(a.properties.labels, (StringMap{{"app", "x"}}));
  EXPECT_EQ(a.pvs.size(), 2u);
  EXPECT_DOUBLE_EQ(a.pvs["k"].cost, 4);
  a2.add(b, false);
  EXPECT_TRUE(a2.properties.labels.empty());
}

TEST(Allocation, StringMapHelpers) {
  StringMap m{{"b", "1"}, {"a", "2"}, {"b", "3"}};
  EXPECT_FALSE(isSortedStringMap(m));
  sortStringMap(m);
  EXPECT_EQ(m, (StringMap{{"a", "2"}, {"b", "1"}}));
  ASSERT_NE(findInMap(m, "b"), nullptr);
  EXPECT_EQ(*findInMap(m, "b"), "1");
  EXPECT_EQ(findInMap(m, "c"), nullptr);
}

TEST(Allocation, ProportionalAssetResourceCostPercentages) {
  ProportionalAssetResourceCost p;
  p.cpu_proportional_cost = 1;
  p.cpu_total_cost = 4;
  p.ram_proportional_cost = 3;
  p.ram_total_cost = 6;
  EXPECT_DOUBLE_EQ(p.cpuPercentage(), 0.25);
  EXPECT_DOUBLE_EQ(p.ramPercentage(), 0.5);
  EXPECT_DOUBLE_EQ(p.gpuPercentage(), 0);
  EXPECT_DOUBLE_EQ(p.nodeResourceCostPercentage(), (0.25 * 4 + 0.5 * 6) / 10);
}

}  // namespace
}  // namespace trimtab::cost
