#include "store/sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace trimtab::store {
namespace {

double exactQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::floor(q * static_cast<double>(v.size() - 1)));
  return v[rank];
}

void expectWithinRelativeError(const UsageSketch& s, const std::vector<double>& values) {
  for (double q : {0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0}) {
    const double exact = exactQuantile(values, q);
    const double approx = s.quantile(q);
    if (exact <= UsageSketch::kMinValue) {
      EXPECT_EQ(approx, 0) << "q=" << q;
    } else {
      EXPECT_LE(std::abs(approx - exact), UsageSketch::kRelativeAccuracy * exact * 1.0000001)
          << "q=" << q << " exact=" << exact << " approx=" << approx;
    }
  }
}

TEST(UsageSketch, QuantilesWithinOnePercentOnRandomDistributions) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<double> values;
    UsageSketch s;
    std::lognormal_distribution<double> lognormal(std::uniform_real_distribution<>(-6, 20)(rng),
                                                  std::uniform_real_distribution<>(0.1, 3)(rng));
    const int n = std::uniform_int_distribution<>(1, 3000)(rng);
    for (int i = 0; i < n; ++i) {
      double v = lognormal(rng);
      if (i % 17 == 0) v = 0;  // idle samples
      values.push_back(v);
      s.add(v);
    }
    expectWithinRelativeError(s, values);
  }
}

TEST(UsageSketch, MergeEqualsSketchOfUnion) {
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> exp_dist(3.0);
  UsageSketch a, b, all;
  std::vector<double> values;
  for (int i = 0; i < 5000; ++i) {
    const double v = exp_dist(rng);
    values.push_back(v);
    (i % 3 == 0 ? a : b).add(v);
    all.add(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (double q : {0.5, 0.9, 0.99}) EXPECT_DOUBLE_EQ(a.quantile(q), all.quantile(q));
  expectWithinRelativeError(a, values);
}

TEST(UsageSketch, SerializeRoundTripAndRejectsGarbage) {
  UsageSketch s;
  for (int i = 1; i < 1000; ++i) s.add(i * 0.37);
  auto back = UsageSketch::deserialize(s.serialize());
  ASSERT_TRUE(back);
  EXPECT_NEAR(back->quantile(0.9), s.quantile(0.9), 1e-6 * s.quantile(0.9));
  std::string bad = s.serialize();
  bad.resize(bad.size() - 3);
  EXPECT_FALSE(UsageSketch::deserialize(bad));
}

TEST(UsageSketch, ScaleDecaysWeights) {
  UsageSketch old_usage, recent;
  for (int i = 0; i < 100; ++i) old_usage.add(10);
  old_usage.scale(0.01);  // many half-lives ago
  for (int i = 0; i < 100; ++i) recent.add(1);
  recent.merge(old_usage);
  EXPECT_NEAR(recent.quantile(0.5), 1, 0.01);
  EXPECT_NEAR(recent.count(), 101, 1e-9);
}

}  // namespace
}  // namespace trimtab::store

namespace trimtab::store {
namespace {

TEST(UsageSketch, StoredCountsAreCompactAndDecayedWeightsRoundTrip) {
  UsageSketch s;
  for (int i = 0; i < 60; ++i) s.add(0.5 + 0.01 * i);
  const std::string bytes = s.serialize();
  EXPECT_LT(bytes.size(), 10 + s.bucketCount() * 3) << "integer counts should be varints";
  UsageSketch decayed = s;
  decayed.scale(0.5);
  auto back = UsageSketch::deserialize(decayed.serialize());
  ASSERT_TRUE(back);
  EXPECT_NEAR(back->count(), 30, 1e-4);
  EXPECT_NEAR(back->quantile(0.5), s.quantile(0.5), 1e-6);
}

}  // namespace
}  // namespace trimtab::store
