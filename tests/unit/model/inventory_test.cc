#include "model/inventory.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "model/decode.h"

namespace trimtab::model {
namespace {

ObjectSet loadAll() {
  ObjectSet all;
  for (const char* name : {"pods.json", "nodes.json", "cluster.json"}) {
    std::ifstream in(std::string(TRIMTAB_SOURCE_DIR) + "/tests/data/model/" + name,
                     std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto r = decodeObjects(ss.str(), name);
    EXPECT_TRUE(r) << r.error().message;
    if (r) all.merge(std::move(r->objects));
  }
  return all;
}

const Pod& podNamed(const Inventory& inv, std::string_view name) {
  for (const Pod& p : inv.objects().pods) {
    if (p.meta.name == name) return p;
  }
  ADD_FAILURE() << "no pod " << name;
  return inv.objects().pods.front();
}

TEST(ModelInventoryTest, ControllerResolution) {
  Inventory inv = Inventory::build(loadAll());
  EXPECT_EQ(inv.controllerOf(podNamed(inv, "api-7f9d8c6b5-x2k4p")),
            (ControllerRef{"deployment", "api"}));
  EXPECT_EQ(inv.controllerOf(podNamed(inv, "report-28391234-abcde")),
            (ControllerRef{"cronjob", "report"}));
  EXPECT_EQ(inv.controllerOf(podNamed(inv, "train-0")), (ControllerRef{"statefulset", "train"}));
  EXPECT_EQ(inv.controllerOf(podNamed(inv, "notebook")), (ControllerRef{"", ""}));
  // The ReplicaSet object is not in the inventory: no guessing from the name.
  EXPECT_EQ(inv.controllerOf(podNamed(inv, "legacy-5d4f8b9c7-q8w7e")),
            (ControllerRef{"replicaset", "legacy-5d4f8b9c7"}));
}

TEST(ModelInventoryTest, ControllerResolutionWithoutParents) {
  ObjectSet set;
  Pod job_pod;
  job_pod.meta.name = "j-abc";
  job_pod.meta.namespace_name = "n";
  job_pod.meta.owner_references = {{"batch/v1", "Job", "j", "", true}};
  Pod ds_pod = job_pod;
  ds_pod.meta.owner_references = {{"apps/v1", "DaemonSet", "fluent", "", true}};
  Pod custom = job_pod;
  custom.meta.owner_references = {{"argoproj.io/v1alpha1", "Rollout", "r", "", false}};
  set.pods = {job_pod, ds_pod, custom};
  Workload rs;  // a ReplicaSet without owner
  rs.kind = WorkloadKind::kReplicaSet;
  rs.meta.name = "bare-rs";
  rs.meta.namespace_name = "n";
  set.workloads.push_back(rs);
  Pod rs_pod = job_pod;
  rs_pod.meta.owner_references = {{"apps/v1", "ReplicaSet", "bare-rs", "", true}};
  set.pods.push_back(rs_pod);
  Inventory inv = Inventory::build(std::move(set));
  EXPECT_EQ(inv.controllerOf(inv.objects().pods[0]), (ControllerRef{"job", "j"}));
  EXPECT_EQ(inv.controllerOf(inv.objects().pods[1]), (ControllerRef{"daemonset", "fluent"}));
  EXPECT_EQ(inv.controllerOf(inv.objects().pods[2]), (ControllerRef{"rollout", "r"}));
  EXPECT_EQ(inv.controllerOf(inv.objects().pods[3]), (ControllerRef{"replicaset", "bare-rs"}));
}

TEST(ModelInventoryTest, PodsOfADeletedCronJobRunBelongToTheCronJob) {
  ObjectSet set;
  Workload cron;
  cron.kind = WorkloadKind::kCronJob;
  cron.meta.name = "etl";
  cron.meta.namespace_name = "data";
  set.workloads.push_back(cron);
  Pod gone;  // its Job etl-29924745 was deleted by the CronJob's history limit
  gone.meta.name = "etl-29924745-x7k2p";
  gone.meta.namespace_name = "data";
  gone.meta.owner_references = {{"batch/v1", "Job", "etl-29924745", "", true}};
  Pod other = gone;  // a Job whose name only looks like it: no CronJob "etl" in "web"
  other.meta.namespace_name = "web";
  Pod manual = gone;  // a hand-made Job "etl-backfill": not a scheduled run
  manual.meta.owner_references = {{"batch/v1", "Job", "etl-backfill", "", true}};
  set.pods = {gone, other, manual};
  Inventory inv = Inventory::build(std::move(set));
  EXPECT_EQ(inv.controllerOf(inv.objects().pods[0]), (ControllerRef{"cronjob", "etl"}));
  EXPECT_EQ(inv.controllerOf(inv.objects().pods[1]), (ControllerRef{"job", "etl-29924745"}));
  EXPECT_EQ(inv.controllerOf(inv.objects().pods[2]), (ControllerRef{"job", "etl-backfill"}));
}

TEST(ModelInventoryTest, ServicesOf) {
  Inventory inv = Inventory::build(loadAll());
  const std::vector<std::string> want = {"api", "api-internal"};
  EXPECT_EQ(inv.servicesOf(podNamed(inv, "api-7f9d8c6b5-x2k4p")), want);
  EXPECT_TRUE(inv.servicesOf(podNamed(inv, "legacy-5d4f8b9c7-q8w7e")).empty());
  EXPECT_TRUE(inv.servicesOf(podNamed(inv, "train-0")).empty());
}

TEST(ModelInventoryTest, Lookups) {
  Inventory inv = Inventory::build(loadAll());
  ASSERT_NE(inv.node("gpu-node-1"), nullptr);
  EXPECT_EQ(inv.node("gpu-node-1")->capacity.gpus, 8);
  EXPECT_EQ(inv.node("nope"), nullptr);
  ASSERT_NE(inv.namespaceOf("shop"), nullptr);
  EXPECT_EQ(inv.namespaceOf("batch"), nullptr);
  ASSERT_NE(inv.pvc("shop", "api-data"), nullptr);
  EXPECT_EQ(inv.pvc("shop", "api-data")->volume_name, "pvc-1111");
  EXPECT_EQ(inv.pvc("other", "api-data"), nullptr);
  ASSERT_NE(inv.pv("pvc-1111"), nullptr);
  EXPECT_EQ(inv.pv("pvc-1111")->capacity_bytes, 100LL << 30);
  ASSERT_NE(inv.workload(WorkloadKind::kDeployment, "shop", "api"), nullptr);
  EXPECT_EQ(inv.workload(WorkloadKind::kStatefulSet, "shop", "api"), nullptr);

  // Pointers survive moving the inventory.
  const Node* before = inv.node("gpu-node-1");
  Inventory moved = std::move(inv);
  EXPECT_EQ(moved.node("gpu-node-1"), before);
}

TEST(ModelInventoryTest, LabelInterning) {
  Inventory inv = Inventory::build(loadAll());
  const StringMap a = {{"app", "api"}, {"team", "checkout"}};
  const StringMap b = {{"app", "api"}, {"team", "checkout"}};
  const StringMap c = {{"app", "api"}};
  const LabelSetId ia = inv.internLabels(a);
  EXPECT_EQ(inv.internLabels(b), ia);
  EXPECT_NE(inv.internLabels(c), ia);
  EXPECT_EQ(inv.internLabels(StringMap{}), inv.internLabels(StringMap{}));
  const auto& set = inv.labelSet(ia);
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(inv.strings().at(set[0].first), "app");
  EXPECT_EQ(inv.strings().at(set[1].second), "checkout");
  // Pods' labels were interned by build().
  const auto& pods = inv.objects().pods;
  for (std::size_t i = 0; i < pods.size(); ++i) {
    EXPECT_EQ(inv.podLabels(i), inv.internLabels(pods[i].meta.labels));
  }
}

TEST(ModelDictionaryTest, InternFindAt) {
  Dictionary d;
  const std::uint32_t a = d.intern("alpha");
  const std::uint32_t b = d.intern("beta");
  EXPECT_EQ(d.intern("alpha"), a);
  EXPECT_NE(a, b);
  EXPECT_EQ(d.at(b), "beta");
  EXPECT_EQ(d.find("beta"), b);
  EXPECT_FALSE(d.find("gamma").has_value());
  const std::uint32_t e = d.intern("");
  EXPECT_EQ(d.at(e), "");
  EXPECT_EQ(d.intern(""), e);
  // Views stay valid while many strings (and large ones) are added, and across a move.
  std::string_view alpha = d.at(a);
  const std::string big(100000, 'x');
  const std::uint32_t big_id = d.intern(big);
  for (int i = 0; i < 20000; ++i) d.intern("label-value-" + std::to_string(i));
  EXPECT_EQ(alpha, "alpha");
  EXPECT_EQ(d.at(big_id), big);
  Dictionary moved = std::move(d);
  EXPECT_EQ(alpha.data(), moved.at(a).data());
  EXPECT_EQ(moved.size(), 20004u);
  EXPECT_EQ(moved.at(moved.intern("label-value-123")), "label-value-123");
}

}  // namespace
}  // namespace trimtab::model
