#include "store/sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace trimtab::store {

namespace {

const double kGamma = (1 + UsageSketch::kRelativeAccuracy) / (1 - UsageSketch::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);

void putVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool getVarint(std::string_view in, std::size_t& pos, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return false;
    const auto b = static_cast<unsigned char>(in[pos++]);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

void putFloat(std::string& out, float f) {
  char b[4];
  std::memcpy(b, &f, 4);
  out.append(b, 4);
}

}  // namespace

std::int32_t UsageSketch::bucketOf(double value) {
  return static_cast<std::int32_t>(std::ceil(std::log(value) / kLogGamma));
}

double UsageSketch::bucketValue(std::int32_t index) {
  // The midpoint (in relative terms) of (gamma^(i-1), gamma^i]: within a of every value in it.
  return 2 * std::pow(kGamma, index) / (kGamma + 1);
}

void UsageSketch::add(double value, double weight) {
  if (!(weight > 0) || std::isnan(value)) return;
  if (value > max_) max_ = value;
  if (value <= kMinValue) {
    zero_weight_ += weight;
    return;
  }
  positive_weight_ += weight;
  const std::int32_t idx = bucketOf(value);
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), idx,
                             [](const auto& b, std::int32_t i) { return b.first < i; });
  if (it != buckets_.end() && it->first == idx) {
    it->second += weight;
  } else {
    buckets_.insert(it, {idx, weight});
  }
}

void UsageSketch::merge(const UsageSketch& other) {
  if (other.buckets_.empty() && other.zero_weight_ == 0) return;
  std::vector<std::pair<std::int32_t, double>> merged;
  merged.reserve(buckets_.size() + other.buckets_.size());
  auto a = buckets_.begin();
  auto b = other.buckets_.begin();
  while (a != buckets_.end() || b != other.buckets_.end()) {
    if (b == other.buckets_.end() || (a != buckets_.end() && a->first < b->first)) {
      merged.push_back(*a++);
    } else if (a == buckets_.end() || b->first < a->first) {
      merged.push_back(*b++);
    } else {
      merged.emplace_back(a->first, a->second + b->second);
      ++a;
      ++b;
    }
  }
  buckets_ = std::move(merged);
  zero_weight_ += other.zero_weight_;
  positive_weight_ += other.positive_weight_;
  max_ = std::max(max_, other.max_);
}

void UsageSketch::scale(double factor) {
  for (auto& b : buckets_) b.second *= factor;
  zero_weight_ *= factor;
  positive_weight_ *= factor;
}

double UsageSketch::quantile(double q) const {
  const double total = count();
  if (total <= 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Rank of the requested element among `total` weighted values (lower quantile definition).
  const double rank = q * (total - 1);
  if (rank < zero_weight_) return 0;
  double seen = zero_weight_;
  for (const auto& [idx, w] : buckets_) {
    seen += w;
    if (seen > rank) return std::min(bucketValue(idx), max_);
  }
  return buckets_.empty() ? 0 : std::min(bucketValue(buckets_.back().first), max_);
}

// Layout: varint bucket count, u8 flags (bit 0: weights are float32, else varints), zero weight,
// float32 max, then per bucket a zigzag varint index delta and its weight. Stored sketches hold
// raw counts (integers), so weights are one varint byte each in practice; decayed sketches
// (fractional weights) use float32.
std::string UsageSketch::serialize() const {
  bool integral = zero_weight_ == std::floor(zero_weight_) && zero_weight_ < 4e9;
  for (const auto& [idx, w] : buckets_) {
    if (w != std::floor(w) || w >= 4e9) integral = false;
  }
  std::string out;
  out.reserve(8 + buckets_.size() * 3);
  putVarint(out, buckets_.size());
  out.push_back(integral ? 0 : 1);
  if (integral) {
    putVarint(out, static_cast<std::uint64_t>(zero_weight_));
  } else {
    putFloat(out, static_cast<float>(zero_weight_));
  }
  putFloat(out, static_cast<float>(max_));
  std::int64_t prev = 0;
  for (const auto& [idx, w] : buckets_) {
    putVarint(out, zigzag(idx - prev));
    prev = idx;
    if (integral) {
      putVarint(out, static_cast<std::uint64_t>(w));
    } else {
      putFloat(out, static_cast<float>(w));
    }
  }
  return out;
}

Result<UsageSketch> UsageSketch::deserialize(std::string_view in) {
  UsageSketch s;
  if (in.empty()) return s;
  std::size_t pos = 0;
  std::uint64_t n = 0;
  auto corrupt = [] { return fail(ErrorCode::kCorrupt, "usage sketch: truncated or malformed"); };
  if (!getVarint(in, pos, n) || n > in.size() || pos >= in.size()) return corrupt();
  const auto flags = static_cast<unsigned char>(in[pos++]);
  if (flags > 1) return corrupt();
  const bool integral = flags == 0;
  auto weight = [&](double& w) {
    if (integral) {
      std::uint64_t v;
      if (!getVarint(in, pos, v)) return false;
      w = static_cast<double>(v);
      return true;
    }
    if (in.size() - pos < 4) return false;
    float f;
    std::memcpy(&f, in.data() + pos, 4);
    pos += 4;
    w = f;
    return true;
  };
  if (!weight(s.zero_weight_) || in.size() - pos < 4) return corrupt();
  float f;
  std::memcpy(&f, in.data() + pos, 4);
  s.max_ = f;
  pos += 4;
  std::int64_t prev = 0;
  s.buckets_.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t d;
    double w;
    if (!getVarint(in, pos, d) || !weight(w)) return corrupt();
    prev += unzigzag(d);
    if (!s.buckets_.empty() && prev <= s.buckets_.back().first) return corrupt();
    s.buckets_.emplace_back(static_cast<std::int32_t>(prev), w);
    s.positive_weight_ += w;
  }
  if (pos != in.size()) return corrupt();
  return s;
}

}  // namespace trimtab::store
