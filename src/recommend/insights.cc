#include "recommend/insights.h"
#include "model/json_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace trimtab::recommend {

using model::jsonString;

namespace {

constexpr double kHoursPerMonth = 730;

struct WorkloadAcc {
  UnixSeconds first = 0, last = 0;
  double running_hours = 0, cpu_usage_core_hours = 0, network_bytes = 0, cost = 0;
  double cpu_max = 0;
};

struct VolumeAcc {
  double hours = 0, cost = 0;
};


}  // namespace

Result<std::vector<Insight>> savingsInsights(const store::Store& store,
                                             const InsightOptions& options) {
  if (options.window_start % 3600 != 0 || options.window_end % 3600 != 0 ||
      options.window_end <= options.window_start) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("insights: window [{}, {}) must be non-empty and hour-aligned",
                            options.window_start, options.window_end));
  }
  const store::Dimensions& dims = store.dimensions();
  auto blocks = store::planWindow(store, options.cluster, options.window_start, options.window_end);
  if (!blocks) return tl::unexpected(blocks.error());
  std::map<std::string, WorkloadAcc> workloads;
  std::vector<std::string> name_of(dims.containerCount());
  for (std::uint32_t id = 0; id < dims.containerCount(); ++id) {
    const store::ContainerDim& d = dims.container(id);
    const bool bare = d.controller == 0;
    name_of[id] =
        fmt::format("{}/{}/{}/{}/{}", dims.str(d.cluster), dims.str(d.namespace_name),
                    bare ? "pod" : dims.str(d.controller_kind),
                    bare ? dims.str(d.pod) : dims.str(d.controller), dims.str(d.container));
  }
  std::map<std::uint32_t, VolumeAcc> volumes;
  for (const store::BlockInfo& info : *blocks) {
    auto block = store.readBlock(info, store::ColumnSelection{});
    if (!block) return tl::unexpected(block.error());
    const store::ContainerRows& c = block->containers;
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (c.container_id[i] >= name_of.size()) continue;
      WorkloadAcc& a = workloads[name_of[c.container_id[i]]];
      a.first = a.first == 0 ? c.start[i] : std::min(a.first, c.start[i]);
      a.last = std::max(a.last, c.end[i]);
      a.running_hours += c.running_seconds[i] / 3600.0;
      a.cpu_usage_core_hours += c.cpu_usage_core_hours[i];
      a.cpu_max = std::max(a.cpu_max, c.cpu_usage_max_cores[i]);
      a.network_bytes += c.network_transfer_bytes[i] + c.network_receive_bytes[i];
      a.cost += c.cpu_cost[i] + c.ram_cost[i] + c.gpu_cost[i];
    }
    const store::VolumeRows& v = block->volumes;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v.volume_id[i] >= dims.volumeCount()) continue;
      if (dims.volume(v.volume_id[i]).claim_name != 0) continue;
      VolumeAcc& a = volumes[v.volume_id[i]];
      a.hours += v.hours[i];
      a.cost += v.cost[i];
    }
  }
  std::vector<Insight> out;
  for (const auto& [name, a] : workloads) {
    const double span_days = static_cast<double>(a.last - a.first) / 86400.0;
    if (span_days < options.idle_days || a.running_hours <= 0) continue;
    const double mean_cpu = a.cpu_usage_core_hours / a.running_hours;
    if (mean_cpu >= options.idle_cpu_cores || a.network_bytes > 0) continue;
    const double span_hours = static_cast<double>(a.last - a.first) / 3600.0;
    out.push_back({"idle-workload", name, a.cost / span_hours * kHoursPerMonth,
                   fmt::format("mean CPU {:.4f} cores (max {:.4f}) and no network traffic over "
                               "{:.1f} days",
                               mean_cpu, a.cpu_max, span_days)});
  }
  for (const auto& [id, a] : volumes) {
    if (a.hours <= 0 || a.cost <= 0) continue;
    const store::VolumeDim& d = dims.volume(id);
    out.push_back({"unclaimed-volume", fmt::format("{}/{}", dims.str(d.cluster), dims.str(d.name)),
                   a.cost / a.hours * kHoursPerMonth,
                   fmt::format("no claim for {:.0f} h; storage class \"{}\"", a.hours,
                               dims.str(d.storage_class))});
  }
  std::sort(out.begin(), out.end(), [](const Insight& x, const Insight& y) {
    return x.monthly_cost_usd != y.monthly_cost_usd ? x.monthly_cost_usd > y.monthly_cost_usd
                                                    : x.object < y.object;
  });
  return out;
}

std::string insightsJson(const std::vector<Insight>& insights) {
  std::string out = "{\"insights\":[";
  double total = 0;
  for (std::size_t i = 0; i < insights.size(); ++i) {
    const Insight& x = insights[i];
    total += x.monthly_cost_usd;
    out += fmt::format("{}{{\"kind\":{},\"object\":{},\"monthlyCostUsd\":{},\"evidence\":{}}}",
                       i ? "," : "", jsonString(x.kind), jsonString(x.object), x.monthly_cost_usd,
                       jsonString(x.evidence));
  }
  return out + fmt::format("],\"monthlyCostUsd\":{}}}", total);
}

}  // namespace trimtab::recommend
