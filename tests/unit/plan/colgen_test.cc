// Configuration LP for sizing: the pricing search against brute force (exact with a large node
// cap; a valid upper bound with a tiny one), pattern feasibility, and column generation on small
// instances where the optimum is known by hand.
#include "plan/colgen.h"

#include <gtest/gtest.h>

#include <functional>

#include "plan/rng.h"

namespace trimtab::plan {
namespace {

// Classes of (cpu, memory) pods, no GPUs; options of (cpu, memory, pods, price).
PatternProblem cpuProblem(const std::vector<std::pair<double, double>>& pods,
                          const std::vector<double>& demand,
                          const std::vector<std::array<double, 4>>& options) {
  PatternProblem pb;
  for (const auto& [cpu, mem] : pods) {
    pb.class_usage.push_back(PatternVector{cpu, mem, 1, 0, 0, 0, 0});
    pb.class_group.push_back(-1);
  }
  pb.demand = demand;
  for (const auto& o : options) {
    pb.option_capacity.push_back(PatternVector{o[0], o[1], o[2], 0, 0, 0, 0});
    pb.option_price.push_back(o[3]);
    std::vector<char> fits;
    for (const auto& [cpu, mem] : pods) fits.push_back(cpu <= o[0] && mem <= o[1]);
    pb.fits.push_back(fits);
  }
  return pb;
}

// The best dual value of any pattern of option t, by enumerating every count vector.
double bruteForce(const PatternProblem& pb, int t, const std::vector<double>& duals) {
  const std::size_t n = pb.class_usage.size();
  const auto& cap = pb.option_capacity[static_cast<std::size_t>(t)];
  double best = 0;
  std::vector<int> counts(n, 0);
  std::function<void(std::size_t, PatternVector, double)> go = [&](std::size_t i,
                                                                   PatternVector used, double v) {
    if (i == n) {
      best = std::max(best, v);
      return;
    }
    for (int k = 0; k <= static_cast<int>(pb.demand[i]); ++k) {
      PatternVector u = used;
      bool ok = k == 0 || pb.fits[static_cast<std::size_t>(t)][i];
      for (int d = 0; d < kPatternRows && ok; ++d) {
        const auto di = static_cast<std::size_t>(d);
        u[di] += k * pb.class_usage[i][di];
        ok = u[di] <= cap[di] + 1e-9;
      }
      if (!ok) break;
      go(i + 1, u, v + k * std::max(0.0, duals[i]));
    }
  };
  go(0, PatternVector{}, 0);
  return best;
}

TEST(PlanColgen, PricingMatchesBruteForceAndBoundsItWhenCut) {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);
    const std::size_t n = 2 + rng.below(5);
    std::vector<std::pair<double, double>> pods;
    std::vector<double> demand, duals;
    for (std::size_t i = 0; i < n; ++i) {
      pods.emplace_back(100 + static_cast<double>(rng.below(900)),
                        100 + static_cast<double>(rng.below(900)));
      demand.push_back(static_cast<double>(1 + rng.below(6)));
      duals.push_back(rng.below(4) == 0 ? 0.0 : static_cast<double>(1 + rng.below(100)) / 100);
    }
    const auto pb = cpuProblem(pods, demand,
                               {{2000, 2500, 6, 1.0}, {4000, 3000, 110, 1.7}, {900, 5000, 3, 0.6}});
    for (int t = 0; t < 3; ++t) {
      const double want = bruteForce(pb, t, duals);
      const PricedPattern exact = pricePattern(pb, t, duals, demand, 1'000'000);
      EXPECT_TRUE(exact.exact);
      EXPECT_NEAR(exact.value, want, 1e-9) << "seed " << seed << " option " << t;
      EXPECT_NEAR(exact.upper_bound, want, 1e-9);
      if (!exact.best.counts.empty()) {
        EXPECT_TRUE(patternFeasible(pb, exact.best)) << "seed " << seed;
      }
      const PricedPattern cut = pricePattern(pb, t, duals, demand, 3);
      EXPECT_LE(cut.value, want + 1e-9);
      EXPECT_GE(cut.upper_bound, want - 1e-9) << "seed " << seed << " option " << t;
    }
  }
}

TEST(PlanColgen, PatternFeasibilityChecksRowsGroupsAndFits) {
  auto pb = cpuProblem({{600, 300}, {300, 600}}, {3, 3}, {{1000, 1000, 110, 1}});
  EXPECT_TRUE(patternFeasible(pb, Pattern{0, {{0, 1}, {1, 1}}}));
  EXPECT_FALSE(patternFeasible(pb, Pattern{0, {{0, 2}}}));  // 1200 cpu
  EXPECT_FALSE(patternFeasible(pb, Pattern{1, {{0, 1}}}));  // no such option
  pb.class_group = {0, 0};                                  // one anti-affinity group
  EXPECT_FALSE(patternFeasible(pb, Pattern{0, {{0, 1}, {1, 1}}}));
  EXPECT_TRUE(patternFeasible(pb, Pattern{0, {{1, 1}}}));
}

TEST(PlanColgen, HandInstanceConvergesToTheIntegerOptimum) {
  if (!ConfigurationLp::available()) GTEST_SKIP() << "built without COIN-OR CLP";
  // A (600 cpu, 300 mem), B (300, 600), C (450, 450) on nodes of (1000, 1000) at $1: A and B
  // share a node, C needs its own (A+C and B+C exceed 1000) -> 2 nodes; the configuration LP is 2.
  auto pb = cpuProblem({{600, 300}, {300, 600}, {450, 450}}, {1, 1, 1}, {{1000, 1000, 110, 1}});
  ConfigurationLp lp(pb);
  const ColgenReport r = lp.generate(ColgenLimits{});
  ASSERT_TRUE(r.solved);
  EXPECT_TRUE(r.converged);
  EXPECT_FALSE(r.time_capped);
  EXPECT_NEAR(r.bound_usd, 2.0, 1e-6);
  EXPECT_NEAR(r.master_usd, 2.0, 1e-6);
  for (const Pattern& p : lp.patterns()) EXPECT_TRUE(patternFeasible(pb, p));
}

TEST(PlanColgen, TimeCapKeepsTheBoundValid) {
  if (!ConfigurationLp::available()) GTEST_SKIP() << "built without COIN-OR CLP";
  // Ten pods of 400 cpu and ten of 300 on (1000 cpu) nodes at $1 and (2000 cpu) at $1.9; the
  // integer optimum is at least the LP optimum; a cap at time 0 stops after the first round.
  auto pb =
      cpuProblem({{400, 1}, {300, 1}}, {10, 10}, {{1000, 1000, 110, 1.0}, {2000, 2000, 110, 1.9}});
  FakeClock clock;
  ColgenLimits capped;
  capped.clock = &clock;
  capped.deadline_nanos = 0;
  ConfigurationLp first(pb);
  const ColgenReport r = first.generate(capped);
  ASSERT_TRUE(r.solved);
  ConfigurationLp full(pb);
  const ColgenReport f = full.generate(ColgenLimits{});
  ASSERT_TRUE(f.converged);
  EXPECT_LE(r.bound_usd, f.bound_usd + 1e-9);
  EXPECT_GE(r.master_usd, f.master_usd - 1e-9);
  if (!r.converged) {
    EXPECT_TRUE(r.time_capped);
  }
  // 7000 cpu of pods: 1.9 per 2000 is the cheapest rate -> LP >= 6.65.
  EXPECT_GE(f.bound_usd, 6.65 - 1e-6);
}

}  // namespace
}  // namespace trimtab::plan
