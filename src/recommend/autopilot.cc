#include "recommend/autopilot.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace trimtab::recommend::autopilot {

double cpuStatistic(const Histogram& decayed_cpu, CpuClass cls) {
  return cls == CpuClass::kBatch ? decayed_cpu.mean() : decayed_cpu.loadAdjustedQuantile(0.95);
}

double memoryStatistic(const Histogram& decayed_peaks, MemoryClass cls) {
  switch (cls) {
    case MemoryClass::kLow:
      return decayed_peaks.loadAdjustedQuantile(0.98);
    case MemoryClass::kMinimal:
      return decayed_peaks.max();
    case MemoryClass::kIntermediate:
      return std::max(decayed_peaks.loadAdjustedQuantile(0.60), 0.5 * decayed_peaks.max());
  }
  return decayed_peaks.max();
}

double withMargin(double value, double large) { return value * (value < large ? 1.15 : 1.10); }

MovingWindow::MovingWindow(double half_life_seconds, MemoryClass cls, double large_value)
    : half_life_(half_life_seconds), cls_(cls), large_(large_value) {}

void MovingWindow::observe(double t, double value) {
  if (!started_) {
    ref_t_ = t;
    started_ = true;
  }
  // Weights grow as 2^((t − ref)/half-life) instead of decaying the whole histogram each
  // sample; renormalised before they overflow (as VPA's decaying histogram does).
  double exponent = (t - ref_t_) / half_life_;
  if (exponent > 100) {
    hist_.scale(std::exp2(-exponent));
    ref_t_ = t;
    exponent = 0;
  }
  hist_.add(value, std::exp2(exponent));
  samples_ += 1;
}

double MovingWindow::recommend(double t) {
  if (samples_ == 0) return 0;
  const double rec = withMargin(memoryStatistic(hist_, cls_), large_);
  recent_.emplace_back(t, rec);
  while (!recent_.empty() && recent_.front().first < t - kSmoothingSeconds) recent_.pop_front();
  double best = 0;
  for (const auto& [when, r] : recent_) best = std::max(best, r);
  return best;
}

StartupLimit::StartupLimit(double margin, double step) : margin_(margin), step_(step) {}

void StartupLimit::observe(double value) {
  if (std::isnan(value) || value < 0) return;
  max_ = std::max(max_, value);
  if (max_ * (1 + margin_) > limit_) limit_ = max_ * (1 + step_);
}

MlEnsemble::MlEnsemble(MlOptions options) : options_(std::move(options)) {
  for (double h : options_.half_lives_samples) decayed_.push_back({h, {}});
  for (std::size_t d = 0; d < decayed_.size(); ++d) {
    for (double m : options_.margins) models_.push_back({d, m, 0, 0, 0});
  }
}

void MlEnsemble::observe(double value) { observeBatch({{value, 1.0}}, 1.0); }

void MlEnsemble::observeBatch(const std::vector<std::pair<double, double>>& samples,
                              double elapsed_samples) {
  static thread_local std::vector<Sample> valid;
  valid.clear();
  for (const auto& [v, w] : samples) {
    if (std::isnan(v) || v < 0 || !(w > 0)) continue;
    valid.push_back({v, w, v > Histogram::kMinValue ? Histogram::bucketOf(v) : 0});
  }
  observeSamples(valid, elapsed_samples);
}

void MlEnsemble::observeHistogram(const Histogram& batch, double elapsed_samples) {
  static thread_local std::vector<Sample> valid;
  valid.clear();
  batch.forEachBucketIndexed([&](std::int32_t index, double v, double w) {
    valid.push_back({v, w, index});
  });
  observeSamples(valid, elapsed_samples);
}

void MlEnsemble::observeSamples(const std::vector<Sample>& samples, double elapsed_samples) {
  double weight = 0;
  for (const Sample& s : samples) weight += s.weight;
  if (!(weight > 0)) return;
  // 1. Score every model's previous limit against these samples (its cost is what it would
  //    have cost had it been in charge), decayed with the model's own rate.
  if (samples_ > 0) {
    static thread_local std::vector<double> decay;
    decay.clear();
    for (const Decayed& dh : decayed_) {
      const double h =
          options_.cost_half_life_samples > 0 ? options_.cost_half_life_samples : dh.half_life;
      decay.push_back(std::exp2(-elapsed_samples / h));
    }
    for (Model& m : models_) {
      double c = 0;
      for (const Sample& s : samples) {
        if (s.value > m.limit)
          c += s.weight * options_.w_overrun;
        else if (m.limit > 0)
          c += s.weight * options_.w_underrun * (m.limit - s.value) / m.limit;
      }
      m.cost = m.cost * decay[m.decayed] + c;
    }
  }
  // 2. Add the samples to each decayed histogram.
  for (Decayed& dh : decayed_) {
    dh.hist.scale(std::exp2(-elapsed_samples / dh.half_life));
    for (const Sample& s : samples) {
      if (s.value > Histogram::kMinValue) {
        dh.hist.addToBucket(s.bucket, s.value, s.weight);
      } else {
        dh.hist.add(s.value, s.weight);
      }
    }
  }
  samples_ += weight;
  // 3. Per decay rate: the cost w_o·o(L) + w_u·u(L) of every candidate L (bucket upper edges,
  //    extended to twice the max) from prefix sums; then each model's argmin with its change
  //    penalty.
  // Scratch space reused between observations (per thread; not state).
  static thread_local std::vector<std::pair<double, double>> buckets;
  static thread_local std::vector<double> candidates, base_cost;
  for (std::size_t di = 0; di < decayed_.size(); ++di) {
    const Histogram& h = decayed_[di].hist;
    buckets.clear();
    h.forEachBucket([&](double v, double w) { buckets.emplace_back(v, w); });
    const double total = h.totalWeight();
    if (buckets.empty() || !(total > 0)) continue;
    candidates.clear();
    h.forEachBucketIndexed([&](std::int32_t index, double v, double) {
      if (v > 0) candidates.push_back(Histogram::bucketUpperEdge(index));
    });
    if (candidates.empty()) candidates.push_back(h.max() > 0 ? h.max() : 1e-9);
    const double top = candidates.back();
    for (double c = top * 1.05; c < 2 * top; c *= 1.05) candidates.push_back(c);
    base_cost.assign(candidates.size(), 0.0);
    std::size_t bi = 0;
    double below_w = 0, below_ws = 0;
    for (std::size_t ci = 0; ci < candidates.size(); ++ci) {
      const double l = candidates[ci];
      while (bi < buckets.size() && buckets[bi].first <= l) {
        below_w += buckets[bi].second;
        below_ws += buckets[bi].second * buckets[bi].first;
        ++bi;
      }
      const double o = total - below_w;
      const double u = (l * below_w - below_ws) / l;
      base_cost[ci] = options_.w_overrun * o + options_.w_underrun * u;
    }
    for (Model& m : models_) {
      if (m.decayed != di) continue;
      double best_cost = std::numeric_limits<double>::infinity(), best_l = candidates.back();
      for (std::size_t ci = 0; ci < candidates.size(); ++ci) {
        const double l = candidates[ci];
        double cost = base_cost[ci];
        if (m.base_limit > 0 && std::abs(l - m.base_limit) > 1e-12 * l) {
          cost += options_.w_limit_change;
        }
        if (cost < best_cost) {
          best_cost = cost;
          best_l = l;
        }
      }
      m.base_limit = best_l;
      m.limit = best_l * (1 + m.margin);
    }
  }
  // 4. Pick the model: its decayed cost plus switching penalties.
  double best = std::numeric_limits<double>::infinity();
  std::size_t pick = chosen_;
  for (std::size_t i = 0; i < models_.size(); ++i) {
    double c = models_[i].cost;
    if (limit_ > 0 && i != chosen_) c += options_.w_model_change;
    if (limit_ > 0 && std::abs(models_[i].limit - limit_) > 1e-12 * limit_) {
      c += options_.w_limit_change;
    }
    if (c < best) {
      best = c;
      pick = i;
    }
  }
  chosen_ = pick;
  limit_ = models_[pick].limit;
}

}  // namespace trimtab::recommend::autopilot
