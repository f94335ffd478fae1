// `trimtab plan`: the capacity planner (plan/): scheduling replay of openb traces with the FGD
// paper's policies and Trimtab's, node-pool sizing against the pricing catalog, and
// consolidation plans for a cluster in a store.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/common.h"
#include "cost/window.h"
#include "plan/consolidate.h"
#include "plan/from_store.h"
#include "plan/openb.h"
#include "plan/replay.h"
#include "plan/sizing.h"
#include "model/quantity.h"
#include "model/time_format.h"
#include "pricing/catalog.h"

namespace trimtab::cli {

namespace {

constexpr const char* kPlanUsage =
    "  trimtab plan replay --nodes FILE --pods FILE --policy P [--seed S] [--inflate 1.3]\n"
    "      [--tie-break shuffled|first|random] [--format table|json]\n"
    "      Replay an openb trace (FGD paper protocol); policies: random, dotprod, clustering,\n"
    "      packing, bestfit, fgd, trimtab. Prints GPU allocation, unallocated GPU % and\n"
    "      fragmentation as the arrived load grows.\n"
    "  trimtab plan size --pods FILE | --store PATH [--window 7d] [--cluster C]\n"
    "      [--catalog aws|gcp|azure] [--region R] [--spot-ok] [--target-utilization 0.8]\n"
    "      [--families F[,F...]] [--colgen-seconds 3.5]\n"
    "      [--daemonset-overhead cpu=100m,memory=200Mi[,pods=N]] [--zones A,B,...]\n"
    "      [--format table|json]\n"
    "      Cheapest node-pool mix for the pods (an openb pod list, or the store's pods at the\n"
    "      end of the window), with Karpenter-style FFD and the LP bound (configuration LP by\n"
    "      column generation, capped at --colgen-seconds; the assignment LP for comparison).\n"
    "      DaemonSet overhead is reserved on every node (with --store: the largest per-node\n"
    "      requests of the store's DaemonSet pods unless --daemonset-overhead is given).\n"
    "      --zones: pods held to a zone (nodeSelector topology.kubernetes.io/zone) are sized in\n"
    "      it, the others on their own; one mix per zone.\n"
    "  trimtab plan consolidate --store PATH [--window 7d] [--cluster C] [--max-disruption N]\n"
    "      [--deadline 5s] [--min-saving USD] [--balanced-k 2] [--catalog aws|gcp|azure]\n"
    "      [--region R] [--spot-ok] [--families F[,F...]] [--no-replace] [--threads 2]\n"
    "      [--format table|json]\n"
    "      Consolidation plan for the cluster at the end of the window: nodes to delete or\n"
    "      replace with cheaper types, pod moves, monthly saving, disruption, and why each node\n"
    "      was or was not chosen; compared with Karpenter's single- and multi-node methods.\n"
    "      --min-saving: monthly USD per disruption unit (node + its evicted pods) required to\n"
    "      act; default Karpenter's balanced rule with k = --balanced-k.\n";

Result<double> number(const Args& args, const std::string& flag, double fallback, double min,
                      double max) {
  auto v = args.value(flag);
  if (!v) return fallback;
  try {
    std::size_t used = 0;
    const double d = std::stod(*v, &used);
    if (used != v->size() || !std::isfinite(d) || d < min || d > max)
      throw std::invalid_argument("");
    return d;
  } catch (const std::exception&) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("plan: --{} \"{}\": want a number in [{}, {}]", flag, *v, min, max));
  }
}

int usageError(const std::string& message) {
  printError(Error{ErrorCode::kInvalidArgument, message});
  return kExitUsage;
}

int cmdReplay(const std::vector<std::string>& argv) {
  auto args =
      Args::parse("plan replay", argv,
                  {"nodes", "pods", "policy", "seed", "inflate", "format", "tie-break"}, {});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  const auto nodes_path = args->value("nodes");
  const auto pods_path = args->value("pods");
  if (!nodes_path || !pods_path) return usageError("plan replay: --nodes and --pods are required");
  plan::ReplayOptions options;
  const std::string policy_name = args->valueOr("policy", "");
  auto policy = plan::parsePolicy(policy_name);
  if (!policy) {
    return usageError(fmt::format(
        "plan replay: --policy \"{}\": want random, dotprod, clustering, packing, bestfit, fgd or "
        "trimtab",
        policy_name));
  }
  options.policy = *policy;
  auto seed = args->integer("seed", 42, 0, (1LL << 62));
  if (!seed) {
    printError(seed.error());
    return kExitUsage;
  }
  options.seed = static_cast<std::uint64_t>(*seed);
  auto inflate = number(*args, "inflate", 1.3, 0, 100);
  if (!inflate) {
    printError(inflate.error());
    return kExitUsage;
  }
  options.inflate = *inflate;
  const std::string tie = args->valueOr("tie-break", "shuffled");
  if (tie != "shuffled" && tie != "first" && tie != "random") {
    return usageError(
        fmt::format("plan replay: --tie-break \"{}\": want shuffled, first or random", tie));
  }
  options.tie_break = tie == "shuffled" ? plan::TieBreak::kShuffledFirst
                      : tie == "first"  ? plan::TieBreak::kFirst
                                        : plan::TieBreak::kRandom;
  const std::string format = args->valueOr("format", "table");
  if (format != "table" && format != "json") {
    return usageError(fmt::format("plan replay: --format \"{}\": want table or json", format));
  }

  auto cluster = plan::readOpenbNodes(*nodes_path);
  if (!cluster) {
    printError(cluster.error());
    return kExitError;
  }
  auto pods = plan::readOpenbPods(*pods_path, cluster->gpu_models);
  if (!pods) {
    printError(pods.error());
    return kExitError;
  }
  auto result = plan::replay(*cluster, *pods, options);
  if (!result) {
    printError(result.error());
    return exitCodeFor(result.error());
  }
  if (format == "json") {
    std::printf("%s\n", plan::replayJson(*result).c_str());
    return kExitOk;
  }
  std::printf(
      "policy %s, seed %llu, inflate %.2f: %zu pods submitted on %zu nodes (%d GPUs), "
      "%zu failed\n\n",
      std::string(plan::policyName(result->policy)).c_str(),
      static_cast<unsigned long long>(result->seed), result->inflate, result->sequence.size(),
      cluster->nodes.size(), result->total_gpus, result->failed.size());
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : result->curve) {
    if (p.arrived_pct % 10 != 0 && p.arrived_pct < 90) continue;
    if (p.arrived_pct >= 90 && p.arrived_pct % 5 != 0) continue;
    rows.push_back({fmt::format("{}%", p.arrived_pct), fmt::format("{:.2f}", p.gpu_alloc_pct),
                    fmt::format("{:.2f}", p.unallocated_gpu_pct),
                    fmt::format("{:.2f}", p.frag_pct)});
  }
  printTable({"ARRIVED", "GPU ALLOC %", "UNALLOCATED %", "FRAG %"}, rows);
  if (result->unallocated_gpu_pct_at_100 >= 0) {
    std::printf("\nunallocated GPU at arrived 100%%: %.2f%%\n", result->unallocated_gpu_pct_at_100);
  }
  const std::size_t shown = std::min<std::size_t>(result->failed.size(), 5);
  if (shown > 0)
    std::printf("\nunschedulable pods (first %zu of %zu):\n", shown, result->failed.size());
  for (std::size_t i = 0; i < shown; ++i) {
    std::printf("  %s: %s\n", result->failed[i].name.c_str(), result->failed[i].reason.c_str());
  }
  return kExitOk;
}

std::string mixText(const std::vector<plan::NodeCount>& mix) {
  std::string out;
  for (const auto& n : mix) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{}x {}{}", n.count, n.instance_type, n.spot ? " (spot)" : "");
  }
  return out;
}

std::string mixJson(const std::vector<plan::NodeCount>& mix) {
  std::string out = "[";
  for (std::size_t i = 0; i < mix.size(); ++i) {
    out +=
        fmt::format("{}{{\"instance_type\":\"{}\",\"spot\":{},\"count\":{},\"hourly_usd\":{:.6f}}}",
                    i ? "," : "", mix[i].instance_type, mix[i].spot ? "true" : "false",
                    mix[i].count, mix[i].hourly_usd);
  }
  return out + "]";
}

// --window (default 7d) relative to now, --store, --cluster: the cluster at the window's end.
Result<plan::StoreCluster> loadStoreCluster(const Args& args, const std::string& command) {
  auto window = cost::parseWindow(args.valueOr("window", "7d"), nowSeconds());
  if (!window) return fail(window.error().withContext(command + ": --window"));
  const cost::Window w = alignToHours(*window);
  auto store = openStore(args, store::OpenMode::kReadOnly);
  if (!store) return tl::unexpected(store.error());
  plan::StoreClusterOptions options;
  options.cluster = args.valueOr("cluster", "");
  options.window_start = w.start;
  options.window_end = w.end;
  return plan::readStoreCluster(**store, pricing::Catalog::builtin(), options);
}

// "5s", "250ms", "1m" or plain seconds.
Result<int> deadlineMs(const std::string& text) {
  double scale = 1000;
  std::string number = text;
  if (text.ends_with("ms")) {
    scale = 1;
    number = text.substr(0, text.size() - 2);
  } else if (text.ends_with("s")) {
    number = text.substr(0, text.size() - 1);
  } else if (text.ends_with("m")) {
    scale = 60000;
    number = text.substr(0, text.size() - 1);
  }
  try {
    std::size_t used = 0;
    const double v = std::stod(number, &used);
    if (used == number.size() && std::isfinite(v) && v > 0 && v * scale <= 3600000) {
      return static_cast<int>(std::max(1.0, v * scale));
    }
  } catch (const std::exception&) {
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("plan consolidate: --deadline \"{}\": want a duration such as 5s, "
                          "500ms or 1m (at most 1h)",
                          text));
}

std::string usd(double v) { return "$" + money(v); }

int cmdConsolidate(const std::vector<std::string>& argv) {
  auto args = Args::parse("plan consolidate", argv,
                          {"store", "window", "cluster", "max-disruption", "deadline", "format",
                           "min-saving", "balanced-k", "catalog", "region", "families", "threads",
                           "variants"},
                          {"spot-ok", "no-replace"});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  if (!args->value("store")) return usageError("plan consolidate: --store PATH is required");
  const std::string format = args->valueOr("format", "table");
  if (format != "table" && format != "json") {
    return usageError(fmt::format("plan consolidate: --format \"{}\": want table or json", format));
  }
  plan::ConsolidateOptions options;
  auto max_disruption = args->integer("max-disruption", -1, -1, 1000000000);
  auto threads = args->integer("threads", 2, 1, 64);
  auto variants = args->integer("variants", 6, 1, 64);
  auto min_saving = number(*args, "min-saving", -1, 0, 1e12);
  auto balanced_k = number(*args, "balanced-k", 2, 0.001, 1e6);
  auto deadline = deadlineMs(args->valueOr("deadline", "5s"));
  for (const Error* e : {max_disruption ? nullptr : &max_disruption.error(),
                         threads ? nullptr : &threads.error(),
                         variants ? nullptr : &variants.error(),
                         min_saving ? nullptr : &min_saving.error(),
                         balanced_k ? nullptr : &balanced_k.error(),
                         deadline ? nullptr : &deadline.error()}) {
    if (e) {
      printError(*e);
      return kExitUsage;
    }
  }
  options.max_disruption = static_cast<int>(*max_disruption);
  options.threads = static_cast<int>(*threads);
  options.variants = static_cast<int>(*variants);
  options.min_saving_per_disruption_usd = args->value("min-saving") ? *min_saving : -1;
  options.balanced_k = *balanced_k;
  options.deadline_ms = *deadline;

  auto sc = loadStoreCluster(*args, "plan consolidate");
  if (!sc) {
    printError(sc.error());
    return exitCodeFor(sc.error());
  }
  plan::ClusterDescription& cluster = sc->description;

  // Replacement types: allocatable capacity (utilisation 1) of the cluster's provider.
  plan::SizingOptions sizing;
  sizing.target_utilization = 1.0;
  sizing.spot_ok = args->flag("spot-ok");
  sizing.families = splitList(args->valueOr("families", ""));
  sizing.provider = sc->provider != pricing::Provider::kUnknown ? sc->provider : pricing::Provider::kAws;
  sizing.region = args->valueOr("region", sc->region);
  if (!sc->arch.empty()) {
    sizing.architectures = {sc->arch};  // images are built for the cluster's architecture
  } else {
    cluster.notes.push_back("replacement types: the nodes' CPU architecture is mixed or unknown; "
                            "every architecture is offered");
  }
  if (auto c = args->value("catalog")) {
    auto provider = pricing::parseProvider(*c);
    if (!provider || *provider == pricing::Provider::kUnknown) {
      return usageError(fmt::format("plan consolidate: --catalog \"{}\": want aws, gcp or azure", *c));
    }
    sizing.provider = *provider;
  }
  if (!args->flag("no-replace")) {
    auto replacements = plan::catalogOptions(pricing::Catalog::builtin(), sizing);
    if (!replacements && !args->value("region") && !sizing.region.empty()) {
      cluster.notes.push_back(fmt::format(
          "replacement prices: region {} is not in the catalog; using {}", sizing.region,
          pricing::Catalog::catalogRegion(sizing.provider)));
      sizing.region.clear();
      replacements = plan::catalogOptions(pricing::Catalog::builtin(), sizing);
    }
    if (!replacements) {
      printError(replacements.error());
      return exitCodeFor(replacements.error());
    }
    options.replacements = std::move(*replacements);
  } else {
    cluster.notes.push_back("replacement: disabled by --no-replace (delete actions only)");
  }

  auto plan_result = plan::consolidate(cluster, options);
  if (!plan_result) {
    printError(plan_result.error());
    return exitCodeFor(plan_result.error());
  }
  const plan::ConsolidationPlan& p = *plan_result;
  if (auto ok = plan::verifyPlan(cluster, p, options); !ok) {
    printError(ok.error().withContext("plan consolidate: internal check of the plan failed"));
    return kExitError;
  }
  if (format == "json") {
    std::printf("%s\n", plan::planJson(cluster, p).c_str());
    return kExitOk;
  }
  std::size_t ds = 0, pinned = 0;
  for (const auto& pod : cluster.pods) {
    ds += pod.role == plan::PodRole::kDaemonSet ? 1 : 0;
    pinned += pod.role == plan::PodRole::kPinned ? 1 : 0;
  }
  std::printf("cluster %s at %s: %zu nodes (%s/month), %zu pods (%zu DaemonSet, %zu pinned)\n",
              cluster.cluster.c_str(), model::formatRfc3339(sc->hour_start).c_str(),
              cluster.nodes.size(), usd(p.cluster_monthly_usd).c_str(), cluster.pods.size(), ds,
              pinned);
  std::printf("PDBs: %s\n", cluster.pdbs_known ? "in store" : "not in store");
  if (p.pools.empty()) {
    std::printf("savings vs disruption: act only when the monthly saving per disruption unit (a "
                "node + each pod it evicts) is at least %s (%s)\n",
                usd(p.threshold_usd).c_str(), p.threshold_rule.c_str());
  } else {
    std::printf("savings vs disruption: act only when the monthly saving per disruption unit (a "
                "node + each pod it evicts) is at least the pool's threshold (Karpenter balanced "
                "rule, k=%g: pool cost / pool disruption units / k; --min-saving overrides):\n",
                options.balanced_k);
    for (const auto& pt : p.pools) {
      std::printf("  %s: %d nodes, %s/month, %.0f units -> %s per unit\n", pt.pool.c_str(),
                  pt.nodes, usd(pt.monthly_usd).c_str(), pt.disruption_units,
                  usd(pt.threshold_usd).c_str());
    }
  }
  std::printf("max disruption: %s pods; replacement types: %zu (%s%s%s)\n",
              options.max_disruption < 0 ? "unlimited" : std::to_string(options.max_disruption).c_str(),
              options.replacements.size(), std::string(pricing::providerName(sizing.provider)).c_str(),
              sc->arch.empty() ? "" : (", " + sc->arch).c_str(), sizing.spot_ok ? ", spot allowed" : "");
  std::printf("search: %d of %d orderings evaluated%s in %.0f ms; best: %s\n\n",
              p.variants_evaluated, p.variants_total, p.deadline_hit ? " (deadline reached)" : "",
              p.elapsed_ms, p.chosen_variant.c_str());
  if (p.actions.empty()) std::printf("no action: nothing can be removed or replaced profitably\n\n");
  for (std::size_t ai = 0; ai < p.actions.size(); ++ai) {
    const auto& a = p.actions[ai];
    std::printf("action %zu: %s %zu node(s)%s: saving %s/month (%s/h - %s/h), %d pods evicted, "
                "%.0f disruption units (%s per unit)\n",
                ai + 1, a.kind == plan::ActionKind::kDelete ? "delete" : "replace", a.removed.size(),
                a.added.empty() ? "" : fmt::format(" with {} new", a.added.size()).c_str(),
                usd(a.monthlySaving()).c_str(), usd(a.removed_hourly_usd).c_str(),
                usd(a.added_hourly_usd).c_str(), a.evicted, a.disruption,
                usd(a.disruption > 0 ? a.monthlySaving() / a.disruption : 0).c_str());
    for (int n : a.removed) {
      const auto& node = cluster.nodes[static_cast<std::size_t>(n)];
      std::printf("  remove %s (%s, %s/h)\n", node.spec.name.c_str(), node.instance_type.c_str(),
                  fmt::format("${:.4f}", node.hourly_usd).c_str());
    }
    for (const auto& added : a.added) {
      std::string where;
      if (auto z = added.labels.find("topology.kubernetes.io/zone"); z != added.labels.end())
        where = ", zone " + z->second;
      std::printf("  add    %s (%s%s, %s/h%s)\n", added.name.c_str(),
                  added.option.instance_type.c_str(), added.option.spot ? ", spot" : "",
                  fmt::format("${:.4f}", added.option.hourly_usd).c_str(), where.c_str());
    }
    for (const auto& m : a.moves) {
      const auto& pod = cluster.pods[m.pod];
      std::printf("  move   %s: %s -> %s\n", pod.spec.name.c_str(),
                  cluster.nodes[static_cast<std::size_t>(pod.node)].spec.name.c_str(),
                  m.target_name.c_str());
    }
    std::printf("\n");
  }
  std::vector<std::vector<std::string>> rows;
  for (std::size_t u = 0; u < cluster.nodes.size(); ++u) {
    const auto& node = cluster.nodes[u];
    rows.push_back({node.spec.name, node.instance_type, fmt::format("{:.4f}", node.hourly_usd),
                    node.price_source, p.verdicts[u].removed ? "remove" : "keep"});
  }
  printTable({"NODE", "TYPE", "$/HOUR", "PRICE", "PLAN"}, rows);
  std::printf("\nwhy:\n");
  for (std::size_t u = 0; u < cluster.nodes.size(); ++u) {
    std::printf("  %s: %s\n", cluster.nodes[u].spec.name.c_str(), p.verdicts[u].reason.c_str());
  }
  std::printf("\n");
  rows.clear();
  for (const auto& s : p.strategies) {
    rows.push_back({s.name, std::to_string(s.nodes_removed), std::to_string(s.nodes_added),
                    std::to_string(s.evicted), money(s.monthly_saving_usd)});
  }
  printTable({"STRATEGY (same limits)", "NODES REMOVED", "ADDED", "EVICTED", "$/MONTH SAVED"}, rows);
  std::printf("\nplan: saves %s/month (%.1f%% of the cluster), %d pods evicted\n",
              usd(p.monthly_saving_usd).c_str(),
              p.cluster_monthly_usd > 0 ? p.monthly_saving_usd / p.cluster_monthly_usd * 100 : 0.0,
              p.evicted);
  for (const auto& note : cluster.notes) std::printf("note: %s\n", note.c_str());
  return kExitOk;
}

// Per-node DaemonSet overhead for plan size.
struct DaemonSetOverhead {
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  int pods = 0;
};

// "cpu=100m,memory=200Mi[,pods=2]" (each key optional).
Result<DaemonSetOverhead> parseOverhead(const std::string& text) {
  DaemonSetOverhead out;
  for (const auto& item : splitList(text)) {
    const auto eq = item.find('=');
    const std::string key = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    auto bad = [&](const std::string& why) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--daemonset-overhead \"{}\": {} (want e.g. "
                              "cpu=100m,memory=200Mi,pods=2)",
                              item, why));
    };
    if (key == "cpu") {
      auto v = model::parseQuantityMilli(value);
      if (!v || *v < 0) return bad("not a CPU quantity");
      out.cpu_milli = *v;
    } else if (key == "memory") {
      auto v = model::parseQuantity(value);
      if (!v || *v < 0) return bad("not a memory quantity");
      out.memory_mib = (*v + (1 << 20) - 1) >> 20;
    } else if (key == "pods") {
      auto v = model::parseQuantity(value);
      if (!v || *v < 0 || *v > 10000) return bad("not a pod count");
      out.pods = static_cast<int>(*v);
    } else {
      return bad("unknown key");
    }
  }
  return out;
}

// plan size --zones: one row per zone (pods without a zone last, as "(any)").
int printZonedSizing(const plan::ZonedSizingResult& z, std::size_t pod_count,
                     const std::string& format, const std::string& source_note) {
  const auto label = [](const std::string& zone) {
    return zone.empty() ? std::string("(any)") : zone;
  };
  if (format == "json") {
    std::string zones = "[";
    for (std::size_t i = 0; i < z.zones.size(); ++i) {
      const auto& r = z.zones[i].result;
      zones += fmt::format(
          "{}{{\"zone\":\"{}\",\"pods\":{},\"mix_hourly_usd\":{:.4f},\"ffd_hourly_usd\":{:.4f},"
          "\"lp_bound_hourly_usd\":{:.4f},\"gap_pct\":{:.3f},\"bound_method\":\"{}\",\"mix\":{}}}",
          i ? "," : "", z.zones[i].zone, z.zones[i].pods.size(), r.mix_hourly_usd,
          r.ffd_hourly_usd, r.lp_bound_hourly_usd, r.gap_pct, r.bound_method, mixJson(r.mix));
    }
    zones += "]";
    std::string unplaceable = "[";
    for (std::size_t i = 0; i < z.unplaceable.size(); ++i) {
      unplaceable += fmt::format("{}{{\"pod\":\"{}\",\"reason\":\"{}\"}}", i ? "," : "",
                                 z.unplaceable[i].name, z.unplaceable[i].reason);
    }
    unplaceable += "]";
    std::printf(
        "{\"pods\":%zu,\"mix_hourly_usd\":%.4f,\"ffd_hourly_usd\":%.4f,"
        "\"lp_bound_hourly_usd\":%.4f,\"zones\":%s,\"unplaceable\":%s}\n",
        pod_count, z.mix_hourly_usd, z.ffd_hourly_usd, z.lp_bound_hourly_usd, zones.c_str(),
        unplaceable.c_str());
    return kExitOk;
  }
  std::fputs(source_note.c_str(), stdout);
  std::vector<std::vector<std::string>> rows;
  for (const auto& zs : z.zones) {
    const auto& r = zs.result;
    rows.push_back({label(zs.zone), std::to_string(zs.pods.size()), money(r.mix_hourly_usd),
                    money(r.ffd_hourly_usd), money(r.lp_bound_hourly_usd),
                    fmt::format("{:.2f}%", r.gap_pct), mixText(r.mix)});
  }
  rows.push_back({"total", std::to_string(pod_count), money(z.mix_hourly_usd),
                  money(z.ffd_hourly_usd), money(z.lp_bound_hourly_usd),
                  z.lp_bound_hourly_usd > 0
                      ? fmt::format("{:.2f}%", (z.mix_hourly_usd - z.lp_bound_hourly_usd) /
                                                   z.lp_bound_hourly_usd * 100)
                      : "-",
                  ""});
  printTable({"ZONE", "PODS", "MIX $/H", "FFD $/H", "BOUND $/H", "GAP", "TRIMTAB MIX"}, rows);
  std::puts("\n(any): pods without a zone constraint, sized on their own nodes; the total bound "
            "is the sum of the zones' bounds.");
  if (!z.unplaceable.empty()) {
    std::printf("\nunplaceable pods (%zu):\n", z.unplaceable.size());
    for (std::size_t i = 0; i < z.unplaceable.size() && i < 10; ++i) {
      std::printf("  %s: %s\n", z.unplaceable[i].name.c_str(), z.unplaceable[i].reason.c_str());
    }
  }
  return kExitOk;
}

int cmdSize(const std::vector<std::string>& argv) {
  auto args = Args::parse("plan size", argv,
                          {"pods", "store", "window", "cluster", "catalog", "region",
                           "target-utilization", "families", "format", "colgen-seconds",
                           "daemonset-overhead", "zones"},
                          {"spot-ok"});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  const auto pods_path = args->value("pods");
  const bool from_store = args->value("store").has_value();
  if (!pods_path && !from_store) return usageError("plan size: --pods FILE or --store PATH is required");
  if (pods_path && from_store) return usageError("plan size: give --pods or --store, not both");
  plan::SizingOptions options;
  std::vector<plan::PodSpec> store_pods;
  std::string source_note;
  if (from_store) {
    auto sc = loadStoreCluster(*args, "plan size");
    if (!sc) {
      printError(sc.error());
      return exitCodeFor(sc.error());
    }
    std::size_t overhead = 0;
    // Per node: the DaemonSet pods' requests; every new node is charged the largest.
    std::vector<DaemonSetOverhead> per_node(sc->description.nodes.size());
    for (const auto& p : sc->description.pods) {
      if (p.role == plan::PodRole::kDaemonSet) {
        ++overhead;
        if (p.node >= 0 && static_cast<std::size_t>(p.node) < per_node.size()) {
          auto& o = per_node[static_cast<std::size_t>(p.node)];
          o.cpu_milli += p.spec.cpu_milli;
          o.memory_mib += p.spec.memory_mib;
          ++o.pods;
        }
        continue;
      }
      plan::PodSpec spec = p.spec;
      spec.gpu_model_mask = 0;
      store_pods.push_back(std::move(spec));
    }
    for (const auto& o : per_node) {
      options.daemonset_cpu_milli = std::max(options.daemonset_cpu_milli, o.cpu_milli);
      options.daemonset_memory_mib = std::max(options.daemonset_memory_mib, o.memory_mib);
      options.daemonset_pods = std::max(options.daemonset_pods, o.pods);
    }
    source_note = fmt::format(
        "cluster {} at {}: {} pods on {} nodes ({} DaemonSet pods not sized; their largest "
        "per-node requests are reserved on every node)\n",
        sc->description.cluster, model::formatRfc3339(sc->hour_start), store_pods.size(),
        sc->description.nodes.size(), overhead);
    if (!args->value("catalog") && sc->provider != pricing::Provider::kUnknown) {
      options.provider = sc->provider;
      if (!args->value("region")) options.region = sc->region;
    }
  }
  const std::string catalog_name =
      args->valueOr("catalog", std::string(pricing::providerName(options.provider)));
  auto provider = pricing::parseProvider(catalog_name);
  if (!provider || *provider == pricing::Provider::kUnknown) {
    return usageError(
        fmt::format("plan size: --catalog \"{}\": want aws, gcp or azure", catalog_name));
  }
  options.provider = *provider;
  if (args->value("region")) options.region = args->valueOr("region", "");
  options.spot_ok = args->flag("spot-ok");
  auto util = number(*args, "target-utilization", 0.8, 0.01, 1.0);
  if (!util) {
    printError(util.error());
    return kExitUsage;
  }
  options.target_utilization = *util;
  options.families = splitList(args->valueOr("families", ""));
  const std::string format = args->valueOr("format", "table");
  if (format != "table" && format != "json") {
    return usageError(fmt::format("plan size: --format \"{}\": want table or json", format));
  }
  if (const auto text = args->value("daemonset-overhead")) {
    auto o = parseOverhead(*text);
    if (!o) {
      printError(o.error().withContext("plan size"));
      return kExitUsage;
    }
    options.daemonset_cpu_milli = o->cpu_milli;
    options.daemonset_memory_mib = o->memory_mib;
    options.daemonset_pods = o->pods;
  }
  plan::GpuModels models;
  auto pods = from_store ? Result<std::vector<plan::PodSpec>>(std::move(store_pods))
                         : plan::readOpenbPodsAddingModels(*pods_path, models);
  if (!pods) {
    printError(pods.error());
    return kExitError;
  }
  auto instance_options = plan::catalogOptions(pricing::Catalog::builtin(), options);
  if (!instance_options && from_store && !options.region.empty() && !args->value("region")) {
    options.region.clear();  // the cluster's region is not in the catalog: its catalog region
    instance_options = plan::catalogOptions(pricing::Catalog::builtin(), options);
  }
  if (!instance_options) {
    printError(instance_options.error());
    return exitCodeFor(instance_options.error());
  }
  plan::SizingLimits limits;
  auto colgen_seconds = number(*args, "colgen-seconds", limits.colgen_seconds, 0, 600);
  if (!colgen_seconds) {
    printError(colgen_seconds.error());
    return kExitUsage;
  }
  limits.colgen_seconds = *colgen_seconds;
  constexpr double kHoursPerMonth = 730;
  if (const auto zone_list = args->value("zones")) {
    const std::vector<std::string> zones = splitList(*zone_list);
    auto z = plan::sizePoolByZone(*pods, *instance_options, zones, limits);
    if (!z) {
      printError(z.error());
      return exitCodeFor(z.error());
    }
    return printZonedSizing(*z, pods->size(), format, source_note);
  }
  auto r = plan::sizePool(*pods, *instance_options, limits);
  if (!r) {
    printError(r.error());
    return exitCodeFor(r.error());
  }
  if (format == "json") {
    std::string unplaceable = "[";
    for (std::size_t i = 0; i < r->unplaceable.size(); ++i) {
      unplaceable += fmt::format("{}{{\"pod\":\"{}\",\"reason\":\"{}\"}}", i ? "," : "",
                                 r->unplaceable[i].name, r->unplaceable[i].reason);
    }
    unplaceable += "]";
    std::printf(
        "{\"pods\":%zu,\"pods_sized\":%zu,\"pod_classes\":%zu,\"mix_hourly_usd\":%.4f,"
        "\"ffd_hourly_usd\":%.4f,\"lp_bound_hourly_usd\":%.4f,\"gap_pct\":%.3f,"
        "\"bound_method\":\"%s\",\"assignment_bound_hourly_usd\":%.4f,"
        "\"colgen_bound_hourly_usd\":%.4f,\"colgen_master_hourly_usd\":%.4f,"
        "\"colgen_converged\":%s,\"colgen_time_capped\":%s,\"colgen_iterations\":%d,"
        "\"colgen_columns\":%zu,\"mix_method\":\"%s\",\"mix\":%s,\"ffd\":%s,"
        "\"unplaceable\":%s}\n",
        pods->size(), r->pods_sized, r->pod_classes, r->mix_hourly_usd, r->ffd_hourly_usd,
        r->lp_bound_hourly_usd, r->gap_pct, r->bound_method.c_str(),
        r->assignment_bound_hourly_usd, r->colgen_bound_hourly_usd, r->colgen_master_hourly_usd,
        r->colgen_converged ? "true" : "false", r->colgen_time_capped ? "true" : "false",
        r->colgen_iterations, r->colgen_columns, r->mix_method.c_str(), mixJson(r->mix).c_str(),
        mixJson(r->ffd).c_str(), unplaceable.c_str());
    return kExitOk;
  }
  std::fputs(source_note.c_str(), stdout);
  std::printf("%zu pods (%zu sized), %zu instance options (%s%s, utilisation %.0f%%%s)\n\n",
              pods->size(), r->pods_sized, instance_options->size(),
              std::string(pricing::providerName(options.provider)).c_str(),
              options.spot_ok ? ", spot allowed" : "", options.target_utilization * 100,
              options.daemonset_cpu_milli > 0 || options.daemonset_memory_mib > 0 ||
                      options.daemonset_pods > 0
                  ? fmt::format(", DaemonSet overhead {}m cpu, {}Mi memory, {} pods per node",
                                options.daemonset_cpu_milli, options.daemonset_memory_mib,
                                options.daemonset_pods)
                        .c_str()
                  : "");
  const auto pct = [&](double v) {
    return r->lp_bound_hourly_usd > 0 ? fmt::format("{:+.2f}%", (v - r->lp_bound_hourly_usd) /
                                                                    r->lp_bound_hourly_usd * 100)
                                      : std::string("-");
  };
  std::vector<std::vector<std::string>> rows = {
      {"trimtab mix", money(r->mix_hourly_usd), money(r->mix_hourly_usd * kHoursPerMonth),
       pct(r->mix_hourly_usd)},
      {"karpenter ffd", money(r->ffd_hourly_usd), money(r->ffd_hourly_usd * kHoursPerMonth),
       pct(r->ffd_hourly_usd)},
      {fmt::format("lp bound ({})", r->bound_method), money(r->lp_bound_hourly_usd),
       money(r->lp_bound_hourly_usd * kHoursPerMonth), "0.00%"},
  };
  if (r->assignment_bound_hourly_usd > 0 && r->bound_method != "clp") {
    rows.push_back({"assignment lp (clp)", money(r->assignment_bound_hourly_usd),
                    money(r->assignment_bound_hourly_usd * kHoursPerMonth),
                    pct(r->assignment_bound_hourly_usd)});
  }
  if (r->colgen_iterations > 0 && r->bound_method != "clp-colgen") {
    rows.push_back({"configuration lp (farley)", money(r->colgen_bound_hourly_usd),
                    money(r->colgen_bound_hourly_usd * kHoursPerMonth),
                    pct(r->colgen_bound_hourly_usd)});
  }
  printTable({"PLAN", "$/HOUR", "$/MONTH", "VS BOUND"}, rows);
  std::printf("\ntrimtab mix (%s): %s\nkarpenter ffd: %s\n", r->mix_method.c_str(),
              mixText(r->mix).c_str(), mixText(r->ffd).c_str());
  if (r->colgen_iterations > 0) {
    std::printf(
        "column generation: %d rounds, %zu patterns, %zu pod shapes, restricted master $%.2f/h, "
        "%s\n",
        r->colgen_iterations, r->colgen_columns, r->pod_classes, r->colgen_master_hourly_usd,
        r->colgen_converged    ? "pricing proved optimal"
        : r->colgen_time_capped ? "stopped by --colgen-seconds (bound kept valid by Farley)"
                                : "pricing searches cut short (bound kept valid by Farley)");
  }
  if (!r->unplaceable.empty()) {
    std::printf("\nunplaceable pods (%zu):\n", r->unplaceable.size());
    for (std::size_t i = 0; i < r->unplaceable.size() && i < 10; ++i) {
      std::printf("  %s: %s\n", r->unplaceable[i].name.c_str(), r->unplaceable[i].reason.c_str());
    }
  }
  return kExitOk;
}

int cmdPlan(const std::vector<std::string>& argv) {
  if (argv.empty()) {
    std::fputs(kPlanUsage, stderr);
    return kExitUsage;
  }
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "replay") return cmdReplay(rest);
  if (argv[0] == "size") return cmdSize(rest);
  if (argv[0] == "consolidate") return cmdConsolidate(rest);
  return usageError(
      fmt::format("plan: unknown subcommand \"{}\" (want replay, size or consolidate)", argv[0]));
}

const CommandRegistration kReg{{"plan", kPlanUsage, &cmdPlan}};

}  // namespace

}  // namespace trimtab::cli
