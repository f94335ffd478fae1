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

TEST(AutopilotTest, MlEnsembleIgnoresBadSamples) {
  MlEnsemble ml;
  ml.observe(std::nan(""));
  ml.observe(-1);
  EXPECT_EQ(ml.recommend(), 0);
  EXPECT_EQ(ml.samples(), 0);
}

}  // namespace
}  // namespace trimtab::recommend::autopilot
