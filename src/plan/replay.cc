#include "plan/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "plan/frag.h"

namespace trimtab::plan {

namespace {

double round2(double v) { return std::nearbyint(v * 100.0) / 100.0; }

}  // namespace

std::vector<PodSpec> arrivalSequence(std::span<const PodSpec> pods, int total_gpus, double inflate,
                                     bool shuffle, Rng& rng) {
  std::vector<PodSpec> sorted(pods.begin(), pods.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const PodSpec& a, const PodSpec& b) { return a.name < b.name; });
  std::vector<PodSpec> seq = sorted;
  if (shuffle) {
    for (std::size_t i = seq.size(); i > 1; --i) {
      std::swap(seq[i - 1], seq[rng.below(i)]);
    }
  }
  if (inflate <= 0 || sorted.empty()) return seq;
  const double target = inflate * total_gpus * kMilliPerGpu;
  std::int64_t total = 0;
  bool any_gpu = false;
  for (const auto& p : seq) {
    total += p.gpuMilliTotal();
    any_gpu = any_gpu || p.gpu_milli > 0;
  }
  if (!any_gpu) return seq;
  if (static_cast<double>(total) > target) {
    while (static_cast<double>(total) > target && !seq.empty()) {
      const std::size_t i = rng.below(seq.size());
      total -= seq[i].gpuMilliTotal();
      seq.erase(seq.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return seq;
  }
  // Bounded so a list of almost only CPU pods cannot grow without end.
  const std::size_t max_appended = 50 * sorted.size();
  for (std::size_t i = 0; i < max_appended; ++i) {
    const PodSpec& draw = sorted[rng.below(sorted.size())];
    if (static_cast<double>(total + draw.gpu_milli) > target) break;
    PodSpec copy = draw;
    copy.name = fmt::format("{}-tuned-{}", draw.name, i);
    total += copy.gpuMilliTotal();
    seq.push_back(std::move(copy));
  }
  return seq;
}

std::vector<CurvePoint> discretise(std::span<const ReplayRecord> records, int total_gpus) {
  struct Bin {
    double alloc_sum = 0;
    double frag_sum = 0;
    int count = 0;
  };
  std::map<int, Bin> bins;
  const double per_pct = static_cast<double>(total_gpus) * 10.0;  // milli-GPU per 1 %
  for (const auto& r : records) {
    const int k =
        static_cast<int>(std::nearbyint(static_cast<double>(r.arrived_gpu_milli) / per_pct));
    auto& b = bins[k];
    b.alloc_sum += round2(static_cast<double>(r.used_gpu_milli) / per_pct);
    b.frag_sum += round2(r.frag_gpu_milli / per_pct);
    ++b.count;
  }
  std::vector<CurvePoint> curve;
  if (bins.empty()) return curve;
  const int last = bins.rbegin()->first;
  for (int k = 0; k <= last; ++k) {
    Bin use;
    if (auto it = bins.find(k); it != bins.end()) {
      use = it->second;
    } else {
      for (int j = k - 1; j <= k + 1; ++j) {
        if (auto jt = bins.find(j); jt != bins.end()) {
          use.alloc_sum += jt->second.alloc_sum;
          use.frag_sum += jt->second.frag_sum;
          use.count += jt->second.count;
        }
      }
    }
    if (use.count == 0) {
      // No record within a percent (one pod's request spans several): the state before the
      // next arrival is the last one, so carry it forward to keep a point per percent.
      if (curve.empty()) continue;
      CurvePoint p = curve.back();
      p.arrived_pct = k;
      curve.push_back(p);
      continue;
    }
    CurvePoint p;
    p.arrived_pct = k;
    p.gpu_alloc_pct = round2(use.alloc_sum / use.count);
    p.unallocated_gpu_pct = round2(100.0 - p.gpu_alloc_pct);
    p.frag_pct = round2(use.frag_sum / use.count);
    curve.push_back(p);
  }
  return curve;
}

Result<ReplayResult> replay(const Cluster& cluster, std::span<const PodSpec> pods,
                            const ReplayOptions& options) {
  const int total_gpus = cluster.totalGpus();
  if (total_gpus <= 0) {
    return fail(ErrorCode::kInvalidArgument, "replay: the cluster has no GPU (nothing to measure)");
  }
  if (pods.empty()) return fail(ErrorCode::kInvalidArgument, "replay: the pod list is empty");
  ReplayResult out;
  out.policy = options.policy;
  out.seed = options.seed;
  out.inflate = options.inflate;
  out.total_gpus = total_gpus;
  Rng rng(options.seed);
  out.sequence = arrivalSequence(pods, total_gpus, options.inflate, options.shuffle, rng);
  Scheduler scheduler(cluster, options.policy, typicalPods(pods, options.popularity_pct), rng,
                      options.tie_break);
  out.records.reserve(out.sequence.size());
  std::int64_t arrived = 0;
  for (std::size_t i = 0; i < out.sequence.size(); ++i) {
    const PodSpec& pod = out.sequence[i];
    arrived += pod.gpuMilliTotal();
    Decision d = scheduler.schedule(pod, i);
    if (d.node < 0) out.failed.push_back(UnschedulablePod{pod.name, d.reason()});
    out.records.push_back(
        ReplayRecord{arrived, scheduler.usedGpuMilli(), scheduler.clusterFragMilli()});
  }
  out.placements = scheduler.placements();
  out.curve = discretise(out.records, total_gpus);
  for (const auto& p : out.curve) {
    if (p.arrived_pct == 100) out.unallocated_gpu_pct_at_100 = p.unallocated_gpu_pct;
  }
  return out;
}

std::string replayJson(const ReplayResult& r) {
  std::string out = fmt::format(
      "{{\"policy\":\"{}\",\"seed\":{},\"inflate\":{},\"total_gpus\":{},\"failed_pods\":{},"
      "\"unallocated_gpu_pct_at_100\":{},\"curve\":[",
      policyName(r.policy), r.seed, r.inflate, r.total_gpus, r.failed.size(),
      r.unallocated_gpu_pct_at_100 < 0 ? std::string("null")
                                       : fmt::format("{:.2f}", r.unallocated_gpu_pct_at_100));
  for (std::size_t i = 0; i < r.curve.size(); ++i) {
    const auto& p = r.curve[i];
    out += fmt::format(
        "{}{{\"arrived_pct\":{},\"gpu_alloc_pct\":{:.2f},\"unallocated_gpu_pct\":{:.2f},"
        "\"frag_pct\":{:.2f}}}",
        i ? "," : "", p.arrived_pct, p.gpu_alloc_pct, p.unallocated_gpu_pct, p.frag_pct);
  }
  out += "]}";
  return out;
}

}  // namespace trimtab::plan
