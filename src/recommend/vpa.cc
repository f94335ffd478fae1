#include "recommend/vpa.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace trimtab::recommend::vpa {

VpaHistogram::VpaHistogram(double first_bucket_size, double max_value) : first_(first_bucket_size) {
  const double r = kBucketGrowthRatio;
  const int n =
      static_cast<int>(std::ceil(std::log(max_value * (r - 1) / first_ + 1) / std::log(r))) + 1;
  weights_.assign(static_cast<std::size_t>(n), 0.0);
  min_bucket_ = n - 1;
  max_bucket_ = 0;
}

int VpaHistogram::findBucket(double value) const {
  if (value < first_) return 0;
  const double r = kBucketGrowthRatio;
  const int b = static_cast<int>(std::log(value * (r - 1) / first_ + 1) / std::log(r));
  return std::clamp(b, 0, numBuckets() - 1);
}

double VpaHistogram::bucketStart(int bucket) const {
  const double r = kBucketGrowthRatio;
  return first_ * (std::pow(r, bucket) - 1) / (r - 1);
}

void VpaHistogram::addSample(double value, double weight) {
  if (!(weight >= 0) || std::isnan(value)) return;
  const int b = findBucket(value);
  weights_[static_cast<std::size_t>(b)] += weight;
  total_ += weight;
  if (b < min_bucket_ && weights_[static_cast<std::size_t>(b)] >= kEpsilon) min_bucket_ = b;
  if (b > max_bucket_ && weights_[static_cast<std::size_t>(b)] >= kEpsilon) max_bucket_ = b;
}

bool VpaHistogram::empty() const {
  return weights_[static_cast<std::size_t>(min_bucket_)] < kEpsilon;
}

double VpaHistogram::percentile(double p) const {
  if (empty()) return 0;
  double partial = 0;
  const double threshold = p * total_;
  int bucket = min_bucket_;
  for (; bucket < max_bucket_; ++bucket) {
    partial += weights_[static_cast<std::size_t>(bucket)];
    if (partial >= threshold) break;
  }
  if (bucket < numBuckets() - 1) return bucketStart(bucket + 1);
  return bucketStart(bucket);
}

double confidenceDays(double lifespan_days, double samples) {
  return std::min(lifespan_days, samples / (60.0 * 24.0));
}

namespace {

Estimate estimate(const VpaHistogram& h, double conf, double floor_value) {
  Estimate e;
  const double margin = 1 + kSafetyMarginFraction;
  e.target = h.percentile(kTargetPercentile) * margin;
  // conf == 0 makes the multipliers infinite (upper) and zero (lower), as in VPA.
  const double upper_mult = conf > 0 ? 1 + 1.0 / conf : std::numeric_limits<double>::infinity();
  const double lower_mult = conf > 0 ? std::pow(1 + 0.001 / conf, -2.0) : 0.0;
  e.upper_bound = h.percentile(kUpperBoundPercentile) * margin * upper_mult;
  e.lower_bound = h.percentile(kLowerBoundPercentile) * margin * lower_mult;
  if (std::isnan(e.upper_bound)) e.upper_bound = 0;  // 0 × ∞ for an empty histogram
  e.target = std::max(e.target, floor_value);
  e.lower_bound = std::max(e.lower_bound, floor_value);
  e.upper_bound = std::max(e.upper_bound, floor_value);
  return e;
}

double millicoresDown(double cores) {
  if (!std::isfinite(cores)) return cores;
  return std::floor(cores * 1000.0) / 1000.0;
}

}  // namespace

Estimate estimateCpuCores(const VpaHistogram& cpu, double confidence_days, int containers_in_pod) {
  const double fraction = 1.0 / std::max(1, containers_in_pod);
  Estimate e = estimate(cpu, confidence_days, kPodMinCpuMillicores * 0.001 * fraction);
  e.target = millicoresDown(e.target);
  e.lower_bound = millicoresDown(e.lower_bound);
  e.upper_bound = millicoresDown(e.upper_bound);
  return e;
}

Estimate estimateMemoryBytes(const VpaHistogram& memory_peaks, double confidence_days,
                             int containers_in_pod) {
  const double fraction = 1.0 / std::max(1, containers_in_pod);
  Estimate e = estimate(memory_peaks, confidence_days, kPodMinMemoryMb * 1024 * 1024 * fraction);
  e.target = std::floor(e.target);
  e.lower_bound = std::floor(e.lower_bound);
  if (std::isfinite(e.upper_bound)) e.upper_bound = std::floor(e.upper_bound);
  return e;
}

double oomBumpBytes(double memory_request_bytes, double observed_peak_bytes) {
  const double used = std::max(memory_request_bytes, observed_peak_bytes);
  return std::max(used + kOomMinBumpUpBytes, used * kOomBumpUpRatio);
}

}  // namespace trimtab::recommend::vpa
