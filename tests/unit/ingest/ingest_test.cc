// End to end through the real ingest path: a hand-written snapshot (kubectl JSON, OpenMetrics,
// pricing YAML) with exactly known usage, folded into a store, then queried.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "ingest/ingest.h"
#include "query/allocation_reader.h"
#include "query/assets.h"

namespace trimtab::ingest {
namespace {

namespace fs = std::filesystem;

constexpr UnixSeconds kT0 = 1'700'000'000 - 1'700'000'000 % 3600;  // hour-aligned
constexpr double kGiB = 1024.0 * 1024 * 1024;

class SnapshotFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("trimtab-ingest-{}-{}", ::getpid(),
                                                    ::testing::UnitTest::GetInstance()->random_seed() + counter_++);
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "snap");
    write("snap/nodes.json", R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[
      {"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","uid":"u-n1","creationTimestamp":"2023-01-01T00:00:00Z",
        "labels":{"node.kubernetes.io/instance-type":"m5.xlarge","topology.kubernetes.io/region":"us-east-1"}},
       "spec":{"providerID":"aws:///us-east-1a/i-1"},
       "status":{"capacity":{"cpu":"4","memory":"16Gi","pods":"58"},"allocatable":{"cpu":"3920m","memory":"15Gi","pods":"58"},
                 "conditions":[{"type":"Ready","status":"True"}]}}]})");
    write("snap/pods.json", R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[
      {"apiVersion":"v1","kind":"Pod","metadata":{"name":"api-1","namespace":"shop","uid":"p1","creationTimestamp":"2023-01-01T00:00:00Z",
        "labels":{"app":"api","team":"web"},
        "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"api-5d8","uid":"rs1","controller":true}]},
       "spec":{"nodeName":"n1","containers":[{"name":"a","image":"x","resources":{"requests":{"cpu":"1","memory":"1Gi"}}}]},
       "status":{"phase":"Running"}},
      {"apiVersion":"v1","kind":"Pod","metadata":{"name":"batch-1","namespace":"data","uid":"p2","creationTimestamp":"2023-01-01T00:00:00Z",
        "labels":{"app":"batch"}},
       "spec":{"nodeName":"n1","containers":[{"name":"b","image":"x","resources":{"requests":{"cpu":"500m"}}}]},
       "status":{"phase":"Running"}}]})");
    write("snap/rs.json", R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"api-5d8","namespace":"shop","uid":"rs1",
       "ownerReferences":[{"apiVersion":"apps/v1","kind":"Deployment","name":"api","uid":"d1","controller":true}]},
       "spec":{"replicas":1,"selector":{"matchLabels":{"app":"api"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":{"containers":[]}}}})");
    write("snap/pricing.yaml", R"(version: 1
rules:
  - name: fixed
    match:
      nodeName: "n1"
    cpuPerCoreHour: 0.03
    ramPerGiBHour: 0.004
)");
    // One hour at a 60 s scrape interval. Container a: request 1 core / 1 GiB, uses 0.5 core and
    // 0.5 GiB. Container b: request 0.5 core, no memory request, uses 1 core and 2 GiB.
    std::string om;
    om += "# TYPE kube_pod_container_status_running gauge\n";
    for (const char* s : {R"(namespace="shop",pod="api-1",container="a")", R"(namespace="data",pod="batch-1",container="b")"}) {
      for (int k = 1; k <= 60; ++k) om += fmt::format("kube_pod_container_status_running{{{}}} 1 {}\n", s, kT0 + 60 * k);
    }
    om += "# TYPE kube_pod_container_resource_requests gauge\n";
    for (int k = 1; k <= 60; ++k) {
      om += fmt::format("kube_pod_container_resource_requests{{namespace=\"shop\",pod=\"api-1\",container=\"a\",node=\"n1\",resource=\"cpu\",unit=\"core\"}} 1 {}\n", kT0 + 60 * k);
    }
    for (int k = 1; k <= 60; ++k) {
      om += fmt::format("kube_pod_container_resource_requests{{namespace=\"shop\",pod=\"api-1\",container=\"a\",node=\"n1\",resource=\"memory\",unit=\"byte\"}} {} {}\n", kGiB, kT0 + 60 * k);
    }
    for (int k = 1; k <= 60; ++k) {
      om += fmt::format("kube_pod_container_resource_requests{{namespace=\"data\",pod=\"batch-1\",container=\"b\",node=\"n1\",resource=\"cpu\",unit=\"core\"}} 0.5 {}\n", kT0 + 60 * k);
    }
    om += "# TYPE kube_node_status_capacity gauge\n";
    for (int k = 1; k <= 60; ++k) om += fmt::format("kube_node_status_capacity{{node=\"n1\",resource=\"cpu\",unit=\"core\"}} 4 {}\n", kT0 + 60 * k);
    for (int k = 1; k <= 60; ++k) om += fmt::format("kube_node_status_capacity{{node=\"n1\",resource=\"memory\",unit=\"byte\"}} {} {}\n", 16 * kGiB, kT0 + 60 * k);
    om += "# TYPE container_cpu_usage_seconds counter\n";
    for (int k = 0; k <= 60; ++k) om += fmt::format("container_cpu_usage_seconds_total{{namespace=\"shop\",pod=\"api-1\",container=\"a\"}} {} {}\n", 1000 + 30.0 * k, kT0 + 60 * k);
    for (int k = 0; k <= 60; ++k) om += fmt::format("container_cpu_usage_seconds_total{{namespace=\"data\",pod=\"batch-1\",container=\"b\"}} {} {}\n", 60.0 * k, kT0 + 60 * k);
    om += "# TYPE container_memory_working_set_bytes gauge\n";
    for (int k = 1; k <= 60; ++k) om += fmt::format("container_memory_working_set_bytes{{namespace=\"shop\",pod=\"api-1\",container=\"a\"}} {} {}\n", kGiB / 2, kT0 + 60 * k);
    for (int k = 1; k <= 60; ++k) om += fmt::format("container_memory_working_set_bytes{{namespace=\"data\",pod=\"batch-1\",container=\"b\"}} {} {}\n", 2 * kGiB, kT0 + 60 * k);
    om += "# EOF\n";
    write("snap/usage.om", om);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& rel, const std::string& content) {
    std::ofstream(dir_ / rel) << content;
  }
  std::string path(const std::string& rel) const { return (dir_ / rel).string(); }

  std::unique_ptr<store::Store> openStore() {
    auto s = store::openSqliteStore(path("store.db"), store::OpenMode::kReadWrite);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }

  fs::path dir_;
  static inline int counter_ = 0;
};

query::AllocationRequest namespaceQuery() {
  query::AllocationRequest req;
  req.window = cost::Window{kT0, kT0 + 3600};
  req.query.aggregate = {"namespace"};
  req.query.include_idle = true;
  return req;
}

const cost::Allocation* find(const cost::AllocationSet& set, std::string_view name) {
  for (const auto& a : set.allocations) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

TEST_F(SnapshotFixture, FoldsMaxOfRequestAndUsageAndPricesWithTheNodeRates) {
  auto store = openStore();
  IngestOptions options;
  options.cluster = "c1";
  auto report = ingestSnapshot(path("snap"), *store, options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->hour_blocks, 1u);
  EXPECT_EQ(report->fold.scrape_interval_ms, 60'000);

  auto sets = query::runAllocation(*store, namespaceQuery());
  ASSERT_TRUE(sets) << sets.error().message;
  ASSERT_EQ(sets->size(), 1u);
  const cost::AllocationSet& set = (*sets)[0];
  const cost::Allocation* shop = find(set, "shop");
  const cost::Allocation* data = find(set, "data");
  const cost::Allocation* idle = find(set, "__idle__");
  ASSERT_TRUE(shop && data && idle);
  // shop/a: max(1 core request, 0.5 usage) = 1 core-hour; max(1 GiB, 0.5 GiB) = 1 GiB-hour.
  EXPECT_NEAR(shop->cpu_core_hours, 1.0, 1e-9);
  EXPECT_NEAR(shop->cpu_core_usage_average, 0.5, 1e-9);
  EXPECT_NEAR(shop->cpuEfficiency(), 0.5, 1e-9);
  EXPECT_NEAR(shop->ram_byte_hours, kGiB, 1e-3);
  EXPECT_NEAR(shop->cpu_cost, 0.03, 1e-12);
  EXPECT_NEAR(shop->ram_cost, 0.004, 1e-12);
  // data/b: request 0.5 core but uses 1 core -> 1 core-hour; no memory request, 2 GiB used.
  EXPECT_NEAR(data->cpu_core_hours, 1.0, 1e-9);
  EXPECT_NEAR(data->cpu_core_request_average, 0.5, 1e-9);
  EXPECT_NEAR(data->cpuEfficiency(), 2.0, 1e-9);
  EXPECT_NEAR(data->ram_byte_hours, 2 * kGiB, 1e-3);
  EXPECT_NEAR(data->totalCost(), 0.03 + 0.008, 1e-12);
  EXPECT_DOUBLE_EQ(data->minutes(), 60.0);
  // Node: 4 cores × $0.03 + 16 GiB × $0.004 for one hour; idle is what the containers left.
  EXPECT_NEAR(idle->cpu_cost, 4 * 0.03 - 2 * 0.03, 1e-12);
  EXPECT_NEAR(idle->ram_cost, 16 * 0.004 - 3 * 0.004, 1e-12);
  double total = 0;
  for (const auto& a : set.allocations) total += a.totalCost();
  EXPECT_NEAR(total, 4 * 0.03 + 16 * 0.004, 1e-12);

  // Controller resolution Pod -> ReplicaSet -> Deployment reaches the store.
  query::AllocationRequest by_controller = namespaceQuery();
  by_controller.query.aggregate = {"controller"};
  by_controller.query.include_idle = false;
  auto controllers = query::runAllocation(*store, by_controller);
  ASSERT_TRUE(controllers) << controllers.error().message;
  EXPECT_NE(find((*controllers)[0], "deployment:api"), nullptr);

  auto assets = query::loadAssets(*store, cost::Window{kT0, kT0 + 3600}, "");
  ASSERT_TRUE(assets);
  ASSERT_EQ(assets->assets.size(), 1u);
  EXPECT_EQ(assets->assets[0].price_source, "custom:rules[0]");
  EXPECT_NEAR(assets->assets[0].total_cost, 0.184, 1e-12);
}

TEST_F(SnapshotFixture, ReingestIsIdempotent) {
  auto store = openStore();
  IngestOptions options;
  auto first = ingestSnapshot(path("snap"), *store, options);
  ASSERT_TRUE(first) << first.error().message;
  const auto dims_before = store->dimensions().mark();
  auto second = ingestSnapshot(path("snap"), *store, options);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->commit.hour_blocks_written, 0u);
  EXPECT_EQ(second->commit.hour_blocks_unchanged, first->commit.hour_blocks_written);
  EXPECT_EQ(second->commit.bytes_written, 0u);
  EXPECT_TRUE(store->dimensions().mark() == dims_before);
}

TEST_F(SnapshotFixture, BadOpenMetricsLineIsReportedAndStoreKeepsItsContent) {
  auto store = openStore();
  ASSERT_TRUE(ingestSnapshot(path("snap"), *store, IngestOptions{}));
  auto before = query::runAllocation(*store, namespaceQuery());
  ASSERT_TRUE(before);
  write("snap/broken.om", "# TYPE container_memory_working_set_bytes gauge\n"
                          "container_memory_working_set_bytes{namespace=\"x\" 5 1700000000\n# EOF\n");
  auto r = ingestSnapshot(path("snap"), *store, IngestOptions{});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("broken.om:2"), std::string::npos) << r.error().message;
  auto after = query::runAllocation(*store, namespaceQuery());
  ASSERT_TRUE(after);
  EXPECT_DOUBLE_EQ(find((*after)[0], "shop")->totalCost(), find((*before)[0], "shop")->totalCost());
}

TEST_F(SnapshotFixture, BadQuantityInPodJsonNamesFileObjectAndField) {
  write("snap/pods.json", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"bad","namespace":"shop","uid":"p9"},
      "spec":{"containers":[{"name":"web","resources":{"requests":{"cpu":"12x"}}}]}})");
  auto store = openStore();
  auto r = ingestSnapshot(path("snap"), *store, IngestOptions{});
  ASSERT_FALSE(r);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("pods.json"), std::string::npos) << m;
  EXPECT_NE(m.find("shop/bad"), std::string::npos) << m;
  EXPECT_NE(m.find("resources.requests.cpu"), std::string::npos) << m;
  EXPECT_NE(m.find("12x"), std::string::npos) << m;
}

}  // namespace
}  // namespace trimtab::ingest
