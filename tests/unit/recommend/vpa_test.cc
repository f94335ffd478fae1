// VPA recommender conformance on hand-computed cases. Expected numbers come from VPA's formulas
// worked by hand (bucket n starts at first × (1.05^n − 1)/0.05; percentile = bucket end):
//   1.0 core -> bucket 36, end 1.0162813885540918; 0.1 -> 8, end 0.11026564319570314;
//   2.0 -> 49, end 2.093479957150738; 1 GiB -> bucket 37, end 1077095457.9817963 bytes.
#include "recommend/vpa.h"

#include <gtest/gtest.h>

#include <cmath>

namespace trimtab::recommend::vpa {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr double kMiB = 1024.0 * 1024;

TEST(VpaTest, BucketLayoutMatchesVpa) {
  EXPECT_EQ(VpaHistogram::cpu().numBuckets(), 176);
  EXPECT_EQ(VpaHistogram::memory().numBuckets(), 176);
  const VpaHistogram cpu = VpaHistogram::cpu();
  EXPECT_EQ(cpu.findBucket(1.0), 36);
  EXPECT_EQ(cpu.findBucket(0.005), 0);
  EXPECT_EQ(cpu.findBucket(1e9), 175);
  EXPECT_NEAR(cpu.bucketStart(37), 1.0162813885540918, 1e-12);
}

TEST(VpaTest, PercentileReturnsTheBucketEnd) {
  VpaHistogram h = VpaHistogram::cpu();
  for (int i = 0; i < 90; ++i) h.addSample(0.1, 0.1);
  for (int i = 0; i < 10; ++i) h.addSample(2.0, 0.1);
  EXPECT_NEAR(h.percentile(0.9), 0.11026564319570314, 1e-12);
  EXPECT_NEAR(h.percentile(0.95), 2.093479957150738, 1e-12);
  EXPECT_NEAR(h.percentile(0.5), 0.11026564319570314, 1e-12);
  EXPECT_EQ(VpaHistogram::cpu().percentile(0.9), 0);
}

TEST(VpaTest, OneDayOfOneCore) {
  VpaHistogram h = VpaHistogram::cpu();
  for (int i = 0; i < 1440; ++i) h.addSample(1.0, 0.1);
  const double conf = confidenceDays(1.0, 1440);
  EXPECT_DOUBLE_EQ(conf, 1.0);
  const Estimate e = estimateCpuCores(h, conf, 1);
  // target = 1.01628 × 1.15 -> 1168m; lower × 1.001^-2 -> 1166m; upper × (1 + 1/1) -> 2337m.
  EXPECT_DOUBLE_EQ(e.target, 1.168);
  EXPECT_DOUBLE_EQ(e.lower_bound, 1.166);
  EXPECT_DOUBLE_EQ(e.upper_bound, 2.337);
}

TEST(VpaTest, ConfidenceScalesTheBounds) {
  VpaHistogram h = VpaHistogram::cpu();
  h.addSample(1.0, 1);
  // 12 h of history: upper × 3; 1 week: × 1.142857; lower at 5 min: × (1 + 0.288)^-2 = 0.6027.
  EXPECT_NEAR(estimateCpuCores(h, 0.5, 1).upper_bound,
              std::floor(1.0162813885540918 * 1.15 * 3 * 1000) / 1000, 1e-12);
  EXPECT_NEAR(estimateCpuCores(h, 7, 1).upper_bound,
              std::floor(1.0162813885540918 * 1.15 * (1 + 1.0 / 7) * 1000) / 1000, 1e-12);
  EXPECT_NEAR(estimateCpuCores(h, 5.0 / 1440, 1).lower_bound,
              std::floor(1.0162813885540918 * 1.15 * std::pow(1.288, -2) * 1000) / 1000, 1e-12);
  // No confidence at all: unbounded upper, zero lower (then floored).
  const Estimate none = estimateCpuCores(h, 0, 1);
  EXPECT_TRUE(std::isinf(none.upper_bound));
  EXPECT_DOUBLE_EQ(none.lower_bound, 0.025);
}

TEST(VpaTest, MemoryPeaksTarget) {
  VpaHistogram h = VpaHistogram::memory();
  h.addSample(kGiB, 1.0);
  const Estimate e = estimateMemoryBytes(h, 1.0, 1);
  EXPECT_DOUBLE_EQ(e.target, 1238659776);  // floor(1077095457.98 × 1.15)
}

TEST(VpaTest, FloorsSplitOverContainers) {
  VpaHistogram cpu = VpaHistogram::cpu();
  cpu.addSample(0.001, 1);
  VpaHistogram mem = VpaHistogram::memory();
  mem.addSample(1e6, 1);
  // 25 m per pod over 2 containers -> 12.5 m, rounded down to 12 m like CPUAmountFromCores.
  EXPECT_DOUBLE_EQ(estimateCpuCores(cpu, 1, 2).target, 0.012);
  EXPECT_DOUBLE_EQ(estimateCpuCores(cpu, 1, 1).target, 0.025);
  EXPECT_DOUBLE_EQ(estimateMemoryBytes(mem, 1, 2).target, 125 * kMiB);
  EXPECT_DOUBLE_EQ(estimateMemoryBytes(mem, 1, 1).target, 250 * kMiB);
}

TEST(VpaTest, OomBump) {
  EXPECT_DOUBLE_EQ(oomBumpBytes(kGiB, 500 * kMiB), 1.2 * kGiB);
  EXPECT_DOUBLE_EQ(oomBumpBytes(200 * kMiB, 100 * kMiB), 300 * kMiB);
  EXPECT_DOUBLE_EQ(oomBumpBytes(0, 2 * kGiB), 2.4 * kGiB);
}

TEST(VpaTest, BadSamplesAreIgnored) {
  VpaHistogram h = VpaHistogram::cpu();
  h.addSample(std::nan(""), 1);
  h.addSample(1.0, -1);
  EXPECT_TRUE(h.empty());
}

}  // namespace
}  // namespace trimtab::recommend::vpa
