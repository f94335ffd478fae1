// Node-pool sizing: the LP bound never exceeds a feasible mix (property test over random pod
// sets and random feasible packings, with and without a time cap on column generation), the mix
// and FFD hold every pod (re-checked), the configuration LP is strictly tighter than the
// assignment LP on a hand-computed case, pods larger than any option are listed with the reason,
// and catalog options are priced and filtered.
#include "plan/sizing.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "model/clock.h"
#include "plan/colgen.h"
#include "plan/openb.h"
#include "plan/rng.h"

namespace trimtab::plan {
namespace {

InstanceOption option(const char* name, double price, std::int64_t cpu, std::int64_t mem,
                      int gpus = 0) {
  InstanceOption o;
  o.instance_type = name;
  o.hourly_usd = price;
  o.cpu_milli = cpu;
  o.memory_mib = mem;
  o.max_pods = 110;
  o.gpu_count = gpus;
  return o;
}

std::vector<InstanceOption> smallCatalog() {
  return {option("small", 0.10, 2000, 8192),    option("medium", 0.19, 4000, 16384),
          option("large", 0.40, 16000, 32768),  option("highmem", 0.30, 4000, 65536),
          option("gpu1", 1.00, 8000, 32768, 1), option("gpu4", 3.50, 32000, 131072, 4)};
}

PodSpec pod(std::string name, std::int64_t cpu, std::int64_t mem, int num_gpu = 0, int milli = 0) {
  PodSpec p;
  p.name = std::move(name);
  p.cpu_milli = cpu;
  p.memory_mib = mem;
  p.num_gpu = num_gpu;
  p.gpu_milli = milli;
  return p;
}

NodeSpec nodeOf(const InstanceOption& o) {
  NodeSpec n;
  n.name = o.instance_type;
  n.cpu_milli = o.cpu_milli;
  n.memory_mib = o.memory_mib;
  n.max_pods = o.max_pods;
  n.gpu_count = o.gpu_count;
  n.gpu_model = o.gpu_count > 0 ? 0 : -1;
  return n;
}

// Every node of the mix holds its pods (re-placed from empty) and every sized pod appears once.
void expectMixHolds(const SizingResult& r, std::span<const PodSpec> pods,
                    std::span<const InstanceOption> options) {
  std::vector<int> seen(pods.size(), 0);
  double cost = 0;
  for (const auto& n : r.mix_nodes) {
    ASSERT_GE(n.option, 0);
    const NodeSpec spec = nodeOf(options[static_cast<std::size_t>(n.option)]);
    NodeState s = initialState(spec);
    cost += options[static_cast<std::size_t>(n.option)].hourly_usd;
    for (std::size_t i = 0; i < n.pods.size(); ++i) {
      PodSpec p = pods[n.pods[i]];
      p.gpu_model_mask = 0;
      ASSERT_TRUE(place(s, p, n.gpus[i])) << p.name << " on " << spec.name;
      ++seen[n.pods[i]];
    }
  }
  std::size_t placed = 0;
  for (int v : seen) {
    EXPECT_LE(v, 1);
    placed += static_cast<std::size_t>(v);
  }
  EXPECT_EQ(placed, r.pods_sized);
  EXPECT_NEAR(cost, r.mix_hourly_usd, 1e-9);
}

// Short caps keep the sanitizer build quick; every assertion holds whatever stops the search.
SizingLimits quickLimits() {
  SizingLimits l;
  l.colgen_seconds = 0.5;
  l.dive_seconds = 0.3;
  return l;
}

// A random feasible packing: pods in random order, first fit on open nodes, else a new node of a
// random option that holds the pod.
double randomFeasibleCost(std::span<const PodSpec> pods, std::span<const InstanceOption> options,
                          Rng& rng) {
  std::vector<std::pair<std::size_t, NodeState>> open;
  double cost = 0;
  std::vector<std::size_t> order(pods.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  auto tryOn = [](NodeState& s, const PodSpec& p) {
    if (checkCapacity(s, p) != FitFailure::kNone) return false;
    GpuMask g = 0;
    if (p.isGpuShare()) {
      const int d = bestFitGpu(s, p.gpu_milli);
      g = d < 0 ? 0 : GpuMask{1} << d;
    } else if (p.wantsGpu()) {
      g = lowestFreeGpus(s, p.num_gpu);
    }
    return (!p.wantsGpu() || g != 0) && static_cast<bool>(place(s, p, g));
  };
  for (std::size_t i : order) {
    bool done = false;
    for (auto& [o, s] : open) {
      if (tryOn(s, pods[i])) {
        done = true;
        break;
      }
    }
    if (done) continue;
    std::vector<std::size_t> fits;
    for (std::size_t o = 0; o < options.size(); ++o) {
      NodeState s = initialState(nodeOf(options[o]));
      if (checkCapacity(s, pods[i]) == FitFailure::kNone) fits.push_back(o);
    }
    if (fits.empty()) continue;
    const std::size_t o = fits[rng.below(fits.size())];
    NodeState s = initialState(nodeOf(options[o]));
    if (!tryOn(s, pods[i])) continue;
    cost += options[o].hourly_usd;
    open.emplace_back(o, s);
  }
  return cost;
}

TEST(PlanSizing, LpBoundNeverExceedsAFeasibleMix) {
  const auto options = smallCatalog();
  for (std::uint64_t seed = 1; seed <= 25; ++seed) {
    Rng rng(seed);
    std::vector<PodSpec> pods;
    const int n = 5 + static_cast<int>(rng.below(120));
    for (int i = 0; i < n; ++i) {
      const int kind = static_cast<int>(rng.below(6));
      pods.push_back(pod("p" + std::to_string(i), 100 + static_cast<std::int64_t>(rng.below(3900)),
                         128 + static_cast<std::int64_t>(rng.below(16000)),
                         kind == 0   ? 1
                         : kind == 1 ? static_cast<int>(1 + rng.below(4))
                                     : 0,
                         kind == 0   ? 100 + static_cast<int>(rng.below(900))
                         : kind == 1 ? 1000
                                     : 0));
    }
    auto r = sizePool(pods, options, quickLimits());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->pods_sized + r->unplaceable.size(), pods.size());
    expectMixHolds(*r, pods, options);
    const double eps = 1e-6 * std::max(1.0, r->lp_bound_hourly_usd);
    EXPECT_LE(r->lp_bound_hourly_usd, r->mix_hourly_usd + eps) << "seed " << seed;
    EXPECT_LE(r->lp_bound_hourly_usd, r->ffd_hourly_usd + eps) << "seed " << seed;
    for (int k = 0; k < 5; ++k) {
      if (!r->unplaceable.empty()) break;
      EXPECT_LE(r->lp_bound_hourly_usd, randomFeasibleCost(pods, options, rng) + eps)
          << "seed " << seed;
    }
  }
}

TEST(PlanSizing, TimeCappedColumnGenerationKeepsBoundBelowEveryMix) {
  const auto options = smallCatalog();
  FakeClock clock;  // never advances: a 0 s cap stops generation after the first round
  SizingLimits limits;
  limits.clock = &clock;
  limits.colgen_seconds = 0;
  limits.dive_seconds = 0;
  for (std::uint64_t seed = 101; seed <= 115; ++seed) {
    Rng rng(seed);
    std::vector<PodSpec> pods;
    const int n = 20 + static_cast<int>(rng.below(150));
    for (int i = 0; i < n; ++i) {
      const bool share = rng.below(3) == 0;
      pods.push_back(pod("p" + std::to_string(i), 100 + static_cast<std::int64_t>(rng.below(3000)),
                         128 + static_cast<std::int64_t>(rng.below(12000)), share ? 1 : 0,
                         share ? 100 + static_cast<int>(rng.below(800)) : 0));
    }
    auto r = sizePool(pods, options, limits);
    ASSERT_TRUE(r) << r.error().message;
    expectMixHolds(*r, pods, options);
    const double eps = 1e-6 * std::max(1.0, r->lp_bound_hourly_usd);
    EXPECT_LE(r->lp_bound_hourly_usd, r->mix_hourly_usd + eps) << "seed " << seed;
    EXPECT_LE(r->lp_bound_hourly_usd, r->ffd_hourly_usd + eps) << "seed " << seed;
    EXPECT_LE(r->colgen_bound_hourly_usd, r->mix_hourly_usd + eps) << "seed " << seed;
    if (ConfigurationLp::available() && !r->colgen_converged) {
      EXPECT_TRUE(r->colgen_time_capped) << "seed " << seed;
    }
    for (int k = 0; k < 3; ++k) {
      EXPECT_LE(r->lp_bound_hourly_usd, randomFeasibleCost(pods, options, rng) + eps)
          << "seed " << seed;
    }
  }
}

TEST(PlanSizing, ColumnGenerationBoundIsTighterThanTheAssignmentLp) {
  if (!ConfigurationLp::available()) GTEST_SKIP() << "built without COIN-OR CLP";
  // One node type (1000m, 1000Mi, $1). A (600m, 300Mi) and B (300m, 600Mi) share a node; C
  // (450m, 450Mi) fits with neither, so 2 nodes are needed. The assignment LP pools capacity:
  // 1350m / 1000m = 1.35 nodes (its large-pod rows give only 1). The configuration LP's
  // patterns are {A,B}, {A}, {B}, {C}: 2.
  const std::vector<InstanceOption> options = {option("n", 1.0, 1000, 1000)};
  const std::vector<PodSpec> pods = {pod("a", 600, 300), pod("b", 300, 600), pod("c", 450, 450)};
  auto r = sizePool(pods, options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NEAR(r->assignment_bound_hourly_usd, 1.35, 1e-6);
  EXPECT_NEAR(r->colgen_bound_hourly_usd, 2.0, 1e-6);
  EXPECT_NEAR(r->lp_bound_hourly_usd, 2.0, 1e-6);
  EXPECT_EQ(r->bound_method, "clp-colgen");
  EXPECT_TRUE(r->colgen_converged);
  EXPECT_NEAR(r->mix_hourly_usd, 2.0, 1e-9);
  EXPECT_NEAR(r->gap_pct, 0, 1e-3);
  EXPECT_EQ(r->pod_classes, 3u);
  expectMixHolds(*r, pods, options);
}

TEST(PlanSizing, ColumnGenerationMixHoldsEveryPodWithSharedGpus) {
  // Sharing pods of several sizes on 1- and 4-GPU options: the dived mix re-places every pod
  // on real devices (a pattern may pass the milli/device rows yet not pack; the repair places
  // those pods), and the bound stays below it.
  const auto options = smallCatalog();
  Rng rng(7);
  std::vector<PodSpec> pods;
  const int milli[] = {810, 470, 320, 650, 230, 460, 1000};
  for (int i = 0; i < 300; ++i) {
    const int m = milli[rng.below(7)];
    pods.push_back(pod("g" + std::to_string(i), 500 + static_cast<std::int64_t>(rng.below(4)) * 500,
                       1024 + static_cast<std::int64_t>(rng.below(8)) * 1024, 1, m));
  }
  for (int i = 0; i < 100; ++i) {
    pods.push_back(pod("c" + std::to_string(i), 250 + static_cast<std::int64_t>(rng.below(8)) * 250,
                       512 + static_cast<std::int64_t>(rng.below(8)) * 512));
  }
  auto r = sizePool(pods, options, quickLimits());
  ASSERT_TRUE(r) << r.error().message;
  expectMixHolds(*r, pods, options);
  EXPECT_EQ(r->pods_sized, pods.size());
  EXPECT_LE(r->lp_bound_hourly_usd, r->mix_hourly_usd + 1e-6);
  EXPECT_LE(r->mix_hourly_usd, r->ffd_hourly_usd + 1e-9);
  if (ConfigurationLp::available()) {
    EXPECT_GE(r->colgen_iterations, 1);
    EXPECT_LE(r->colgen_bound_hourly_usd, r->mix_hourly_usd + 1e-6);
  }
}

TEST(PlanSizing, HandCaseAndExactBound) {
  // Eight 1-CPU/4-GiB pods: two "medium" (4 CPU, 16 GiB, $0.19) hold them; the LP bound is the
  // cheapest CPU per dollar (medium 4000m/$0.19 beats small 2000m/$0.10) x 8 CPU = $0.38.
  const auto options = smallCatalog();
  std::vector<PodSpec> pods;
  for (int i = 0; i < 8; ++i) pods.push_back(pod("w" + std::to_string(i), 1000, 4096));
  auto r = sizePool(pods, options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NEAR(r->mix_hourly_usd, 0.38, 1e-9);
  EXPECT_NEAR(r->lp_bound_hourly_usd, 0.38, 1e-6);
  EXPECT_NEAR(r->gap_pct, 0, 1e-3);
  EXPECT_GE(r->ffd_hourly_usd, r->mix_hourly_usd - 1e-9);
  ASSERT_EQ(r->mix.size(), 1u);
  EXPECT_EQ(r->mix[0].instance_type, "medium");
  EXPECT_EQ(r->mix[0].count, 2);
}

TEST(PlanSizing, PodLargerThanAnyOptionIsListedWithReason) {
  const auto options = smallCatalog();
  std::vector<PodSpec> pods = {pod("ok", 1000, 1024), pod("huge", 64000, 1024),
                               pod("gpus", 1000, 1024, 8, 1000)};
  auto r = sizePool(pods, options);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->unplaceable.size(), 2u);
  EXPECT_EQ(r->unplaceable[0].name, "huge");
  EXPECT_NE(r->unplaceable[0].reason.find("cpu 64000m > largest usable 32000m"), std::string::npos)
      << r->unplaceable[0].reason;
  EXPECT_NE(r->unplaceable[1].reason.find("8 GPUs > largest 4"), std::string::npos);
  EXPECT_EQ(r->pods_sized, 1u);
}

TEST(PlanSizing, CatalogOptionsFromBuiltinAws) {
  SizingOptions o;
  auto opts = catalogOptions(pricing::Catalog::builtin(), o);
  ASSERT_TRUE(opts) << opts.error().message;
  EXPECT_GT(opts->size(), 10u);
  for (const auto& x : *opts) {
    EXPECT_GT(x.hourly_usd, 0);
    EXPECT_GT(x.cpu_milli, 0);
    EXPECT_FALSE(x.spot);  // the AWS table has no spot prices
  }
  o.families = {"m5"};
  auto m5 = catalogOptions(pricing::Catalog::builtin(), o);
  ASSERT_TRUE(m5) << m5.error().message;
  for (const auto& x : *m5) EXPECT_EQ(x.instance_type.rfind("m5.", 0), 0u) << x.instance_type;
  o.families = {"nonexistent-family"};
  EXPECT_FALSE(catalogOptions(pricing::Catalog::builtin(), o));
  o.families.clear();
  o.target_utilization = 0;
  EXPECT_FALSE(catalogOptions(pricing::Catalog::builtin(), o));
  SizingOptions gcp;
  gcp.provider = pricing::Provider::kGcp;
  gcp.spot_ok = true;
  auto g = catalogOptions(pricing::Catalog::builtin(), gcp);
  ASSERT_TRUE(g) << g.error().message;
  bool any_spot = false;
  for (const auto& x : *g) any_spot = any_spot || x.spot;
  EXPECT_TRUE(any_spot);
}

TEST(PlanSizing, DaemonSetOverheadComesOffEveryOption) {
  SizingOptions plain;
  auto base = catalogOptions(pricing::Catalog::builtin(), plain);
  ASSERT_TRUE(base) << base.error().message;
  SizingOptions with = plain;
  with.daemonset_cpu_milli = 500;
  with.daemonset_memory_mib = 1024;
  with.daemonset_pods = 3;
  auto reduced = catalogOptions(pricing::Catalog::builtin(), with);
  ASSERT_TRUE(reduced) << reduced.error().message;
  std::map<std::string, InstanceOption> by_name;
  for (const auto& o : *base) by_name[o.instance_type] = o;
  std::size_t compared = 0;
  for (const auto& o : *reduced) {
    auto it = by_name.find(o.instance_type);
    if (it == by_name.end()) continue;  // dominance may keep a different set
    ++compared;
    // (alloc - 500m) x 0.8 vs alloc x 0.8: 400m less, up to rounding.
    EXPECT_NEAR(static_cast<double>(it->second.cpu_milli - o.cpu_milli), 400, 1.0)
        << o.instance_type;
    EXPECT_NEAR(static_cast<double>(it->second.memory_mib - o.memory_mib), 819.2, 1.0);
    EXPECT_EQ(it->second.max_pods - o.max_pods, 3);
  }
  EXPECT_GT(compared, 10u);
  with.daemonset_cpu_milli = -1;
  EXPECT_FALSE(catalogOptions(pricing::Catalog::builtin(), with));
  with.daemonset_cpu_milli = 1'000'000;  // more than any node has
  EXPECT_FALSE(catalogOptions(pricing::Catalog::builtin(), with));
}

TEST(PlanSizing, PerZoneSizingKeepsZonedPodsInTheirZone) {
  const auto options = smallCatalog();
  std::vector<PodSpec> pods;
  for (int i = 0; i < 6; ++i) {
    PodSpec p = pod("a" + std::to_string(i), 1000, 4096);
    p.node_selector["topology.kubernetes.io/zone"] = "zone-a";
    pods.push_back(p);
  }
  for (int i = 0; i < 4; ++i) {
    PodSpec p = pod("b" + std::to_string(i), 1000, 4096);
    p.node_selector["failure-domain.beta.kubernetes.io/zone"] = "zone-b";
    pods.push_back(p);
  }
  for (int i = 0; i < 3; ++i) pods.push_back(pod("any" + std::to_string(i), 1000, 4096));
  PodSpec elsewhere = pod("c0", 1000, 4096);
  elsewhere.node_selector["topology.kubernetes.io/zone"] = "zone-c";
  pods.push_back(elsewhere);
  EXPECT_EQ(podZone(pods[0]), "zone-a");
  EXPECT_EQ(podZone(pods[6]), "zone-b");
  EXPECT_EQ(podZone(pods[10]), "");
  const std::vector<std::string> zones = {"zone-a", "zone-b"};
  auto r = sizePoolByZone(pods, options, zones);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->zones.size(), 3u);
  EXPECT_EQ(r->zones[0].zone, "zone-a");
  EXPECT_EQ(r->zones[0].pods.size(), 6u);
  EXPECT_EQ(r->zones[1].zone, "zone-b");
  EXPECT_EQ(r->zones[1].pods.size(), 4u);
  EXPECT_EQ(r->zones[2].zone, "");
  EXPECT_EQ(r->zones[2].pods.size(), 3u);
  ASSERT_EQ(r->unplaceable.size(), 1u);
  EXPECT_EQ(r->unplaceable[0].name, "c0");
  double mix = 0;
  double bound = 0;
  for (const auto& z : r->zones) {
    std::vector<PodSpec> zone_pods;
    for (std::size_t i : z.pods) zone_pods.push_back(pods[i]);
    for (auto& p : zone_pods) p.node_selector.clear();
    expectMixHolds(z.result, zone_pods, options);
    mix += z.result.mix_hourly_usd;
    bound += z.result.lp_bound_hourly_usd;
  }
  EXPECT_NEAR(r->mix_hourly_usd, mix, 1e-9);
  EXPECT_NEAR(r->lp_bound_hourly_usd, bound, 1e-9);
  // zone-a: 6 CPU -> medium + small ($0.29) or 2 medium ($0.38): the cheapest is 0.29.
  EXPECT_NEAR(r->zones[0].result.mix_hourly_usd, 0.29, 1e-9);
  EXPECT_LE(r->lp_bound_hourly_usd, r->mix_hourly_usd + 1e-9);
}

TEST(PlanSizing, OpenbDefaultPodsAgainstAws) {
  const std::string path =
      std::string(TRIMTAB_SHARED_DIR) + "/data/fgd-openb/openb_pod_list_default.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not found (../shared absent)";
  GpuModels models;
  auto pods = readOpenbPodsAddingModels(path, models);
  ASSERT_TRUE(pods) << pods.error().message;
  pods->resize(1500);  // keeps the sanitizer build quick; bench/plan covers the whole list
  auto opts = catalogOptions(pricing::Catalog::builtin(), SizingOptions{});
  ASSERT_TRUE(opts);
  auto r = sizePool(*pods, *opts, quickLimits());
  ASSERT_TRUE(r) << r.error().message;
  expectMixHolds(*r, *pods, *opts);
  EXPECT_LE(r->lp_bound_hourly_usd, r->mix_hourly_usd);
  EXPECT_LE(r->mix_hourly_usd, r->ffd_hourly_usd);
}

}  // namespace
}  // namespace trimtab::plan
