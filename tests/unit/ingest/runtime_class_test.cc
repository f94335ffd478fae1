// WebAssembly workloads through the real ingest path: the runtime class comes from the Pod
// object or, without objects, from kube_pod_runtimeclass_name_info; a WASM container with no
// usage series is reported on its requests (usageSource "requests"), others keep measured usage.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ingest/ingest.h"
#include "query/allocation_reader.h"

namespace trimtab::ingest {
namespace {

namespace fs = std::filesystem;

constexpr UnixSeconds kT0 = 1'700'000'000 - 1'700'000'000 % 3600;  // hour-aligned
constexpr double kMiB = 1024.0 * 1024;

struct PodSpec {
  const char* ns;
  const char* pod;
  const char* uid;
  const char* container;
  const char* runtime_class;  // "" = none
  const char* annotations;    // JSON object body, e.g. R"("k":"v")"
  double cpu_request_cores, ram_request_bytes;
  bool reports_usage;  // cAdvisor series present
  double cpu_usage_cores, ram_usage_bytes;
};

const PodSpec kPods[] = {
    {"edge", "fn-1", "u1", "fn", "wasmtime-spin-v2", "", 0.1, 128 * kMiB, false, 0, 0},
    {"edge", "fn-2", "u2", "fn", "wasmtime-spin-v2", "", 0.1, 128 * kMiB, true, 0.05, 32 * kMiB},
    {"edge", "crun-1", "u3", "w", "crun", R"("module.wasm.image/variant":"compat")", 0.2, 64 * kMiB,
     false, 0, 0},
    {"shop", "api-1", "u4", "a", "", "", 1, 1024 * kMiB, false, 0, 0},  // not WASM: stays at 0
};

std::string podsJson() {
  std::string items;
  for (const PodSpec& p : kPods) {
    if (!items.empty()) items += ",";
    items += fmt::format(
        R"({{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{}","namespace":"{}","uid":"{}",)"
        R"("creationTimestamp":"2023-01-01T00:00:00Z","annotations":{{{}}}}},)"
        R"("spec":{{"nodeName":"n1",{}"containers":[{{"name":"{}","image":"x",)"
        R"("resources":{{"requests":{{"cpu":"{}m","memory":"{}"}}}}}}]}},"status":{{"phase":"Running"}}}})",
        p.pod, p.ns, p.uid, p.annotations,
        *p.runtime_class ? fmt::format(R"("runtimeClassName":"{}",)", p.runtime_class) : "",
        p.container, static_cast<int>(p.cpu_request_cores * 1000),
        static_cast<long long>(p.ram_request_bytes));
  }
  return R"({"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[)" + items +
         "]}";
}

// One hour at 60 s. with_runtime_series: kube_pod_runtimeclass_name_info (KSM v2) for pods
// that have a runtime class.
std::string metrics(bool with_runtime_series) {
  std::string om;
  auto each = [&](auto&& fn) {
    for (int k = 1; k <= 60; ++k) fn(kT0 + 60 * k);
  };
  om += "# TYPE kube_pod_info gauge\n";
  for (const PodSpec& p : kPods) {
    each([&](UnixSeconds t) {
      om +=
          fmt::format("kube_pod_info{{namespace=\"{}\",pod=\"{}\",uid=\"{}\",node=\"n1\"}} 1 {}\n",
                      p.ns, p.pod, p.uid, t);
    });
  }
  if (with_runtime_series) {
    om += "# TYPE kube_pod_runtimeclass_name_info gauge\n";
    for (const PodSpec& p : kPods) {
      if (!*p.runtime_class) continue;
      each([&](UnixSeconds t) {
        om += fmt::format(
            "kube_pod_runtimeclass_name_info{{namespace=\"{}\",pod=\"{}\",uid=\"{}\","
            "runtimeclass_name=\"{}\"}} 1 {}\n",
            p.ns, p.pod, p.uid, p.runtime_class, t);
      });
    }
  }
  om += "# TYPE kube_pod_container_status_running gauge\n";
  for (const PodSpec& p : kPods) {
    each([&](UnixSeconds t) {
      om += fmt::format(
          "kube_pod_container_status_running{{namespace=\"{}\",pod=\"{}\",container=\"{}\"}} 1 "
          "{}\n",
          p.ns, p.pod, p.container, t);
    });
  }
  om += "# TYPE kube_pod_container_resource_requests gauge\n";
  for (const PodSpec& p : kPods) {
    each([&](UnixSeconds t) {
      om += fmt::format(
          "kube_pod_container_resource_requests{{namespace=\"{}\",pod=\"{}\",container=\"{}\","
          "node=\"n1\",resource=\"cpu\",unit=\"core\"}} {} {}\n",
          p.ns, p.pod, p.container, p.cpu_request_cores, t);
    });
    each([&](UnixSeconds t) {
      om += fmt::format(
          "kube_pod_container_resource_requests{{namespace=\"{}\",pod=\"{}\",container=\"{}\","
          "node=\"n1\",resource=\"memory\",unit=\"byte\"}} {} {}\n",
          p.ns, p.pod, p.container, p.ram_request_bytes, t);
    });
  }
  om += "# TYPE kube_node_status_capacity gauge\n";
  each([&](UnixSeconds t) {
    om += fmt::format(
        "kube_node_status_capacity{{node=\"n1\",resource=\"cpu\",unit=\"core\"}} 4 {}\n", t);
  });
  each([&](UnixSeconds t) {
    om += fmt::format(
        "kube_node_status_capacity{{node=\"n1\",resource=\"memory\",unit=\"byte\"}} {} {}\n",
        16 * 1024 * kMiB, t);
  });
  om += "# TYPE container_cpu_usage_seconds counter\n";
  for (const PodSpec& p : kPods) {
    if (!p.reports_usage) continue;
    for (int k = 0; k <= 60; ++k) {
      om += fmt::format(
          "container_cpu_usage_seconds_total{{namespace=\"{}\",pod=\"{}\",container=\"{}\"}} {} "
          "{}\n",
          p.ns, p.pod, p.container, 60.0 * p.cpu_usage_cores * k, kT0 + 60 * k);
    }
  }
  om += "# TYPE container_memory_working_set_bytes gauge\n";
  for (const PodSpec& p : kPods) {
    if (!p.reports_usage) continue;
    each([&](UnixSeconds t) {
      om += fmt::format(
          "container_memory_working_set_bytes{{namespace=\"{}\",pod=\"{}\",container=\"{}\"}} {} "
          "{}\n",
          p.ns, p.pod, p.container, p.ram_usage_bytes, t);
    });
  }
  om += "# EOF\n";
  return om;
}

class WasmIngest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("trimtab-ingest-wasm-{}-{}", ::getpid(), counter_++);
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "snap");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& content) {
    std::ofstream(dir_ / rel) << content;
  }

  std::unique_ptr<store::Store> ingest() {
    auto s = store::openSqliteStore((dir_ / "store.db").string(), store::OpenMode::kReadWrite);
    EXPECT_TRUE(s) << s.error().message;
    IngestOptions options;
    options.cluster = "c1";
    auto report = ingestSnapshot((dir_ / "snap").string(), **s, options);
    EXPECT_TRUE(report) << report.error().message;
    return std::move(*s);
  }

  static std::vector<cost::AllocationSet> run(const store::Store& store,
                                              std::vector<std::string> aggregate,
                                              const char* filter = nullptr) {
    query::AllocationRequest req;
    req.window = cost::Window{kT0, kT0 + 3600};
    req.query.aggregate = std::move(aggregate);
    if (filter != nullptr) req.query.filter = *cost::parseAllocationFilter(filter);
    auto sets = query::runAllocation(store, req);
    EXPECT_TRUE(sets) << sets.error().message;
    return sets ? *sets : std::vector<cost::AllocationSet>{};
  }

  static const cost::Allocation* find(const std::vector<cost::AllocationSet>& sets,
                                      std::string_view name) {
    if (sets.size() != 1) return nullptr;
    for (const auto& a : sets[0].allocations)
      if (a.name == name) return &a;
    return nullptr;
  }

  fs::path dir_;
  static inline int counter_ = 0;
};

TEST_F(WasmIngest, FromPodObjects) {
  write("snap/pods.json", podsJson());
  write("snap/usage.om", metrics(false));
  auto store = ingest();

  // Container grain: every property, including wasm and the usage source.
  auto grain = run(*store, {});
  const cost::Allocation* fn1 = find(grain, "c1/n1/edge/fn-1/fn");
  const cost::Allocation* fn2 = find(grain, "c1/n1/edge/fn-2/fn");
  const cost::Allocation* crun = find(grain, "c1/n1/edge/crun-1/w");
  const cost::Allocation* api = find(grain, "c1/n1/shop/api-1/a");
  ASSERT_TRUE(fn1 && fn2 && crun && api);
  EXPECT_EQ(fn1->properties.runtime_class, "wasmtime-spin-v2");
  EXPECT_TRUE(fn1->properties.wasm);
  EXPECT_EQ(crun->properties.runtime_class, "crun");
  EXPECT_TRUE(crun->properties.wasm);  // crun + module.wasm.image/variant: compat
  EXPECT_EQ(api->properties.runtime_class, "");
  EXPECT_FALSE(api->properties.wasm);

  // fn-1 reported nothing: usage = requests, efficiency 1, cost = requests.
  EXPECT_EQ(fn1->usage_source, cost::UsageSource::kRequests);
  EXPECT_NEAR(fn1->cpu_core_usage_average, 0.1, 1e-9);
  EXPECT_NEAR(fn1->ram_byte_usage_average, 128 * kMiB, 1e-3);
  EXPECT_NEAR(fn1->cpuEfficiency(), 1.0, 1e-9);
  EXPECT_NEAR(fn1->ramEfficiency(), 1.0, 1e-9);
  EXPECT_NEAR(fn1->cpu_core_hours, 0.1, 1e-9);
  ASSERT_TRUE(fn1->cpu_core_usage_max.has_value());
  EXPECT_NEAR(*fn1->cpu_core_usage_max, 0.1, 1e-9);
  EXPECT_EQ(crun->usage_source, cost::UsageSource::kRequests);
  // fn-2 reported usage: measured, as any container.
  EXPECT_EQ(fn2->usage_source, cost::UsageSource::kMeasured);
  EXPECT_NEAR(fn2->cpu_core_usage_average, 0.05, 1e-9);
  // Not WASM: no usage stays no usage (efficiency 0), cost on requests.
  EXPECT_EQ(api->usage_source, cost::UsageSource::kMeasured);
  EXPECT_DOUBLE_EQ(api->cpu_core_usage_average, 0);
  EXPECT_NEAR(api->cpu_core_hours, 1.0, 1e-9);

  // aggregate=runtimeClass (pre-grouped path: no filter).
  auto by_class = run(*store, {"runtimeClass"});
  const cost::Allocation* spin = find(by_class, "wasmtime-spin-v2");
  const cost::Allocation* crun_class = find(by_class, "crun");
  const cost::Allocation* none = find(by_class, "__unallocated__");
  ASSERT_TRUE(spin && crun_class && none);
  EXPECT_EQ(spin->properties.runtime_class, "wasmtime-spin-v2");
  EXPECT_TRUE(spin->properties.wasm);
  EXPECT_EQ(spin->usage_source, cost::UsageSource::kMixed);
  EXPECT_NEAR(spin->cpu_core_usage_average, 0.1 + 0.05, 1e-9);
  EXPECT_EQ(crun_class->usage_source, cost::UsageSource::kRequests);
  EXPECT_FALSE(none->properties.wasm);

  // The same through the container-grain path (a filter forces it) gives the same answer.
  auto filtered = run(*store, {"runtimeClass"}, R"(wasm:"true")");
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0].allocations.size(), 2u);
  const cost::Allocation* spin2 = find(filtered, "wasmtime-spin-v2");
  ASSERT_TRUE(spin2);
  EXPECT_EQ(spin2->usage_source, cost::UsageSource::kMixed);
  EXPECT_NEAR(spin2->totalCost(), spin->totalCost(), 1e-12);
  EXPECT_NEAR(spin2->cpu_core_usage_average, spin->cpu_core_usage_average, 1e-12);

  auto by_name = run(*store, {"pod"}, R"(runtimeClass:"crun")");
  ASSERT_EQ(by_name.size(), 1u);
  ASSERT_EQ(by_name[0].allocations.size(), 1u);
  EXPECT_EQ(by_name[0].allocations[0].name, "crun-1");
}

TEST_F(WasmIngest, FromKubeStateMetricsOnly) {
  write("snap/usage.om", metrics(true));
  auto store = ingest();
  auto grain = run(*store, {});
  const cost::Allocation* fn1 = find(grain, "c1/n1/edge/fn-1/fn");
  const cost::Allocation* crun = find(grain, "c1/n1/edge/crun-1/w");
  ASSERT_TRUE(fn1 && crun);
  EXPECT_EQ(fn1->properties.runtime_class, "wasmtime-spin-v2");
  EXPECT_TRUE(fn1->properties.wasm);
  EXPECT_EQ(fn1->usage_source, cost::UsageSource::kRequests);
  // Without objects there are no annotations: crun alone is not known to run WASM.
  EXPECT_EQ(crun->properties.runtime_class, "crun");
  EXPECT_FALSE(crun->properties.wasm);
  EXPECT_EQ(crun->usage_source, cost::UsageSource::kMeasured);

  auto by_class = run(*store, {"runtimeClass"});
  EXPECT_NE(find(by_class, "wasmtime-spin-v2"), nullptr);
  EXPECT_NE(find(by_class, "crun"), nullptr);
  EXPECT_NE(find(by_class, "__unallocated__"), nullptr);
}

TEST_F(WasmIngest, MetricsWithoutTheRuntimeSeriesLeaveTheClassEmpty) {
  write("snap/usage.om", metrics(false));
  auto store = ingest();
  auto by_class = run(*store, {"runtimeClass"});
  ASSERT_EQ(by_class.size(), 1u);
  ASSERT_EQ(by_class[0].allocations.size(), 1u);
  EXPECT_EQ(by_class[0].allocations[0].name, "__unallocated__");
  EXPECT_EQ(by_class[0].allocations[0].usage_source, cost::UsageSource::kMeasured);
}

}  // namespace
}  // namespace trimtab::ingest
