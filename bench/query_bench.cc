// Query benchmark at Kubecost's published scale (4,000 nodes, ~250k pods, 30 days).
//
//   query_bench build --store PATH [--nodes 4000] [--days 30] [--seed 42]
//       Builds day blocks straight from the demo generator's model (usage sampled every 30 min)
//       and imports them; the last day is also written as 24 hour blocks through the normal
//       commit path (which folds its day block), so hour-block size is measured too.
//   query_bench query --store PATH [--repeat 3]
//       In a fresh process: runs the benchmark queries and prints a table with wall time and the
//       process's peak RSS.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "cost/json.h"
#include "pricing/catalog.h"
#include "pricing/pricer.h"
#include "query/allocation_reader.h"
#include "source/sim/demo.h"
#include "store/sketch.h"
#include "store/store.h"

namespace {

using namespace trimtab;
using WallClock = std::chrono::steady_clock;
constexpr double kGiB = 1024.0 * 1024 * 1024;

std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

double peakRssMiB() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

double secondsSince(WallClock::time_point t0) {
  return std::chrono::duration<double>(WallClock::now() - t0).count();
}

struct ContainerInfo {
  std::uint32_t dim = 0;
  std::size_t node = 0;
  double cpu_request = 0, ram_request = 0, gpu_request = 0;
};

// Samples per container-day used to build the blocks (every 30 minutes).
constexpr int kSamplesPerDay = 48;

store::ContainerRows containerRowsFor(const source::DemoCluster& cluster,
                                      const std::vector<ContainerInfo>& info,
                                      const std::vector<pricing::NodePrice>& prices,
                                      UnixSeconds from, UnixSeconds to, std::size_t begin,
                                      std::size_t end) {
  store::ContainerRows rows;
  const int samples = static_cast<int>((to - from) * kSamplesPerDay / 86400);
  const double step_hours = static_cast<double>(to - from) / 3600.0 / samples;
  for (std::size_t c = begin; c < end; ++c) {
    const ContainerInfo& ci = info[c];
    store::UsageSketch cpu_sketch, mem_sketch;
    double running = 0, cpu = 0, cpu_use = 0, cpu_max = 0, ram = 0, ram_use = 0, ram_max = 0;
    double gpu = 0, gpu_use = 0;
    UnixSeconds first = 0, last = 0;
    for (int k = 0; k < samples; ++k) {
      const UnixSeconds t = from + static_cast<UnixSeconds>((k + 0.5) * step_hours * 3600);
      if (!cluster.running(c, t)) continue;
      if (running == 0) first = t - static_cast<UnixSeconds>(step_hours * 1800);
      last = t + static_cast<UnixSeconds>(step_hours * 1800);
      running += step_hours;
      const double u = cluster.cpuUsageCores(c, t);
      const double m = cluster.memoryWorkingSetBytes(c, t);
      cpu += std::max(u, ci.cpu_request) * step_hours;
      cpu_use += u * step_hours;
      cpu_max = std::max(cpu_max, u);
      ram += std::max(m, ci.ram_request) * step_hours;
      ram_use += m * step_hours;
      ram_max = std::max(ram_max, m);
      gpu += ci.gpu_request * step_hours;
      if (ci.gpu_request > 0) gpu_use += cluster.gpuUtilization(c, t) * ci.gpu_request * step_hours;
      // Sketches see the per-scrape spread a real hour would: a few jittered samples.
      for (int j = 0; j < 4; ++j) cpu_sketch.add(cluster.cpuUsageCores(c, t + 60 * j));
      mem_sketch.add(m);
    }
    if (running == 0) continue;
    const std::size_t r = rows.size();
    rows.resize(r + 1);
    const pricing::NodePrice& price = prices[ci.node];
    rows.container_id[r] = ci.dim;
    rows.start[r] = std::max(first, from);
    rows.end[r] = std::min(last, to);
    rows.running_seconds[r] = running * 3600;
    rows.cpu_core_hours[r] = cpu;
    rows.cpu_request_core_hours[r] = ci.cpu_request * running;
    rows.cpu_usage_core_hours[r] = cpu_use;
    rows.cpu_usage_max_cores[r] = cpu_max;
    rows.ram_byte_hours[r] = ram;
    rows.ram_request_byte_hours[r] = ci.ram_request * running;
    rows.ram_usage_byte_hours[r] = ram_use;
    rows.ram_usage_max_bytes[r] = ram_max;
    rows.gpu_hours[r] = gpu;
    rows.gpu_usage_hours[r] = gpu_use;
    rows.network_receive_bytes[r] = 0;
    rows.network_transfer_bytes[r] = 0;
    rows.cpu_cost[r] = cpu * price.cpu_per_core_hour;
    rows.ram_cost[r] = ram / kGiB * price.ram_per_gib_hour;
    rows.gpu_cost[r] = gpu * price.gpu_per_gpu_hour;
    rows.cpu_sketch.set(r, cpu_sketch.serialize());
    rows.memory_sketch.set(r, mem_sketch.serialize());
  }
  return rows;
}

void appendRows(store::ContainerRows& into, store::ContainerRows&& from) {
  const std::size_t base = into.size();
  into.resize(base + from.size());
  for (std::size_t i = 0; i < from.size(); ++i) {
    into.container_id[base + i] = from.container_id[i];
    into.start[base + i] = from.start[i];
    into.end[base + i] = from.end[i];
    into.running_seconds[base + i] = from.running_seconds[i];
    into.cpu_core_hours[base + i] = from.cpu_core_hours[i];
    into.cpu_request_core_hours[base + i] = from.cpu_request_core_hours[i];
    into.cpu_usage_core_hours[base + i] = from.cpu_usage_core_hours[i];
    into.cpu_usage_max_cores[base + i] = from.cpu_usage_max_cores[i];
    into.ram_byte_hours[base + i] = from.ram_byte_hours[i];
    into.ram_request_byte_hours[base + i] = from.ram_request_byte_hours[i];
    into.ram_usage_byte_hours[base + i] = from.ram_usage_byte_hours[i];
    into.ram_usage_max_bytes[base + i] = from.ram_usage_max_bytes[i];
    into.gpu_hours[base + i] = from.gpu_hours[i];
    into.gpu_usage_hours[base + i] = from.gpu_usage_hours[i];
    into.network_transfer_bytes[base + i] = from.network_transfer_bytes[i];
    into.network_receive_bytes[base + i] = from.network_receive_bytes[i];
    into.cpu_cost[base + i] = from.cpu_cost[i];
    into.ram_cost[base + i] = from.ram_cost[i];
    into.gpu_cost[base + i] = from.gpu_cost[i];
    into.network_cost[base + i] = from.network_cost[i];
    into.cpu_sketch.set(base + i, from.cpu_sketch[i]);
    into.memory_sketch.set(base + i, from.memory_sketch[i]);
  }
}

store::Block buildBlock(const source::DemoCluster& cluster, const std::vector<ContainerInfo>& info,
                        const std::vector<pricing::NodePrice>& prices,
                        const std::vector<std::uint32_t>& node_dims, store::BlockKind kind,
                        UnixSeconds from, UnixSeconds to) {
  store::Block b;
  b.kind = kind;
  b.cluster = cluster.options.cluster;
  b.start = from;
  b.end = to;
  // Two threads: the machine has two cores.
  const std::size_t n = info.size();
  store::ContainerRows half[2];
  std::thread worker([&] { half[1] = containerRowsFor(cluster, info, prices, from, to, n / 2, n); });
  half[0] = containerRowsFor(cluster, info, prices, from, to, 0, n / 2);
  worker.join();
  appendRows(b.containers, std::move(half[0]));
  appendRows(b.containers, std::move(half[1]));
  const double hours = static_cast<double>(to - from) / 3600.0;
  b.nodes.resize(cluster.objects.nodes.size());
  for (std::size_t i = 0; i < cluster.objects.nodes.size(); ++i) {
    const model::Node& node = cluster.objects.nodes[i];
    const pricing::NodePrice& p = prices[i];
    const double cores = static_cast<double>(node.capacity.cpu_millicores) / 1000.0;
    const double bytes = static_cast<double>(node.capacity.memory_bytes);
    const double gpus = model::gpuEquivalent(node.capacity, 1);
    b.nodes.node_id[i] = node_dims[i];
    b.nodes.start[i] = from;
    b.nodes.end[i] = to;
    b.nodes.hours[i] = hours;
    b.nodes.cpu_core_hours[i] = cores * hours;
    b.nodes.ram_byte_hours[i] = bytes * hours;
    b.nodes.gpu_hours[i] = gpus * hours;
    b.nodes.cpu_alloc_core_hours[i] = static_cast<double>(node.allocatable.cpu_millicores) / 1000.0 * hours;
    b.nodes.ram_alloc_byte_hours[i] = static_cast<double>(node.allocatable.memory_bytes) * hours;
    b.nodes.cpu_cost[i] = cores * hours * p.cpu_per_core_hour;
    b.nodes.ram_cost[i] = bytes / kGiB * hours * p.ram_per_gib_hour;
    b.nodes.gpu_cost[i] = gpus * hours * p.gpu_per_gpu_hour;
    b.nodes.spot[i] = p.spot ? 1 : 0;
    b.nodes.price_source[i] = 0;
  }
  b.canonicalize();
  return b;
}

int build(int argc, char** argv) {
  const std::string path = arg(argc, argv, "--store", "");
  if (path.empty()) {
    std::fputs("query_bench build: --store PATH is required\n", stderr);
    return 2;
  }
  source::DemoOptions options;
  options.nodes = std::atoi(arg(argc, argv, "--nodes", "4000").c_str());
  options.days = std::atoi(arg(argc, argv, "--days", "30").c_str());
  options.seed = std::strtoull(arg(argc, argv, "--seed", "42").c_str(), nullptr, 10);
  options.end = 1'767'225'600;  // 2026-01-01T00:00:00Z: fixed so runs are comparable
  auto t0 = WallClock::now();
  const source::DemoCluster cluster = source::generateDemo(options);
  std::printf("generated model: %zu nodes, %zu pods, %zu containers in %.1f s\n",
              cluster.objects.nodes.size(), cluster.pods.size(), cluster.containerCount(),
              secondsSince(t0));
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  auto opened = store::openSqliteStore(path, store::OpenMode::kReadWrite);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  store::Store& st = **opened;
  store::Dimensions& dims = st.mutableDimensions();
  const pricing::Pricer pricer(pricing::Catalog::builtin(), std::nullopt);
  std::vector<pricing::NodePrice> node_prices;
  std::vector<std::uint32_t> node_dims;
  std::unordered_map<std::string, std::size_t> node_index;
  const std::uint32_t cluster_id = dims.intern(options.cluster);
  for (std::size_t i = 0; i < cluster.objects.nodes.size(); ++i) {
    const model::Node& n = cluster.objects.nodes[i];
    node_prices.push_back(pricer.priceNode(n));
    node_index[n.meta.name] = i;
    store::NodeDim d;
    d.cluster = cluster_id;
    d.name = dims.intern(n.meta.name);
    d.provider_id = dims.intern(n.provider_id);
    d.instance_type = dims.intern(node_prices.back().instance_type);
    node_dims.push_back(dims.internNode(d));
  }
  std::vector<ContainerInfo> info(cluster.containerCount());
  for (std::size_t c = 0; c < info.size(); ++c) {
    const source::DemoPod& pod = cluster.podOf(c);
    store::ContainerDim d;
    d.cluster = cluster_id;
    d.namespace_name = dims.intern(pod.namespace_name);
    d.node = dims.intern(pod.node_name);
    d.pod = dims.intern(pod.name);
    d.pod_uid = dims.intern(pod.uid);
    d.container = dims.intern(cluster.containerNameOf(c));
    std::string kind = pod.owner_kind, name = pod.owner_name;
    std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (kind == "replicaset") {
      kind = "deployment";
      name = name.substr(0, name.rfind('-'));
    }
    d.controller_kind = dims.intern(kind);
    d.controller = dims.intern(name);
    store::LabelPairs labels;
    for (const auto& [k, v] : pod.labels) labels.emplace_back(dims.intern(k), dims.intern(v));
    d.labels = dims.internLabels(std::move(labels));
    info[c].dim = dims.internContainer(d);
    auto it = node_index.find(pod.node_name);
    info[c].node = it == node_index.end() ? 0 : it->second;
    const model::ResourceVector& req = cluster.requestsOf(c);
    info[c].cpu_request = static_cast<double>(req.cpu_millicores) / 1000.0;
    info[c].ram_request = static_cast<double>(req.memory_bytes);
    info[c].gpu_request = model::gpuEquivalent(req, 1);
  }
  std::uint64_t day_bytes = 0, hour_bytes = 0;
  double build_s = 0, write_s = 0;
  for (UnixSeconds day = cluster.start; day < cluster.end; day += 86400) {
    auto tb = WallClock::now();
    store::Block b = buildBlock(cluster, info, node_prices, node_dims, store::BlockKind::kDay, day,
                                day + 86400);
    build_s += secondsSince(tb);
    auto tw = WallClock::now();
    const bool last = day + 86400 >= cluster.end;
    if (last) {
      std::vector<store::Block> hours;
      for (UnixSeconds h = day; h < day + 86400; h += 3600) {
        hours.push_back(buildBlock(cluster, info, node_prices, node_dims, store::BlockKind::kHour,
                                   h, h + 3600));
      }
      auto stats = st.commit(std::move(hours));
      if (!stats) {
        std::fprintf(stderr, "%s\n", stats.error().message.c_str());
        return 1;
      }
      hour_bytes = stats->bytes_written;
    } else {
      std::vector<store::Block> one;
      one.push_back(std::move(b));
      auto stats = st.importBlocks(std::move(one));
      if (!stats) {
        std::fprintf(stderr, "%s\n", stats.error().message.c_str());
        return 1;
      }
      day_bytes += stats->bytes_written;
    }
    write_s += secondsSince(tw);
    std::fprintf(stderr, "\rday %lld/%d", static_cast<long long>((day - cluster.start) / 86400 + 1),
                 options.days);
  }
  std::fprintf(stderr, "\n");
  auto days = st.listBlocks("", store::BlockKind::kDay, cluster.start, cluster.end);
  std::uint64_t last_day_block = days && !days->empty() ? days->back().bytes : 0;
  const double full_days = options.days > 1 ? options.days - 1 : 1;
  std::printf("\n| figure | value |\n|---|---|\n");
  std::printf("| nodes / pods / containers | %zu / %zu / %zu |\n", cluster.objects.nodes.size(),
              cluster.pods.size(), cluster.containerCount());
  std::printf("| day block, bytes per cluster-day (mean of %d days) | %.1f MB |\n",
              options.days - 1, static_cast<double>(day_bytes) / full_days / 1e6);
  std::printf("| last day folded from 24 hour blocks: day block | %.1f MB |\n",
              static_cast<double>(last_day_block) / 1e6);
  std::printf("| hour blocks of one day (24) + dimensions + day fold | %.1f MB |\n",
              static_cast<double>(hour_bytes) / 1e6);
  std::printf("| store file | %.1f MB |\n",
              static_cast<double>(std::filesystem::file_size(path)) / 1e6);
  std::printf("| build from model (sampling) / encode+write | %.1f s / %.1f s |\n", build_s, write_s);
  return 0;
}

int runQueries(int argc, char** argv) {
  const std::string path = arg(argc, argv, "--store", "");
  const int repeat = std::max(1, std::atoi(arg(argc, argv, "--repeat", "3").c_str()));
  auto t_open = WallClock::now();
  auto opened = store::openSqliteStore(path, store::OpenMode::kReadOnly);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  const double open_s = secondsSince(t_open);
  const store::Store& st = **opened;
  auto extent = st.extent();
  auto days = st.listBlocks("", store::BlockKind::kDay, 0, 1LL << 40);
  if (!days || days->empty()) {
    std::fputs("query_bench query: the store has no day blocks; run `query_bench build` first\n", stderr);
    return 1;
  }
  const UnixSeconds end = days->back().end;
  struct Case {
    std::string name;
    UnixSeconds days;
    std::vector<std::string> aggregate;
    double step;
    bool idle;
  };
  const std::vector<Case> cases = {
      {"30d aggregate=namespace step=1d includeIdle", 30, {"namespace"}, 86400, true},
      {"7d aggregate=controller", 7, {"controller"}, 0, false},
      {"7d aggregate=controller includeIdle", 7, {"controller"}, 0, true},
      {"30d aggregate=pod (container grain read)", 30, {"pod"}, 0, false},
  };
  std::map<std::string, std::string> phases;
  std::printf("store opened (dimensions loaded) in %.3f s, %zu containers\n\n", open_s,
              st.dimensions().containerCount());
  std::printf("| query | first run (s) | best of %d (s) | result rows | JSON bytes | peak RSS (MiB) |\n",
              repeat);
  std::printf("|---|---|---|---|---|---|\n");
  for (const Case& c : cases) {
    query::AllocationRequest req;
    req.window = cost::Window{end - c.days * 86400, end};
    req.step_seconds = c.step;
    req.query.aggregate = c.aggregate;
    req.query.include_idle = c.idle;
    double first = 0, best = 1e9;
    std::size_t rows = 0, json = 0;
    for (int i = 0; i < repeat; ++i) {
      auto t0 = WallClock::now();
      auto steps = query::loadSteps(st, req);
      if (!steps) {
        std::fprintf(stderr, "%s: %s\n", c.name.c_str(), steps.error().message.c_str());
        return 1;
      }
      const double read_s = secondsSince(t0);
      auto t1 = WallClock::now();
      auto sets = cost::computeAllocationRange(*steps, req.query, req.accumulate);
      if (!sets) {
        std::fprintf(stderr, "%s: %s\n", c.name.c_str(), sets.error().message.c_str());
        return 1;
      }
      const double engine_s = secondsSince(t1);
      auto t2 = WallClock::now();
      const std::string body = cost::toOpenCostJson(*sets);
      const double json_s = secondsSince(t2);
      const double s = secondsSince(t0);
      phases[c.name] = fmt::format("read blocks {:.3f} s, engine {:.3f} s, JSON {:.3f} s", read_s,
                                   engine_s, json_s);
      if (i == 0) first = s;
      best = std::min(best, s);
      rows = 0;
      for (const auto& set : *sets) rows += set.allocations.size();
      json = body.size();
    }
    std::printf("| %s | %.3f | %.3f | %zu | %zu | %.0f |\n", c.name.c_str(), first, best, rows,
                json, peakRssMiB());
  }
  {
    // Decode cost alone: every day block of the 30 days, no aggregation.
    auto plan = store::planWindow(st, "", end - 30 * 86400, end);
    auto t0 = WallClock::now();
    std::size_t rows = 0;
    for (const auto& info : *plan) {
      auto b = st.readBlock(info, store::ColumnSelection{});
      if (b) rows += b->containers.size();
    }
    std::printf("\nread + decode %zu day blocks (%zu container rows), one thread: %.3f s\n",
                plan->size(), rows, secondsSince(t0));
  }
  std::printf("\nlast run per query: ");
  for (const auto& [name, text] : phases) std::printf("\n- %s: %s", name.c_str(), text.c_str());
  std::printf("\n");
  (void)extent;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "build") == 0) return build(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "query") == 0) return runQueries(argc, argv);
  std::fputs("usage: query_bench build --store PATH [--nodes N] [--days D] [--seed S]\n"
             "       query_bench query --store PATH [--repeat R]\n", stderr);
  return 2;
}
