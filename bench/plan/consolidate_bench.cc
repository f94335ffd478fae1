// consolidate_bench: time `plan::consolidate` on a synthetic N-node cluster (default 1,000 nodes
// of m5/c5/r5 types, ~30 pods each, utilisation spread 10-90 %), and optionally on a store.
//   consolidate_bench [--nodes 1000] [--seed 1] [--threads 2] [--deadline-ms 10000]
//                     [--store PATH [--cluster C]]
// Prints nodes, pods, wall time, saving and the Karpenter baselines' savings.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "plan/consolidate.h"
#include "plan/from_store.h"
#include "plan/rng.h"
#include "pricing/catalog.h"
#include "store/store.h"

namespace {

using namespace trimtab;

void report(const char* label, const plan::ClusterDescription& c, const plan::ConsolidationPlan& p,
            double wall_ms) {
  std::size_t removed = 0, added = 0;
  for (const auto& a : p.actions) {
    removed += a.removed.size();
    added += a.added.size();
  }
  std::printf("%s: %zu nodes, %zu pods, cluster $%.0f/month\n", label, c.nodes.size(), c.pods.size(),
              p.cluster_monthly_usd);
  std::printf("  wall %.0f ms (engine %.0f ms), %d/%d orderings%s, threshold $%.2f/unit\n", wall_ms,
              p.elapsed_ms, p.variants_evaluated, p.variants_total,
              p.deadline_hit ? " DEADLINE HIT" : "", p.threshold_usd);
  for (const auto& s : p.strategies) {
    std::printf("  %-42s removed %4d added %4d evicted %5d saving $%10.2f/month (%.1f%%)\n",
                s.name.c_str(), s.nodes_removed, s.nodes_added, s.evicted, s.monthly_saving_usd,
                p.cluster_monthly_usd > 0 ? s.monthly_saving_usd / p.cluster_monthly_usd * 100 : 0);
  }
  (void)removed;
  (void)added;
}

plan::ClusterDescription synthetic(int nodes, std::uint64_t seed) {
  struct Type {
    const char* name;
    std::int64_t cpu, mem;
    double usd;
  };
  const Type types[] = {{"m5.xlarge", 3920, 14200, 0.192}, {"m5.2xlarge", 7910, 29000, 0.384},
                        {"c5.2xlarge", 7910, 13800, 0.34}, {"r5.xlarge", 3920, 29800, 0.252},
                        {"m5.4xlarge", 15890, 58000, 0.768}};
  plan::Rng rng(seed);
  plan::ClusterDescription c;
  c.cluster = "synthetic";
  for (int i = 0; i < nodes; ++i) {
    const Type& t = types[rng.below(5)];
    plan::ClusterNode n;
    n.spec.name = fmt::format("node-{:04d}", i);
    n.spec.cpu_milli = t.cpu;
    n.spec.memory_mib = t.mem;
    n.spec.max_pods = 58;
    n.instance_type = t.name;
    n.hourly_usd = t.usd;
    n.price_source = "synthetic";
    c.nodes.push_back(n);
    // DaemonSets.
    for (int k = 0; k < 3; ++k) {
      plan::ClusterPod p;
      p.spec.name = fmt::format("kube-system/ds{}-{}", k, i);
      p.spec.cpu_milli = 100;
      p.spec.memory_mib = 128;
      p.node = i;
      p.role = plan::PodRole::kDaemonSet;
      c.pods.push_back(p);
    }
    const double target = 0.1 + 0.8 * static_cast<double>(rng.below(1000)) / 1000.0;
    std::int64_t cpu = 300, mem = 384;
    for (int k = 0; k < 40; ++k) {
      plan::ClusterPod p;
      p.spec.name = fmt::format("app{}/pod-{}-{}", rng.below(50), i, k);
      p.spec.cpu_milli = 50 * (1 + static_cast<std::int64_t>(rng.below(20)));
      p.spec.memory_mib = 128 * (1 + static_cast<std::int64_t>(rng.below(16)));
      if (static_cast<double>(cpu + p.spec.cpu_milli) > target * static_cast<double>(t.cpu) ||
          static_cast<double>(mem + p.spec.memory_mib) > target * static_cast<double>(t.mem))
        break;
      cpu += p.spec.cpu_milli;
      mem += p.spec.memory_mib;
      p.node = i;
      if (rng.below(40) == 0) {
        p.role = plan::PodRole::kPinned;
        p.pin_reason = "no controller";
      }
      c.pods.push_back(p);
    }
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 1000, threads = 2, deadline_ms = 10000;
  std::uint64_t seed = 1;
  std::string store_path, cluster;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--nodes") nodes = std::atoi(argv[i + 1]);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--threads") threads = std::atoi(argv[i + 1]);
    else if (a == "--deadline-ms") deadline_ms = std::atoi(argv[i + 1]);
    else if (a == "--store") store_path = argv[i + 1];
    else if (a == "--cluster") cluster = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  plan::ConsolidateOptions options;
  options.threads = threads;
  options.deadline_ms = deadline_ms;

  // Replacement types as the CLI picks them: AWS catalog, the cluster's architecture.
  auto run = [&](const char* label, const plan::ClusterDescription& c, const std::string& arch) {
    plan::SizingOptions sizing;
    sizing.target_utilization = 1.0;
    if (!arch.empty()) sizing.architectures = {arch};
    auto replacements = plan::catalogOptions(pricing::Catalog::builtin(), sizing);
    if (!replacements) {
      std::fprintf(stderr, "%s\n", replacements.error().message.c_str());
      return 1;
    }
    options.replacements = *replacements;
    const auto t0 = std::chrono::steady_clock::now();
    auto p = plan::consolidate(c, options);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!p) {
      std::fprintf(stderr, "%s\n", p.error().message.c_str());
      return 1;
    }
    report(label, c, *p, ms);
    if (auto ok = plan::verifyPlan(c, *p, options); !ok) {
      std::fprintf(stderr, "plan check failed: %s\n", ok.error().message.c_str());
      return 1;
    }
    return 0;
  };

  if (!store_path.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    auto s = store::openSqliteStore(store_path, store::OpenMode::kReadOnly);
    if (!s) {
      std::fprintf(stderr, "%s\n", s.error().message.c_str());
      return 1;
    }
    auto extent = (*s)->extent();
    if (!extent) return 1;
    plan::StoreClusterOptions o;
    o.cluster = cluster;
    o.window_start = extent->second - 7 * 86400;
    o.window_end = extent->second;
    auto sc = plan::readStoreCluster(**s, pricing::Catalog::builtin(), o);
    if (!sc) {
      std::fprintf(stderr, "%s\n", sc.error().message.c_str());
      return 1;
    }
    const double read_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("store %s: open + read last hour %.0f ms\n", store_path.c_str(), read_ms);
    if (int rc = run("store", sc->description, sc->arch)) return rc;
  }
  if (nodes <= 0) return 0;
  const plan::ClusterDescription c = synthetic(nodes, seed);
  return run("synthetic", c, "amd64");
}
