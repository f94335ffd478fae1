// Sketch error bound and decay: property tests against exact (weighted) quantiles.
#include "recommend/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "store/sketch.h"

namespace trimtab::recommend {
namespace {

// Exact weighted quantile: the smallest value v with weight(values <= v) >= q × total.
double exactQuantile(std::vector<std::pair<double, double>> vw, double q) {
  std::sort(vw.begin(), vw.end());
  double total = 0;
  for (const auto& [v, w] : vw) total += w;
  double seen = 0;
  for (const auto& [v, w] : vw) {
    seen += w;
    if (seen >= q * total * (1 - 1e-12)) return v;
  }
  return vw.back().first;
}

constexpr double kQs[] = {0.0, 0.1, 0.5, 0.9, 0.95, 0.98, 0.99, 1.0};

// The 1% bound holds for every quantile except where the exact cumulative weight sits within
// rounding of q × total (a tie between two values); random continuous data avoids ties.
void expectWithinBound(const Histogram& h, const std::vector<std::pair<double, double>>& vw) {
  for (double q : kQs) {
    const double exact = exactQuantile(vw, q);
    const double got = h.quantile(q);
    EXPECT_NEAR(got, exact, exact * 0.01 + 1e-12) << "q=" << q;
  }
}

TEST(HistogramTest, QuantilesWithinOnePercentOnRandomData) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> dist(std::log(0.2), 1.0);
    Histogram h;
    std::vector<std::pair<double, double>> vw;
    for (int i = 0; i < 2000; ++i) {
      const double v = dist(rng);
      h.add(v);
      vw.emplace_back(v, 1.0);
    }
    SCOPED_TRACE(seed);
    expectWithinBound(h, vw);
  }
}

// Stored sketches decoded with an age factor: the decayed quantile stays within 1% of the exact
// quantile of the values weighted 2^(-age/half-life).
TEST(HistogramTest, DecayedSerializedSketchesMatchExactWeightedQuantiles) {
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> dist(std::log(4e8), 0.5);
    Histogram h;
    std::vector<std::pair<double, double>> vw;
    const double half_life = 12 * 3600.0;
    for (int hour = 0; hour < 96; ++hour) {
      store::UsageSketch s;
      // Usage drifts upward over time so decay changes the answer.
      const double drift = 1 + hour / 48.0;
      const double f = decayFactor((96 - hour - 0.5) * 3600.0, half_life);
      for (int i = 0; i < 12; ++i) {
        const double v = dist(rng) * drift;
        s.add(v);
        vw.emplace_back(v, f);
      }
      ASSERT_TRUE(h.addSerializedSketch(s.serialize(), f).has_value());
    }
    SCOPED_TRACE(seed);
    expectWithinBound(h, vw);
  }
}

TEST(HistogramTest, DecayedQuantilesOnRealGoogleTraceMemory) {
  const std::string path = std::string(TRIMTAB_SHARED_DIR) +
                           "/data/google2019-task-usage/google2019_task_usage_job113.csv";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "shared data absent: " << path;
  std::string line;
  std::getline(in, line);
  std::map<int, std::vector<std::pair<double, double>>> per_task;  // (time s, max memory)
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() < 16) continue;
    per_task[std::stoi(f[3])].emplace_back(std::stod(f[1]) / 1e6, std::stod(f[12]));
  }
  ASSERT_FALSE(per_task.empty());
  for (const auto& [task, series] : per_task) {
    const double now = series.back().first + 300;
    Histogram h;
    std::vector<std::pair<double, double>> vw;
    for (const auto& [t, v] : series) {
      const double f = decayFactor(now - t, 48 * 3600.0);
      h.add(v, f);
      vw.emplace_back(v, f);
    }
    SCOPED_TRACE(task);
    expectWithinBound(h, vw);
  }
}

TEST(HistogramTest, DecodesStoreSketchesLikeUsageSketch) {
  store::UsageSketch s;
  for (int i = 0; i < 500; ++i) s.add(0.001 * i * i);
  Histogram h;
  ASSERT_TRUE(h.addSerializedSketch(s.serialize(), 1.0).has_value());
  EXPECT_DOUBLE_EQ(h.totalWeight(), s.count());
  EXPECT_FLOAT_EQ(static_cast<float>(h.max()), static_cast<float>(s.max()));
  for (double q : {0.5, 0.9, 0.99})
    EXPECT_NEAR(h.quantile(q), s.quantile(q), s.quantile(q) * 0.021);
  // Fractional (decayed) weights use the float32 layout.
  store::UsageSketch f;
  f.add(2.0, 0.25);
  f.add(3.0, 0.75);
  Histogram hf;
  ASSERT_TRUE(hf.addSerializedSketch(f.serialize(), 2.0).has_value());
  EXPECT_NEAR(hf.totalWeight(), 2.0, 1e-6);
  EXPECT_NEAR(hf.quantile(0.5), 3.0, 0.03);
}

TEST(HistogramTest, CorruptSketchIsAnErrorAndLeavesTheHistogramUnchanged) {
  store::UsageSketch s;
  for (int i = 1; i < 50; ++i) s.add(i);
  std::string bytes = s.serialize();
  Histogram h;
  h.add(7.0);
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    auto st = h.addSerializedSketch(std::string_view(bytes).substr(0, cut), 1.0);
    EXPECT_FALSE(st.has_value()) << cut;
  }
  EXPECT_FALSE(h.addSerializedSketch("\x01\x07", 1.0).has_value());
  EXPECT_DOUBLE_EQ(h.totalWeight(), 1.0);
  EXPECT_NEAR(h.quantile(1.0), 7.0, 0.07);
}

TEST(HistogramTest, MergeEqualsAddingEverything) {
  Histogram a, b, all;
  for (int i = 1; i <= 100; ++i) {
    (i % 2 ? a : b).add(i * 0.37, 0.5);
    all.add(i * 0.37, 0.5);
  }
  a.merge(b);
  for (double q : kQs) EXPECT_DOUBLE_EQ(a.quantile(q), all.quantile(q));
  EXPECT_DOUBLE_EQ(a.totalWeight(), all.totalWeight());
}

TEST(HistogramTest, LoadAdjustedQuantileWeighsByValue) {
  Histogram h;
  h.add(1.0, 9);
  h.add(10.0, 1);
  EXPECT_NEAR(h.quantile(0.5), 1.0, 0.01);
  // 9 units of work at 1 and 10 at 10: half the work is at 10.
  EXPECT_NEAR(h.loadAdjustedQuantile(0.5), 10.0, 0.1);
  EXPECT_NEAR(h.fractionAbove(5.0), 0.1, 1e-12);
  EXPECT_NEAR(h.mean(), 1.9, 0.02);
}

TEST(HistogramTest, EmptyAndZeroValues) {
  Histogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.quantile(0.9), 0);
  EXPECT_EQ(h.fractionAbove(1), 0);
  h.add(0.0, 3);
  h.add(1.0, 1);
  EXPECT_EQ(h.quantile(0.5), 0);
  EXPECT_NEAR(h.quantile(1.0), 1.0, 0.01);
  h.add(std::nan(""), 1);
  h.add(5, -1);
  EXPECT_DOUBLE_EQ(h.totalWeight(), 4);
}

TEST(HistogramTest, DecayFactorHalvesPerHalfLife) {
  EXPECT_DOUBLE_EQ(decayFactor(3600, 3600), 0.5);
  EXPECT_DOUBLE_EQ(decayFactor(7200, 3600), 0.25);
  EXPECT_DOUBLE_EQ(decayFactor(1e9, 0), 1.0);
}

}  // namespace
}  // namespace trimtab::recommend
