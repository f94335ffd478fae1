// A mergeable quantile sketch with bounded relative error (log-spaced buckets, as in DDSketch).
// Values v > kMinValue fall in bucket ceil(log(v) / log(gamma)) with gamma = (1+a)/(1-a), so any
// quantile is returned within relative error a (default 1%). Values <= kMinValue (idle
// containers report 0 CPU) are counted in a separate zero bucket.
// Weights are doubles so a sketch can be decayed (exponential half-life) and merged.
//
// The bucket grid (SketchGrid) and the serialized form (DecodedSketch) are the one definition
// shared with recommend::Histogram, which merges stored sketches into dense decayed histograms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/error.h"

namespace trimtab::store {

// The log-spaced bucket grid: bucket i holds (gamma^(i-1), gamma^i], gamma = (1+a)/(1-a).
// Indices are clamped to [kMinIndex, kMaxIndex] (values from ~1e-30 to ~1e30), so absurd or
// corrupt input cannot address a huge range. Stateless; thread-safe.
struct SketchGrid {
  static constexpr double kRelativeAccuracy = 0.01;
  static constexpr double kMinValue = 1e-9;  // values <= this count in the zero bucket
  static constexpr std::int32_t kMinIndex = -3500;
  static constexpr std::int32_t kMaxIndex = 3500;

  // Bucket index of a value > kMinValue (clamped to the index range).
  static std::int32_t bucketOf(double value);
  // A bucket's representative value (the relative midpoint: within a of every value in it) and
  // its upper edge gamma^index. Table lookups; indices outside the range are clamped.
  static double bucketValue(std::int32_t index);
  static double bucketUpperEdge(std::int32_t index);
};

// A serialized sketch decoded into its buckets, without building a UsageSketch; reusable across
// rows (decode() keeps the vector's storage), so reading a column allocates nothing per row.
struct SketchBucket {
  std::int32_t index;
  double weight;
  // Left uninitialised on purpose: decode() sizes its vector, then writes every element (value-
  // initialising them first was a tenth of decoding a month of blocks).
  SketchBucket() {}  // NOLINT(modernize-use-equals-default)
  SketchBucket(std::int32_t i, double w) : index(i), weight(w) {}
};

struct DecodedSketch {
  std::vector<SketchBucket> buckets;  // strictly increasing index
  double zero_weight = 0;
  double max = 0;
  // Decodes a UsageSketch::serialize() string (empty = empty sketch). kCorrupt on malformed
  // bytes (truncated, trailing bytes, non-increasing or out-of-range indices, negative or
  // non-finite float weights).
  Status decode(std::string_view bytes);
};

class UsageSketch {
 public:
  static constexpr double kRelativeAccuracy = SketchGrid::kRelativeAccuracy;
  static constexpr double kMinValue = SketchGrid::kMinValue;

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
  std::vector<std::pair<std::int32_t, double>> buckets_;  // sorted by index
  double zero_weight_ = 0;
  double positive_weight_ = 0;
  double max_ = 0;
};

}  // namespace trimtab::store
