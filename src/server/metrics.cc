#include "server/metrics.h"

#include <array>
#include <map>
#include <mutex>
#include <sstream>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace trimtab::server {

namespace pm = prometheus;

struct SelfMetrics::Impl {
  std::shared_ptr<pm::Registry> registry = std::make_shared<pm::Registry>();
  pm::Family<pm::Counter>& requests = pm::BuildCounter()
                                          .Name("trimtab_http_requests_total")
                                          .Help("HTTP requests answered, by handler and status code")
                                          .Register(*registry);
  pm::Family<pm::Histogram>& latency = pm::BuildHistogram()
                                           .Name("trimtab_http_request_duration_seconds")
                                           .Help("Time from request read to response written, by handler")
                                           .Register(*registry);
  pm::Family<pm::Counter>& cache_lookups = pm::BuildCounter()
                                               .Name("trimtab_cache_lookups_total")
                                               .Help("Query cache lookups by result (hit, miss)")
                                               .Register(*registry);
  pm::Counter& cache_hits = cache_lookups.Add({{"result", "hit"}});
  pm::Counter& cache_misses = cache_lookups.Add({{"result", "miss"}});
  pm::Gauge& cache_entries = pm::BuildGauge()
                                 .Name("trimtab_cache_entries")
                                 .Help("Cached query answers")
                                 .Register(*registry)
                                 .Add({});
  pm::Gauge& cache_bytes = pm::BuildGauge()
                               .Name("trimtab_cache_bytes")
                               .Help("Bytes held by cached query answers")
                               .Register(*registry)
                               .Add({});
  pm::Counter& invalidations = pm::BuildCounter()
                                   .Name("trimtab_cache_invalidations_total")
                                   .Help("Cached answers dropped because blocks in their window changed")
                                   .Register(*registry)
                                   .Add({});
  pm::Counter& refreshes = pm::BuildCounter()
                               .Name("trimtab_store_refreshes_total")
                               .Help("Times the store was found changed by another writer")
                               .Register(*registry)
                               .Add({});
  pm::Counter& changed_blocks = pm::BuildCounter()
                                    .Name("trimtab_store_block_flushes_total")
                                    .Help("Blocks written or replaced in the store since this server started")
                                    .Register(*registry)
                                    .Add({});
  pm::Gauge& newest = pm::BuildGauge()
                          .Name("trimtab_store_newest_data_timestamp_seconds")
                          .Help("End of the newest hour of data in the store (Unix seconds)")
                          .Register(*registry)
                          .Add({});
  pm::Gauge& lag = pm::BuildGauge()
                       .Name("trimtab_ingest_lag_seconds")
                       .Help("Now minus the end of the newest hour of data in the store")
                       .Register(*registry)
                       .Add({});
  pm::Family<pm::Gauge>& blocks = pm::BuildGauge()
                                      .Name("trimtab_store_blocks")
                                      .Help("Blocks in the store by kind (hour, day)")
                                      .Register(*registry);
  pm::Gauge& hour_blocks = blocks.Add({{"kind", "hour"}});
  pm::Gauge& day_blocks = blocks.Add({{"kind", "day"}});
  pm::Gauge& connections = pm::BuildGauge()
                               .Name("trimtab_http_connections_open")
                               .Help("Open HTTP connections")
                               .Register(*registry)
                               .Add({});
  pm::Gauge& in_flight = pm::BuildGauge()
                             .Name("trimtab_queries_in_flight")
                             .Help("Queries running or waiting for a worker")
                             .Register(*registry)
                             .Add({});
  struct PerHandler {
    pm::Histogram* latency = nullptr;
    std::array<pm::Counter*, 600> by_status{};  // HTTP status → counter, created on first use
  };
  std::mutex mutex;  // guards `handlers` (lookups are allocation-free: transparent comparator)
  std::map<std::string, PerHandler, std::less<>> handlers;
};

SelfMetrics::SelfMetrics() : impl_(std::make_unique<Impl>()) {}
SelfMetrics::~SelfMetrics() = default;

void SelfMetrics::request(std::string_view handler, int status, double seconds) {
  if (status < 100 || status > 599) status = 500;
  pm::Counter* counter;
  pm::Histogram* histogram;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto it = impl_->handlers.find(handler);
    if (it == impl_->handlers.end()) {
      static const pm::Histogram::BucketBoundaries kBuckets = {
          0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
      it = impl_->handlers.emplace(std::string(handler), Impl::PerHandler{}).first;
      it->second.latency = &impl_->latency.Add({{"handler", it->first}}, kBuckets);
    }
    pm::Counter*& slot = it->second.by_status[static_cast<std::size_t>(status)];
    if (slot == nullptr) slot = &impl_->requests.Add({{"handler", it->first}, {"code", std::to_string(status)}});
    counter = slot;
    histogram = it->second.latency;
  }
  counter->Increment();
  histogram->Observe(seconds);
}

void SelfMetrics::cache(bool hit) { (hit ? impl_->cache_hits : impl_->cache_misses).Increment(); }

void SelfMetrics::setCache(std::uint64_t entries, std::uint64_t bytes) {
  impl_->cache_entries.Set(static_cast<double>(entries));
  impl_->cache_bytes.Set(static_cast<double>(bytes));
}

void SelfMetrics::invalidated(std::uint64_t entries) {
  impl_->invalidations.Increment(static_cast<double>(entries));
}

void SelfMetrics::storeRefreshed(std::uint64_t changed_blocks) {
  impl_->refreshes.Increment();
  impl_->changed_blocks.Increment(static_cast<double>(changed_blocks));
}

void SelfMetrics::setStore(double newest_data_end, double now, std::uint64_t hour_blocks,
                           std::uint64_t day_blocks) {
  impl_->newest.Set(newest_data_end);
  impl_->lag.Set(newest_data_end > 0 ? now - newest_data_end : 0);
  impl_->hour_blocks.Set(static_cast<double>(hour_blocks));
  impl_->day_blocks.Set(static_cast<double>(day_blocks));
}

void SelfMetrics::setConnections(std::uint64_t open, std::uint64_t in_flight) {
  impl_->connections.Set(static_cast<double>(open));
  impl_->in_flight.Set(static_cast<double>(in_flight));
}

std::string SelfMetrics::render() const {
  std::ostringstream out;
  pm::TextSerializer().Serialize(out, impl_->registry->Collect());
  return out.str();
}

namespace {

pm::MetricFamily family(std::string name, std::string help) {
  pm::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = pm::MetricType::Gauge;
  return f;
}

void addGauge(pm::MetricFamily& f, std::vector<pm::ClientMetric::Label> labels, double value) {
  pm::ClientMetric m;
  m.label = std::move(labels);
  m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

double perHour(double amount, double hours) { return hours > 0 ? amount / hours : 0; }

}  // namespace

Result<std::string> openCostMetrics(const store::Store& store) {
  auto clusters = store.clusters();
  if (!clusters) return fail(clusters.error());
  auto extent = store.extent();
  if (!extent) return fail(extent.error());
  const bool multi = clusters->size() > 1;
  const store::Dimensions& dims = store.dimensions();

  auto node_cpu = family("node_cpu_hourly_cost", "Hourly cost per vCPU on this node");
  auto node_ram = family("node_ram_hourly_cost", "Hourly cost per GiB of memory on this node");
  auto node_gpu = family("node_gpu_hourly_cost", "Hourly cost per GPU on this node");
  auto node_total = family("node_total_hourly_cost", "Total node cost per hour");
  auto node_gpu_count = family("node_gpu_count", "Number of GPUs on this node");
  auto node_spot = family("kubecost_node_is_spot", "Whether the node is spot/preemptible (1) or not (0)");
  auto pv_cost = family("pv_hourly_cost", "Hourly cost per GiB of a persistent volume");
  auto c_cpu = family("container_cpu_allocation", "Average CPU cores allocated: max(request, usage)");
  auto c_ram = family("container_memory_allocation_bytes", "Average memory bytes allocated: max(request, usage)");
  auto c_gpu = family("container_gpu_allocation", "Average GPUs allocated to the container");
  auto pvc_alloc = family("pod_pvc_allocation", "Bytes of a persistent volume claimed by the pod");
  auto lb_cost = family("kubecost_load_balancer_cost", "Hourly cost of a load balancer");

  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  for (const std::string& cluster : *clusters) {
    auto infos = store.listBlocks(cluster, store::BlockKind::kHour, extent->second - store::kHourSeconds * 2,
                                  extent->second);
    if (!infos) return fail(infos.error());
    if (infos->empty()) continue;
    auto block = store.readBlock(infos->back(), store::ColumnSelection{});
    if (!block) return fail(block.error());
    auto withCluster = [&](std::vector<pm::ClientMetric::Label> labels) {
      if (multi) labels.push_back({"cluster_id", cluster});
      return labels;
    };

    const store::NodeRows& n = block->nodes;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const store::NodeDim& d = dims.node(n.node_id[i]);
      const std::string name(dims.str(d.name));
      auto labels = withCluster({{"instance", name},
                                 {"node", name},
                                 {"instance_type", std::string(dims.str(d.instance_type))},
                                 {"region", std::string(dims.str(d.region))},
                                 {"provider_id", std::string(dims.str(d.provider_id))}});
      addGauge(node_cpu, labels, perHour(n.cpu_cost[i], n.cpu_core_hours[i]));
      addGauge(node_ram, labels, perHour(n.ram_cost[i], n.ram_byte_hours[i] / kGiB));
      addGauge(node_gpu, labels, perHour(n.gpu_cost[i], n.gpu_hours[i]));
      addGauge(node_total, labels, perHour(n.cpu_cost[i] + n.ram_cost[i] + n.gpu_cost[i], n.hours[i]));
      addGauge(node_gpu_count, labels, perHour(n.gpu_hours[i], n.hours[i]));
      addGauge(node_spot, labels, n.spot[i] != 0 ? 1 : 0);
    }
    const store::VolumeRows& v = block->volumes;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const store::VolumeDim& d = dims.volume(v.volume_id[i]);
      const std::string name(dims.str(d.name));
      addGauge(pv_cost,
               withCluster({{"volumename", name},
                            {"persistentvolume", name},
                            {"provider_id", std::string(dims.str(d.provider_id))}}),
               perHour(v.cost[i], v.byte_hours[i] / kGiB));
    }
    const store::ContainerRows& c = block->containers;
    for (std::size_t i = 0; i < c.size(); ++i) {
      const double hours = c.running_seconds[i] / 3600.0;
      if (hours <= 0) continue;
      const store::ContainerDim& d = dims.container(c.container_id[i]);
      const std::string node(dims.str(d.node));
      auto labels = withCluster({{"namespace", std::string(dims.str(d.namespace_name))},
                                 {"pod", std::string(dims.str(d.pod))},
                                 {"container", std::string(dims.str(d.container))},
                                 {"instance", node},
                                 {"node", node}});
      addGauge(c_cpu, labels, c.cpu_core_hours[i] / hours);
      addGauge(c_ram, labels, c.ram_byte_hours[i] / hours);
      if (c.gpu_hours[i] > 0) addGauge(c_gpu, labels, c.gpu_hours[i] / hours);
    }
    // Claimed bytes per (pod, claim): the share's byte-hours over the hour it accrued in.
    std::map<std::vector<std::string>, double> claims;
    const store::ShareRows& s = block->volume_shares;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s.container_id[i] == store::kNoContainer) continue;
      const store::ContainerDim& cd = dims.container(s.container_id[i]);
      const store::VolumeDim& vd = dims.volume(s.asset_id[i]);
      const double hours = static_cast<double>(s.end[i] - s.start[i]) / 3600.0;
      if (hours <= 0) continue;
      claims[{std::string(dims.str(cd.namespace_name)), std::string(dims.str(cd.pod)),
              std::string(dims.str(vd.claim_name)), std::string(dims.str(vd.name))}] += s.hours[i] / hours;
    }
    for (const auto& [k, bytes] : claims) {
      addGauge(pvc_alloc,
               withCluster({{"namespace", k[0]}, {"pod", k[1]}, {"persistentvolumeclaim", k[2]},
                            {"persistentvolume", k[3]}}),
               bytes);
    }
    const store::LoadBalancerRows& l = block->load_balancers;
    for (std::size_t i = 0; i < l.size(); ++i) {
      const store::ServiceDim& d = dims.service(l.service_id[i]);
      addGauge(lb_cost,
               withCluster({{"ingress_ip", std::string(dims.str(d.ip))},
                            {"namespace", std::string(dims.str(d.namespace_name))},
                            {"service_name", std::string(dims.str(d.name))}}),
               perHour(l.cost[i], l.hours[i]));
    }
  }
  std::ostringstream out;
  pm::TextSerializer().Serialize(out, {node_cpu, node_ram, node_gpu, node_total, node_gpu_count, node_spot,
                                       pv_cost, c_cpu, c_ram, c_gpu, pvc_alloc, lb_cost});
  return out.str();
}

}  // namespace trimtab::server
