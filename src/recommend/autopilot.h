// Google Autopilot's recommenders (Rzadca et al., EuroSys 2020; shared/reference/rightsizing.md
// §D): the moving-window statistics over exponentially decayed histograms (CPU half-life 12 h,
// memory 48 h), per-class statistic, safety margin and max-over-the-last-hour smoothing, and the
// ML ensemble that picks, per workload, the model minimising overrun + underrun + change cost.
// Units are the caller's (cores, bytes, or a trace's normalised units). Thread-compatible.
#pragma once

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "recommend/histogram.h"

namespace trimtab::recommend::autopilot {

inline constexpr double kCpuHalfLifeSeconds = 12 * 3600.0;
inline constexpr double kMemoryHalfLifeSeconds = 48 * 3600.0;
inline constexpr double kSmoothingSeconds = 3600.0;  // max over the last hour

enum class CpuClass : std::uint8_t { kBatch, kServing };
// kLow: S_p98 (default for large jobs); kMinimal: S_max (default for small jobs);
// kIntermediate: max(S_p60, 0.5 × S_max).
enum class MemoryClass : std::uint8_t { kLow, kMinimal, kIntermediate };

// Batch: decayed mean; serving: P95 of the load-adjusted histogram.
double cpuStatistic(const Histogram& decayed_cpu, CpuClass cls);
// Over a histogram of memory peaks (S_max = histogram max).
double memoryStatistic(const Histogram& decayed_peaks, MemoryClass cls);
// Safety margin: +15% below `large` (1 core or 1 GiB in real units), +10% at or above it.
double withMargin(double value, double large);

// Online moving-window recommender over one signal (one sample = one window's peak).
class MovingWindow {
 public:
  MovingWindow(double half_life_seconds, MemoryClass cls, double large_value);
  void observe(double t_seconds, double value);
  // Statistic + margin at t, smoothed by the max over the recommendations of the last hour.
  // 0 before the first sample.
  double recommend(double t_seconds);
  double samples() const { return samples_; }

 private:
  double half_life_;
  MemoryClass cls_;
  double large_;
  double ref_t_ = 0;
  bool started_ = false;
  double samples_ = 0;
  Histogram hist_;
  std::deque<std::pair<double, double>> recent_;  // (t, recommendation)
};

// The ensemble's hyperparameters (Autopilot Eq. 4-9). Half-lives are in samples.
// Tuned by the replay bench's sweep (bench/recommend/replay_bench.cc, docs/recommend.md): the
// margins start at 10% (Autopilot's moving-window safety margin is 10-15%; margin-0 models won
// the model choice and overran on every new maximum) and the limit-change cost is 10 (at 50 the
// limit hardly ever came down after a restart: 25% slack on Google 2019). Both chosen on the
// Google trace; the Alibaba trace's ML column is insensitive to them.
struct MlOptions {
  std::vector<double> half_lives_samples{144, 576, 2016};  // 12 h, 48 h, 7 d of 5-min windows
  std::vector<double> margins{0.10, 0.20, 0.30};
  double w_overrun = 400.0;  // cost of one overrunning sample
  double w_underrun = 1.0;   // cost of one sample's relative slack (L − s)/L
  double w_limit_change = 10.0;
  double w_model_change = 20.0;
  // Half-life of the models' costs c_m (Autopilot's d), in samples; 0 = each model's own
  // histogram half-life.
  double cost_half_life_samples = 0;
};

// The young-task regime of `auto` (StartupLimit below), chosen with the replay bench's sweep:
// tasks younger than kStartupSeconds use StartupLimit(kStartupMargin, kStartupStep). On the
// Alibaba GenAI pods (all younger than a day) it takes overrun-free pod-days from 77% to 90% and
// the p99 pod-day from 10 limit changes to 4, at 43% slack instead of 30% (manual: 55%); on
// Google 2019 it costs 1.4 points of slack (first days only).
inline constexpr double kStartupSeconds = 24 * 3600.0;
inline constexpr double kStartupMargin = 0.15;
inline constexpr double kStartupStep = 0.50;

// Young tasks (short history): the max observed so far × (1 + margin), raised with headroom.
// While max × (1 + margin) stays at or below the limit in force the limit holds; once it passes,
// the limit jumps at once to max × (1 + step) (a few large raises instead of one per growth
// step; an overrun makes the overrunning value the new max, so the next limit covers it).
// Never lowers. REQUIRES: 0 <= margin <= step.
class StartupLimit {
 public:
  explicit StartupLimit(double margin = kStartupMargin, double step = kStartupStep);
  void observe(double value);                  // NaN and negative values are ignored
  double recommend() const { return limit_; }  // 0 before the first sample
  double max() const { return max_; }

 private:
  double margin_, step_;
  double max_ = 0, limit_ = 0;
};

class MlEnsemble {
 public:
  explicit MlEnsemble(MlOptions options = {});
  // One sample (weight 1, one sample-time elapsed).
  void observe(double value);
  // A batch of weighted samples observed over `elapsed_samples` sample-times (e.g. one stored
  // hour of 5-minute memory peaks: the hour's sketch buckets, elapsed 12).
  void observeBatch(const std::vector<std::pair<double, double>>& samples, double elapsed_samples);
  // The same over a histogram's buckets (each bucket's representative value, its weight), using
  // its bucket indices directly.
  void observeHistogram(const Histogram& batch, double elapsed_samples);
  // The chosen model's limit; 0 before the first sample.
  double recommend() const { return limit_; }
  std::size_t chosenModel() const { return chosen_; }
  std::size_t modelCount() const { return models_.size(); }  // half-lives × margins
  double samples() const { return samples_; }

 private:
  struct Decayed {
    double half_life = 0;
    Histogram hist;  // decayed samples
  };
  struct Model {
    std::size_t decayed = 0;  // index into decayed_
    double margin = 0;
    double base_limit = 0;  // argmin L before margin
    double limit = 0;
    double cost = 0;
  };

  struct Sample {
    double value = 0, weight = 0;
    std::int32_t bucket = 0;  // grid index when value > Histogram::kMinValue
  };
  // Valid samples only (value >= 0, weight > 0).
  void observeSamples(const std::vector<Sample>& samples, double elapsed_samples);

  MlOptions options_;
  std::vector<Decayed> decayed_;
  std::vector<Model> models_;
  std::size_t chosen_ = 0;
  double limit_ = 0;
  double samples_ = 0;
};

}  // namespace trimtab::recommend::autopilot
