// Ingest benchmark: one full-scale hour of samples (default 4,000 nodes, ~240k containers,
// 60 s scrape interval) folded into hour blocks through ingest::Folder — the same sinks the
// snapshot reader feeds — then built into a block and committed to a SQLite store.
// Samples are handed to the sinks as parsed samples, in OpenMetrics file order (families
// contiguous, each series in time order); text parsing is measured separately by
// openmetrics_bench, and end to end by `trimtab ingest` (see docs/benchmarks.md).
//
//   ingest_bench [--nodes 4000] [--interval 60] [--store PATH]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "ingest/folder.h"
#include "pricing/catalog.h"
#include "pricing/pricer.h"
#include "source/sim/demo.h"
#include "store/store.h"

namespace {

using namespace trimtab;
using WallClock = std::chrono::steady_clock;

std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

double since(WallClock::time_point t) {
  return std::chrono::duration<double>(WallClock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
  source::DemoOptions options;
  options.nodes = std::atoi(arg(argc, argv, "--nodes", "4000").c_str());
  options.days = 1;
  options.end = 1'767'225'600;  // 2026-01-01T00:00:00Z
  const int interval = std::atoi(arg(argc, argv, "--interval", "60").c_str());
  const std::string store_path = arg(argc, argv, "--store", "/tmp/trimtab-ingest-bench.db");
  auto t0 = WallClock::now();
  const source::DemoCluster cluster = source::generateDemo(options);
  const UnixSeconds hour_end = cluster.end;
  const UnixSeconds hour_start = hour_end - 3600;
  std::printf("model: %zu nodes, %zu containers (%.1f s)\n", cluster.objects.nodes.size(),
              cluster.containerCount(), since(t0));

  // Containers running in the benchmark hour, with their label values.
  struct Series {
    std::string ns, pod, container, node;
    std::size_t index;
    double cpu_request, ram_request;
  };
  std::vector<Series> series;
  for (std::size_t c = 0; c < cluster.containerCount(); ++c) {
    if (!cluster.running(c, hour_start + 1800) || cluster.nodeOf(c).empty()) continue;
    const auto& req = cluster.requestsOf(c);
    series.push_back({cluster.namespaceOf(c), cluster.podNameOf(c), cluster.containerNameOf(c),
                      cluster.nodeOf(c), c, static_cast<double>(req.cpu_millicores) / 1000.0,
                      static_cast<double>(req.memory_bytes)});
  }
  std::vector<UnixSeconds> times;
  for (UnixSeconds t = hour_start + interval; t <= hour_end; t += interval) times.push_back(t);
  // Precomputed usage so the timed loop measures the fold, not the usage model.
  std::vector<float> cpu(series.size() * times.size()), mem(series.size() * times.size());
  for (std::size_t s = 0; s < series.size(); ++s) {
    for (std::size_t k = 0; k < times.size(); ++k) {
      cpu[s * times.size() + k] = static_cast<float>(cluster.cpuUsageCores(series[s].index, times[k]));
      mem[s * times.size() + k] = static_cast<float>(cluster.memoryWorkingSetBytes(series[s].index, times[k]));
    }
  }

  const model::Inventory inventory = model::Inventory::build(cluster.objects);
  const pricing::Pricer pricer(pricing::Catalog::builtin(), std::nullopt);
  ingest::Folder folder(options.cluster, &inventory, pricer);
  std::uint64_t inventory_samples = 0, usage_samples = 0;
  source::Label labels[6];
  source::Sample sample;
  sample.labels = labels;
  sample.has_timestamp = true;
  auto feed = [&](source::SampleSink& sink, std::string_view metric, std::size_t n_labels,
                  double value, UnixSeconds t) {
    sample.metric = metric;
    sample.label_count = n_labels;
    sample.value = value;
    sample.timestamp_ms = t * 1000;
    sink.onSample(sample);
  };

  auto t_fold = WallClock::now();
  source::SampleSink& inv = folder.inventorySink();
  for (const auto& node : cluster.objects.nodes) {
    labels[0] = {"node", node.meta.name};
    labels[1] = {"resource", "cpu"};
    labels[2] = {"unit", "core"};
    for (UnixSeconds t : times) feed(inv, "kube_node_status_capacity", 3, static_cast<double>(node.capacity.cpu_millicores) / 1000.0, t);
    labels[1] = {"resource", "memory"};
    labels[2] = {"unit", "byte"};
    for (UnixSeconds t : times) feed(inv, "kube_node_status_capacity", 3, static_cast<double>(node.capacity.memory_bytes), t);
    inventory_samples += 2 * times.size();
  }
  for (const Series& s : series) {
    labels[0] = {"namespace", s.ns};
    labels[1] = {"pod", s.pod};
    labels[2] = {"container", s.container};
    for (UnixSeconds t : times) feed(inv, "kube_pod_container_status_running", 3, 1, t);
  }
  for (const char* resource : {"cpu", "memory"}) {
    for (const Series& s : series) {
      labels[0] = {"namespace", s.ns};
      labels[1] = {"pod", s.pod};
      labels[2] = {"container", s.container};
      labels[3] = {"node", s.node};
      labels[4] = {"resource", resource};
      labels[5] = {"unit", resource[0] == 'c' ? "core" : "byte"};
      const double v = resource[0] == 'c' ? s.cpu_request : s.ram_request;
      for (UnixSeconds t : times) feed(inv, "kube_pod_container_resource_requests", 6, v, t);
    }
  }
  inventory_samples += series.size() * times.size() * 3;
  const double inventory_s = since(t_fold);
  auto t_finish = WallClock::now();
  folder.finishInventory();
  const double finish_s = since(t_finish);
  auto t_usage = WallClock::now();
  source::SampleSink& use = folder.usageSink();
  for (std::size_t si = 0; si < series.size(); ++si) {
    const Series& s = series[si];
    labels[0] = {"namespace", s.ns};
    labels[1] = {"pod", s.pod};
    labels[2] = {"container", s.container};
    double counter = 0;
    feed(use, "container_cpu_usage_seconds_total", 3, counter, hour_start);
    for (std::size_t k = 0; k < times.size(); ++k) {
      counter += cpu[si * times.size() + k] * interval;
      feed(use, "container_cpu_usage_seconds_total", 3, counter, times[k]);
    }
  }
  for (std::size_t si = 0; si < series.size(); ++si) {
    const Series& s = series[si];
    labels[0] = {"namespace", s.ns};
    labels[1] = {"pod", s.pod};
    labels[2] = {"container", s.container};
    for (std::size_t k = 0; k < times.size(); ++k) {
      feed(use, "container_memory_working_set_bytes", 3, mem[si * times.size() + k], times[k]);
    }
  }
  usage_samples = series.size() * (2 * times.size() + 1);
  const double usage_s = since(t_usage);

  std::filesystem::remove(store_path);
  std::filesystem::remove(store_path + "-wal");
  std::filesystem::remove(store_path + "-shm");
  auto st = store::openSqliteStore(store_path, store::OpenMode::kReadWrite);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return 1;
  }
  auto t_build = WallClock::now();
  std::vector<store::Block> blocks = folder.buildBlocks((*st)->mutableDimensions());
  const double build_s = since(t_build);
  std::size_t rows = 0;
  for (const auto& b : blocks) rows += b.containers.size();
  auto t_commit = WallClock::now();
  auto stats = (*st)->commit(std::move(blocks));
  if (!stats) {
    std::fprintf(stderr, "%s\n", stats.error().message.c_str());
    return 1;
  }
  const double commit_s = since(t_commit);
  const double fold_s = inventory_s + finish_s + usage_s + build_s;
  const double total = static_cast<double>(inventory_samples + usage_samples);
  std::printf("\n| stage | samples | seconds | samples/s (one core) |\n|---|---|---|---|\n");
  std::printf("| inventory pass (running, requests, node capacity) | %llu | %.2f | %.2f M |\n",
              static_cast<unsigned long long>(inventory_samples), inventory_s, static_cast<double>(inventory_samples) / inventory_s / 1e6);
  std::printf("| running intervals (finishInventory) | | %.2f | |\n", finish_s);
  std::printf("| usage pass (CPU counter, working set) | %llu | %.2f | %.2f M |\n",
              static_cast<unsigned long long>(usage_samples), usage_s, static_cast<double>(usage_samples) / usage_s / 1e6);
  std::printf("| build hour block (%zu container rows, sketches, costs) | | %.2f | |\n", rows, build_s);
  std::printf("| **fold total** (samples -> block) | %.0f | %.2f | **%.2f M** |\n", total, fold_s, total / fold_s / 1e6);
  std::printf("| encode + commit (hour block, day fold, SQLite) | | %.2f | |\n", commit_s);
  std::printf("| hour block + day block written | | %.1f MB | |\n", static_cast<double>(stats->bytes_written) / 1e6);
  return 0;
}
