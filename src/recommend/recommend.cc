#include "recommend/recommend.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <thread>
#include <unordered_map>

#include "cost/allocation.h"
#include "cost/filter.h"
#include "recommend/autopilot.h"
#include "recommend/histogram.h"
#include "model/time_format.h"
#include "recommend/vpa.h"

namespace trimtab::recommend {

namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr double kMiB = 1024.0 * 1024;
constexpr double kHoursPerMonth = 730;
constexpr double kKrrCpuMinCores = 0.010;
constexpr double kKrrMemoryMinBytes = 100 * kMiB;
constexpr double kKrrMinPoints = 100;
constexpr double kKrrMinHours = 3;
constexpr double kSamplesPer5Min = 300;  // seconds per memory-peak sample
constexpr std::size_t kMaxParts = 64;  // folding threads at most
constexpr std::size_t kPrefetchRows = 8;  // rows ahead whose workload state is prefetched
constexpr std::size_t kReadAhead = 2;  // blocks read ahead of the one being folded, plus one

// The container columns recommend() reads (sketches included); the rest of a block is skipped.
using Col = store::ContainerColumn;
const store::ColumnSelection kColumns = store::ColumnSelection::containers(
    {Col::kStart, Col::kEnd, Col::kRunningSeconds, Col::kCpuCoreHours, Col::kCpuRequestCoreHours,
     Col::kCpuUsageCoreHours, Col::kRamByteHours, Col::kRamRequestByteHours,
     Col::kRamUsageByteHours, Col::kRamUsageMaxBytes, Col::kCpuCost, Col::kRamCost,
     Col::kOomKills},
    true);

// Per workload. The fields every row touches come first (a few cache lines, prefetched ahead of
// the row); the rest is touched once per block or at the end.
struct alignas(64) Acc {
  std::size_t last_block = SIZE_MAX;
  UnixSeconds block_start = 0, block_end = 0;
  UnixSeconds first = 0, last = 0;
  double block_peak = 0;
  double running_hours = 0;
  double cpu_request_core_hours = 0, ram_request_byte_hours = 0;
  double cpu_usage_core_hours = 0, ram_usage_byte_hours = 0;
  double cpu_core_hours = 0, cpu_cost = 0, ram_byte_hours = 0, ram_cost = 0;
  bool block_steady = false;  // a steady-state (non-startup) row in this block
  bool any_steady = false;    // ... in any block
  bool block_startup = false;
  bool batch = false;  // job / cronjob: Autopilot's batch CPU class
  bool daemonset = false;
  Histogram cpu, memory;   // decayed per the strategy (krr: not decayed)
  Histogram block_memory;  // this block's memory sketches, fed to the ML at block end
  std::unique_ptr<autopilot::MlEnsemble> ml;
  // Startup rows (see recommend.h): peaks, and their data in case nothing else is seen.
  double startup_cpu_peak = 0, startup_memory_peak = 0;
  double block_startup_peak = 0;
  Histogram startup_cpu, startup_memory;
  std::vector<std::pair<UnixSeconds, double>> startup_peaks;
  // Cold: per block or at the end.
  std::vector<std::pair<UnixSeconds, double>> memory_peaks;  // (block start, max over rows)
  WorkloadKey key;
  int containers_in_pod = 1;
  std::vector<std::uint32_t> replicas;  // daemonsets: indexes into the replica table
  double observed_hours = 0;
  std::vector<std::uint32_t> containers;  // krr: per-container CPU histograms
  // OOM kills in the window, and the memory the last one showed was needed (VPA's RecordOOM:
  // max(used + 100 MiB, used × 1.2), used = max(request, peak) of the row).
  double oom_kills = 0;
  double oom_needed_bytes = 0;
  UnixSeconds last_oom = 0;
};

// One DaemonSet replica: the workload's containers on one node.
struct Replica {
  Histogram cpu;                                         // decayed as the workload's
  double memory_max = 0;                                 // max 5-minute memory peak
  std::vector<std::pair<UnixSeconds, double>> daily;     // (UTC day, memory peak)
  UnixSeconds first = 0, last = 0;
  double running_hours = 0;
};

// Nearest-rank quantile (the smallest value with at least q of the values at or below it).
double nearestRank(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(q * static_cast<double>(values.size()));
  const std::size_t i = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return values[std::min(i, values.size() - 1)];
}

// A workload key as views into the dimensions' strings (a bare pod is its own controller of
// kind "pod"), to group containers without copying strings.
struct ViewKey {
  std::string_view part[5];  // cluster, namespace, controller kind, controller, container
  bool operator==(const ViewKey& o) const {
    for (int i = 0; i < 5; ++i) {
      if (part[i] != o.part[i]) return false;
    }
    return true;
  }
};

struct ViewKeyHash {
  std::size_t operator()(const ViewKey& k) const {
    std::size_t h = 0;
    for (const std::string_view& p : k.part) {
      h = (h ^ std::hash<std::string_view>{}(p)) * 0x9e3779b97f4a7c15ULL;
    }
    return h;
  }
};

ViewKey viewKeyOf(const store::Dimensions& dims, const store::ContainerDim& d) {
  ViewKey k{{dims.str(d.cluster), dims.str(d.namespace_name), dims.str(d.controller_kind),
             dims.str(d.controller), dims.str(d.container)}};
  if (k.part[3].empty()) {
    k.part[2] = "pod";
    k.part[3] = dims.str(d.pod);
  }
  return k;
}

struct Plan {
  double cpu_half_life = 0, memory_half_life = 0;
  bool ml = false, per_container_cpu = false;
};

Plan planFor(Strategy s) {
  switch (s) {
    case Strategy::kVpa:
      return {vpa::kHalfLifeSeconds, vpa::kHalfLifeSeconds, false, false};
    case Strategy::kKrr:
      return {0, 0, false, true};
    case Strategy::kAutopilot:
    case Strategy::kAuto:
      return {autopilot::kCpuHalfLifeSeconds, autopilot::kMemoryHalfLifeSeconds, true, false};
  }
  return {};
}

cost::AllocationProperties propsOf(const store::Dimensions& dims, const store::ContainerDim& d) {
  cost::AllocationProperties p;
  p.cluster = dims.str(d.cluster);
  p.node = dims.str(d.node);
  p.namespace_name = dims.str(d.namespace_name);
  p.controller_kind = dims.str(d.controller_kind);
  p.controller = dims.str(d.controller);
  p.pod = dims.str(d.pod);
  p.container = dims.str(d.container);
  p.provider_id = dims.str(d.provider_id);
  auto map = [&](std::uint32_t set) {
    cost::StringMap m;
    for (const auto& [k, v] : dims.labels(set)) m.emplace_back(dims.str(k), dims.str(v));
    cost::sortStringMap(m);
    return m;
  };
  p.labels = map(d.labels);
  p.annotations = map(d.annotations);
  p.namespace_labels = map(d.namespace_labels);
  p.namespace_annotations = map(d.namespace_annotations);
  for (const auto& [svc, unused] : dims.labels(d.services)) p.services.emplace_back(dims.str(svc));
  return p;
}

void flushBlock(Acc& a) {
  if (a.last_block == SIZE_MAX) return;
  a.observed_hours += static_cast<double>(a.block_end - a.block_start) / 3600.0;
  if (a.block_steady) a.memory_peaks.emplace_back(a.block_start, a.block_peak);
  if (a.block_startup) a.startup_peaks.emplace_back(a.block_start, a.block_startup_peak);
  a.block_steady = a.block_startup = false;
  a.block_startup_peak = 0;
  if (a.ml && !a.block_memory.empty()) {
    a.ml->observeHistogram(a.block_memory,
                           static_cast<double>(a.block_end - a.block_start) / kSamplesPer5Min);
  }
  a.block_memory.clear();
  a.block_peak = 0;
}

// DaemonSets: every replica's own recommendation, then the workload's values are raised to the
// P90 across replicas (see recommend.h).
void applyReplicaQuantile(Recommendation& r, const Acc& a, const std::vector<Replica>& replicas,
                          const RecommendOptions& options, double window_end) {
  std::vector<double> cpus, mems;
  for (std::uint32_t idx : a.replicas) {
    const Replica& rep = replicas[idx];
    if (rep.cpu.empty() && rep.memory_max <= 0) continue;
    if (options.strategy == Strategy::kVpa) {
      vpa::VpaHistogram cpu = vpa::VpaHistogram::cpu();
      rep.cpu.forEachBucket([&](double v, double w) { cpu.addSample(v, w); });
      vpa::VpaHistogram mem = vpa::VpaHistogram::memory();
      for (const auto& [day, peak] : rep.daily) {
        const double mid = std::min(static_cast<double>(day + 43200), window_end);
        mem.addSample(peak, decayFactor(window_end - mid, vpa::kHalfLifeSeconds));
      }
      const double conf = vpa::confidenceDays(static_cast<double>(rep.last - rep.first) / 86400.0,
                                              rep.running_hours * 60.0);
      cpus.push_back(vpa::estimateCpuCores(cpu, conf, a.containers_in_pod).target);
      mems.push_back(vpa::estimateMemoryBytes(mem, conf, a.containers_in_pod).target);
    } else {
      const auto cls = a.batch ? autopilot::CpuClass::kBatch : autopilot::CpuClass::kServing;
      cpus.push_back(autopilot::withMargin(autopilot::cpuStatistic(rep.cpu, cls), 1.0));
      // One replica is one task: Autopilot's class for small jobs (S_max, the max peak).
      mems.push_back(autopilot::withMargin(rep.memory_max, kGiB));
    }
  }
  if (cpus.empty()) return;
  r.daemonset_replicas = static_cast<int>(cpus.size());
  r.replica_cpu_p90_cores = nearestRank(cpus, kDaemonSetReplicaQuantile);
  r.replica_memory_p90_bytes = nearestRank(mems, kDaemonSetReplicaQuantile);
  ResourceValues& rec = r.recommended;
  const bool raised = r.replica_cpu_p90_cores > rec.cpu_request_cores ||
                      r.replica_memory_p90_bytes > rec.memory_request_bytes;
  rec.cpu_request_cores = std::max(rec.cpu_request_cores, r.replica_cpu_p90_cores);
  rec.memory_request_bytes = std::max(rec.memory_request_bytes, r.replica_memory_p90_bytes);
  rec.memory_limit_bytes = std::max(rec.memory_limit_bytes, rec.memory_request_bytes);
  r.reason += fmt::format("; daemonset: P90 across {} replicas of their own recommendations "
                          "(CPU {}, memory {}){}",
                          cpus.size(), cpuQuantity(r.replica_cpu_p90_cores),
                          memoryQuantity(r.replica_memory_p90_bytes),
                          raised ? ", above the pooled value" : "");
}

double riskAbove(const Histogram& h, double limit) {
  return limit > 0 ? h.fractionAbove(limit) : 0;
}

void finish(Recommendation& r, const Acc& a) {
  const double per_replica_cpu_usage =
      a.running_hours > 0 ? a.cpu_usage_core_hours / a.running_hours : 0;
  const double per_replica_ram_usage =
      a.running_hours > 0 ? a.ram_usage_byte_hours / a.running_hours : 0;
  r.cpu_usage_p95_cores = a.cpu.quantile(0.95);
  r.memory_peak_max_bytes = a.memory.max();
  if (!r.sufficient) {
    r.reason = fmt::format("insufficient data, {:.0f} hours of {:.0f}", std::floor(r.history_hours),
                           r.required_hours);
    return;
  }
  const ResourceValues& rec = r.recommended;
  r.memory_overrun_risk = riskAbove(
      a.memory, rec.memory_limit_bytes > 0 ? rec.memory_limit_bytes : rec.memory_request_bytes);
  r.cpu_throttle_risk =
      riskAbove(a.cpu, rec.cpu_limit_cores > 0 ? rec.cpu_limit_cores : rec.cpu_request_cores);
  auto billed = [&](double cpu_req, double ram_req) {
    return std::max(cpu_req, per_replica_cpu_usage) * r.cpu_price_per_core_hour +
           std::max(ram_req, per_replica_ram_usage) / kGiB * r.ram_price_per_gib_hour;
  };
  r.monthly_saving_usd = (billed(r.current.cpu_request_cores, r.current.memory_request_bytes) -
                          billed(rec.cpu_request_cores, rec.memory_request_bytes)) *
                         kHoursPerMonth * r.replicas;
  std::string notes;
  if (r.current.cpu_request_cores <= 0 || r.current.memory_request_bytes <= 0) {
    notes += "; no current request (BestEffort/Burstable): savings negative = cost of reserving";
  }
  r.reason += fmt::format("; {:.0f} h of history; ${:.2f}/month{}", std::floor(r.history_hours),
                          r.monthly_saving_usd, notes);
}

}  // namespace

Result<Strategy> parseStrategy(std::string_view name) {
  if (name == "auto") return Strategy::kAuto;
  if (name == "vpa") return Strategy::kVpa;
  if (name == "krr") return Strategy::kKrr;
  if (name == "autopilot") return Strategy::kAutopilot;
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("--strategy \"{}\": expected auto, vpa, krr or autopilot", name));
}

std::string_view strategyName(Strategy s) {
  switch (s) {
    case Strategy::kAuto:
      return "auto";
    case Strategy::kVpa:
      return "vpa";
    case Strategy::kKrr:
      return "krr";
    case Strategy::kAutopilot:
      return "autopilot";
  }
  return "auto";
}

Result<std::vector<Recommendation>> recommend(const store::Store& store,
                                              const RecommendOptions& options) {
  if (options.window_start % 3600 != 0 || options.window_end % 3600 != 0 ||
      options.window_end <= options.window_start) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("recommend: window [{}, {}) must be non-empty and hour-aligned",
                            options.window_start, options.window_end));
  }
  std::optional<cost::Filter> filter;
  if (!options.filter.empty()) {
    auto f = cost::parseAllocationFilter(options.filter);
    if (!f) return tl::unexpected(f.error());
    filter = std::move(*f);
  }
  const Plan plan = planFor(options.strategy);
  const store::Dimensions& dims = store.dimensions();

  auto blocks = store::planWindow(store, options.cluster, options.window_start, options.window_end);
  if (!blocks) return tl::unexpected(blocks.error());
  std::stable_sort(
      blocks->begin(), blocks->end(),
      [](const store::BlockInfo& x, const store::BlockInfo& y) { return x.start < y.start; });

  // Blocks are read ahead on other threads (readBlock is thread-safe; decompressing the sketch
  // columns costs about as much as folding them), from before the workload table is built, and
  // folded in time order (the ML ensemble is sequential per workload).
  std::deque<std::future<Result<store::Block>>> ahead;
  std::size_t next_read = 0;
  auto launch = [&] {
    while (next_read < blocks->size() && ahead.size() <= kReadAhead) {
      const store::BlockInfo* info = &(*blocks)[next_read++];
      ahead.push_back(std::async(std::launch::async, [&store, info] {
        return store.readBlock(*info, kColumns);
      }));
    }
  };
  auto drain = [&] {
    for (auto& f : ahead) f.wait();
  };
  launch();

  // Workloads: container dim id -> workload index (-1: filtered out).
  std::vector<std::int32_t> workload_of(dims.containerCount(), -1);
  std::vector<std::int32_t> replica_of(dims.containerCount(), -1);  // daemonsets only
  std::vector<Replica> replicas;
  std::vector<Acc> accs;
  {
    std::unordered_map<std::uint64_t, std::uint32_t> replica_index;
    // Keyed by the strings themselves (views into the dimensions: no copies per container).
    std::unordered_map<ViewKey, std::int32_t, ViewKeyHash> index;
    index.reserve(dims.containerCount());
    std::unordered_map<std::uint64_t, int> per_pod;  // (pod uid id, cluster) -> containers
    per_pod.reserve(dims.containerCount());
    for (std::uint32_t id = 0; id < dims.containerCount(); ++id) {
      const store::ContainerDim& d = dims.container(id);
      ++per_pod[(static_cast<std::uint64_t>(d.cluster) << 32) | d.pod_uid];
    }
    const std::uint32_t wanted_cluster = options.cluster.empty() ? 0 : [&] {
      for (std::uint32_t s = 0; s < dims.stringCount(); ++s) {
        if (dims.str(s) == options.cluster) return s;
      }
      return std::uint32_t{0xffffffffu};
    }();
    // Pass 1: the workload of every container (workloads numbered in order of first container).
    std::vector<std::uint32_t> first_container;  // per workload
    for (std::uint32_t id = 0; id < dims.containerCount(); ++id) {
      const store::ContainerDim& d = dims.container(id);
      if (!options.cluster.empty() && d.cluster != wanted_cluster) continue;
      if (filter && !filter->matches(propsOf(dims, d))) continue;
      auto [it, inserted] =
          index.emplace(viewKeyOf(dims, d), static_cast<std::int32_t>(first_container.size()));
      if (inserted) first_container.push_back(id);
      workload_of[id] = it->second;
    }
    accs.resize(first_container.size());
    for (std::size_t w = 0; w < accs.size(); ++w) {
      const ViewKey k = viewKeyOf(dims, dims.container(first_container[w]));
      Acc& a = accs[w];
      a.key = WorkloadKey{std::string(k.part[0]), std::string(k.part[1]), std::string(k.part[2]),
                          std::string(k.part[3]), std::string(k.part[4])};
      a.batch = a.key.controller_kind == "job" || a.key.controller_kind == "cronjob";
      a.daemonset = a.key.controller_kind == "daemonset" && options.strategy != Strategy::kKrr;
      // The ML ensemble is made by the folding thread at the workload's first steady row.
    }
    // Pass 2: per container, its pod's size, krr's container list and daemonset replicas.
    for (std::uint32_t id = 0; id < dims.containerCount(); ++id) {
      if (workload_of[id] < 0) continue;
      const store::ContainerDim& d = dims.container(id);
      Acc& a = accs[static_cast<std::size_t>(workload_of[id])];
      a.containers_in_pod = std::max(
          a.containers_in_pod, per_pod[(static_cast<std::uint64_t>(d.cluster) << 32) | d.pod_uid]);
      if (plan.per_container_cpu) a.containers.push_back(id);
      if (a.daemonset) {
        // One replica per (workload, node).
        auto [rit, fresh] = replica_index.emplace(
            (static_cast<std::uint64_t>(static_cast<std::uint32_t>(workload_of[id])) << 32) |
                d.node,
            static_cast<std::uint32_t>(replicas.size()));
        if (fresh) {
          replicas.emplace_back();
          a.replicas.push_back(rit->second);
        }
        replica_of[id] = static_cast<std::int32_t>(rit->second);
      }
    }
  }
  std::vector<Histogram> container_cpu;  // krr only, by container dim id
  if (plan.per_container_cpu) container_cpu.resize(dims.containerCount());

  // Folding threads: each owns a share of the workloads (longest-first by container count onto
  // the least loaded thread) and folds only their rows, in block order; everything a row
  // touches (its workload, replica, per-container data) belongs to one owner, so the result
  // does not depend on the thread count.
  const std::size_t parts = [&] {
    const std::size_t wanted = options.threads > 0
                                   ? static_cast<std::size_t>(options.threads)
                                   : std::max(1u, std::thread::hardware_concurrency());
    return std::max<std::size_t>(1, std::min({wanted, accs.size(), kMaxParts}));
  }();
  std::vector<std::uint8_t> part_of(accs.size(), 0);
  if (parts > 1) {
    std::vector<std::uint32_t> weight(accs.size(), 0);
    for (std::int32_t w : workload_of) {
      if (w >= 0) ++weight[static_cast<std::size_t>(w)];
    }
    std::vector<std::uint32_t> order(accs.size());
    for (std::uint32_t w = 0; w < order.size(); ++w) order[w] = w;
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
      return weight[x] > weight[y];
    });
    std::vector<std::uint64_t> load(parts, 0);
    for (std::uint32_t w : order) {
      const std::size_t p = static_cast<std::size_t>(
          std::min_element(load.begin(), load.end()) - load.begin());
      part_of[w] = static_cast<std::uint8_t>(p);
      load[p] += weight[w];
    }
  }
  // Per container: its owner part, or kNoPart when its workload is filtered out (one lookup
  // per row).
  constexpr std::uint8_t kNoPart = 0xff;
  std::vector<std::uint8_t> owner(dims.containerCount(), kNoPart);
  for (std::size_t cid = 0; cid < workload_of.size(); ++cid) {
    if (workload_of[cid] >= 0) owner[cid] = part_of[static_cast<std::size_t>(workload_of[cid])];
  }

  const double end = static_cast<double>(options.window_end);
  // Container had a row already (bytes, not bits: parts write their own containers' entries).
  std::vector<std::uint8_t> seen(dims.containerCount(), 0);
  struct alignas(64) Part {  // one cache line apart: written per row by its own thread
    DecodedSketch cpu_d, mem_d;
    UnixSeconds factor_start = -1, factor_end = -1;
    double cpu_factor = 1, memory_factor = 1;
    std::vector<std::int32_t> touched;
    std::size_t error_row = SIZE_MAX;  // first corrupt row of this part in the block
    std::string error;
  };
  std::vector<Part> part_state(parts);

  // Folds the rows of block `bi` that belong to part `p`.
  auto fold = [&](const store::ContainerRows& c, std::size_t bi, std::size_t p) {
    Part& s = part_state[p];
    s.touched.clear();
    const std::size_t n = c.size();
    for (std::size_t i = 0; i < n; ++i) {
      // The workloads' state is scattered over more memory than the caches hold: fetch the
      // state of rows ahead (first the workload's hot fields, then, once those have arrived,
      // its histograms' buckets).
      if (i + 2 * kPrefetchRows < n) {
        const std::uint32_t soon = c.container_id[i + 2 * kPrefetchRows];
        if (soon < owner.size() && owner[soon] == p) {
          // The fields before `ml`.
          const Acc& b = accs[static_cast<std::size_t>(workload_of[soon])];
          const char* hot = reinterpret_cast<const char*>(&b);
          const char* cold = reinterpret_cast<const char*>(&b.ml);
          for (; hot < cold; hot += 64) __builtin_prefetch(hot);
        }
      }
      if (i + kPrefetchRows < n) {
        const std::uint32_t soon = c.container_id[i + kPrefetchRows];
        if (soon < owner.size() && owner[soon] == p) {
          const Acc& b = accs[static_cast<std::size_t>(workload_of[soon])];
          b.cpu.prefetch();
          b.memory.prefetch();
          if (b.ml) b.block_memory.prefetch();
        }
      }
      const std::uint32_t cid = c.container_id[i];
      if (cid >= owner.size() || owner[cid] != p) continue;
      Acc& a = accs[static_cast<std::size_t>(workload_of[cid])];
      const UnixSeconds row_start = c.start[i], row_end = c.end[i];
      if (a.last_block != bi) {
        a.last_block = bi;
        a.block_start = row_start;
        a.block_end = row_end;
        s.touched.push_back(workload_of[cid]);
      }
      a.block_start = std::min(a.block_start, row_start);
      a.block_end = std::max(a.block_end, row_end);
      a.first = a.first == 0 ? row_start : std::min(a.first, row_start);
      a.last = std::max(a.last, row_end);
      // Rows of one block mostly share their span: the decay factors are computed per span.
      if (row_start != s.factor_start || row_end != s.factor_end) {
        s.factor_start = row_start;
        s.factor_end = row_end;
        const double age = end - 0.5 * static_cast<double>(row_start + row_end);
        s.cpu_factor = decayFactor(age, plan.cpu_half_life);
        s.memory_factor = decayFactor(age, plan.memory_half_life);
      }
      auto cpu_ok = s.cpu_d.decode(c.cpu_sketch[i]);
      auto mem_ok = s.mem_d.decode(c.memory_sketch[i]);
      if (!cpu_ok || !mem_ok) {
        s.error_row = i;
        s.error = (!cpu_ok ? cpu_ok : mem_ok).error().message;
        return;
      }
      // Startup: the container's first row, begun after the window start, spanning at most
      // the startup window.
      const bool seen_before = seen[cid] != 0;
      const bool startup = !seen_before && row_start > options.window_start &&
                           static_cast<double>(row_end - row_start) <= kStartupWindowSeconds;
      if (!seen_before) seen[cid] = 1;  // written once (neighbouring entries are other parts')
      const double row_peak = c.ram_usage_max_bytes[i];
      const double running_hours = c.running_seconds[i] / 3600.0;
      if (startup) {
        a.startup_cpu_peak = std::max(a.startup_cpu_peak, s.cpu_d.max);
        a.startup_memory_peak = std::max({a.startup_memory_peak, row_peak, s.mem_d.max});
        a.startup_cpu.add(s.cpu_d, s.cpu_factor);
        a.startup_memory.add(s.mem_d, s.memory_factor);
        a.block_startup = true;
        a.block_startup_peak = std::max(a.block_startup_peak, row_peak);
      } else {
        a.cpu.add(s.cpu_d, s.cpu_factor);
        if (plan.ml && !a.ml) {
          a.ml = std::make_unique<autopilot::MlEnsemble>(autopilot::MlOptions{});
        }
        if (a.ml) {
          Histogram::addBoth(s.mem_d, a.memory, s.memory_factor, a.block_memory);
        } else {
          a.memory.add(s.mem_d, s.memory_factor);
        }
        if (plan.per_container_cpu) container_cpu[cid].add(s.cpu_d, 1.0);
        a.block_steady = a.any_steady = true;
        a.block_peak = std::max(a.block_peak, row_peak);
        if (replica_of[cid] >= 0) {
          Replica& rep = replicas[static_cast<std::size_t>(replica_of[cid])];
          rep.cpu.add(s.cpu_d, s.cpu_factor);
          rep.memory_max = std::max(rep.memory_max, s.mem_d.max);
          const UnixSeconds day = row_start - row_start % 86400;
          if (rep.daily.empty() || rep.daily.back().first != day) rep.daily.emplace_back(day, 0.0);
          rep.daily.back().second = std::max(rep.daily.back().second, row_peak);
          rep.first = rep.first == 0 ? row_start : std::min(rep.first, row_start);
          rep.last = std::max(rep.last, row_end);
          rep.running_hours += running_hours;
        }
      }
      if (c.oom_kills[i] > 0) {
        const double request = running_hours > 0 ? c.ram_request_byte_hours[i] / running_hours : 0;
        a.oom_kills += c.oom_kills[i];
        if (row_start >= a.last_oom) {
          a.last_oom = row_start;
          a.oom_needed_bytes = vpa::oomBumpBytes(request, std::max(row_peak, s.mem_d.max));
        }
      }
      a.running_hours += running_hours;
      a.cpu_request_core_hours += c.cpu_request_core_hours[i];
      a.ram_request_byte_hours += c.ram_request_byte_hours[i];
      a.cpu_usage_core_hours += c.cpu_usage_core_hours[i];
      a.ram_usage_byte_hours += c.ram_usage_byte_hours[i];
      a.cpu_core_hours += c.cpu_core_hours[i];
      a.cpu_cost += c.cpu_cost[i];
      a.ram_byte_hours += c.ram_byte_hours[i];
      a.ram_cost += c.ram_cost[i];
    }
    for (std::int32_t w : s.touched) flushBlock(accs[static_cast<std::size_t>(w)]);
  };

  std::vector<std::thread> workers;
  workers.reserve(parts - 1);
  for (std::size_t bi = 0; bi < blocks->size(); ++bi) {
    launch();
    auto block = ahead.front().get();
    ahead.pop_front();
    launch();
    if (!block) {
      drain();
      return tl::unexpected(block.error());
    }
    const store::ContainerRows& c = block->containers;
    workers.clear();
    for (std::size_t p = 1; p < parts; ++p) workers.emplace_back(fold, std::cref(c), bi, p);
    fold(c, bi, 0);
    for (std::thread& t : workers) t.join();
    // The first corrupt row of the block (the one the serial fold would have stopped at).
    const Part* bad = nullptr;
    for (const Part& s : part_state) {
      if (s.error_row != SIZE_MAX && (bad == nullptr || s.error_row < bad->error_row)) bad = &s;
    }
    if (bad != nullptr) {
      drain();
      return fail(ErrorCode::kCorrupt,
                  fmt::format("block {} {}: container row {}: {}", (*blocks)[bi].cluster,
                              (*blocks)[bi].start, bad->error_row, bad->error));
    }
  }

  std::vector<Recommendation> out;
  out.reserve(accs.size());
  for (Acc& a : accs) {
    if (a.last_block == SIZE_MAX) continue;  // no row in the window
    Recommendation r;
    r.key = a.key;
    r.containers_in_pod = a.containers_in_pod;
    r.history_hours = a.observed_hours;
    r.required_hours = options.min_history_hours;
    const double span_hours = a.observed_hours;
    r.replicas = span_hours > 0 ? a.running_hours / span_hours : 0;
    if (a.running_hours > 0) {
      r.current.cpu_request_cores = a.cpu_request_core_hours / a.running_hours;
      r.current.memory_request_bytes = a.ram_request_byte_hours / a.running_hours;
    }
    r.cpu_price_per_core_hour = a.cpu_core_hours > 0 ? a.cpu_cost / a.cpu_core_hours : 0;
    r.ram_price_per_gib_hour = a.ram_byte_hours > 0 ? a.ram_cost / (a.ram_byte_hours / kGiB) : 0;
    r.startup_cpu_peak_cores = a.startup_cpu_peak;
    r.startup_memory_peak_bytes = a.startup_memory_peak;
    if (!a.any_steady) {
      // Nothing but startup rows (e.g. pods that never lived past their first hour): they are
      // the only evidence, so they count as the steady state.
      a.cpu.merge(a.startup_cpu);
      a.memory.merge(a.startup_memory);
      a.memory_peaks = std::move(a.startup_peaks);
    } else {
      r.startup_excluded = !a.startup_peaks.empty();
    }
    ResourceValues& rec = r.recommended;
    switch (options.strategy) {
      case Strategy::kVpa: {
        r.recommender = "vpa";
        r.sufficient = r.history_hours >= r.required_hours && !a.cpu.empty();
        if (!r.sufficient) break;
        vpa::VpaHistogram cpu = vpa::VpaHistogram::cpu();
        a.cpu.forEachBucket([&](double v, double w) { cpu.addSample(v, w); });
        // Memory: one peak per 24 h interval (UTC day), weighted by its age.
        std::map<UnixSeconds, double> daily;
        for (const auto& [t, peak] : a.memory_peaks) {
          double& p = daily[t - t % 86400];
          p = std::max(p, peak);
        }
        if (a.oom_kills > 0) {
          // RecordOOM: the memory needed replaces the peak of the interval the kill fell in.
          double& p = daily[a.last_oom - a.last_oom % 86400];
          p = std::max(p, a.oom_needed_bytes);
        }
        vpa::VpaHistogram mem = vpa::VpaHistogram::memory();
        for (const auto& [day, peak] : daily) {
          const double mid =
              static_cast<double>(std::min<UnixSeconds>(day + 43200, options.window_end));
          mem.addSample(peak, decayFactor(end - mid, vpa::kHalfLifeSeconds));
        }
        const double lifespan_days = static_cast<double>(a.last - a.first) / 86400.0;
        const double conf = vpa::confidenceDays(lifespan_days, a.running_hours * 60.0);
        const vpa::Estimate ce = vpa::estimateCpuCores(cpu, conf, a.containers_in_pod);
        const vpa::Estimate me = vpa::estimateMemoryBytes(mem, conf, a.containers_in_pod);
        rec.cpu_request_cores = ce.target;
        rec.memory_request_bytes = rec.memory_limit_bytes = me.target;
        r.cpu_lower_cores = ce.lower_bound;
        r.cpu_upper_cores = ce.upper_bound;
        r.memory_lower_bytes = me.lower_bound;
        r.memory_upper_bytes = me.upper_bound;
        r.reason = fmt::format(
            "vpa: target P90×1.15 of CPU samples and of {} daily memory peaks "
            "(24 h half-life, confidence {:.2f} d)",
            daily.size(), conf);
        break;
      }
      case Strategy::kKrr: {
        r.recommender = "krr";
        r.required_hours = std::max(kKrrMinHours, options.min_history_hours);
        r.sufficient = r.history_hours >= r.required_hours && a.cpu.totalWeight() >= kKrrMinPoints;
        if (!r.sufficient) break;
        double cpu = 0;
        for (std::uint32_t id : a.containers) cpu = std::max(cpu, container_cpu[id].quantile(0.95));
        rec.cpu_request_cores = std::max(cpu, kKrrCpuMinCores);
        rec.memory_request_bytes = rec.memory_limit_bytes =
            std::max(a.memory.max() * 1.15, kKrrMemoryMinBytes);
        r.reason = "krr simple: CPU = max over pods of P95, no limit; memory = max peak + 15%";
        break;
      }
      case Strategy::kAutopilot:
      case Strategy::kAuto: {
        r.sufficient = r.history_hours >= r.required_hours && !a.cpu.empty();
        if (!r.sufficient) break;
        const auto cpu_class =
            a.batch ? autopilot::CpuClass::kBatch : autopilot::CpuClass::kServing;
        rec.cpu_request_cores =
            autopilot::withMargin(autopilot::cpuStatistic(a.cpu, cpu_class), 1.0);
        const bool use_ml = options.strategy == Strategy::kAutopilot ||
                            r.history_hours >= options.ml_min_history_hours;
        const auto mem_class =
            r.replicas < 3 ? autopilot::MemoryClass::kMinimal : autopilot::MemoryClass::kLow;
        if (use_ml && a.ml && a.ml->recommend() > 0) {
          r.recommender = "ml";
          rec.memory_request_bytes = a.ml->recommend();
          r.reason = fmt::format(
              "autopilot ml: memory from the model with least overrun+underrun+"
              "change cost (model {} of {}); CPU {} ×margin (12 h half-life)",
              a.ml->chosenModel(), a.ml->modelCount(), a.batch ? "decayed mean (batch)" : "load-adjusted P95");
        } else {
          r.recommender = "moving-window";
          rec.memory_request_bytes =
              autopilot::withMargin(autopilot::memoryStatistic(a.memory, mem_class), kGiB);
          r.reason = fmt::format(
              "autopilot moving window: memory {} of 5-min peaks (48 h half-life) ×margin; "
              "CPU {} ×margin (12 h half-life){}",
              mem_class == autopilot::MemoryClass::kMinimal ? "max" : "load-adjusted P98",
              a.batch ? "decayed mean (batch)" : "load-adjusted P95",
              options.strategy == Strategy::kAuto ? "; young workload: ml needs more history" : "");
        }
        rec.memory_limit_bytes = rec.memory_request_bytes;
        break;
      }
    }
    if (r.sufficient && a.daemonset) applyReplicaQuantile(r, a, replicas, options, end);
    r.oom_kills = a.oom_kills;
    if (r.sufficient && a.oom_kills > 0 && (options.strategy == Strategy::kAutopilot ||
                                            options.strategy == Strategy::kAuto) &&
        a.oom_needed_bytes > rec.memory_request_bytes) {
      // OOM-killed: memory goes up at once to what the last kill showed was needed, whatever the
      // (decayed) history says. vpa injects the same figure as that day's peak (above); krr
      // simple has no OOM rule (its --use_oomkill_data is off by default).
      rec.memory_request_bytes = a.oom_needed_bytes;
      rec.memory_limit_bytes = std::max(rec.memory_limit_bytes, a.oom_needed_bytes);
      r.reason += fmt::format("; OOM-killed {} time{} (last {}): memory raised to {} "
                              "(max(used + 100 MiB, used × 1.2))",
                              static_cast<long long>(a.oom_kills), a.oom_kills == 1 ? "" : "s",
                              model::formatRfc3339(a.last_oom),
                              memoryQuantity(a.oom_needed_bytes));
    }
    if (r.sufficient && r.startup_excluded) {
      // The limit covers the startup peak (the request stays the steady-state value).
      if (r.startup_memory_peak_bytes > rec.memory_limit_bytes) {
        rec.memory_limit_bytes = r.startup_memory_peak_bytes;
        r.reason += fmt::format("; memory limit raised to the startup peak ({} in the first hour)",
                                memoryQuantity(r.startup_memory_peak_bytes));
      }
      if (rec.cpu_limit_cores > 0 && r.startup_cpu_peak_cores > rec.cpu_limit_cores) {
        rec.cpu_limit_cores = r.startup_cpu_peak_cores;
      }
    }
    finish(r, a);
    out.push_back(std::move(r));
  }
  std::sort(out.begin(), out.end(),
            [](const Recommendation& x, const Recommendation& y) { return x.key < y.key; });
  return out;
}

Result<std::string> recommendationsJson(const store::Store& store,
                                        const RecommendOptions& options) {
  auto recs = recommend(store, options);
  if (!recs) return tl::unexpected(recs.error());
  return toJson(*recs, options);
}

}  // namespace trimtab::recommend
