// DaemonSets (per-replica heterogeneity: an upper quantile across replicas of each replica's own
// recommendation) and startup peaks (left out of the steady state, covered by the limit), end to
// end over small hand-built stores.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "recommend/recommend.h"
#include "test_store.h"

namespace trimtab::recommend {
namespace {

using testing::FakeContainer;
using testing::FakePlacement;
using testing::kEnd;
constexpr double kMiB = 1024.0 * 1024;
constexpr double kGiB = 1024 * kMiB;

double lightCpu(int, int) { return 0.1; }
// 3 samples of 12 at 2 cores: its own P90 is 2 cores, but pooled with three light replicas the
// bursts are 6% of the samples, under the pooled P90.
double burstyCpu(int, int sample) { return sample < 3 ? 2.0 : 0.1; }
double lightMemory(int, int sample) { return (250 + sample) * kMiB; }
double heavyMemory(int, int sample) { return (2048 + sample) * kMiB; }

// First hour of a pod: a start-up spike (e.g. a JVM warming up, caches loading), then steady.
double startupCpu(int hour, int sample) { return hour == 0 ? 1.5 : 0.2 + 0.01 * sample; }
double startupMemory(int hour, int sample) {
  return (hour == 0 ? 2048.0 : 300.0 + sample) * kMiB;
}

class HeterogeneityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trimtab-recommend-heterogeneity-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Four agents, one per node, one of them bursty or heavy; the same pods again under a
  // Deployment (pooled as usual) for comparison.
  void makeFleet() {
    std::vector<FakeContainer> c;
    std::vector<FakePlacement> p;
    for (const std::string kind : {"daemonset", "deployment"}) {
      for (int r = 0; r < 4; ++r) {
        const bool heavy = r == 3;
        c.push_back({"infra", kind, "agent-" + kind, "agent-" + kind + "-" + std::to_string(r),
                     "agent", 0.5, 512 * kMiB, 72, heavy ? &burstyCpu : &lightCpu,
                     heavy ? &heavyMemory : &lightMemory});
        p.push_back({"node-" + std::to_string(r), 0});
      }
    }
    store_ = testing::makeStore((dir_ / "store.db").string(), c, p);
    ASSERT_NE(store_, nullptr);
  }
  RecommendOptions options(Strategy s, UnixSeconds from = kEnd - 3 * 86400) const {
    RecommendOptions o;
    o.window_start = from;
    o.window_end = kEnd;
    o.strategy = s;
    return o;
  }
  static const Recommendation* find(const std::vector<Recommendation>& recs,
                                    std::string_view controller) {
    for (const auto& r : recs) {
      if (r.key.controller == controller) return &r;
    }
    return nullptr;
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(HeterogeneityTest, VpaDaemonSetCoversTheBurstyReplica) {
  makeFleet();
  auto recs = recommend(*store_, options(Strategy::kVpa));
  ASSERT_TRUE(recs.has_value()) << recs.error().message;
  const Recommendation* ds = find(*recs, "agent-daemonset");
  const Recommendation* deploy = find(*recs, "agent-deployment");
  ASSERT_NE(ds, nullptr);
  ASSERT_NE(deploy, nullptr);
  ASSERT_TRUE(ds->sufficient);
  ASSERT_TRUE(deploy->sufficient);
  // Pooled (the Deployment): P90 of all samples is the light level, ×1.15 with VPA's buckets.
  EXPECT_LT(deploy->recommended.cpu_request_cores, 0.2);
  EXPECT_EQ(deploy->daemonset_replicas, 0);
  // DaemonSet: the bursty replica's own VPA target (P90 = 2 cores, ×1.15) is the P90 across 4.
  EXPECT_EQ(ds->daemonset_replicas, 4);
  EXPECT_GE(ds->replica_cpu_p90_cores, 1.98 * 1.15);
  EXPECT_LE(ds->replica_cpu_p90_cores, 2.0 * 1.15 * 1.06);
  EXPECT_DOUBLE_EQ(ds->recommended.cpu_request_cores, ds->replica_cpu_p90_cores);
  // Memory: the heavy replica's daily peaks, ×1.15.
  EXPECT_GE(ds->recommended.memory_request_bytes, 2059 * kMiB * 1.15);
  EXPECT_GE(ds->recommended.memory_limit_bytes, ds->recommended.memory_request_bytes);
  EXPECT_NE(ds->reason.find("daemonset: P90 across 4 replicas"), std::string::npos) << ds->reason;
  EXPECT_NE(ds->reason.find("above the pooled value"), std::string::npos) << ds->reason;
  // Its risk is read against the pooled histogram: the bursts are now below the request.
  EXPECT_LT(ds->cpu_throttle_risk, deploy->cpu_throttle_risk);
}

TEST_F(HeterogeneityTest, AutopilotDaemonSetTakesTheReplicaQuantile) {
  makeFleet();
  for (Strategy s : {Strategy::kAutopilot, Strategy::kAuto}) {
    auto recs = recommend(*store_, options(s));
    ASSERT_TRUE(recs.has_value()) << recs.error().message;
    const Recommendation* ds = find(*recs, "agent-daemonset");
    ASSERT_NE(ds, nullptr);
    ASSERT_TRUE(ds->sufficient);
    EXPECT_EQ(ds->daemonset_replicas, 4);
    // Per replica: memory S_max, CPU load-adjusted P95, each + 10% margin (above 1 GiB, 1 core).
    EXPECT_NEAR(ds->replica_memory_p90_bytes, 2059 * kMiB * 1.10, 0.011 * 2059 * kMiB * 1.10);
    EXPECT_NEAR(ds->replica_cpu_p90_cores, 2.0 * 1.10, 0.011 * 2.0 * 1.10);
    EXPECT_GE(ds->recommended.memory_request_bytes, ds->replica_memory_p90_bytes);
    EXPECT_GE(ds->recommended.cpu_request_cores, ds->replica_cpu_p90_cores);
    EXPECT_GE(ds->recommended.memory_limit_bytes, ds->recommended.memory_request_bytes);
  }
}

TEST_F(HeterogeneityTest, KrrAndOtherKindsHaveNoReplicaStep) {
  makeFleet();
  auto recs = recommend(*store_, options(Strategy::kKrr));
  ASSERT_TRUE(recs.has_value()) << recs.error().message;
  for (const auto& r : *recs) EXPECT_EQ(r.daemonset_replicas, 0) << r.key.controller;
}

// A pod that started 30 h before the end, 10 minutes into an hour: its first hour (an hour block,
// since the window's first partial day is read from hour blocks) is its startup.
class StartupTest : public HeterogeneityTest {
 protected:
  void makeStarter(int hours) {
    std::vector<FakeContainer> c{{"shop", "deployment", "starter", "starter-1", "app", 1.0,
                                  1024 * kMiB, hours, &startupCpu, &startupMemory}};
    store_ = testing::makeStore((dir_ / "store.db").string(), c, {{"node-1", 600}});
    ASSERT_NE(store_, nullptr);
  }
  static constexpr UnixSeconds kFrom = kEnd - 47 * 3600;
};

TEST_F(StartupTest, StartupPeakIsExcludedFromTheRequestButCoveredByTheLimit) {
  makeStarter(30);
  for (Strategy s : {Strategy::kAuto, Strategy::kVpa, Strategy::kKrr, Strategy::kAutopilot}) {
    SCOPED_TRACE(std::string(strategyName(s)));
    auto recs = recommend(*store_, options(s, kFrom));
    ASSERT_TRUE(recs.has_value()) << recs.error().message;
    ASSERT_EQ(recs->size(), 1u);
    const Recommendation& r = recs->front();
    ASSERT_TRUE(r.sufficient) << r.reason;
    EXPECT_TRUE(r.startup_excluded);
    EXPECT_NEAR(r.startup_memory_peak_bytes, 2048 * kMiB, 0.011 * 2048 * kMiB);
    EXPECT_NEAR(r.startup_cpu_peak_cores, 1.5, 0.011 * 1.5);
    // Steady state only: ~311 MiB peaks (VPA's floor is 250 MiB), far below the spike.
    EXPECT_LT(r.recommended.memory_request_bytes, 450 * kMiB);
    EXPECT_LT(r.memory_peak_max_bytes, 400 * kMiB);
    EXPECT_LT(r.recommended.cpu_request_cores, 0.5);
    // The limit still covers the start-up.
    EXPECT_GE(r.recommended.memory_limit_bytes, r.startup_memory_peak_bytes);
    EXPECT_NE(r.reason.find("startup peak"), std::string::npos) << r.reason;
  }
}

TEST_F(StartupTest, PodStartedAtTheWindowStartIsNotAStartup) {
  makeStarter(30);
  // The window starts after the pod's first hour: nothing to exclude.
  auto recs = recommend(*store_, options(Strategy::kAuto, kEnd - 29 * 3600));
  ASSERT_TRUE(recs.has_value()) << recs.error().message;
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_FALSE(recs->front().startup_excluded);
  EXPECT_EQ(recs->front().startup_memory_peak_bytes, 0);
}

TEST_F(StartupTest, OnlyStartupRowsAreTheSteadyState) {
  // A pod that lived 50 minutes: its startup is all there is, so it is used (and reported).
  makeStarter(1);
  auto o = options(Strategy::kAutopilot, kFrom);
  o.min_history_hours = 0.5;
  auto recs = recommend(*store_, o);
  ASSERT_TRUE(recs.has_value()) << recs.error().message;
  ASSERT_EQ(recs->size(), 1u);
  const Recommendation& r = recs->front();
  ASSERT_TRUE(r.sufficient) << r.reason;
  EXPECT_FALSE(r.startup_excluded);
  EXPECT_GT(r.startup_memory_peak_bytes, 2000 * kMiB);
  EXPECT_GE(r.recommended.memory_request_bytes, 2000 * kMiB);
}

}  // namespace
}  // namespace trimtab::recommend
