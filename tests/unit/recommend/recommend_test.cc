// End-to-end over a small store: golden JSON per strategy, insufficient history, zero requests,
// filters, and the patch files.
//
// Regenerate the golden files (then review the diff):
//   TRIMTAB_UPDATE_GOLDEN=1 build/<dir>/tests/unit/recommend/recommend_test
#include "recommend/recommend.h"
#include "recommend/vpa.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "recommend/histogram.h"
#include "recommend/insights.h"
#include "recommend/patches.h"
#include "test_store.h"

namespace trimtab::recommend {
namespace {

using testing::FakeContainer;
using testing::kEnd;
constexpr double kMiB = 1024.0 * 1024;

double steadyCpu(int hour, int sample) { return 0.2 + 0.05 * std::sin(hour * 0.7 + sample); }
double steadyMemory(int hour, int sample) {
  return (300 + 20 * std::sin(hour * 0.3 + sample * 0.5)) * kMiB;
}
double spikyCpu(int hour, int sample) { return sample == 11 && hour % 6 == 0 ? 1.5 : 0.1; }
double growingMemory(int hour, int sample) { return (100 + hour * 2 + sample) * kMiB; }
double idleCpu(int, int) { return 0; }
double idleMemory(int, int) { return 30 * kMiB; }

std::vector<FakeContainer> fleet() {
  std::vector<FakeContainer> c;
  for (int r = 0; r < 2; ++r) {
    c.push_back({"shop", "deployment", "api", "api-" + std::to_string(r), "web", 1.0, 1024 * kMiB,
                 72, &steadyCpu, &steadyMemory});
    c.push_back({"shop", "deployment", "api", "api-" + std::to_string(r), "envoy", 0.1, 64 * kMiB,
                 72, &spikyCpu, &growingMemory});
  }
  c.push_back({"batch", "cronjob", "report", "report-1", "main", 0.5, 512 * kMiB, 48, &spikyCpu,
               &growingMemory});
  // Young: 5 hours of history.
  c.push_back({"shop", "deployment", "new", "new-1", "app", 0.25, 256 * kMiB, 5, &steadyCpu,
               &steadyMemory});
  // Idle: no CPU, no network for 3 days.
  c.push_back({"tools", "deployment", "old-ui", "old-ui-1", "ui", 0.5, 512 * kMiB, 72, &idleCpu,
               &idleMemory});
  // BestEffort: no requests.
  c.push_back({"tools", "", "", "debug-pod", "shell", 0, 0, 72, &steadyCpu, &steadyMemory});
  return c;
}

class RecommendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trimtab-recommend-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    store_ = testing::makeStore((dir_ / "store.db").string(), fleet());
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  RecommendOptions options(Strategy s) const {
    RecommendOptions o;
    o.window_start = kEnd - 14 * 86400;
    o.window_end = kEnd;
    o.strategy = s;
    return o;
  }
  const Recommendation* find(const std::vector<Recommendation>& recs, std::string_view controller,
                             std::string_view container) {
    for (const auto& r : recs) {
      if (r.key.controller == controller && r.key.container == container) return &r;
    }
    return nullptr;
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

void checkGolden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(TRIMTAB_SOURCE_DIR) + "/tests/unit/recommend/golden/" + name;
  if (std::getenv("TRIMTAB_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path << " missing; regenerate with TRIMTAB_UPDATE_GOLDEN=1";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), actual) << "golden " << name << " differs";
}

TEST_F(RecommendTest, GoldenPerStrategy) {
  for (Strategy s : {Strategy::kAuto, Strategy::kVpa, Strategy::kKrr, Strategy::kAutopilot}) {
    auto json = recommendationsJson(*store_, options(s));
    ASSERT_TRUE(json.has_value()) << json.error().message;
    checkGolden(std::string(strategyName(s)) + ".json", *json + "\n");
  }
}

TEST_F(RecommendTest, InsufficientHistoryIsExplicit) {
  for (Strategy s : {Strategy::kAuto, Strategy::kVpa, Strategy::kKrr, Strategy::kAutopilot}) {
    auto recs = recommend(*store_, options(s));
    ASSERT_TRUE(recs.has_value());
    const Recommendation* young = find(*recs, "new", "app");
    ASSERT_NE(young, nullptr);
    EXPECT_FALSE(young->sufficient);
    EXPECT_EQ(young->reason, "insufficient data, 5 hours of 24");
    EXPECT_EQ(young->recommended.cpu_request_cores, 0);
    EXPECT_EQ(young->monthly_saving_usd, 0);
  }
}

TEST_F(RecommendTest, AutoUsesTheMovingWindowForYoungWorkloads) {
  auto recs = recommend(*store_, options(Strategy::kAuto));
  ASSERT_TRUE(recs.has_value());
  EXPECT_EQ(find(*recs, "api", "web")->recommender, "ml");                 // 72 h
  EXPECT_EQ(find(*recs, "report", "main")->recommender, "moving-window");  // 48 h < 72 h
}

TEST_F(RecommendTest, ZeroRequestsGiveANegativeSavingNotADivisionByZero) {
  auto recs = recommend(*store_, options(Strategy::kKrr));
  ASSERT_TRUE(recs.has_value());
  const Recommendation* pod = find(*recs, "debug-pod", "shell");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->key.controller_kind, "pod");
  EXPECT_TRUE(pod->sufficient);
  EXPECT_EQ(pod->current.cpu_request_cores, 0);
  EXPECT_TRUE(std::isfinite(pod->monthly_saving_usd));
  EXPECT_LT(pod->monthly_saving_usd, 0);
  EXPECT_NE(pod->reason.find("no current request"), std::string::npos);
}

TEST_F(RecommendTest, KrrFollowsItsFormulas) {
  auto recs = recommend(*store_, options(Strategy::kKrr));
  ASSERT_TRUE(recs.has_value());
  const Recommendation* web = find(*recs, "api", "web");
  // Memory = max peak × 1.15 (peak 320 MiB at most); CPU = P95 of ~0.2 ± 0.05.
  EXPECT_NEAR(web->recommended.memory_request_bytes, web->memory_peak_max_bytes * 1.15,
              web->memory_peak_max_bytes * 0.015);
  EXPECT_EQ(web->recommended.memory_limit_bytes, web->recommended.memory_request_bytes);
  EXPECT_GT(web->recommended.cpu_request_cores, 0.2);
  EXPECT_LT(web->recommended.cpu_request_cores, 0.26);
  EXPECT_EQ(web->recommended.cpu_limit_cores, 0);
  // Savings at the node's real prices: 2 replicas, ~0.75 core and ~650 MiB less each.
  const double expected =
      2 * 730 *
      ((1.0 - web->recommended.cpu_request_cores) * testing::kCpuPricePerCoreHour +
       (1024 * kMiB - web->recommended.memory_request_bytes) / (1024 * kMiB) *
           testing::kRamPricePerGiBHour);
  EXPECT_NEAR(web->monthly_saving_usd, expected, expected * 1e-6);
  EXPECT_NEAR(web->cpu_price_per_core_hour, testing::kCpuPricePerCoreHour, 1e-12);
  EXPECT_LT(web->memory_overrun_risk, 1e-9);
}

TEST_F(RecommendTest, RiskComesFromTheSketch) {
  auto recs = recommend(*store_, options(Strategy::kVpa));
  ASSERT_TRUE(recs.has_value());
  // envoy's CPU spikes to 1.5 cores in 1 of 72 samples per 6 h; VPA's P90 ignores them.
  const Recommendation* envoy = find(*recs, "api", "envoy");
  EXPECT_LT(envoy->recommended.cpu_request_cores, 0.2);
  EXPECT_NEAR(envoy->cpu_throttle_risk, 1.0 / 72, 0.002);
}

TEST_F(RecommendTest, FilterSelectsWorkloads) {
  RecommendOptions o = options(Strategy::kKrr);
  o.filter = "namespace:\"shop\"";
  auto recs = recommend(*store_, o);
  ASSERT_TRUE(recs.has_value());
  for (const auto& r : *recs) EXPECT_EQ(r.key.namespace_name, "shop");
  EXPECT_EQ(recs->size(), 3u);
  o.filter = "namespace:";
  EXPECT_FALSE(recommend(*store_, o).has_value());
}

TEST_F(RecommendTest, BadWindowIsAnError) {
  RecommendOptions o = options(Strategy::kAuto);
  o.window_start = kEnd + 10;
  EXPECT_FALSE(recommend(*store_, o).has_value());
  EXPECT_FALSE(parseStrategy("goldilocks").has_value());
}

TEST_F(RecommendTest, OutputFormats) {
  auto recs = recommend(*store_, options(Strategy::kVpa));
  ASSERT_TRUE(recs.has_value());
  const std::string csv = toCsv(*recs);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), static_cast<long>(recs->size() + 1));
  EXPECT_EQ(csv.rfind("cluster,namespace,controllerKind", 0), 0u);
  const std::string yaml = toYaml(*recs, options(Strategy::kVpa));
  EXPECT_NE(yaml.find("  - cluster: \"test\""), std::string::npos);
  EXPECT_EQ(cpuQuantity(0.2501), "251m");
  EXPECT_EQ(memoryQuantity(512 * kMiB), "512Mi");
  EXPECT_EQ(memoryQuantity(512 * kMiB + 1), "513Mi");
}

TEST_F(RecommendTest, PatchesPerWorkload) {
  auto recs = recommend(*store_, options(Strategy::kKrr));
  ASSERT_TRUE(recs.has_value());
  PatchOptions po;
  po.out_dir = (dir_ / "patches").string();
  po.vpa_objects = true;
  auto summary = writePatches(*recs, po);
  ASSERT_TRUE(summary.has_value()) << summary.error().message;
  // shop/api, tools/old-ui and batch/report; the bare pod is skipped.
  EXPECT_EQ(summary->workloads_patched, 3u);
  std::string skipped;
  for (const auto& line : summary->skipped) skipped += line + "\n";
  EXPECT_NE(skipped.find("tools/pod/debug-pod: kind has no patchable pod template"),
            std::string::npos)
      << skipped;
  // Two containers and no manifests: the container indexes are unknown, so no JSON 6902.
  EXPECT_NE(skipped.find("shop/deployment/api: JSON 6902 patch needs --manifests"),
            std::string::npos)
      << skipped;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "patches" / "shop.deployment.api.json6902.yaml"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "patches" / "tools.deployment.old-ui.json6902.yaml"));
  std::ifstream smp(dir_ / "patches" / "shop.deployment.api.patch.yaml");
  std::stringstream ss;
  ss << smp.rdbuf();
  const Recommendation* web = find(*recs, "api", "web");
  EXPECT_NE(ss.str().find("memory: \"" + memoryQuantity(web->recommended.memory_request_bytes)),
            std::string::npos);
  std::ifstream cron(dir_ / "patches" / "batch.cronjob.report.patch.yaml");
  std::stringstream cs;
  cs << cron.rdbuf();
  EXPECT_NE(cs.str().find("jobTemplate"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "patches" / "kustomization.yaml"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "patches" / "vpa.yaml"));
  po.vpa_update_mode = "Auto";
  EXPECT_FALSE(writePatches(*recs, po).has_value());
}

}  // namespace
}  // namespace trimtab::recommend

namespace trimtab::recommend {
namespace {

TEST_F(RecommendTest, IdleWorkloadInsight) {
  InsightOptions io;
  io.window_start = kEnd - 14 * 86400;
  io.window_end = kEnd;
  io.idle_days = 2;
  auto insights = savingsInsights(*store_, io);
  ASSERT_TRUE(insights.has_value()) << insights.error().message;
  ASSERT_EQ(insights->size(), 1u);  // the other workloads use CPU
  const Insight& idle = (*insights)[0];
  EXPECT_EQ(idle.kind, "idle-workload");
  EXPECT_EQ(idle.object, "test/tools/deployment/old-ui/ui");
  // Whole cost per month: 0.5 core × $0.03 + 0.5 GiB × $0.004, per hour × 730.
  EXPECT_NEAR(idle.monthly_cost_usd, (0.5 * 0.03 + 0.5 * 0.004) * 730, 1e-6);
  io.idle_days = 4;  // observed 3 days: not yet idle long enough
  EXPECT_TRUE(savingsInsights(*store_, io)->empty());
  EXPECT_NE(insightsJson(*insights).find("\"kind\":\"idle-workload\""), std::string::npos);
}

}  // namespace
}  // namespace trimtab::recommend

namespace trimtab::recommend {
namespace {

// The folding threads own disjoint sets of workloads and fold their rows in time order, so
// every thread count gives the same bytes: over a fleet with replicas, a DaemonSet whose
// replicas differ, a bare pod, a cron job and a pod that starts inside the window.
double burstCpu(int hour, int sample) { return sample < 2 && hour % 3 == 0 ? 2.0 : 0.15; }
double heavyMemory(int hour, int sample) { return (1500 + 3 * hour + sample) * kMiB; }
double startupCpu(int hour, int sample) { return hour == 0 ? 1.5 : 0.2 + 0.01 * sample; }
double startupMemory(int hour, int sample) { return (hour == 0 ? 2048.0 : 300.0 + sample) * kMiB; }

TEST(RecommendThreadsTest, EveryThreadCountGivesTheSameResult) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("trimtab-recommend-threads-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::vector<FakeContainer> c = fleet();
  std::vector<testing::FakePlacement> p(c.size());
  for (int r = 0; r < 6; ++r) {
    const bool heavy = r == 4;
    c.push_back({"infra", "daemonset", "agent", "agent-" + std::to_string(r), "agent", 0.5,
                 512 * kMiB, 72 - r, heavy ? &burstCpu : &steadyCpu,
                 heavy ? &heavyMemory : &steadyMemory});
    p.push_back({"node-" + std::to_string(r), 0});
  }
  for (int r = 0; r < 3; ++r) {
    c.push_back({"shop", "deployment", "starter", "starter-" + std::to_string(r), "app", 1.0,
                 1024 * kMiB, 30 + 7 * r, &startupCpu, &startupMemory});
    p.push_back({"node-" + std::to_string(r), 600});
  }
  auto store = testing::makeStore((dir / "store.db").string(), c, p);
  ASSERT_NE(store, nullptr);
  for (Strategy s : {Strategy::kAuto, Strategy::kVpa, Strategy::kKrr, Strategy::kAutopilot}) {
    for (UnixSeconds from : {kEnd - 14 * 86400, kEnd - 47 * 3600}) {
      RecommendOptions o;
      o.window_start = from;
      o.window_end = kEnd;
      o.strategy = s;
      o.threads = 1;
      auto serial = recommend(*store, o);
      ASSERT_TRUE(serial.has_value()) << serial.error().message;
      const std::string expected = toJson(*serial, o);
      for (int threads : {0, 2, 3, 8, 100}) {
        o.threads = threads;
        auto parallel = recommend(*store, o);
        ASSERT_TRUE(parallel.has_value()) << parallel.error().message;
        EXPECT_EQ(toJson(*parallel, o), expected)
            << strategyName(s) << " from " << from << " with " << threads << " threads";
      }
    }
  }
  store.reset();
  std::filesystem::remove_all(dir);
}

double steadyHalfGiB(int, int) { return 480.0 * 1024 * 1024; }
double tenthCore(int, int) { return 0.1; }

// An OOM kill in the store (oom_kills) raises memory at once: vpa counts
// max(max(request, peak) + 100 MiB, × 1.2) as that day's peak, autopilot/auto raise the request
// and limit to it; krr simple has no OOM rule. A workload without kills is untouched.
TEST(RecommendOomTest, AnOomKillRaisesMemory) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("trimtab-rec-oom-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::vector<testing::FakeContainer> c = {
      {"shop", "deployment", "api", "api-1", "app", 0.2, 512 * kMiB, 72, &tenthCore,
       &steadyHalfGiB},
      {"shop", "deployment", "calm", "calm-1", "app", 0.2, 512 * kMiB, 72, &tenthCore,
       &steadyHalfGiB}};
  auto store = testing::makeStore((dir / "store.db").string(), c, {}, {{0, 60}});
  ASSERT_NE(store, nullptr);
  const double needed = vpa::oomBumpBytes(512 * kMiB, 480 * kMiB);  // 612 MiB
  for (Strategy s : {Strategy::kVpa, Strategy::kAuto, Strategy::kAutopilot, Strategy::kKrr}) {
    RecommendOptions o;
    o.window_start = kEnd - 72 * 3600;
    o.window_end = kEnd;
    o.strategy = s;
    auto recs = recommend(*store, o);
    ASSERT_TRUE(recs) << recs.error().message;
    ASSERT_EQ(recs->size(), 2u);
    const Recommendation& api = (*recs)[0];
    const Recommendation& calm = (*recs)[1];
    ASSERT_EQ(api.key.controller, "api");
    EXPECT_EQ(api.oom_kills, 1) << strategyName(s);
    EXPECT_EQ(calm.oom_kills, 0) << strategyName(s);
    if (s == Strategy::kKrr) {
      EXPECT_DOUBLE_EQ(api.recommended.memory_request_bytes, calm.recommended.memory_request_bytes);
      continue;
    }
    EXPECT_GE(api.recommended.memory_request_bytes, needed * 0.999) << strategyName(s);
    EXPECT_LT(calm.recommended.memory_request_bytes, needed) << strategyName(s);
    if (s != Strategy::kVpa) {
      EXPECT_NE(api.reason.find("OOM-killed 1 time"), std::string::npos) << api.reason;
    }
  }
  store.reset();
  std::filesystem::remove_all(dir);
}

TEST(HistogramAddBothTest, SameAsTwoAdds) {
  DecodedSketch d;
  d.buckets = {{-3, 2.0}, {10, 1.0}, {11, 7.0}, {40, 3.0}};
  d.zero_weight = 4;
  d.max = 1.3;
  for (double factor : {0.0, 0.37, 1.0}) {
    Histogram a1, b1, a2, b2;
    // An existing range (bucket 12 with headroom) that the sketch extends on both sides.
    a1.add(Histogram::bucketValue(12), 2.0);
    a2.add(Histogram::bucketValue(12), 2.0);
    a1.add(d, factor);
    b1.add(d, 1.0);
    Histogram::addBoth(d, a2, factor, b2);
    for (const Histogram* h : {&a1, &b1}) {
      const Histogram& other = h == &a1 ? a2 : b2;
      EXPECT_EQ(h->totalWeight(), other.totalWeight());
      EXPECT_EQ(h->max(), other.max());
      std::vector<std::pair<double, double>> x, y;
      h->forEachBucket([&](double v, double w) { x.emplace_back(v, w); });
      other.forEachBucket([&](double v, double w) { y.emplace_back(v, w); });
      EXPECT_EQ(x, y) << "factor " << factor;
    }
  }
}

}  // namespace
}  // namespace trimtab::recommend
