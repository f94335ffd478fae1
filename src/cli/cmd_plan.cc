// `trimtab plan`: the capacity planner (plan/): scheduling replay of openb traces with the FGD
// paper's policies and Trimtab's, and node-pool sizing against the pricing catalog.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/common.h"
#include "plan/openb.h"
#include "plan/replay.h"
#include "plan/sizing.h"
#include "pricing/catalog.h"

namespace trimtab::cli {

namespace {

constexpr const char* kPlanUsage =
    "  trimtab plan replay --nodes FILE --pods FILE --policy P [--seed S] [--inflate 1.3]\n"
    "      [--tie-break shuffled|first|random] [--format table|json]\n"
    "      Replay an openb trace (FGD paper protocol); policies: random, dotprod, clustering,\n"
    "      packing, bestfit, fgd, trimtab. Prints GPU allocation, unallocated GPU % and\n"
    "      fragmentation as the arrived load grows.\n"
    "  trimtab plan size --pods FILE [--catalog aws|gcp|azure] [--region R] [--spot-ok]\n"
    "      [--target-utilization 0.8] [--families F[,F...]] [--format table|json]\n"
    "      Cheapest node-pool mix for the pods, with Karpenter-style FFD and the LP bound.\n";

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

int cmdSize(const std::vector<std::string>& argv) {
  auto args = Args::parse(
      "plan size", argv,
      {"pods", "store", "catalog", "region", "target-utilization", "families", "format"},
      {"spot-ok"});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  if (args->value("store")) {
    return usageError("plan size: --store is not supported yet; export the pods with --pods FILE");
  }
  const auto pods_path = args->value("pods");
  if (!pods_path) return usageError("plan size: --pods FILE is required");
  plan::SizingOptions options;
  const std::string catalog_name = args->valueOr("catalog", "aws");
  auto provider = pricing::parseProvider(catalog_name);
  if (!provider || *provider == pricing::Provider::kUnknown) {
    return usageError(
        fmt::format("plan size: --catalog \"{}\": want aws, gcp or azure", catalog_name));
  }
  options.provider = *provider;
  options.region = args->valueOr("region", "");
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
  plan::GpuModels models;
  auto pods = plan::readOpenbPodsAddingModels(*pods_path, models);
  if (!pods) {
    printError(pods.error());
    return kExitError;
  }
  auto instance_options = plan::catalogOptions(pricing::Catalog::builtin(), options);
  if (!instance_options) {
    printError(instance_options.error());
    return exitCodeFor(instance_options.error());
  }
  auto r = plan::sizePool(*pods, *instance_options);
  if (!r) {
    printError(r.error());
    return exitCodeFor(r.error());
  }
  constexpr double kHoursPerMonth = 730;
  if (format == "json") {
    std::string unplaceable = "[";
    for (std::size_t i = 0; i < r->unplaceable.size(); ++i) {
      unplaceable += fmt::format("{}{{\"pod\":\"{}\",\"reason\":\"{}\"}}", i ? "," : "",
                                 r->unplaceable[i].name, r->unplaceable[i].reason);
    }
    unplaceable += "]";
    std::printf(
        "{\"pods\":%zu,\"pods_sized\":%zu,\"mix_hourly_usd\":%.4f,\"ffd_hourly_usd\":%.4f,"
        "\"lp_bound_hourly_usd\":%.4f,\"gap_pct\":%.3f,\"bound_method\":\"%s\",\"mix\":%s,"
        "\"ffd\":%s,\"unplaceable\":%s}\n",
        pods->size(), r->pods_sized, r->mix_hourly_usd, r->ffd_hourly_usd, r->lp_bound_hourly_usd,
        r->gap_pct, r->bound_method.c_str(), mixJson(r->mix).c_str(), mixJson(r->ffd).c_str(),
        unplaceable.c_str());
    return kExitOk;
  }
  std::printf("%zu pods (%zu sized), %zu instance options (%s%s, utilisation %.0f%%)\n\n",
              pods->size(), r->pods_sized, instance_options->size(),
              std::string(pricing::providerName(options.provider)).c_str(),
              options.spot_ok ? ", spot allowed" : "", options.target_utilization * 100);
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
  printTable({"PLAN", "$/HOUR", "$/MONTH", "VS BOUND"}, rows);
  std::printf("\ntrimtab mix: %s\nkarpenter ffd: %s\n", mixText(r->mix).c_str(),
              mixText(r->ffd).c_str());
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
  if (argv[0] == "consolidate") {
    return usageError("plan consolidate: not implemented yet (see docs/planner.md)");
  }
  return usageError(fmt::format("plan: unknown subcommand \"{}\" (want replay or size)", argv[0]));
}

const CommandRegistration kReg{{"plan", kPlanUsage, &cmdPlan}};

}  // namespace

}  // namespace trimtab::cli
