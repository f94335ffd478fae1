#include "recommend/hpa.h"

#include <gtest/gtest.h>

namespace trimtab::recommend {
namespace {

TEST(HpaTest, KeepsTheScalePoint) {
  // 70% of 1 core = 0.7 cores; new request 0.8 -> 87.5% of 0.8 = 0.7 cores.
  auto a = adjustHpaTarget({"cpu", 70}, 1.0, 0.8);
  ASSERT_TRUE(a.has_value());
  EXPECT_DOUBLE_EQ(a->new_target_percent, 87.5);
  EXPECT_FALSE(a->clamped);
  EXPECT_DOUBLE_EQ(a->scale_point_change, 0);
}

TEST(HpaTest, ClampsToFiftyNinety) {
  auto up = adjustHpaTarget({"cpu", 80}, 1.0, 0.5);  // would be 160%
  ASSERT_TRUE(up.has_value());
  EXPECT_DOUBLE_EQ(up->new_target_percent, 90);
  EXPECT_TRUE(up->clamped);
  EXPECT_NEAR(up->scale_point_change, 90 * 0.5 / 80 - 1, 1e-12);
  auto down = adjustHpaTarget({"memory", 60}, 1.0, 2.0);  // would be 30%
  ASSERT_TRUE(down.has_value());
  EXPECT_DOUBLE_EQ(down->new_target_percent, 50);
}

TEST(HpaTest, ZeroRequestIsAnError) {
  auto a = adjustHpaTarget({"cpu", 70}, 0.0, 0.5);
  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().message.find("requests must be positive"), std::string::npos);
  EXPECT_FALSE(adjustHpaTarget({"cpu", 0}, 1, 1).has_value());
}

TEST(HpaTest, ConflictingHpasAreAnError) {
  std::vector<HpaSpec> hpas = {{"shop", "a", "Deployment", "api", {{"cpu", 70}}},
                               {"shop", "b", "Deployment", "api", {{"memory", 80}}}};
  auto r = adjustHpas(hpas, "shop", "deployment", "api", 1, 0.5, 1e9, 1e9);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("conflicting HPAs"), std::string::npos);
}

TEST(HpaTest, AdjustsMatchingHpaOnly) {
  std::vector<HpaSpec> hpas = {
      {"shop", "api", "Deployment", "api", {{"cpu", 60}, {"memory", 80}, {"pods", 5}}},
      {"shop", "other", "Deployment", "web", {{"cpu", 50}}},
      {"prod", "api", "Deployment", "api", {{"cpu", 50}}}};
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

}  // namespace
}  // namespace trimtab::recommend
