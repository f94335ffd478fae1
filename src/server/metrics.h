// /metrics: the series OpenCost emits, with OpenCost's names and labels, so existing OpenCost
// Grafana dashboards work against Trimtab unchanged; plus trimtab_* self-metrics.
//
// OpenCost series (values from each cluster's newest hour block in the store):
//   node_cpu_hourly_cost, node_ram_hourly_cost, node_gpu_hourly_cost   $ per core-hour,
//       per GiB-hour, per GPU-hour {instance, node, instance_type, region, provider_id}
//   node_total_hourly_cost, node_gpu_count, kubecost_node_is_spot      same labels
//   pv_hourly_cost                     $ per GiB-hour {volumename, persistentvolume, provider_id}
//   container_cpu_allocation           cores, time-average max(request, usage)
//   container_memory_allocation_bytes  bytes, same
//   container_gpu_allocation           GPUs {namespace, pod, container, instance, node}
//   pod_pvc_allocation                 bytes {namespace, pod, persistentvolumeclaim, persistentvolume}
//   kubecost_load_balancer_cost        $ per hour {ingress_ip, namespace, service_name}
// A `cluster_id` label is added when the store holds more than one cluster.
#pragma once

#include <memory>
#include <string>

#include "model/clock.h"
#include "store/store.h"

namespace trimtab::server {

class SelfMetrics {
 public:
  SelfMetrics();
  ~SelfMetrics();

  void request(std::string_view handler, int status, double seconds);
  void cache(bool hit);
  void setCache(std::uint64_t entries, std::uint64_t bytes);
  void invalidated(std::uint64_t entries);
  void storeRefreshed(std::uint64_t changed_blocks);
  void setStore(double newest_data_end, double now, std::uint64_t hour_blocks, std::uint64_t day_blocks);
  void setConnections(std::uint64_t open, std::uint64_t in_flight);

  // Prometheus text format 0.0.4.
  std::string render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The OpenCost series for the newest hour of every cluster (text format 0.0.4).
// Thread-safe with other store reads.
Result<std::string> openCostMetrics(const store::Store& store);

}  // namespace trimtab::server
