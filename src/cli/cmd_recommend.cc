// `trimtab recommend`: rightsizing recommendations (recommend/recommend.h) as a table, JSON,
// YAML, CSV or GitOps patches.
#include <fmt/format.h>

#include <cstdio>
#include <optional>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/plugin_hooks.h"
#include "pricing/catalog.h"
#include "pricing/defaults.h"
#include "recommend/insights.h"
#include "recommend/patches.h"
#include "recommend/recommend.h"
#include "source/snapshot/snapshot.h"

namespace trimtab::cli {

namespace {

std::string workloadName(const recommend::WorkloadKey& k) {
  return fmt::format("{}/{}/{}/{}", k.namespace_name, k.controller_kind, k.controller, k.container);
}

std::string bytesText(double b) { return recommend::memoryQuantity(b); }

void printRecommendationTable(const std::vector<recommend::Recommendation>& recs) {
  std::vector<std::vector<std::string>> rows;
  double total = 0;
  std::size_t insufficient = 0;
  for (const auto& r : recs) {
    if (!r.sufficient) {
      ++insufficient;
      rows.push_back({workloadName(r.key), "-", recommend::cpuQuantity(r.current.cpu_request_cores),
                      "-", bytesText(r.current.memory_request_bytes), "-", "-", "-", "-"});
      continue;
    }
    total += r.monthly_saving_usd;
    rows.push_back({workloadName(r.key), r.recommender,
                    recommend::cpuQuantity(r.current.cpu_request_cores),
                    recommend::cpuQuantity(r.recommended.cpu_request_cores),
                    bytesText(r.current.memory_request_bytes),
                    bytesText(r.recommended.memory_request_bytes), percent(r.memory_overrun_risk),
                    percent(r.cpu_throttle_risk), money(r.monthly_saving_usd)});
  }
  const std::vector<std::string> footer = {
      fmt::format("{} workloads ({} insufficient data)", recs.size(), insufficient),
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      money(total)};
  printTable({"WORKLOAD", "BY", "CPU NOW", "CPU REC", "MEM NOW", "MEM REC", "OOM RISK", "CPU RISK",
              "$/MONTH"},
             rows, &footer);
  // Reasons are one line each but long: below the table, in the table's order.
  std::printf("\nReasons:\n");
  for (const auto& r : recs)
    std::printf("  %s: %s\n", workloadName(r.key).c_str(), r.reason.c_str());
}

int runInsights(const Args& args, const store::Store& store,
                const recommend::RecommendOptions& options, const std::string& format) {
  recommend::InsightOptions io;
  io.window_start = options.window_start;
  io.window_end = options.window_end;
  io.cluster = options.cluster;
  auto idle_days = args.integer("idle-days", 7, 1, 365);
  if (!idle_days) {
    printError(idle_days.error());
    return kExitUsage;
  }
  io.idle_days = static_cast<double>(*idle_days);
  // Spot candidates: the built-in catalog's on-demand and spot prices of the node's type (its
  // region's row, else the provider's catalog region); a row without a spot price gets
  // on-demand × kDefaultSpotToOnDemandRatio, as the Pricer does ("...:spot-estimated").
  io.spot_price = [](std::string_view instance_type,
                     std::string_view region) -> std::optional<recommend::SpotPrice> {
    if (instance_type.empty()) return std::nullopt;
    auto match = pricing::Catalog::builtin().lookup(std::nullopt, instance_type, region);
    if (!match || !match->row) return std::nullopt;
    const pricing::InstanceType& row = *match->row;
    if (!(row.ondemand_hourly > 0)) return std::nullopt;
    const bool listed = row.spot_hourly > 0;
    return recommend::SpotPrice{
        row.ondemand_hourly,
        listed ? row.spot_hourly : row.ondemand_hourly * pricing::kDefaultSpotToOnDemandRatio,
        fmt::format("catalog:{}:{}:{}:{}", pricing::providerName(row.provider), row.instance_type,
                    row.region, listed ? "spot" : "spot-estimated")};
  };
  if (format != "table" && format != "json") {
    printError(Error{ErrorCode::kInvalidArgument, "recommend --insights: --format table or json"});
    return kExitUsage;
  }
  auto insights = recommend::savingsInsights(store, io);
  if (!insights) {
    printError(insights.error());
    return exitCodeFor(insights.error());
  }
  if (format == "json") {
    std::printf("%s\n", recommend::insightsJson(*insights).c_str());
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  double total = 0;
  for (const auto& i : *insights) {
    total += i.monthly_cost_usd;
    rows.push_back({i.object, i.kind, money(i.monthly_cost_usd), i.evidence});
  }
  const std::vector<std::string> footer = {fmt::format("{} insights", insights->size()), "",
                                           money(total), ""};
  printTable({"OBJECT", "KIND", "$/MONTH", "EVIDENCE"}, rows, &footer);
  return kExitOk;
}

int cmdRecommend(const std::vector<std::string>& argv) {
  std::vector<std::string> with_default = argv;
  bool has_window = false;
  for (const auto& a : argv)
    has_window = has_window || a == "--window" || a.starts_with("--window=");
  if (!has_window) {
    with_default.push_back("--window");
    with_default.push_back("14d");
  }
  auto args = Args::parse("recommend", with_default,
                          {"store", "window", "strategy", "filter", "format", "out", "cluster",
                           "min-history", "manifests", "resources", "vpa", "idle-days", "config"},
                          {"insights"});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  recommend::RecommendOptions options;
  auto strategy = recommend::parseStrategy(args->valueOr("strategy", "auto"));
  if (!strategy) {
    printError(strategy.error());
    return kExitUsage;
  }
  options.strategy = *strategy;
  options.filter = args->valueOr("filter", "");
  options.cluster = args->valueOr("cluster", "");
  auto min_history = args->integer("min-history", 24, 0, 24 * 365);
  if (!min_history) {
    printError(min_history.error());
    return kExitUsage;
  }
  options.min_history_hours = static_cast<double>(*min_history);
  const std::string format = args->valueOr("format", "table");
  if (format != "table" && format != "json" && format != "yaml" && format != "csv" &&
      format != "patches") {
    printError(Error{ErrorCode::kInvalidArgument,
                     fmt::format("recommend: --format \"{}\": expected table, json, yaml, csv or "
                                 "patches",
                                 format)});
    return kExitUsage;
  }
  if (format == "patches" && !args->value("out")) {
    printError(Error{ErrorCode::kInvalidArgument, "recommend: --format patches needs --out DIR"});
    return kExitUsage;
  }
  cost::Window window;
  std::unique_ptr<store::Store> store;
  if (auto rc = windowAndStore(*args, window, store)) return *rc;
  options.window_start = window.start;
  options.window_end = window.end;
  if (args->flag("insights")) return runInsights(*args, *store, options, format);
  // The cluster's objects (kubectl JSON, e.g. a snapshot directory): HPAs for scale-point
  // awareness, workloads for the JSON 6902 container indexes.
  std::optional<model::ObjectSet> manifests;
  if (auto dir = args->value("manifests")) {
    auto files = source::scanSnapshot(*dir);
    if (!files) {
      printError(files.error());
      return exitCodeFor(files.error());
    }
    auto objects = source::loadObjects(*files);
    if (!objects) {
      printError(objects.error());
      return exitCodeFor(objects.error());
    }
    manifests = std::move(*objects);
  }
  auto recs = recommend::recommend(*store, options);
  if (!recs) {
    printError(recs.error());
    return exitCodeFor(recs.error());
  }
  if (manifests) {
    recommend::applyHpas(*recs,
                         recommend::hpaSpecsFrom(manifests->horizontal_pod_autoscalers));
  }
  if (auto config = args->value("config"); config && !config->empty()) {
    auto plugins = loadPlugins(*config, plugin::Hook::kRecommendation);
    if (!plugins) {
      printError(plugins.error());
      return exitCodeFor(plugins.error());
    }
    if (auto s = applyRecommendationPolicies(*recs, options, *plugins); !s) {
      printError(s.error());
      return kExitError;
    }
  }
  std::string text;
  if (format == "table") {
    printRecommendationTable(*recs);
    return kExitOk;
  }
  if (format == "json") text = recommend::toJson(*recs, options) + "\n";
  if (format == "yaml") text = recommend::toYaml(*recs, options);
  if (format == "csv") text = recommend::toCsv(*recs);
  if (format == "patches") {
    recommend::PatchOptions po;
    po.out_dir = *args->value("out");
    po.resources = splitList(args->valueOr("resources", ""));
    if (manifests) po.manifests = &*manifests;
    if (auto mode = args->value("vpa")) {
      po.vpa_objects = true;
      po.vpa_update_mode = *mode;
    }
    auto summary = recommend::writePatches(*recs, po);
    if (!summary) {
      printError(summary.error());
      return exitCodeFor(summary.error());
    }
    std::printf("wrote %zu workload patches (%zu files) to %s\n", summary->workloads_patched,
                summary->files.size(), po.out_dir.c_str());
    for (const auto& s : summary->skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
    return kExitOk;
  }
  if (auto out = args->value("out")) {
    std::FILE* f = std::fopen(out->c_str(), "wb");
    if (f == nullptr || std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
      if (f) std::fclose(f);
      printError(Error{ErrorCode::kIo, fmt::format("{}: cannot write", *out)});
      return kExitError;
    }
    std::fclose(f);
    return kExitOk;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return kExitOk;
}

CommandRegistration kReg{
    {"recommend",
     "  trimtab recommend --store PATH [--window 14d] "
     "[--strategy auto|vpa|krr|autopilot] [--filter F] [--cluster NAME]\n"
     "      [--min-history HOURS] [--format table|json|yaml|csv|patches] "
     "[--out DIR|FILE]\n"
     "      [--manifests SNAPSHOT_DIR] [--resources PATH[,PATH]] "
     "[--vpa Off|Initial] [--config FILE]\n"
     "      Request/limit recommendations with risk, monthly saving and "
     "reason; patches: kustomize\n"
     "      strategic-merge + JSON 6902 patches and kustomization.yaml "
     "(docs/recommend.md); --config applies recommendation-policy plugins;\n"
     "      --manifests: the cluster's objects (kubectl JSON): HPAs on CPU/memory utilisation "
     "get targets that keep their scale point.\n"
     "  trimtab recommend --store PATH --insights [--window 14d] [--idle-days 7] "
     "[--format table|json]\n"
     "      Savings insights: idle workloads (no CPU, no network), "
     "unclaimed volumes, nodes that could be drained\n"
     "      (last hour, first fit onto the other nodes) and spot candidates "
     "(Deployments/ReplicaSets, >= 2 replicas, no PV).\n",
     &cmdRecommend}};

}  // namespace

}  // namespace trimtab::cli
