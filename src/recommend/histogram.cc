#include "recommend/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace trimtab::recommend {

namespace {

const double kGamma = (1 + Histogram::kRelativeAccuracy) / (1 - Histogram::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);
// Bucket indices are clamped to this range (values from 1e-30 to 1e30) so corrupt or absurd
// input cannot make the dense array huge.
constexpr std::int32_t kMinIndex = -3500;
constexpr std::int32_t kMaxIndex = 3500;

inline bool getVarint(std::string_view in, std::size_t& pos, std::uint64_t& v) {
  // Fast path: stored sketches are mostly one-byte deltas and counts.
  if (pos < in.size() && !(static_cast<unsigned char>(in[pos]) & 0x80)) {
    v = static_cast<unsigned char>(in[pos++]);
    return true;
  }
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const auto b = static_cast<unsigned char>(in[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

bool getFloat(std::string_view in, std::size_t& pos, double& v) {
  if (in.size() - pos < 4) return false;
  float f;
  std::memcpy(&f, in.data() + pos, 4);
  pos += 4;
  v = f;
  return std::isfinite(v) && v >= 0;
}

}  // namespace

double decayFactor(double age_seconds, double half_life_seconds) {
  if (!(half_life_seconds > 0)) return 1.0;
  return std::exp2(-age_seconds / half_life_seconds);
}

namespace {

// Representative values and upper edges of every bucket index, computed once: pow() per bucket
// read was a visible share of folding a month of blocks.
struct BucketTable {
  std::vector<double> value, edge;
  BucketTable() {
    for (std::int32_t i = kMinIndex; i <= kMaxIndex; ++i) {
      edge.push_back(std::pow(kGamma, i));
      value.push_back(2 * edge.back() / (kGamma + 1));
    }
  }
};

const BucketTable& table() {
  static const BucketTable t;
  return t;
}

}  // namespace

std::int32_t Histogram::bucketOf(double value) {
  const double idx = std::ceil(std::log(value) / kLogGamma);
  return static_cast<std::int32_t>(
      std::clamp(idx, static_cast<double>(kMinIndex), static_cast<double>(kMaxIndex)));
}

double Histogram::bucketValue(std::int32_t index) {
  return table()
      .value[static_cast<std::size_t>(std::clamp(index, kMinIndex, kMaxIndex) - kMinIndex)];
}

double Histogram::bucketUpperEdge(std::int32_t index) {
  return table()
      .edge[static_cast<std::size_t>(std::clamp(index, kMinIndex, kMaxIndex) - kMinIndex)];
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

// The layout written by store::UsageSketch::serialize(): varint bucket count, u8 flags (bit 0:
// weights are float32, else varints), zero weight, float32 max, then per bucket a zigzag varint
// index delta and its weight. Decoded here without building a UsageSketch per row (which would
// cost allocations per container-block).
Status DecodedSketch::decode(std::string_view in) {
  buckets.clear();
  zero_weight = 0;
  max = 0;
  if (in.empty()) return {};
  auto corrupt = [] { return fail(ErrorCode::kCorrupt, "usage sketch: truncated or malformed"); };
  std::size_t pos = 0;
  std::uint64_t n = 0;
  if (!getVarint(in, pos, n) || n > in.size() || pos >= in.size()) return corrupt();
  const auto flags = static_cast<unsigned char>(in[pos++]);
  if (flags > 1) return corrupt();
  const bool integral = flags == 0;
  auto weight = [&](double& w) {
    if (!integral) return getFloat(in, pos, w);
    std::uint64_t v;
    if (!getVarint(in, pos, v)) return false;
    w = static_cast<double>(v);
    return true;
  };
  if (!weight(zero_weight) || !getFloat(in, pos, max)) return corrupt();
  std::int64_t idx = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t d;
    double w;
    if (!getVarint(in, pos, d) || !weight(w)) return corrupt();
    idx += static_cast<std::int64_t>(d >> 1) ^ -static_cast<std::int64_t>(d & 1);
    if ((i > 0 && idx <= buckets.back().first) || idx < kMinIndex || idx > kMaxIndex) {
      return corrupt();
    }
    buckets.emplace_back(static_cast<std::int32_t>(idx), w);
  }
  if (pos != in.size()) return corrupt();
  return {};
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
    cover(d.buckets.front().first, d.buckets.back().first);
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
