// A mergeable quantile sketch with bounded relative error (log-spaced buckets, as in DDSketch).
// Values v > kMinValue fall in bucket ceil(log(v) / log(gamma)) with gamma = (1+a)/(1-a), so any
// quantile is returned within relative error a (default 1%). Values <= kMinValue (idle
// containers report 0 CPU) are counted in a separate zero bucket.
// Weights are doubles so a sketch can be decayed (exponential half-life) and merged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/error.h"

namespace trimtab::store {

class UsageSketch {
 public:
  static constexpr double kRelativeAccuracy = 0.01;
  static constexpr double kMinValue = 1e-9;

  void add(double value, double weight = 1.0);
  void merge(const UsageSketch& other);
  // Multiplies every weight by factor (e.g. 0.5 per half-life elapsed).
  void scale(double factor);

  double count() const { return zero_weight_ + positive_weight_; }
  bool empty() const { return count() <= 0; }
  // q in [0, 1]; returns 0 for an empty sketch.
  double quantile(double q) const;
  double max() const { return max_; }

  // Compact binary form (varint bucket deltas + float weights).
  std::string serialize() const;
  static Result<UsageSketch> deserialize(std::string_view bytes);

  std::size_t bucketCount() const { return buckets_.size(); }
  bool operator==(const UsageSketch&) const = default;

 private:
  static std::int32_t bucketOf(double value);
  static double bucketValue(std::int32_t index);

  std::vector<std::pair<std::int32_t, double>> buckets_;  // sorted by index
  double zero_weight_ = 0;
  double positive_weight_ = 0;
  double max_ = 0;
};

}  // namespace trimtab::store
