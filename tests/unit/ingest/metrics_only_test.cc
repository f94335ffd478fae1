// Metrics alone (remote-write, PromQL backfill) qualify containers as objects would: a
// ReplicaSet's pods belong to its Deployment (kube_replicaset_owner), a Job's to its CronJob
// (kube_job_owner, or the Job's name when the Job is gone and kube_cronjob_info names the
// CronJob), and nodes are priced from their instance-type label as kube-state-metrics spells it.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "ingest/folder.h"
#include "pricing/catalog.h"
#include "pricing/pricer.h"
#include "source/snapshot/openmetrics.h"
#include "store/dimensions.h"

namespace trimtab::ingest {
namespace {

constexpr const char* kMetrics = R"(# TYPE kube_pod_container_status_running gauge
kube_pod_container_status_running{namespace="shop",pod="web-7d4-x",container="app"} 1 1767225600
kube_pod_container_status_running{namespace="shop",pod="web-7d4-x",container="app"} 1 1767225660
kube_pod_container_status_running{namespace="etl",pod="nightly-29000000-a",container="job"} 1 1767225600
kube_pod_container_status_running{namespace="etl",pod="nightly-29000000-a",container="job"} 1 1767225660
kube_pod_container_status_running{namespace="etl",pod="weekly-29000001-b",container="job"} 1 1767225600
kube_pod_container_status_running{namespace="etl",pod="weekly-29000001-b",container="job"} 1 1767225660
kube_pod_container_status_running{namespace="etl",pod="adhoc-c",container="job"} 1 1767225600
kube_pod_container_status_running{namespace="etl",pod="adhoc-c",container="job"} 1 1767225660
# TYPE kube_pod_info gauge
kube_pod_info{namespace="shop",pod="web-7d4-x",uid="u1",node="n1"} 1 1767225600
kube_pod_info{namespace="etl",pod="nightly-29000000-a",uid="u2",node="n1"} 1 1767225600
kube_pod_info{namespace="etl",pod="weekly-29000001-b",uid="u3",node="n1"} 1 1767225600
kube_pod_info{namespace="etl",pod="adhoc-c",uid="u4",node="n1"} 1 1767225600
# TYPE kube_pod_owner gauge
kube_pod_owner{namespace="shop",pod="web-7d4-x",owner_kind="ReplicaSet",owner_name="web-7d4",owner_is_controller="true"} 1 1767225600
kube_pod_owner{namespace="etl",pod="nightly-29000000-a",owner_kind="Job",owner_name="nightly-29000000",owner_is_controller="true"} 1 1767225600
kube_pod_owner{namespace="etl",pod="weekly-29000001-b",owner_kind="Job",owner_name="weekly-29000001",owner_is_controller="true"} 1 1767225600
kube_pod_owner{namespace="etl",pod="adhoc-c",owner_kind="Job",owner_name="adhoc",owner_is_controller="true"} 1 1767225600
# TYPE kube_replicaset_owner gauge
kube_replicaset_owner{namespace="shop",replicaset="web-7d4",owner_kind="Deployment",owner_name="web",owner_is_controller="true"} 1 1767225600
# TYPE kube_job_owner gauge
kube_job_owner{namespace="etl",job_name="nightly-29000000",owner_kind="CronJob",owner_name="nightly",owner_is_controller="true"} 1 1767225600
kube_job_owner{namespace="etl",job_name="adhoc",owner_kind="<none>",owner_name="<none>",owner_is_controller="<none>"} 1 1767225600
# TYPE kube_cronjob_info gauge
kube_cronjob_info{namespace="etl",cronjob="weekly"} 1 1767225600
# TYPE kube_node_info gauge
kube_node_info{node="n1",provider_id="aws:///us-east-1a/i-0abc"} 1 1767225600
# TYPE kube_node_labels gauge
kube_node_labels{node="n1",label_node_kubernetes_io_instance_type="m5.2xlarge",label_topology_kubernetes_io_region="us-east-1"} 1 1767225600
# TYPE kube_node_status_capacity gauge
kube_node_status_capacity{node="n1",resource="cpu",unit="core"} 8 1767225600
kube_node_status_capacity{node="n1",resource="cpu",unit="core"} 8 1767225660
kube_node_status_capacity{node="n1",resource="memory",unit="byte"} 34359738368 1767225600
# EOF
)";

TEST(MetricsOnly, ControllersAndNodePricesComeFromKubeStateMetrics) {
  const pricing::Pricer pricer(pricing::Catalog::builtin(), std::nullopt);
  Folder folder("c", nullptr, pricer);
  ASSERT_TRUE(source::parseOpenMetrics(kMetrics, "m.om", folder.inventorySink()));
  folder.finishInventory();
  ASSERT_TRUE(source::parseOpenMetrics(kMetrics, "m.om", folder.usageSink()));
  store::Dimensions dims;
  const auto blocks = folder.buildBlocks(dims);
  ASSERT_FALSE(blocks.empty());
  std::map<std::string, std::string> controller_of;
  std::string price_source;
  for (const auto& b : blocks) {
    for (std::size_t i = 0; i < b.containers.size(); ++i) {
      const store::ContainerDim& d = dims.container(b.containers.container_id[i]);
      controller_of[std::string(dims.str(d.pod))] =
          std::string(dims.str(d.controller_kind)) + ":" + std::string(dims.str(d.controller));
    }
    for (std::size_t i = 0; i < b.nodes.price_source.size(); ++i) price_source = dims.str(b.nodes.price_source[i]);
  }
  EXPECT_EQ(controller_of["web-7d4-x"], "deployment:web");
  EXPECT_EQ(controller_of["nightly-29000000-a"], "cronjob:nightly");
  EXPECT_EQ(controller_of["weekly-29000001-b"], "cronjob:weekly") << "Job gone, CronJob known by name";
  EXPECT_EQ(controller_of["adhoc-c"], "job:adhoc") << "a Job without owner stays a Job";
  EXPECT_EQ(price_source.rfind("catalog:aws:m5.2xlarge:us-east-1", 0), 0u) << price_source;
}

}  // namespace
}  // namespace trimtab::ingest
