#include "recommend/autopilot.h"

#include <gtest/gtest.h>

#include <cmath>

namespace trimtab::recommend::autopilot {
namespace {

TEST(AutopilotTest, StatisticsPerClass) {
  Histogram h;
  for (int i = 0; i < 98; ++i) h.add(1.0);
  h.add(50.0);
  h.add(100.0);
  EXPECT_NEAR(memoryStatistic(h, MemoryClass::kMinimal), 100.0, 1e-9);
  // Load-adjusted: 98 units of work at 1, 150 at 50-100: P98 of work lies in the spikes.
  EXPECT_NEAR(memoryStatistic(h, MemoryClass::kLow), 100.0, 1.0);
  const double mid = memoryStatistic(h, MemoryClass::kIntermediate);
  EXPECT_GE(mid, 50.0);
  EXPECT_LE(mid, 101.0);
  EXPECT_NEAR(cpuStatistic(h, CpuClass::kBatch), (98 + 150) / 100.0, 0.03);
}

TEST(AutopilotTest, MarginIsSmallerForLargeValues) {
  EXPECT_DOUBLE_EQ(withMargin(0.5, 1.0), 0.575);
  EXPECT_DOUBLE_EQ(withMargin(2.0, 1.0), 2.2);
}

TEST(AutopilotTest, MovingWindowKeepsTheMaxOfTheLastHour) {
  MovingWindow mw(kMemoryHalfLifeSeconds, MemoryClass::kMinimal, 1e30);
  EXPECT_EQ(mw.recommend(0), 0);
  mw.observe(0, 10.0);
  EXPECT_NEAR(mw.recommend(0), 11.5, 1e-9);
  // A sample far in the past decays out of S_max only through the window; the smoothing keeps
  // the higher recommendation for an hour.
  mw.observe(300, 5.0);
  EXPECT_NEAR(mw.recommend(300), 11.5, 1e-9);
}

TEST(AutopilotTest, MlEnsembleCoversAStableSignal) {
  MlEnsemble ml;
  for (int i = 0; i < 2000; ++i) ml.observe(1.0 + 0.1 * std::sin(i * 0.3));
  const double limit = ml.recommend();
  EXPECT_GE(limit, 1.1);  // no overrun on the signal's maximum
  EXPECT_LE(limit, 1.5);  // and not wasteful
}

TEST(AutopilotTest, MlEnsembleRisesAfterAStepUp) {
  MlEnsemble ml;
  for (int i = 0; i < 500; ++i) ml.observe(1.0);
  const double before = ml.recommend();
  for (int i = 0; i < 50; ++i) ml.observe(2.0);
  EXPECT_GT(ml.recommend(), 2.0);
  EXPECT_LT(before, 1.5);
}

TEST(AutopilotTest, MlEnsembleKeepsAtLeastTheSmallestMarginOverTheMax) {
  // The default model set starts at a 10% margin: a flat signal gets at least max × 1.1.
  MlEnsemble ml;
  EXPECT_EQ(ml.modelCount(), 9u);  // 3 half-lives × margins {10, 20, 30}%
  for (int i = 0; i < 1000; ++i) ml.observe(i % 10 == 0 ? 2.0 : 1.9);
  EXPECT_GE(ml.recommend(), 2.0 * 1.1 * 0.999);
  EXPECT_LE(ml.recommend(), 2.0 * 1.3 * 1.06);
}

TEST(AutopilotTest, MlEnsembleComesDownAfterADrop) {
  // A restart: usage falls from 2 to 1. The 12 h model drops once the old samples' decayed
  // overrun cost (w_o × weight) falls below the underrun cost of the new ones: after about five
  // days of 5-minute samples (a limit-change cost above that saving would hold it longer).
  MlEnsemble ml;
  for (int i = 0; i < 2016; ++i) ml.observe(2.0);
  const double high = ml.recommend();
  for (int i = 0; i < 3 * 288; ++i) ml.observe(1.0);
  EXPECT_GT(ml.recommend(), 2.0);  // three days: still covering the old level
  for (int i = 0; i < 3 * 288; ++i) ml.observe(1.0);
  EXPECT_GT(high, 2.0);
  EXPECT_LT(ml.recommend(), 1.5);
  EXPECT_GE(ml.recommend(), 1.0);
}

TEST(AutopilotTest, MlEnsembleCommonCostHalfLife) {
  MlOptions o;
  o.cost_half_life_samples = 144;
  MlEnsemble ml(o);
  for (int i = 0; i < 500; ++i) ml.observe(1.0 + 0.1 * std::sin(i * 0.3));
  EXPECT_GE(ml.recommend(), 1.1);
  EXPECT_LE(ml.recommend(), 1.5);
}

TEST(AutopilotTest, StartupLimitHoldsThenRaisesWithHeadroom) {
  StartupLimit s(0.15, 0.5);
  EXPECT_EQ(s.recommend(), 0);
  s.observe(std::nan(""));
  s.observe(-1);
  EXPECT_EQ(s.recommend(), 0);
  s.observe(1.0);
  EXPECT_DOUBLE_EQ(s.recommend(), 1.5);  // max × (1 + step)
  s.observe(1.3);                        // 1.3 × 1.15 = 1.495 <= 1.5: holds
  EXPECT_DOUBLE_EQ(s.recommend(), 1.5);
  s.observe(1.31);  // 1.5065 > 1.5: raised at once to 1.31 × 1.5
  EXPECT_DOUBLE_EQ(s.recommend(), 1.31 * 1.5);
  s.observe(0.2);  // never lowers
  EXPECT_DOUBLE_EQ(s.recommend(), 1.31 * 1.5);
  EXPECT_DOUBLE_EQ(s.max(), 1.31);
  // An overrunning sample (above the limit) is covered by the next limit.
  s.observe(5.0);
  EXPECT_GT(s.recommend(), 5.0);
  StartupLimit d;  // the defaults used by `auto`
  d.observe(2.0);
  EXPECT_DOUBLE_EQ(d.recommend(), 2.0 * (1 + kStartupStep));
}

TEST(AutopilotTest, MlEnsembleIgnoresBadSamples) {
  MlEnsemble ml;
  ml.observe(std::nan(""));
  ml.observe(-1);
  EXPECT_EQ(ml.recommend(), 0);
  EXPECT_EQ(ml.samples(), 0);
}

}  // namespace
}  // namespace trimtab::recommend::autopilot
