#include "prom/backfill.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "model/time_format.h"
#include "pricing/catalog.h"
#include "pricing/custom.h"
#include "pricing/pricer.h"

namespace trimtab::prom {

namespace {

constexpr Family kFamilies[] = {
    {"kube_pod_container_status_running", true, true},
    {"kube_pod_container_resource_requests", true, true},
    {"kube_pod_container_status_restarts_total", true, true},
    {"kube_pod_container_status_last_terminated_reason", true, true},
    {"kube_pod_info", true, true},
    {"kube_pod_owner", true, true},
    {"kube_pod_labels", true, true},
    {"kube_pod_runtimeclass_name_info", true, true},
    {"kube_replicaset_owner", true, true},
    {"kube_job_owner", true, true},
    {"kube_cronjob_info", true, true},
    {"kube_pod_spec_volumes_persistentvolumeclaims_info", true, true},
    {"kube_persistentvolumeclaim_info", true, true},
    {"kube_persistentvolume_capacity_bytes", true, false},
    {"kube_node_status_capacity", true, false},
    {"kube_node_status_allocatable", true, false},
    {"kube_node_labels", true, false},
    {"kube_node_info", true, false},
    {"container_cpu_usage_seconds_total", false, true},
    {"container_memory_working_set_bytes", false, true},
    {"container_network_transmit_bytes_total", false, true},
    {"container_network_receive_bytes_total", false, true},
    {"DCGM_FI_PROF_GR_ENGINE_ACTIVE", false, true},
    {"DCGM_FI_DEV_GPU_UTIL", false, true},
};

UnixSeconds floorHour(UnixSeconds t) { return t - ((t % 3600) + 3600) % 3600; }
std::int64_t ceilTo(std::int64_t v, std::int64_t m) { return v >= 0 ? (v + m - 1) / m * m : -(-v / m * m); }
std::int64_t floorTo(std::int64_t v, std::int64_t m) { return v >= 0 ? v / m * m : -((-v + m - 1) / m * m); }

}  // namespace

std::span<const Family> families() { return kFamilies; }

Result<BackfillReport> backfill(Source& source, store::Store& store, const BackfillOptions& options) {
  BackfillReport report;
  const UnixSeconds from = floorHour(options.from);
  const UnixSeconds to = floorHour(options.to + 3599);
  if (to <= from) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("backfill: empty range [{}, {})", model::formatRfc3339(from), model::formatRfc3339(to)));
  }
  if (options.chunk_seconds < 3600 || options.chunk_seconds > 86400 || options.chunk_seconds % 3600 != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("backfill: chunk {} s: want whole hours, 1h to 24h", options.chunk_seconds));
  }
  std::optional<pricing::CustomPricing> custom;
  if (!options.pricing_file.empty()) {
    auto loaded = pricing::loadCustomPricing(options.pricing_file);
    if (!loaded) return fail(loaded.error());
    custom = std::move(*loaded);
  }
  const pricing::Pricer pricer(pricing::Catalog::builtin(), std::move(custom));

  std::int64_t step_ms = options.step_ms;
  if (step_ms <= 0) {
    for (UnixSeconds at : {to, std::min(to, from + 1800)}) {
      auto detected = source.detectScrapeIntervalMs(at * 1000);
      if (!detected) return fail(detected.error());
      if (*detected) {
        step_ms = std::max<std::int64_t>(1000, (**detected + 500) / 1000 * 1000);
        report.step_detected = true;
        break;
      }
    }
    if (step_ms <= 0) {
      step_ms = 60'000;
      report.warnings.push_back(
          "no kube_node_status_capacity samples to detect the scrape interval from; using a 60 s step");
    }
  }
  report.step_ms = step_ms;

  // Keep each query under the backend's points-per-series limit.
  std::int64_t chunk = options.chunk_seconds;
  const std::int64_t max_span_ms = (source.options().max_points_per_series - 1) * step_ms;
  while (chunk > 3600 && (chunk + 2 * options.context_seconds) * 1000 > max_span_ms) chunk -= 3600;
  if ((chunk + 2 * options.context_seconds) * 1000 > max_span_ms) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("backfill: a {} ms step needs more than {} points for one hour; use a larger --step",
                            step_ms, source.options().max_points_per_series));
  }

  std::vector<Source::Task> inventory, usage;
  const std::string range = "[" + promDuration(step_ms - 1) + "]";
  for (const Family& f : kFamilies) {
    Source::Task t{std::string(f.name),
                   "last_over_time(" + selector(f.name, source.options().matchers, f.namespaced) + range + ")"};
    (f.inventory ? inventory : usage).push_back(std::move(t));
  }

  for (UnixSeconds c = from; c < to; c += chunk) {
    const UnixSeconds c_end = std::min<UnixSeconds>(c + chunk, to);
    const std::int64_t start_ms = ceilTo((c - options.context_seconds) * 1000, step_ms);
    const std::int64_t end_ms = floorTo((c_end + options.context_seconds) * 1000 - 1, step_ms);
    auto folded = ingest::foldWindow(
        store, options.cluster, pricer, c, c_end, options.context_seconds,
        [&](source::SampleSink& sink, bool usage_pass) -> Status {
          const auto& tasks = usage_pass ? usage : inventory;
          return source.queryRangeAll(
              tasks, start_ms, end_ms, step_ms,
              [&](std::size_t task, const Series& series) {
                source::Sample s;
                s.metric = tasks[task].metric;
                s.labels = series.labels;
                s.label_count = series.label_count;
                s.has_timestamp = true;
                for (std::size_t i = 0; i < series.point_count; ++i) {
                  s.timestamp_ms = series.points[i].first;
                  s.value = series.points[i].second;
                  sink.onSample(s);
                }
              },
              &report.queries);
        },
        options.inventory);
    if (!folded) {
      return fail(folded.error().withContext(
          fmt::format("backfilling [{}, {})", model::formatRfc3339(c), model::formatRfc3339(c_end))));
    }
    report.chunks++;
    report.hour_blocks += folded->hour_blocks;
    report.hours_written += folded->hours_written;
    report.containers += folded->containers;
    report.samples += folded->samples;
    report.usage_samples += folded->usage_samples;
    if (options.progress) options.progress(c, c_end, *folded);
  }
  for (auto& w : report.queries.warnings) report.warnings.push_back(w);
  return report;
}

}  // namespace trimtab::prom
