// Property test: cost conservation over random inputs and every query shape.
//
//   Unfiltered, idle computed: Σ totalCost(result) = Σ node asset CPU+RAM+GPU
//       + Σ allocation PV+network+LB+external (with adjustments) + overhead.
//   Unfiltered, no idle:       Σ totalCost(result) = Σ allocation totalCost + overhead.
//   Filtered by F:             Σ result(F) + Σ result(¬F) = Σ result(unfiltered) − orphans,
//       orphans = asset CPU+RAM+GPU of idle keys whose allocations have no CPU/RAM/GPU cost
//       (idle nobody can be attributed to) + overhead when no allocation can receive it.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include "cost/aggregate.h"

namespace trimtab::cost {
namespace {

struct Rng {
  explicit Rng(std::uint64_t seed) : gen(seed) {}
  std::mt19937_64 gen;
  int below(int n) { return static_cast<int>(gen() % static_cast<std::uint64_t>(n)); }
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(gen);
  }
  bool chance(double p) { return uniform(0, 1) < p; }
  // Mostly positive, sometimes exactly zero.
  double cost() { return chance(0.2) ? 0.0 : uniform(0, 5); }
};

constexpr double kStart = 1704067200;

StepInput randomStep(Rng& rng, int step) {
  StepInput s;
  double ws = kStart + 3600.0 * step;
  s.container_grain.window_start = ws;
  s.container_grain.window_end = ws + 3600;
  const int clusters = 1 + rng.below(3);
  std::vector<std::pair<std::string, std::string>> nodes;
  for (int c = 0; c < clusters; ++c) {
    int nn = 1 + rng.below(3);
    for (int k = 0; k < nn; ++k)
      nodes.emplace_back("c" + std::to_string(c), "n" + std::to_string(c) + std::to_string(k));
  }
  for (const auto& [c, n] : nodes) {
    if (rng.chance(0.15)) continue;  // node without an asset row
    // Scale 0..2: assets are often smaller than the allocations on them.
    double scale = rng.uniform(0, 2);
    s.assets.nodes.push_back({c, n, n + "-id", rng.cost() * 3 * scale, rng.cost() * 3 * scale,
                              rng.chance(0.3) ? rng.cost() * scale : 0.0, 10, 1e10, 1});
  }
  if (rng.chance(0.2)) s.assets.nodes.push_back({"c9", "orphan", "", 4, 2, 0, 1, 1, 0});
  const int n_alloc = rng.below(30);
  const char* namespaces[] = {"ns1", "ns2", "ns3", "kube-system"};
  const char* kinds[] = {"", "deployment", "statefulset", "daemonset", "job"};
  for (int i = 0; i < n_alloc; ++i) {
    Allocation a;
    const auto& [c, n] = nodes[static_cast<size_t>(rng.below(static_cast<int>(nodes.size())))];
    auto& p = a.properties;
    p.cluster = c;
    p.node = n;
    p.namespace_name = namespaces[rng.below(4)];
    p.pod = "pod" + std::to_string(rng.below(8));
    p.container = "ctr" + std::to_string(i);
    p.controller_kind = kinds[rng.below(5)];
    if (!p.controller_kind.empty()) p.controller = "ctl" + std::to_string(rng.below(3));
    if (rng.chance(0.5)) p.labels.emplace_back("app", rng.chance(0.5) ? "a" : "b");
    if (rng.chance(0.3)) p.labels.emplace_back("env", "prod");
    if (rng.chance(0.3)) p.annotations.emplace_back("team", rng.chance(0.5) ? "t1" : "t2");
    if (rng.chance(0.2)) p.services.push_back("svc" + std::to_string(rng.below(2)));
    a.name = rng.chance(0.05) ? c + "/__unmounted__/__unmounted__/__unmounted__"
                              : containerGrainName(p);
    a.window_start = ws;
    a.window_end = ws + 3600;
    a.start = ws + rng.below(30) * 60;
    a.end = ws + 3600 - rng.below(30) * 60;
    a.cpu_core_hours = rng.uniform(0, 2);
    a.cpu_core_request_average = rng.uniform(0, 2);
    a.cpu_core_usage_average = rng.uniform(0, 2);
    a.cpu_cost = rng.cost();
    a.ram_byte_hours = rng.uniform(0, 1e10);
    a.ram_cost = rng.cost();
    if (rng.chance(0.2)) a.gpu_cost = rng.cost(), a.gpu_hours = 1;
    if (rng.chance(0.3)) a.cpu_cost_adjustment = rng.uniform(-0.1, 0.1) * a.cpu_cost;
    if (rng.chance(0.5)) a.pvs["cluster=" + c + ":name=pv" + std::to_string(i)] = {1e9, rng.cost(), ""};
    a.network_cost = rng.cost() * 0.3;
    if (rng.chance(0.3)) a.load_balancer_cost = rng.cost();
    if (rng.chance(0.1)) a.external_cost = rng.cost();
    s.container_grain.allocations.push_back(std::move(a));
  }
  return s;
}

double sumSets(const std::vector<AllocationSet>& sets) {
  double s = 0;
  for (const auto& set : sets) s += set.totalCost();
  return s;
}

bool isReceiver(const Allocation& a, const AllocationQuery& q) {
  if (a.isUnmounted()) return false;
  for (const auto& ns : q.share_namespaces)
    if (a.properties.namespace_name == ns) return false;
  for (const auto& [k, v] : q.share_labels) {
    const std::string* x = findInMap(a.properties.labels, k);
    if (x && *x == v) return false;
  }
  return true;
}

// Expected unfiltered total and the orphan amount for one step.
void expectations(const StepInput& s, const AllocationQuery& q, double& unfiltered,
                  double& orphans) {
  const bool idle = q.include_idle || q.share_idle;
  double hours = (s.container_grain.window_end - s.container_grain.window_start) / 3600;
  double overhead = (q.shared_hourly_cost + q.share_cost_monthly / 730.08) * hours;
  unfiltered = overhead;
  orphans = 0;
  std::map<std::string, double> asset_by_key, elig_by_key;
  auto key = [&](const std::string& c, const std::string& n) {
    return q.idle_by_node ? c + "\x1f" + n : c;
  };
  for (const auto& nc : s.assets.nodes) {
    asset_by_key[key(nc.cluster, nc.node)] += nc.cpu_cost + nc.ram_cost + nc.gpu_cost;
  }
  bool any_receiver = false;
  for (const auto& a : s.container_grain.allocations) {
    double elig = a.cpuTotalCost() + a.ramTotalCost() + a.gpuTotalCost();
    elig_by_key[key(a.properties.cluster, a.properties.node)] += elig;
    unfiltered += idle ? a.totalCost() - elig : a.totalCost();
    any_receiver = any_receiver || isReceiver(a, q);
  }
  if (idle) {
    for (const auto& [k, v] : asset_by_key) {
      unfiltered += v;
      if (elig_by_key[k] == 0) orphans += v;
    }
  }
  if (!any_receiver) orphans += overhead;
}

TEST(Conservation, RandomInputsEveryQueryShape) {
  const std::vector<std::vector<std::string>> shapes = {
      {},
      {"cluster"},
      {"namespace"},
      {"node"},
      {"pod"},
      {"controller"},
      {"controllerKind"},
      {"deployment"},
      {"service"},
      {"label:app"},
      {"annotation:team"},
      {"team"},
      {"product"},
      {"all"},
      {"cluster", "label:app", "label:env"},
      {"namespace", "annotation:team"},
  };
  const std::vector<std::string> filters = {
      R"(namespace:"ns1")",
      R"(namespace!:"ns1","ns2")",
      R"(cluster:"c0"+label[app]:"a")",
      R"(label[app]:"a"|annotation[team]:"t1")",
      R"((namespace:"ns2"|namespace:"ns3")+controllerKind!:"")",
      R"(node~>:"1")",
      R"(services:"svc0")",
      R"(pod<~:"pod1")",
  };
  Rng rng(20240101);
  int checked_filtered = 0;
  for (int iter = 0; iter < 400; ++iter) {
    SCOPED_TRACE("iteration " + std::to_string(iter));
    int n_steps = 1 + rng.below(3);
    std::vector<StepInput> steps;
    for (int i = 0; i < n_steps; ++i) steps.push_back(randomStep(rng, i));

    AllocationQuery q;
    q.aggregate = shapes[static_cast<size_t>(rng.below(static_cast<int>(shapes.size())))];
    q.include_idle = rng.chance(0.8);
    q.share_idle = rng.chance(0.4);
    q.idle_by_node = rng.chance(0.4);
    q.split_idle = rng.chance(0.4);
    q.include_aggregated_metadata = rng.chance(0.3);
    q.include_proportional_asset_resource_costs = rng.chance(0.3);
    q.include_shared_cost_breakdown = rng.chance(0.3);
    if (rng.chance(0.3)) q.share_namespaces.push_back(rng.chance(0.5) ? "kube-system" : "ns1");
    if (rng.chance(0.2)) q.share_labels.push_back({"app", "b"});
    if (rng.chance(0.3)) q.shared_hourly_cost = rng.uniform(0, 3);
    if (rng.chance(0.2)) q.share_cost_monthly = rng.uniform(0, 100);
    q.share_split = rng.chance(0.5) ? ShareSplit::kEven : ShareSplit::kWeighted;
    Accumulate acc = rng.chance(0.5) ? Accumulate::kNone : Accumulate::kAll;

    auto unf = computeAllocationRange(steps, q, acc);
    ASSERT_TRUE(unf.has_value()) << unf.error().message;
    double want = 0, orphans = 0;
    for (const auto& s : steps) {
      double u, o;
      expectations(s, q, u, o);
      want += u;
      orphans += o;
    }
    double got = sumSets(*unf);
    ASSERT_NEAR(got, want, 1e-9 * std::max(1.0, std::fabs(want)));

    // Never negative idle; shared cost breakdown sums to shared cost.
    for (const auto& set : *unf) {
      std::set<std::string> names;
      for (const auto& a : set.allocations) {
        EXPECT_TRUE(names.insert(a.name).second) << "duplicate " << a.name;
        if (a.isIdle()) {
          EXPECT_GE(a.cpu_cost, 0);
          EXPECT_GE(a.ram_cost, 0);
          EXPECT_GE(a.gpu_cost, 0);
        }
        if (q.include_shared_cost_breakdown && !a.shared_cost_breakdown.empty()) {
          double sum = 0;
          for (const auto& [k, b] : a.shared_cost_breakdown) sum += b.total_cost;
          EXPECT_NEAR(sum, a.shared_cost, 1e-9 * std::max(1.0, a.shared_cost));
        }
      }
    }

    // Filtered identity.
    auto f = parseAllocationFilter(
        filters[static_cast<size_t>(rng.below(static_cast<int>(filters.size())))]);
    ASSERT_TRUE(f.has_value());
    AllocationQuery qf = q, qn = q;
    qf.filter = *f;
    qn.filter = Filter::negate(*f);
    auto rf = computeAllocationRange(steps, qf, acc);
    auto rn = computeAllocationRange(steps, qn, acc);
    ASSERT_TRUE(rf.has_value());
    ASSERT_TRUE(rn.has_value());
    double lhs = sumSets(*rf) + sumSets(*rn);
    double rhs = got - orphans;
    ASSERT_NEAR(lhs, rhs, 1e-9 * std::max(1.0, std::fabs(rhs)))
        << "filter " << f->toString() << " orphans " << orphans;
    ++checked_filtered;
  }
  EXPECT_EQ(checked_filtered, 400);
}

// A filter that matches everything gives the unfiltered answer (up to orphans, none here).
TEST(Conservation, PassAllFilterEqualsUnfiltered) {
  Rng rng(7);
  for (int iter = 0; iter < 50; ++iter) {
    StepInput s = randomStep(rng, 0);
    AllocationQuery q;
    q.aggregate = {"namespace"};
    q.include_idle = true;
    q.share_namespaces = {"kube-system"};
    auto u = computeAllocation(s.container_grain, s.assets, q);
    q.filter = *parseAllocationFilter(R"(namespace~:"")");
    auto f = computeAllocation(s.container_grain, s.assets, q);
    ASSERT_TRUE(u && f);
    double wu, o;
    expectations(s, q, wu, o);
    EXPECT_NEAR(f->totalCost(), u->totalCost() - o, 1e-9 * std::max(1.0, u->totalCost()));
  }
}

}  // namespace
}  // namespace trimtab::cost
