#include "cli/cli.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/plugin_hooks.h"
#include "cost/aggregate.h"
#include "cost/filter.h"
#include "cost/json.h"
#include "cost/window.h"
#include "ingest/ingest.h"
#include "model/clock.h"
#include "query/allocation_reader.h"
#include "query/assets.h"
#include "source/sim/demo.h"
#include "store/store.h"

namespace trimtab::cli {

namespace {

const char* kUsage = R"(trimtab — Kubernetes cost, capacity and efficiency engine

Usage:
  trimtab demo [--nodes N] [--days D] [--seed S] [--interval SECONDS] [--out DIR]
      Generate a realistic demo cluster (snapshot in DIR/snapshot), ingest it into
      DIR/store.db and print the cost by namespace with idle cost and efficiency.
  trimtab ingest SNAPSHOT_DIR --store PATH [--cluster NAME] [--pricing FILE] [--keep-hourly D]
      Fold a snapshot (kubectl JSON + OpenMetrics) into the block store; with --keep-hourly,
      hour blocks older than D before the newest data are pruned (day blocks keep them).
  trimtab allocation --store PATH --window W [--aggregate K[,K...]] [--step S]
      [--accumulate[=all|hour|day|week|month|quarter]] [--include-idle] [--share-idle]
      [--idle-by-node] [--split-idle] [--share-namespaces NS[,NS...]]
      [--share-labels KEY:VALUE[,...]] [--share-cost DOLLARS_PER_MONTH]
      [--share-split weighted|even] [--filter F] [--format table|json|csv] [--config FILE]
      OpenCost-compatible cost allocation (JSON is OpenCost's /allocation response); --config
      applies the config file's allocation-rule plugins (docs/plugins.md) first.
  trimtab assets --store PATH --window W [--filter F] [--format table|json]
      Nodes, disks and load balancers with their cost and price source.
  trimtab store info --store PATH
      Stored clusters, time range, blocks and sizes.
  trimtab store prune --store PATH --keep-hourly DURATION
      Hourly retention, e.g. --keep-hourly 7d (whole UTC days are kept at daily resolution).
{}  trimtab version

Windows: 7d, 24h, today, yesterday, week, lastweek, month, lastmonth, "7d offset 1d",
  unix pairs (1700000000,1700086400) and RFC3339 pairs (2024-01-01T00:00:00Z,2024-01-02T00:00:00Z).
Filters (OpenCost v2.1): namespace:"shop"+label[team]:"payments", cluster!:"dev"
See docs/cli.md for details.
)";

// Progress on a terminal only: "stage [#####     ] 42%".
class Progress {
 public:
  Progress() : enabled_(::isatty(STDERR_FILENO) == 1) {}
  ~Progress() { done(); }
  void update(std::string_view stage, double fraction) {
    if (!enabled_) return;
    const int pct = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100);
    if (stage == stage_ && pct == pct_) return;
    stage_ = stage;
    pct_ = pct;
    const int filled = pct * 30 / 100;
    std::fprintf(stderr, "\r%-10s [%s%s] %3d%%", stage_.c_str(), std::string(filled, '#').c_str(),
                 std::string(30 - filled, ' ').c_str(), pct);
    std::fflush(stderr);
    shown_ = true;
  }
  void done() {
    if (shown_) std::fprintf(stderr, "\r%60s\r", "");
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::string stage_;
  int pct_ = -1;
};

void printAllocationTable(const std::vector<cost::AllocationSet>& sets) {
  for (const cost::AllocationSet& set : sets) {
    std::printf("Window %s to %s\n", cost::formatRfc3339(set.window_start).c_str(),
                cost::formatRfc3339(set.window_end).c_str());
    std::vector<const cost::Allocation*> order;
    for (const auto& a : set.allocations) order.push_back(&a);
    std::sort(order.begin(), order.end(), [](const cost::Allocation* a, const cost::Allocation* b) {
      const bool ai = a->isIdle() || a->isOverallocated(), bi = b->isIdle() || b->isOverallocated();
      if (ai != bi) return bi;
      if (a->totalCost() != b->totalCost()) return a->totalCost() > b->totalCost();
      return a->name < b->name;
    });
    std::vector<std::vector<std::string>> rows;
    double cpu = 0, ram = 0, gpu = 0, pv = 0, net = 0, lb = 0, shared = 0, total = 0;
    for (const cost::Allocation* a : order) {
      const bool special = a->isIdle() || a->isOverallocated() || a->isUnmounted();
      rows.push_back({a->name, money(a->cpuTotalCost()), money(a->ramTotalCost()),
                      money(a->gpuTotalCost()), money(a->pvTotalCost()), money(a->networkTotalCost()),
                      money(a->lbTotalCost()), money(a->shared_cost), money(a->totalCost()),
                      special ? "" : percent(a->cpuEfficiency()),
                      special ? "" : percent(a->ramEfficiency()),
                      special ? "" : percent(a->totalEfficiency())});
      cpu += a->cpuTotalCost();
      ram += a->ramTotalCost();
      gpu += a->gpuTotalCost();
      pv += a->pvTotalCost();
      net += a->networkTotalCost();
      lb += a->lbTotalCost();
      shared += a->shared_cost;
      total += a->totalCost();
    }
    const std::vector<std::string> footer{"total", money(cpu), money(ram), money(gpu), money(pv),
                                          money(net), money(lb), money(shared), money(total), "", "", ""};
    printTable({"NAME", "CPU $", "RAM $", "GPU $", "PV $", "NET $", "LB $", "SHARED $", "TOTAL $",
                "CPU EFF", "RAM EFF", "TOTAL EFF"},
               rows, &footer);
    std::puts("");
  }
}

Result<cost::AllocationQuery> queryFromArgs(const Args& args) {
  cost::AllocationQuery q;
  q.aggregate = splitList(args.valueOr("aggregate", ""));
  if (auto s = cost::validateAggregate(q.aggregate); !s) return fail(s.error());
  q.include_idle = args.flag("include-idle") || args.flag("share-idle");
  q.share_idle = args.flag("share-idle");
  q.idle_by_node = args.flag("idle-by-node");
  q.split_idle = args.flag("split-idle");
  q.include_aggregated_metadata = args.flag("include-aggregated-metadata");
  if (auto f = args.value("filter"); f && !f->empty()) {
    auto parsed = cost::parseAllocationFilter(*f);
    if (!parsed) return fail(parsed.error().withContext("--filter"));
    q.filter = std::move(*parsed);
  }
  q.share_namespaces = splitList(args.valueOr("share-namespaces", ""));
  for (const std::string& item : splitList(args.valueOr("share-labels", ""))) {
    const auto colon = item.find(':');
    if (colon == std::string::npos || colon == 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--share-labels \"{}\": expected KEY:VALUE", item));
    }
    q.share_labels.emplace_back(item.substr(0, colon), item.substr(colon + 1));
  }
  if (auto c = args.value("share-cost")) {
    char* end = nullptr;
    q.share_cost_monthly = std::strtod(c->c_str(), &end);
    if (end == c->c_str() || *end != '\0' || !(q.share_cost_monthly >= 0)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--share-cost \"{}\": expected dollars per month, e.g. 300", *c));
    }
  }
  const std::string split = args.valueOr("share-split", "weighted");
  if (split == "weighted") {
    q.share_split = cost::ShareSplit::kWeighted;
  } else if (split == "even") {
    q.share_split = cost::ShareSplit::kEven;
  } else {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--share-split \"{}\": expected weighted or even", split));
  }
  return q;
}

int runAllocation(const Args& args, const store::Store& store, const cost::Window& window) {
  auto query = queryFromArgs(args);
  if (!query) {
    printError(query.error());
    return exitCodeFor(query.error());
  }
  query::AllocationRequest req;
  req.window = window;
  req.query = std::move(*query);
  if (auto s = args.value("step")) {
    auto d = cost::parseDuration(*s);
    if (!d) {
      printError(d.error().withContext("--step"));
      return kExitUsage;
    }
    req.step_seconds = *d;
  }
  if (args.flag("accumulate")) {
    req.accumulate = cost::Accumulate::kAll;
  } else if (auto a = args.value("accumulate-by")) {
    auto parsed = cost::parseAccumulate(*a);
    if (!parsed) {
      printError(parsed.error().withContext("--accumulate-by"));
      return kExitUsage;
    }
    req.accumulate = *parsed;
  }
  req.cluster = args.valueOr("cluster", "");
  Result<std::vector<cost::AllocationSet>> sets;
  if (auto config = args.value("config"); config && !config->empty()) {
    // Allocation-rule plugins see container-grain rows before aggregation.
    auto plugins = loadPlugins(*config, plugin::Hook::kAllocation);
    if (!plugins) {
      printError(plugins.error());
      return exitCodeFor(plugins.error());
    }
    query::AllocationRequest grain = req;
    grain.query.aggregate.clear();  // full container grain, every property
    auto steps = query::loadSteps(store, grain);
    if (!steps) {
      printError(steps.error());
      return exitCodeFor(steps.error());
    }
    if (auto s = applyAllocationRules(*steps, *plugins); !s) {
      printError(s.error());
      return kExitError;
    }
    sets = cost::computeAllocationRange(*steps, req.query, req.accumulate);
  } else {
    sets = query::runAllocation(store, req);
  }
  if (!sets) {
    printError(sets.error());
    return exitCodeFor(sets.error());
  }
  const std::string format = args.valueOr("format", "table");
  if (format == "json") {
    std::puts(cost::toOpenCostJson(*sets).c_str());
  } else if (format == "csv") {
    std::fputs(cost::toCsv(*sets).c_str(), stdout);
  } else if (format == "table") {
    printAllocationTable(*sets);
  } else {
    printError(Error{ErrorCode::kInvalidArgument,
                     fmt::format("--format \"{}\": expected table, json or csv", format)});
    return kExitUsage;
  }
  return kExitOk;
}

const std::set<std::string> kAllocationValueFlags = {
    "store", "window", "aggregate", "step", "accumulate-by", "share-namespaces", "share-labels",
    "share-cost", "share-split", "filter", "format", "cluster", "config"};
const std::set<std::string> kAllocationBoolFlags = {
    "include-idle", "share-idle", "idle-by-node", "split-idle", "accumulate",
    "include-aggregated-metadata"};

int cmdAllocation(const std::vector<std::string>& argv) {
  auto args = Args::parse("allocation", argv, kAllocationValueFlags, kAllocationBoolFlags);
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  cost::Window window;
  std::unique_ptr<store::Store> store;
  if (auto rc = windowAndStore(*args, window, store)) return *rc;
  return runAllocation(*args, *store, window);
}

int cmdAssets(const std::vector<std::string>& argv) {
  auto args = Args::parse("assets", argv, {"store", "window", "format", "cluster", "filter"}, {});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  cost::Window window;
  std::unique_ptr<store::Store> store;
  if (auto rc = windowAndStore(*args, window, store)) return *rc;
  std::optional<cost::Filter> filter;
  if (auto f = args->value("filter"); f && !f->empty()) {
    auto parsed = cost::parseAssetFilter(*f);
    if (!parsed) {
      printError(parsed.error().withContext("--filter"));
      return kExitUsage;
    }
    filter = std::move(*parsed);
  }
  auto set = query::loadAssets(*store, window, args->valueOr("cluster", ""),
                               filter ? &*filter : nullptr);
  if (!set) {
    printError(set.error());
    return kExitError;
  }
  const std::string format = args->valueOr("format", "table");
  if (format == "json") {
    std::puts(query::assetsToOpenCostJson(*set).c_str());
    return kExitOk;
  }
  if (format != "table") {
    printError(Error{ErrorCode::kInvalidArgument,
                     fmt::format("--format \"{}\": expected table or json", format)});
    return kExitUsage;
  }
  std::vector<std::vector<std::string>> rows;
  double total = 0;
  for (const auto& a : set->assets) {
    rows.push_back({a.key, a.type, a.instance_type, a.preemptible ? "spot" : "",
                    a.type == "Node" ? fmt::format("{:.1f}", a.cpu_cores) : "",
                    a.type == "Node" ? fmt::format("{:.1f}", a.ram_bytes / (1024.0 * 1024 * 1024)) : "",
                    a.type == "Node" ? fmt::format("{:.1f}", a.gpu_count) : "",
                    fmt::format("{:.1f}", a.minutes / 60), money(a.total_cost), a.price_source});
    total += a.total_cost;
  }
  const std::vector<std::string> footer{"total", "", "", "", "", "", "", "", money(total), ""};
  printTable({"ASSET", "TYPE", "CLASS", "SPOT", "CPU", "RAM GiB", "GPU", "HOURS", "COST $", "PRICE SOURCE"},
             rows, &footer);
  return kExitOk;
}

// Keeps hour blocks for the last `keep` of the stored data (whole UTC days; day blocks keep
// everything older at daily resolution).
int pruneHourly(store::Store& store, const std::string& keep_text) {
  auto keep = cost::parseDuration(keep_text);
  if (!keep || *keep < 0) {
    printError(keep ? Error{ErrorCode::kInvalidArgument, "--keep-hourly: must not be negative"}
                    : keep.error().withContext("--keep-hourly"));
    return kExitUsage;
  }
  auto extent = store.extent();
  if (!extent) {
    printError(extent.error());
    return kExitError;
  }
  if (extent->second == 0) return kExitOk;
  UnixSeconds before = extent->second - static_cast<UnixSeconds>(*keep);
  before -= ((before % store::kDaySeconds) + store::kDaySeconds) % store::kDaySeconds;
  auto deleted = store.pruneHourBlocks(before);
  if (!deleted) {
    printError(deleted.error());
    return kExitError;
  }
  std::fprintf(stderr, "pruned %zu hour blocks before %s (day blocks keep that data)\n", *deleted,
               cost::formatRfc3339(static_cast<double>(before)).c_str());
  return kExitOk;
}

int doIngest(const std::string& dir, store::Store& store, const std::string& cluster,
             const std::string& pricing, bool quiet) {
  Progress progress;
  ingest::IngestOptions options;
  options.cluster = cluster;
  options.pricing_file = pricing;
  options.progress = [&](std::string_view stage, double f) { progress.update(stage, f); };
  const auto t0 = std::chrono::steady_clock::now();
  auto report = ingest::ingestSnapshot(dir, store, options);
  progress.done();
  if (!report) {
    printError(report.error());
    return exitCodeFor(report.error());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const std::string& w : report->warnings) std::fprintf(stderr, "trimtab: warning: %s\n", w.c_str());
  if (report->fold.unmatched_usage_samples > 0) {
    std::fprintf(stderr,
                 "trimtab: warning: %llu usage samples name containers or pods with no "
                 "kube_pod_container_status_running or request series; they were not allocated\n",
                 static_cast<unsigned long long>(report->fold.unmatched_usage_samples));
  }
  if (!quiet) {
    const auto& f = report->fold;
    std::fprintf(stderr,
                 "ingested %s: %zu objects, %llu samples (%llu ignored), %zu containers, %zu nodes, "
                 "%zu hour blocks (%zu written, %zu unchanged), %zu day blocks, %.1f s\n",
                 dir.c_str(), report->objects,
                 static_cast<unsigned long long>(f.inventory_samples + f.usage_samples),
                 static_cast<unsigned long long>(f.ignored_samples), f.containers, f.nodes,
                 report->hour_blocks, report->commit.hour_blocks_written,
                 report->commit.hour_blocks_unchanged, report->commit.day_blocks_written, seconds);
  }
  return kExitOk;
}

int cmdIngest(const std::vector<std::string>& argv) {
  auto args = Args::parse("ingest", argv, {"store", "cluster", "pricing", "keep-hourly"}, {"quiet"});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  if (args->positional().size() != 1) {
    printError(Error{ErrorCode::kInvalidArgument, "ingest: expected one SNAPSHOT_DIR"});
    return kExitUsage;
  }
  auto store = openStore(*args, store::OpenMode::kReadWrite);
  if (!store) {
    printError(store.error());
    return exitCodeFor(store.error());
  }
  const int rc = doIngest(args->positional()[0], **store, args->valueOr("cluster", "default"),
                         args->valueOr("pricing", ""), args->flag("quiet"));
  if (rc != kExitOk) return rc;
  if (auto keep = args->value("keep-hourly")) return pruneHourly(**store, *keep);
  return kExitOk;
}

int cmdDemo(const std::vector<std::string>& argv) {
  auto args = Args::parse("demo", argv,
                          {"nodes", "days", "seed", "interval", "out", "format", "end"}, {});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  source::DemoOptions options;
  auto nodes = args->integer("nodes", 0, 0, 100000);
  auto days = args->integer("days", 2, 1, 90);
  auto seed = args->integer("seed", 42, 0, std::numeric_limits<long long>::max());
  auto interval = args->integer("interval", 0, 10, 3600);  // 0: chosen from the cluster size
  for (const auto* r : {&nodes, &days, &seed, &interval}) {
    if (!*r) {
      printError(r->error());
      return kExitUsage;
    }
  }
  options.nodes = static_cast<int>(*nodes);
  options.days = static_cast<int>(*days);
  options.seed = static_cast<std::uint64_t>(*seed);
  options.scrape_interval_seconds = static_cast<int>(*interval);
  const UnixSeconds now = nowSeconds();
  auto end = args->integer("end", now - now % 3600, 0, std::numeric_limits<long long>::max());
  if (!end || *end % 3600 != 0) {
    printError(end ? Error{ErrorCode::kInvalidArgument, "demo: --end must be hour-aligned unix seconds"}
                   : end.error());
    return kExitUsage;
  }
  options.end = *end;
  const std::string out = args->valueOr("out", "trimtab-demo");
  const std::string snapshot = out + "/snapshot";
  const std::string store_path = out + "/store.db";
  std::error_code ec;
  // Only a directory this command made is cleared: it carries a marker file.
  const std::string marker = out + "/.trimtab-demo";
  if ((std::filesystem::exists(snapshot, ec) || std::filesystem::exists(store_path, ec)) &&
      !std::filesystem::exists(marker, ec)) {
    printError(Error{ErrorCode::kInvalidArgument,
                     fmt::format("demo: {} already holds a snapshot or store not made by `trimtab "
                                 "demo`; choose another --out", out)});
    return kExitUsage;
  }
  std::filesystem::remove_all(snapshot, ec);
  std::filesystem::create_directories(snapshot, ec);
  if (ec) {
    printError(Error{ErrorCode::kIo, fmt::format("{}: {}", snapshot, ec.message())});
    return kExitError;
  }
  if (std::FILE* f = std::fopen(marker.c_str(), "w")) std::fclose(f);
  std::filesystem::remove(store_path, ec);
  std::filesystem::remove(store_path + "-wal", ec);
  std::filesystem::remove(store_path + "-shm", ec);
  const auto t0 = std::chrono::steady_clock::now();
  if (options.scrape_interval_seconds == 0) options.scrape_interval_seconds = 300;
  source::DemoCluster cluster = source::generateDemo(options);
  if (!args->value("interval")) {
    // Keep the snapshot a size a laptop can hold: about 7 series per container and 10 per node
    // at ~230 bytes per sample; pick the shortest standard interval that stays under ~50 M
    // samples (~12 GB). The default demo stays at 300 s.
    const double series = 7.0 * static_cast<double>(cluster.containerCount()) +
                          10.0 * static_cast<double>(cluster.objects.nodes.size());
    for (int candidate : {300, 600, 900, 1800, 3600}) {
      options.scrape_interval_seconds = candidate;
      if (series * options.days * 86400.0 / candidate <= 50e6) break;
    }
    if (options.scrape_interval_seconds != 300) {
      std::fprintf(stderr, "demo: %zu containers: scrape interval %d s keeps the snapshot near "
                           "%.0f M samples (set --interval to override)\n",
                   cluster.containerCount(), options.scrape_interval_seconds,
                   series * options.days * 86400.0 / options.scrape_interval_seconds / 1e6);
      cluster = source::generateDemo(options);
    }
  }
  {
    Progress progress;
    if (auto s = source::writeSnapshot(cluster, snapshot,
                                       [&](double f) { progress.update("generate", f); });
        !s) {
      progress.done();
      printError(s.error());
      return kExitError;
    }
  }
  std::fprintf(stderr, "generated %s: %zu nodes, %zu pods, %zu containers, %d days (%.1f s)\n",
               snapshot.c_str(), cluster.objects.nodes.size(), cluster.pods.size(),
               cluster.containerCount(), options.days,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  auto store = store::openSqliteStore(store_path, store::OpenMode::kReadWrite);
  if (!store) {
    printError(store.error());
    return kExitError;
  }
  if (int rc = doIngest(snapshot, **store, options.cluster, "", false); rc != kExitOk) return rc;
  // The report: the whole demo range by namespace, with idle.
  std::vector<std::string> report_argv = {"--aggregate", "namespace", "--include-idle",
                                          "--format", args->valueOr("format", "table")};
  auto report_args = Args::parse("demo", report_argv, kAllocationValueFlags, kAllocationBoolFlags);
  const cost::Window window{options.end - static_cast<UnixSeconds>(options.days) * 86400, options.end};
  std::printf("Cost by namespace, cluster \"%s\" (store %s)\n", options.cluster.c_str(),
              store_path.c_str());
  const int rc = runAllocation(*report_args, **store, window);
  std::printf("Next: trimtab allocation --store %s --window %lld,%lld --aggregate controller\n",
              store_path.c_str(), static_cast<long long>(window.start),
              static_cast<long long>(window.end));
  return rc;
}

int cmdStore(const std::vector<std::string>& argv) {
  auto args = Args::parse("store", argv, {"store", "keep-hourly"}, {});
  if (!args) {
    printError(args.error());
    return kExitUsage;
  }
  const std::string sub = args->positional().empty() ? "" : args->positional()[0];
  if (sub == "prune") {
    auto keep = args->value("keep-hourly");
    if (!keep) {
      printError(Error{ErrorCode::kInvalidArgument, "store prune: --keep-hourly DURATION is required"});
      return kExitUsage;
    }
    auto rw = openStore(*args, store::OpenMode::kReadWrite);
    if (!rw) {
      printError(rw.error());
      return exitCodeFor(rw.error());
    }
    return pruneHourly(**rw, *keep);
  }
  if (sub != "info") {
    printError(Error{ErrorCode::kInvalidArgument,
                     "store: expected `store info --store PATH` or `store prune --store PATH "
                     "--keep-hourly DURATION`"});
    return kExitUsage;
  }
  auto store = openStore(*args, store::OpenMode::kReadOnly);
  if (!store) {
    printError(store.error());
    return exitCodeFor(store.error());
  }
  auto clusters = (*store)->clusters();
  auto extent = (*store)->extent();
  if (!clusters || !extent) {
    printError(!clusters ? clusters.error() : extent.error());
    return kExitError;
  }
  const auto& dims = (*store)->dimensions();
  std::printf("clusters:   %zu\n", clusters->size());
  std::printf("range:      %s to %s\n", cost::formatRfc3339(static_cast<double>(extent->first)).c_str(),
              cost::formatRfc3339(static_cast<double>(extent->second)).c_str());
  if ((*store)->hourlyHorizon() > 0) {
    std::printf("hourly:     pruned before %s\n",
                cost::formatRfc3339(static_cast<double>((*store)->hourlyHorizon())).c_str());
  }
  std::printf("containers: %zu  nodes: %zu  volumes: %zu  services: %zu  strings: %zu\n",
              dims.containerCount(), dims.nodeCount(), dims.volumeCount(), dims.serviceCount(),
              dims.stringCount());
  for (const std::string& c : *clusters) {
    for (auto kind : {store::BlockKind::kHour, store::BlockKind::kDay}) {
      auto blocks = (*store)->listBlocks(c, kind, std::numeric_limits<UnixSeconds>::min() / 2,
                                         std::numeric_limits<UnixSeconds>::max() / 2);
      if (!blocks) {
        printError(blocks.error());
        return kExitError;
      }
      std::uint64_t bytes = 0, rows = 0;
      for (const auto& b : *blocks) {
        bytes += b.bytes;
        rows += b.container_rows;
      }
      std::printf("%s %s blocks: %zu, %llu container rows, %.1f MiB\n", c.c_str(),
                  kind == store::BlockKind::kHour ? "hour" : "day ", blocks->size(),
                  static_cast<unsigned long long>(rows), static_cast<double>(bytes) / 1048576.0);
    }
  }
  return kExitOk;
}

}  // namespace

static std::string usageText() {
  std::string extra;
  for (const Command& c : registeredCommands()) {
    extra += c.usage;
    if (!extra.empty() && extra.back() != '\n') extra += '\n';
  }
  return fmt::format(fmt::runtime(kUsage), extra);
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "help") {
    // `trimtab help <command>`: that command's entries of the usage (each starts with
    // "  trimtab <command>" and runs until the next entry).
    const std::string text = usageText();
    const std::string prefix = "  trimtab " + args[1];
    std::string out;
    bool in = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const std::size_t end = std::min(text.find('\n', pos), text.size());
      const std::string_view line(text.data() + pos, end - pos);
      if (line.starts_with("  trimtab ")) {
        in = line.starts_with(prefix) && (line.size() == prefix.size() || line[prefix.size()] == ' ');
      } else if (!line.starts_with("      ")) {
        in = false;
      }
      if (in) out.append(line).push_back('\n');
      pos = end + 1;
    }
    if (out.empty()) {
      std::fprintf(stderr, "trimtab: help: unknown command \"%s\" (see `trimtab help`)\n", args[1].c_str());
      return kExitUsage;
    }
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(usageText().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "demo") return cmdDemo(args);
  if (command == "ingest") return cmdIngest(args);
  if (command == "allocation") return cmdAllocation(args);
  if (command == "assets") return cmdAssets(args);
  if (command == "store") return cmdStore(args);
  for (const Command& c : registeredCommands()) {
    if (c.name == command) return c.run(args);
  }
  if (command == "version" || command == "--version") {
    std::puts("trimtab 0.1.0");
    return kExitOk;
  }
  std::fprintf(stderr, "trimtab: unknown command \"%s\" (see `trimtab help`)\n", command.c_str());
  return kExitUsage;
}

}  // namespace trimtab::cli
