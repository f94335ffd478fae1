// Rightsizing recommendations from the block store's usage sketches.
//
// For every workload (cluster, namespace, controller kind, controller, container; a bare pod is
// its own controller of kind "pod") the stored per-container-block CPU sketches (per-sample
// cores) and memory sketches (5-minute peak working-set bytes) over the window are merged, with
// exponential decay by block age where the strategy asks for it (decay resolution = one block:
// a UTC day inside the window, an hour at its partial ends). Then one recommender runs:
//   vpa        VPA's recommender (recommend/vpa.h): CPU and daily-memory-peak histograms with a
//              24 h half-life, target P90 × 1.15, bounds with confidence scaling, floors.
//   krr        KRR `simple`: CPU request = max over pods of P95, no CPU limit; memory request =
//              limit = max × 1.15; floors 10 m / 100 MiB; needs >= 100 samples and >= 3 h.
//   autopilot  moving window (CPU half-life 12 h, memory 48 h; per-class statistic, margin) for
//              CPU, and the ML ensemble over the hourly memory-peak batches for memory.
//   auto       the ensemble; the moving window for workloads younger than ml_min_history_hours.
// Memory limit = recommended memory request (so the risk figure is the OOM risk), raised to the
// startup peak when that is higher; the CPU limit is left as it is (reported 0).
//
// DaemonSets (per-replica heterogeneity, e.g. agents on nodes of different sizes): for `vpa`,
// `autopilot` and `auto`, each replica (the workload's containers on one node) also gets its own
// recommendation from its own histograms (vpa: its own VPA target; autopilot/auto: its own
// moving-window statistic, S_max for memory as for a single task), and the workload's value is
// max(pooled value, P90 across replicas of the replicas' values; nearest rank, so the max below
// 10 replicas). A heavy replica is covered even when its samples are a small share of the pool.
//
// Startup: a container's first row in the window is its startup when the container began after
// the window start and the row covers at most its first kStartupWindowSeconds (the first hour
// block of a pod: the resolution the store keeps; when the first hour was folded into a day block
// with the rest of the day it cannot be separated and stays in the steady state). Startup rows
// are left out of the steady-state histograms (unless a workload has nothing else) and reported
// as startup peaks; the memory limit (and a CPU limit when one is set) covers the startup peak.
// Workloads with less history than required get no values and the reason
// "insufficient data, N hours of M".
//
// Thread-safe for concurrent calls on one Store (only const reads). Uses up to
// RecommendOptions::threads folding threads plus block readers.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/clock.h"
#include "model/error.h"
#include "recommend/hpa.h"
#include "store/store.h"

namespace trimtab::recommend {

enum class Strategy : std::uint8_t { kAuto, kVpa, kKrr, kAutopilot };
Result<Strategy> parseStrategy(std::string_view name);  // "auto", "vpa", "krr", "autopilot"
std::string_view strategyName(Strategy s);

// Startup window: a container's first row counts as startup when it spans at most this.
inline constexpr double kStartupWindowSeconds = 3600;
// DaemonSets: the quantile across replicas of the replicas' own recommendations.
inline constexpr double kDaemonSetReplicaQuantile = 0.90;

struct RecommendOptions {
  UnixSeconds window_start = 0, window_end = 0;  // hour-aligned; history is read from here
  Strategy strategy = Strategy::kAuto;
  std::string cluster;               // empty = every cluster
  std::string filter;                // OpenCost allocation filter (cost/filter.h), empty = all
  double min_history_hours = 24;     // below: "insufficient data"
  double ml_min_history_hours = 72;  // auto: below this, the moving window
  // Threads that fold the blocks' rows (each owns a share of the workloads and folds their rows
  // in time order, so the result is identical for every count); 0 = hardware concurrency.
  // Blocks are read and decompressed ahead on further threads either way.
  int threads = 0;
};

struct WorkloadKey {
  std::string cluster, namespace_name, controller_kind, controller, container;
  bool operator==(const WorkloadKey&) const = default;
  auto operator<=>(const WorkloadKey&) const = default;
};

// CPU in cores, memory in bytes; 0 = not set / unknown.
struct ResourceValues {
  double cpu_request_cores = 0, cpu_limit_cores = 0;
  double memory_request_bytes = 0, memory_limit_bytes = 0;
};

struct Recommendation {
  WorkloadKey key;
  std::string recommender;  // what produced the values: "vpa", "krr", "moving-window", "ml"
  bool sufficient = false;  // false: insufficient history, `recommended` is empty
  double history_hours = 0, required_hours = 0;
  int containers_in_pod = 1;
  double replicas = 0;     // mean concurrent containers while running
  ResourceValues current;  // time-weighted mean requests over the window (limits unknown)
  ResourceValues recommended;
  // VPA's bounds (vpa strategy only; 0 otherwise). Upper bounds may be +inf (no confidence).
  double cpu_lower_cores = 0, cpu_upper_cores = 0, memory_lower_bytes = 0, memory_upper_bytes = 0;
  // Evidence from the same (decayed) histograms as the risk; the max is undecayed.
  double cpu_usage_p95_cores = 0, memory_peak_max_bytes = 0;
  // Startup peaks (max over the containers' startup rows; 0 when none was seen) and whether the
  // startup rows were left out of the steady state (false when the workload had nothing else).
  double startup_cpu_peak_cores = 0, startup_memory_peak_bytes = 0;
  bool startup_excluded = false;
  // DaemonSets: replicas (nodes) that had their own recommendation, and the P90 across them of
  // their own values (0 for other kinds).
  int daemonset_replicas = 0;
  double replica_cpu_p90_cores = 0, replica_memory_p90_bytes = 0;
  // P(a 5-minute memory peak > recommended memory limit), from the decayed histogram (krr: not
  // decayed), so recent usage weighs more.
  double memory_overrun_risk = 0;
  // P(a CPU sample > the recommended CPU limit, or the request when no limit is set).
  double cpu_throttle_risk = 0;
  double cpu_price_per_core_hour = 0, ram_price_per_gib_hour = 0;  // the workload's node rates
  // (cost at the current requests − cost at the recommended) × 730 h, billed as
  // max(request, mean usage) per replica; negative when the recommendation costs more.
  double monthly_saving_usd = 0;
  // OOM kills of the workload's containers in the window (the store's oom_kills). vpa counts the
  // memory the last kill showed was needed (max(max(request, peak) + 100 MiB, × 1.2)) as that
  // day's peak; autopilot and auto raise the memory request and limit to it at once.
  double oom_kills = 0;
  std::string reason;  // one line
  // HPA changes that keep the workload's scale point with the recommended requests (applyHpas;
  // the same list on every container of the workload).
  std::vector<HpaAdjustment> hpa;
};

// Runs the strategy over the store. Errors: window not hour-aligned or empty, bad filter,
// store read failures (message names the block).
Result<std::vector<Recommendation>> recommend(const store::Store& store,
                                              const RecommendOptions& options);

// HPA awareness over `recs` (the recommendations of recommend()): per workload targeted by an
// HPA in `hpas` with cpu/memory utilisation targets, each target is rescaled so target x
// request stays constant (adjustHpaTarget) with the request summed over the workload's
// containers (Resource metrics; containers without sufficient data keep their current request)
// or the one container's (ContainerResource), and listed in Recommendation::hpa. A workload
// targeted by more than one HPA keeps its current requests (the autoscaling is undefined), with
// the conflict as its reason; so does one whose current request is zero under a utilisation
// target (utilisation of nothing is undefined).
void applyHpas(std::vector<Recommendation>& recs, std::span<const HpaSpec> hpas);

// GET /api/v1/recommendations: recommend() rendered as toJson().
Result<std::string> recommendationsJson(const store::Store& store, const RecommendOptions& options);

// Renderings. JSON: {"window":{..},"strategy":..,"recommendations":[{...}],"totals":{...}};
// YAML: the same document; CSV: one row per workload with a header.
std::string toJson(const std::vector<Recommendation>& recs, const RecommendOptions& options);
std::string toYaml(const std::vector<Recommendation>& recs, const RecommendOptions& options);
std::string toCsv(const std::vector<Recommendation>& recs);

// Kubernetes quantity text: cores as millicores ("250m", rounded up), bytes as Mi ("512Mi",
// rounded up to a whole MiB).
std::string cpuQuantity(double cores);
std::string memoryQuantity(double bytes);

}  // namespace trimtab::recommend
