#include "recommend/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace trimtab::recommend {

double decayFactor(double age_seconds, double half_life_seconds) {
  if (!(half_life_seconds > 0)) return 1.0;
  return std::exp2(-age_seconds / half_life_seconds);
}

void Histogram::addToBucket(std::int32_t index, double weight) {
  cover(index, index);
  weights_[static_cast<std::size_t>(index - offset_)] += weight;
  positive_weight_ += weight;
}

void Histogram::add(double value, double weight) {
  if (!(weight > 0) || std::isnan(value)) return;
  if (value > max_) max_ = value;
  if (value <= kMinValue) {
    zero_weight_ += weight;
    return;
  }
  addToBucket(bucketOf(value), weight);
}

Status Histogram::addSerializedSketch(std::string_view in, double factor) {
  DecodedSketch d;
  if (auto s = d.decode(in); !s) return s;
  add(d, factor);
  return {};
}

void Histogram::cover(std::int32_t lo, std::int32_t hi) {
  if (weights_.empty()) {
    offset_ = lo - 4;
    weights_.assign(static_cast<std::size_t>(hi - lo + 9), 0.0);
    return;
  }
  const std::int32_t end = offset_ + static_cast<std::int32_t>(weights_.size());
  if (lo < offset_) {
    // Headroom below too, so a workload whose usage drifts down does not shift every row.
    const std::int32_t grow = offset_ - lo + 8;
    weights_.insert(weights_.begin(), static_cast<std::size_t>(grow), 0.0);
    offset_ -= grow;
  }
  if (hi >= end) weights_.resize(weights_.size() + static_cast<std::size_t>(hi - end + 9), 0.0);
}

void Histogram::add(const DecodedSketch& d, double factor) {
  if (!(factor > 0)) return;
  if (!d.buckets.empty()) {
    cover(d.buckets.front().index, d.buckets.back().index);
    double added = 0;
    for (const auto& [idx, weight] : d.buckets) {
      weights_[static_cast<std::size_t>(idx - offset_)] += weight * factor;
      added += weight * factor;
    }
    positive_weight_ += added;
  }
  zero_weight_ += d.zero_weight * factor;
  max_ = std::max(max_, d.max);
}

void Histogram::addBoth(const DecodedSketch& d, Histogram& decayed, double factor,
                        Histogram& plain) {
  if (!(factor > 0)) {
    plain.add(d, 1.0);
    return;
  }
  if (!d.buckets.empty()) {
    const std::int32_t lo = d.buckets.front().index, hi = d.buckets.back().index;
    decayed.cover(lo, hi);
    plain.cover(lo, hi);
    double* dw = decayed.weights_.data();
    double* pw = plain.weights_.data();
    const std::int32_t doff = decayed.offset_, poff = plain.offset_;
    double decayed_added = 0, plain_added = 0;
    for (const auto& [idx, weight] : d.buckets) {
      const double scaled = weight * factor;
      dw[idx - doff] += scaled;
      decayed_added += scaled;
      pw[idx - poff] += weight;
      plain_added += weight;
    }
    decayed.positive_weight_ += decayed_added;
    plain.positive_weight_ += plain_added;
  }
  decayed.zero_weight_ += d.zero_weight * factor;
  plain.zero_weight_ += d.zero_weight;
  decayed.max_ = std::max(decayed.max_, d.max);
  plain.max_ = std::max(plain.max_, d.max);
}

void Histogram::merge(const Histogram& other, double factor) {
  if (!(factor > 0)) return;
  for (std::size_t i = 0; i < other.weights_.size(); ++i) {
    if (other.weights_[i] > 0) {
      addToBucket(other.offset_ + static_cast<std::int32_t>(i), other.weights_[i] * factor);
    }
  }
  zero_weight_ += other.zero_weight_ * factor;
  max_ = std::max(max_, other.max_);
}

void Histogram::clear() {
  std::fill(weights_.begin(), weights_.end(), 0.0);
  zero_weight_ = positive_weight_ = max_ = 0;
}

void Histogram::scale(double factor) {
  for (double& w : weights_) w *= factor;
  zero_weight_ *= factor;
  positive_weight_ *= factor;
}

double Histogram::quantile(double q) const {
  const double total = totalWeight();
  if (!(total > 0)) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * total;
  double seen = zero_weight_;
  if (seen >= rank && zero_weight_ > 0) return 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    seen += weights_[i];
    if (weights_[i] > 0 && seen >= rank) {
      return std::min(bucketValue(offset_ + static_cast<std::int32_t>(i)), max_);
    }
  }
  return max_;
}

double Histogram::loadAdjustedQuantile(double q) const {
  double total = 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    total += weights_[i] * bucketValue(offset_ + static_cast<std::int32_t>(i));
  }
  if (!(total > 0)) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * total;
  double seen = 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    const double v = bucketValue(offset_ + static_cast<std::int32_t>(i));
    seen += weights_[i] * v;
    if (weights_[i] > 0 && seen >= rank) return std::min(v, max_);
  }
  return max_;
}

double Histogram::mean() const {
  const double total = totalWeight();
  if (!(total > 0)) return 0;
  double sum = 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    sum += weights_[i] * bucketValue(offset_ + static_cast<std::int32_t>(i));
  }
  return sum / total;
}

double Histogram::fractionAbove(double x) const {
  const double total = totalWeight();
  if (!(total > 0)) return 0;
  double above = 0;
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    // A bucket counts as above x when its representative value is: the same 1% resolution as
    // every other figure read from the sketch.
    if (bucketValue(offset_ + static_cast<std::int32_t>(i)) > x) above += weights_[i];
  }
  return std::clamp(above / total, 0.0, 1.0);
}

}  // namespace trimtab::recommend
