#include "store/sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace trimtab::store {

namespace {

const double kGamma = (1 + SketchGrid::kRelativeAccuracy) / (1 - SketchGrid::kRelativeAccuracy);
const double kLogGamma = std::log(kGamma);

void putVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

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

inline bool getFloat(std::string_view in, std::size_t& pos, double& v) {
  if (in.size() - pos < 4) return false;
  float f;
  std::memcpy(&f, in.data() + pos, 4);
  pos += 4;
  v = f;
  return std::isfinite(v) && v >= 0;
}

// True when none of the n bytes has its high bit set (each is a whole one-byte varint).
inline bool allSingleBytes(const unsigned char* p, std::size_t n) {
  std::uint64_t acc = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    acc |= w;
  }
  for (; i < n; ++i) acc |= p[i];
  return !(acc & 0x8080808080808080ULL);
}

std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

void putFloat(std::string& out, float f) {
  char b[4];
  std::memcpy(b, &f, 4);
  out.append(b, 4);
}

// Representative values and upper edges of every bucket index, computed once: pow() per bucket
// read was a visible share of folding a month of blocks.
struct BucketTable {
  std::vector<double> value, edge;
  BucketTable() {
    for (std::int32_t i = SketchGrid::kMinIndex; i <= SketchGrid::kMaxIndex; ++i) {
      edge.push_back(std::pow(kGamma, i));
      value.push_back(2 * edge.back() / (kGamma + 1));
    }
  }
};

const BucketTable& table() {
  static const BucketTable t;
  return t;
}

std::size_t slot(std::int32_t index) {
  return static_cast<std::size_t>(std::clamp(index, SketchGrid::kMinIndex, SketchGrid::kMaxIndex) -
                                  SketchGrid::kMinIndex);
}

}  // namespace

std::int32_t SketchGrid::bucketOf(double value) {
  const double idx = std::ceil(std::log(value) / kLogGamma);
  return static_cast<std::int32_t>(
      std::clamp(idx, static_cast<double>(kMinIndex), static_cast<double>(kMaxIndex)));
}

double SketchGrid::bucketValue(std::int32_t index) { return table().value[slot(index)]; }

double SketchGrid::bucketUpperEdge(std::int32_t index) { return table().edge[slot(index)]; }

// The layout written by UsageSketch::serialize(): varint bucket count, u8 flags (bit 0: weights
// are float32, else varints), zero weight, float32 max, then per bucket a zigzag varint index
// delta and its weight. Hot (every stored sketch of a window is decoded once per
// recommendation run): stored sketches hold small integer counts, so a delta and its weight are
// usually one byte each, taken two at a time.
Status DecodedSketch::decode(std::string_view in) {
  buckets.clear();
  zero_weight = 0;
  max = 0;
  if (in.empty()) return {};
  auto corrupt = [this] {
    buckets.clear();
    return fail(ErrorCode::kCorrupt, "usage sketch: truncated or malformed");
  };
  std::size_t pos = 0;
  std::uint64_t n = 0;
  if (!getVarint(in, pos, n) || n > in.size() || pos >= in.size()) return corrupt();
  const auto flags = static_cast<unsigned char>(in[pos++]);
  if (flags > 1) return corrupt();
  const bool integral = flags == 0;
  if (integral) {
    std::uint64_t z;
    if (!getVarint(in, pos, z)) return corrupt();
    zero_weight = static_cast<double>(z);
  } else if (!getFloat(in, pos, zero_weight)) {
    return corrupt();
  }
  if (!getFloat(in, pos, max)) return corrupt();
  buckets.resize(n);
  auto* out = buckets.data();
  const auto* bytes = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t size = in.size();
  std::int64_t idx = 0;
  if (integral && n > 0) {
    // Common case: after the first bucket (whose absolute index usually takes two bytes) every
    // delta and count is one byte. Branch-free; the checks are folded and tested once (deltas
    // after the first positive, so the indexes only need range checks at both ends).
    std::size_t p = pos;
    std::uint64_t d0 = 0, c0 = 0;
    if (getVarint(in, p, d0) && getVarint(in, p, c0) && size - p == 2 * (n - 1) &&
        d0 <= 4 * static_cast<std::uint64_t>(SketchGrid::kMaxIndex) + 2 &&
        allSingleBytes(bytes + p, 2 * (n - 1))) {
      const unsigned char* b = bytes + p;
      idx = static_cast<std::int64_t>(d0 >> 1) ^ -static_cast<std::int64_t>(d0 & 1);
      const std::int64_t lowest = idx;
      out[0] = {static_cast<std::int32_t>(idx), static_cast<double>(c0)};
      unsigned bad = 0;
      for (std::uint64_t i = 1; i < n; ++i) {
        const unsigned d = b[2 * i - 2];
        bad |= (d & 1u) | static_cast<unsigned>(d == 0);
        idx += d >> 1;
        out[i] = {static_cast<std::int32_t>(idx), static_cast<double>(b[2 * i - 1])};
      }
      if (bad || lowest < SketchGrid::kMinIndex || idx > SketchGrid::kMaxIndex) return corrupt();
      return {};
    }
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    std::uint64_t d;
    double w;
    if (integral && size - pos >= 2 && !((bytes[pos] | bytes[pos + 1]) & 0x80)) {
      d = bytes[pos];
      w = bytes[pos + 1];
      pos += 2;
    } else {
      if (!getVarint(in, pos, d)) return corrupt();
      if (integral) {
        std::uint64_t v;
        if (!getVarint(in, pos, v)) return corrupt();
        w = static_cast<double>(v);
      } else if (!getFloat(in, pos, w)) {
        return corrupt();
      }
    }
    // After the first bucket the delta must be positive (zigzag: even and non-zero).
    if (i > 0 && (d == 0 || (d & 1))) return corrupt();
    // No valid delta spans more than the index range (keeps the sum from overflowing).
    if (d > 4 * static_cast<std::uint64_t>(SketchGrid::kMaxIndex) + 2) return corrupt();
    idx += static_cast<std::int64_t>(d >> 1) ^ -static_cast<std::int64_t>(d & 1);
    if (idx < SketchGrid::kMinIndex || idx > SketchGrid::kMaxIndex) return corrupt();
    out[i] = {static_cast<std::int32_t>(idx), w};
  }
  if (pos != size) return corrupt();
  return {};
}

void UsageSketch::add(double value, double weight) {
  if (!(weight > 0) || std::isnan(value)) return;
  if (value > max_) max_ = value;
  if (value <= kMinValue) {
    zero_weight_ += weight;
    return;
  }
  positive_weight_ += weight;
  const std::int32_t idx = SketchGrid::bucketOf(value);
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
    if (seen > rank) return std::min(SketchGrid::bucketValue(idx), max_);
  }
  return buckets_.empty() ? 0 : std::min(SketchGrid::bucketValue(buckets_.back().first), max_);
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
  DecodedSketch d;
  if (auto st = d.decode(in); !st) return fail(st.error());
  UsageSketch s;
  s.zero_weight_ = d.zero_weight;
  s.max_ = d.max;
  for (const SketchBucket& b : d.buckets) s.positive_weight_ += b.weight;
  s.buckets_.reserve(d.buckets.size());
  for (const SketchBucket& b : d.buckets) s.buckets_.emplace_back(b.index, b.weight);
  return s;
}

}  // namespace trimtab::store
