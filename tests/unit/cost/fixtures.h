// Canonical OpenCost test fixture (shared/reference/opencost-semantics.md §9.1,
// GenerateMockAllocationSetClusterIdle / GenerateMockAllocationSetNodeIdle): 1-day window,
// every container costs 1 in CPU, RAM, GPU, PV, network and LB except
// cluster1/namespace1/pod1/container1 with RAM 11. Assets make idle cluster1 CPU 5 RAM 15,
// cluster2 CPU 5 RAM 5 (GPU 0), and per node: cluster1 has one node "c1nodes" (idle 20),
// cluster2 has node1 (pod-mno), node2 (pod-pqr, pod-stu), node3 (pod-vwx), idle 10/3 each.
#pragma once

#include <string>
#include <vector>

#include "cost/aggregate.h"

namespace trimtab::cost::testing {

inline constexpr double kDayStart = 1704067200;  // 2024-01-01T00:00:00Z
inline constexpr double kDayEnd = kDayStart + 86400;

struct ContainerSpec {
  std::string cluster, node, ns, pod, container;
  std::string controller_kind, controller;
  StringMap labels, annotations;
  std::vector<std::string> services;
  double ram_cost = 1;
};

inline Allocation makeContainer(const ContainerSpec& s) {
  Allocation a;
  a.properties.cluster = s.cluster;
  a.properties.node = s.node;
  a.properties.namespace_name = s.ns;
  a.properties.pod = s.pod;
  a.properties.container = s.container;
  a.properties.controller_kind = s.controller_kind;
  a.properties.controller = s.controller;
  a.properties.labels = s.labels;
  a.properties.annotations = s.annotations;
  a.properties.services = s.services;
  a.properties.provider_id = s.node + "-id";
  a.name = containerGrainName(a.properties);
  a.window_start = a.start = kDayStart;
  a.window_end = a.end = kDayEnd;
  a.cpu_core_hours = 24;  // 1 core at $1/24 per core-hour → $1
  a.cpu_core_request_average = 1;
  a.cpu_core_usage_average = 0.5;
  a.cpu_cost = 1;
  a.gpu_hours = 24;
  a.gpu_request_average = 1;
  a.gpu_cost = 1;
  a.ram_byte_hours = 24.0 * 1073741824.0 * s.ram_cost;
  a.ram_byte_request_average = 1073741824.0 * s.ram_cost;
  a.ram_byte_usage_average = 0.5 * 1073741824.0 * s.ram_cost;
  a.ram_cost = s.ram_cost;
  a.pvs["cluster=" + s.cluster + ":name=pv-" + s.pod] = PvAllocation{24.0 * 1e9, 1, ""};
  a.network_cost = 1;
  a.load_balancer_cost = 1;
  return a;
}

inline AllocationSet clusterIdleFixture() {
  AllocationSet set;
  set.window_start = kDayStart;
  set.window_end = kDayEnd;
  auto add = [&](ContainerSpec s) { set.allocations.push_back(makeContainer(s)); };
  StringMap app1{{"app", "app1"}, {"env", "env1"}};
  StringMap app2env2{{"app", "app2"}, {"env", "env2"}};
  StringMap app2{{"app", "app2"}};
  add({"cluster1", "c1nodes", "namespace1", "pod1", "container1", "", "", app1, {}, {}, 11});
  add({"cluster1", "c1nodes", "namespace1", "pod-abc", "container2", "deployment", "deployment1",
       {}, {}, {}, 1});
  add({"cluster1", "c1nodes", "namespace1", "pod-def", "container3", "deployment", "deployment1",
       {}, {}, {}, 1});
  add({"cluster1", "c1nodes", "namespace2", "pod-ghi", "container4", "deployment", "deployment2",
       app2env2, {}, {}, 1});
  add({"cluster1", "c1nodes", "namespace2", "pod-ghi", "container5", "deployment", "deployment2",
       app2env2, {}, {}, 1});
  add({"cluster1", "c1nodes", "namespace2", "pod-jkl", "container6", "daemonset", "daemonset1",
       {}, {}, {"service1"}, 1});
  add({"cluster2", "node1", "namespace2", "pod-mno", "container4", "deployment", "deployment2",
       app2, {}, {}, 1});
  add({"cluster2", "node1", "namespace2", "pod-mno", "container5", "deployment", "deployment2",
       app2, {}, {}, 1});
  add({"cluster2", "node2", "namespace2", "pod-pqr", "container6", "daemonset", "daemonset1", {},
       {}, {"service1"}, 1});
  add({"cluster2", "node2", "namespace3", "pod-stu", "container7", "deployment", "deployment3",
       {}, {{"team", "team1"}}, {}, 1});
  add({"cluster2", "node3", "namespace3", "pod-vwx", "container8", "statefulset", "statefulset1",
       {}, {{"team", "team2"}}, {}, 1});
  add({"cluster2", "node3", "namespace3", "pod-vwx", "container9", "statefulset", "statefulset1",
       {}, {{"team", "team1"}}, {}, 1});
  return set;
}

inline AssetCosts clusterIdleAssets() {
  AssetCosts a;
  // cluster1: allocations CPU 6, RAM 16, GPU 6 → idle CPU 5, RAM 15.
  a.nodes.push_back({"cluster1", "c1nodes", "c1nodes-id", 11, 31, 6, 11 * 24, 31 * 24, 6 * 24});
  // cluster2: each node runs 2 containers (CPU 2, RAM 2, GPU 2) → idle 5/3 + 5/3 per node.
  for (const char* n : {"node1", "node2", "node3"}) {
    a.nodes.push_back({"cluster2", n, std::string(n) + "-id", 2 + 5.0 / 3, 2 + 5.0 / 3, 2, 0, 0,
                       0});
  }
  return a;
}

}  // namespace trimtab::cost::testing
