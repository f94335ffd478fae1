// The Vertical Pod Autoscaler recommender's arithmetic, reproduced from its constants
// (kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender, see
// shared/reference/rightsizing.md §A): the exponential-bucket histogram that answers a
// percentile with the END of the bucket, the P50/P90/P95 estimators with a 15% margin, the
// confidence multipliers, the per-pod floors split over containers, and the OOM bump.
// CPU in cores, memory in bytes. Thread-compatible.
#pragma once

#include <cstdint>
#include <vector>

namespace trimtab::recommend::vpa {

inline constexpr double kBucketGrowthRatio = 1.05;
inline constexpr double kCpuFirstBucketCores = 0.01;
inline constexpr double kCpuMaxCores = 1000.0;
inline constexpr double kMemoryFirstBucketBytes = 1e7;
inline constexpr double kMemoryMaxBytes = 1e12;
inline constexpr double kEpsilon = 1e-4;  // 0.001 × minSampleWeight (0.1)
inline constexpr double kHalfLifeSeconds = 24 * 3600.0;
inline constexpr double kTargetPercentile = 0.90;
inline constexpr double kLowerBoundPercentile = 0.50;
inline constexpr double kUpperBoundPercentile = 0.95;
inline constexpr double kSafetyMarginFraction = 0.15;
inline constexpr double kPodMinCpuMillicores = 25;
inline constexpr double kPodMinMemoryMb = 250;  // × 1024 × 1024 bytes
inline constexpr double kOomBumpUpRatio = 1.2;
inline constexpr double kOomMinBumpUpBytes = 100.0 * 1024 * 1024;
inline constexpr double kMemoryAggregationIntervalSeconds = 24 * 3600.0;

// util/histogram.go with exponential bucketing: bucket n starts at
// first × (ratio^n − 1)/(ratio − 1); the last bucket is open-ended.
class VpaHistogram {
 public:
  VpaHistogram(double first_bucket_size, double max_value);
  static VpaHistogram cpu() { return {kCpuFirstBucketCores, kCpuMaxCores}; }
  static VpaHistogram memory() { return {kMemoryFirstBucketBytes, kMemoryMaxBytes}; }

  // REQUIRES nothing: negative or NaN weights and values are ignored (VPA would panic).
  void addSample(double value, double weight);
  bool empty() const;
  // VPA's Percentile: walks buckets until the cumulative weight reaches p × total and returns
  // that bucket's end (the start of the last bucket when it is the last one); 0 when empty.
  double percentile(double p) const;
  int numBuckets() const { return static_cast<int>(weights_.size()); }
  int findBucket(double value) const;
  double bucketStart(int bucket) const;

 private:
  double first_;
  std::vector<double> weights_;
  double total_ = 0;
  int min_bucket_, max_bucket_;
};

// Confidence in days: min(lifespan days, samples / (60 × 24)) (one CPU sample per minute).
double confidenceDays(double lifespan_days, double samples);

struct Estimate {
  double target = 0, lower_bound = 0, upper_bound = 0;
};

// GetRecommendedPodResources for one container: percentiles with the 15% margin, the upper
// bound × (1 + 1/conf), the lower bound × (1 + 0.001/conf)^-2, then the floor (pod floor
// split evenly over containers_in_pod). CPU is rounded down to whole millicores like VPA's
// CPUAmountFromCores; memory stays in bytes. An empty histogram gives the floor.
Estimate estimateCpuCores(const VpaHistogram& cpu, double confidence_days, int containers_in_pod);
Estimate estimateMemoryBytes(const VpaHistogram& memory_peaks, double confidence_days,
                             int containers_in_pod);

// RecordOOM: the memory needed after an OOM kill, injected as a peak sample:
// max(used + 100 MiB, used × 1.2) with used = max(request, observed peak).
double oomBumpBytes(double memory_request_bytes, double observed_peak_bytes);

}  // namespace trimtab::recommend::vpa
