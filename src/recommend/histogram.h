// A decayable log-bucketed histogram on the grid of store::UsageSketch (bucket i holds
// (gamma^(i-1), gamma^i], gamma = (1+a)/(1-a), a = 1%), stored densely over the range of
// buckets in use. Recommenders merge the stored per-container-hour sketches into it with a
// weight factor (exponential decay by age), then read quantiles, load-adjusted quantiles and
// tail weights from it.
//
// Any quantile is within 1% (relative) of the exact weighted quantile of the values added,
// under the definition: the smallest value v with weight(values <= v) >= q * total weight.
// Values <= 1e-9 (idle CPU) are counted in a zero bucket and read back as 0.
// Thread-compatible.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "model/error.h"
#include "store/sketch.h"

namespace trimtab::recommend {

// A store sketch decoded once (bucket index, weight), to be added to several histograms; the
// decoder and the bucket grid are store/sketch.h's.
using DecodedSketch = store::DecodedSketch;

class Histogram {
 public:
  static constexpr double kRelativeAccuracy = store::SketchGrid::kRelativeAccuracy;
  static constexpr double kMinValue = store::SketchGrid::kMinValue;

  // Adds value with weight (ignored when weight <= 0 or value is NaN).
  void add(double value, double weight = 1.0);
  // Decodes a UsageSketch::serialize() string and adds every bucket with its weight × factor.
  // Errors (kCorrupt) on malformed bytes; the histogram is unchanged then.
  Status addSerializedSketch(std::string_view bytes, double factor);
  // Adds a decoded sketch with every weight × factor.
  void add(const DecodedSketch& sketch, double factor);
  // decayed.add(sketch, factor) and plain.add(sketch, 1.0) in one pass over the buckets (the
  // same results, bit for bit).
  static void addBoth(const DecodedSketch& sketch, Histogram& decayed, double factor,
                      Histogram& plain);
  void merge(const Histogram& other, double factor = 1.0);
  void scale(double factor);
  // Empties the histogram, keeping its storage.
  void clear();

  double totalWeight() const { return zero_weight_ + positive_weight_; }
  bool empty() const { return !(totalWeight() > 0); }
  double max() const { return max_; }
  // Weighted quantile, q in [0, 1]; 0 for an empty histogram. Never above max().
  double quantile(double q) const;
  // Quantile of the load-adjusted histogram (each bucket's weight multiplied by its value), as
  // in Autopilot's S_pj: the value below which a fraction q of the *work* lies.
  double loadAdjustedQuantile(double q) const;
  double mean() const;
  // Fraction of the total weight whose value is above x (0 for an empty histogram).
  double fractionAbove(double x) const;

  // Calls f(value, weight) per non-empty bucket in increasing value order (zero bucket first).
  template <typename F>
  void forEachBucket(F&& f) const {
    if (zero_weight_ > 0) f(0.0, zero_weight_);
    for (std::size_t i = 0; i < weights_.size(); ++i) {
      if (weights_[i] > 0) f(bucketValue(offset_ + static_cast<std::int32_t>(i)), weights_[i]);
    }
  }

  // The same with the bucket's grid index (any index for the zero bucket): f(index, value,
  // weight).
  template <typename F>
  void forEachBucketIndexed(F&& f) const {
    if (zero_weight_ > 0) f(std::int32_t{0}, 0.0, zero_weight_);
    for (std::size_t i = 0; i < weights_.size(); ++i) {
      const std::int32_t index = offset_ + static_cast<std::int32_t>(i);
      if (weights_[i] > 0) f(index, bucketValue(index), weights_[i]);
    }
  }
  // Adds weight to bucket `index`, for a value known to lie in it (value > kMinValue; it
  // updates max()). Skips the logarithm of add(value, weight).
  void addToBucket(std::int32_t index, double value, double weight) {
    if (!(weight > 0)) return;
    if (value > max_) max_ = value;
    addToBucket(index, weight);
  }

  // A hint to fetch the buckets in use (up to `max_lines` cache lines of them) into the cache
  // ahead of an add; no effect on the contents.
  void prefetch(std::size_t max_lines = 16) const {
    const char* p = reinterpret_cast<const char*>(weights_.data());
    const std::size_t bytes = std::min(weights_.size() * sizeof(double), max_lines * 64);
    for (std::size_t o = 0; o < bytes; o += 64) __builtin_prefetch(p + o);
  }

  // The grid (store::SketchGrid): bucket index of a value > kMinValue, and a bucket's
  // representative value (within 1% of every value in it) and upper edge.
  static std::int32_t bucketOf(double value) { return store::SketchGrid::bucketOf(value); }
  static double bucketValue(std::int32_t index) { return store::SketchGrid::bucketValue(index); }
  static double bucketUpperEdge(std::int32_t index) {
    return store::SketchGrid::bucketUpperEdge(index);
  }

 private:
  void addToBucket(std::int32_t index, double weight);
  // Grows weights_ to cover [lo, hi] with some headroom.
  void cover(std::int32_t lo, std::int32_t hi);

  std::int32_t offset_ = 0;      // bucket index of weights_[0]
  std::vector<double> weights_;  // dense over [offset_, offset_ + size)
  double zero_weight_ = 0;
  double positive_weight_ = 0;
  double max_ = 0;
};

// 2^(-age / half_life); 1 when half_life_seconds <= 0 (no decay).
double decayFactor(double age_seconds, double half_life_seconds);

}  // namespace trimtab::recommend
