#include "recommend/hpa.h"
#include "recommend/recommend.h"

#include <gtest/gtest.h>

namespace trimtab::recommend {
namespace {

HpaMetricTarget target(std::string resource, double percent) {
  HpaMetricTarget t;
  t.resource = std::move(resource);
  t.target_utilization_percent = percent;
  return t;
}

TEST(HpaTest, KeepsTheScalePoint) {
  // 70% of 1 core = 0.7 cores; new request 0.8 -> 87.5% of 0.8 = 0.7 cores.
  auto a = adjustHpaTarget(target("cpu", 70), 1.0, 0.8);
  ASSERT_TRUE(a.has_value());
  EXPECT_DOUBLE_EQ(a->new_target_percent, 87.5);
  EXPECT_FALSE(a->clamped);
  EXPECT_DOUBLE_EQ(a->scale_point_change, 0);
}

TEST(HpaTest, ClampsToFiftyNinety) {
  auto up = adjustHpaTarget(target("cpu", 80), 1.0, 0.5);  // would be 160%
  ASSERT_TRUE(up.has_value());
  EXPECT_DOUBLE_EQ(up->new_target_percent, 90);
  EXPECT_TRUE(up->clamped);
  EXPECT_NEAR(up->scale_point_change, 90 * 0.5 / 80 - 1, 1e-12);
  auto down = adjustHpaTarget(target("memory", 60), 1.0, 2.0);  // would be 30%
  ASSERT_TRUE(down.has_value());
  EXPECT_DOUBLE_EQ(down->new_target_percent, 50);
}

TEST(HpaTest, ZeroRequestIsAnError) {
  auto a = adjustHpaTarget(target("cpu", 70), 0.0, 0.5);
  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().message.find("requests must be positive"), std::string::npos);
  EXPECT_FALSE(adjustHpaTarget(target("cpu", 0), 1, 1).has_value());
}

TEST(HpaTest, ConflictingHpasAreAnError) {
  std::vector<HpaSpec> hpas = {{"shop", "a", "Deployment", "api", {target("cpu", 70)}},
                               {"shop", "b", "Deployment", "api", {target("memory", 80)}}};
  auto r = adjustHpas(hpas, "shop", "deployment", "api", 1, 0.5, 1e9, 1e9);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("conflicting HPAs"), std::string::npos);
}

TEST(HpaTest, AdjustsMatchingHpaOnly) {
  std::vector<HpaSpec> hpas = {
      {"shop", "api", "Deployment", "api", {target("cpu", 60), target("memory", 80), target("pods", 5)}},
      {"shop", "other", "Deployment", "web", {target("cpu", 50)}},
      {"prod", "api", "Deployment", "api", {target("cpu", 50)}}};
  auto r = adjustHpas(hpas, "shop", "deployment", "api", 1.0, 0.75, 1e9, 1e9);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_DOUBLE_EQ((*r)[0].new_target_percent, 80);
  EXPECT_EQ((*r)[0].hpa_name, "api");
  EXPECT_DOUBLE_EQ((*r)[1].new_target_percent, 80);
  auto none = adjustHpas(hpas, "shop", "statefulset", "db", 1, 1, 1, 1);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

TEST(HpaTest, SpecsFromObjectsKeepUtilizationTargetsWithTheirPointers) {
  model::HorizontalPodAutoscaler v2;
  v2.meta.namespace_name = "shop";
  v2.meta.name = "api";
  v2.target_kind = "Deployment";
  v2.target_name = "api";
  v2.metrics = {{"cpu", "", "Utilization", 70, std::nullopt, 0},
                {"memory", "app", "Utilization", 80, std::nullopt, 2},
                {"memory", "", "AverageValue", std::nullopt, "512Mi", 3},
                {"ephemeral-storage", "", "Utilization", 50, std::nullopt, 4}};
  model::HorizontalPodAutoscaler v1;
  v1.meta.namespace_name = "shop";
  v1.meta.name = "web";
  v1.target_kind = "Deployment";
  v1.target_name = "web";
  v1.metrics = {{"cpu", "", "Utilization", 60, std::nullopt, -1}};
  const std::vector<model::HorizontalPodAutoscaler> objects = {v2, v1};
  const std::vector<HpaSpec> specs = hpaSpecsFrom(objects);
  ASSERT_EQ(specs.size(), 2u);
  ASSERT_EQ(specs[0].metrics.size(), 2u);
  EXPECT_EQ(specs[0].metrics[0].json_pointer, "/spec/metrics/0/resource/target/averageUtilization");
  EXPECT_EQ(specs[0].metrics[1].container, "app");
  EXPECT_EQ(specs[0].metrics[1].json_pointer,
            "/spec/metrics/2/containerResource/target/averageUtilization");
  ASSERT_EQ(specs[1].metrics.size(), 1u);
  EXPECT_EQ(specs[1].metrics[0].json_pointer, "/spec/targetCPUUtilizationPercentage");
  EXPECT_DOUBLE_EQ(specs[1].metrics[0].target_utilization_percent, 60);

  auto adjusted = adjustHpas(specs, "shop", "deployment", "web", 1.0, 0.75, 1e9, 1e9);
  ASSERT_TRUE(adjusted) << adjusted.error().message;
  ASSERT_EQ(adjusted->size(), 1u);
  EXPECT_EQ((*adjusted)[0].hpa_name, "web");
  EXPECT_EQ((*adjusted)[0].json_pointer, "/spec/targetCPUUtilizationPercentage");
  EXPECT_DOUBLE_EQ((*adjusted)[0].new_target_percent, 80);
}

Recommendation rec(std::string container, double cpu_now, double cpu_next, double mem_now,
                   double mem_next) {
  Recommendation r;
  r.key = {"c", "shop", "deployment", "api", std::move(container)};
  r.sufficient = true;
  r.current.cpu_request_cores = cpu_now;
  r.current.memory_request_bytes = mem_now;
  r.recommended.cpu_request_cores = cpu_next;
  r.recommended.memory_request_bytes = mem_next;
  r.monthly_saving_usd = 10;
  r.reason = "moving window";
  return r;
}

// The pod's summed request sets a Resource target's scale point; a ContainerResource target
// follows its own container; workloads without an HPA are untouched.
TEST(HpaTest, ApplyKeepsEachWorkloadsScalePoint) {
  std::vector<Recommendation> recs = {rec("app", 1.0, 0.5, 4e9, 2e9),
                                      rec("sidecar", 0.25, 0.25, 1e9, 1e9)};
  Recommendation other = rec("app", 1, 0.5, 1e9, 1e9);
  other.key.controller = "worker";
  recs.push_back(other);
  HpaSpec hpa{"shop", "api-hpa", "Deployment", "api", {target("cpu", 60), target("memory", 70)}};
  hpa.metrics[0].json_pointer = "/spec/metrics/0/resource/target/averageUtilization";
  hpa.metrics[1].container = "app";
  hpa.metrics[1].json_pointer = "/spec/metrics/1/containerResource/target/averageUtilization";
  const std::vector<HpaSpec> hpas = {hpa};
  applyHpas(recs, hpas);
  ASSERT_EQ(recs[0].hpa.size(), 2u);
  EXPECT_EQ(recs[1].hpa.size(), 2u) << "every container of the workload carries the list";
  EXPECT_TRUE(recs[2].hpa.empty());
  // cpu: 1.25 cores -> 0.75 cores, 60% -> 100% clamped to 90%.
  EXPECT_DOUBLE_EQ(recs[0].hpa[0].new_target_percent, 90);
  EXPECT_TRUE(recs[0].hpa[0].clamped);
  // memory of "app" only: 4e9 -> 2e9, 70% -> 140% clamped to 90%.
  EXPECT_EQ(recs[0].hpa[1].container, "app");
  EXPECT_DOUBLE_EQ(recs[0].hpa[1].new_target_percent, 90);
  EXPECT_NE(recs[0].reason.find("HPA api-hpa: cpu target 60% -> 90%"), std::string::npos)
      << recs[0].reason;
  EXPECT_DOUBLE_EQ(recs[0].recommended.cpu_request_cores, 0.5) << "requests still change";
}

TEST(HpaTest, ConflictingOrZeroRequestKeepsTheCurrentRequests) {
  std::vector<Recommendation> recs = {rec("app", 1.0, 0.5, 4e9, 2e9)};
  const std::vector<HpaSpec> two = {{"shop", "a", "Deployment", "api", {target("cpu", 70)}},
                                    {"shop", "b", "Deployment", "api", {target("memory", 70)}}};
  applyHpas(recs, two);
  EXPECT_DOUBLE_EQ(recs[0].recommended.cpu_request_cores, 1.0);
  EXPECT_DOUBLE_EQ(recs[0].monthly_saving_usd, 0);
  EXPECT_NE(recs[0].reason.find("conflicting HPAs \"a\" and \"b\""), std::string::npos)
      << recs[0].reason;

  std::vector<Recommendation> zero = {rec("app", 0.0, 0.5, 4e9, 2e9)};
  const std::vector<HpaSpec> one = {{"shop", "a", "Deployment", "api", {target("cpu", 70)}}};
  applyHpas(zero, one);
  EXPECT_DOUBLE_EQ(zero[0].recommended.cpu_request_cores, 0.0);
  EXPECT_NE(zero[0].reason.find("requests must be positive"), std::string::npos) << zero[0].reason;
}

}  // namespace
}  // namespace trimtab::recommend
