// Plugin host benchmark (issue 7). Prints a table; never an assertion.
//
//   plugin_bench [--rows 250000] [--repeat 5] [--plugin PATH/label_team.wasm] [--batch N]
//                [--batch-sweep 100,1000,10000] [--e2e-only]
//
// Rows are container-grain cost::Allocation rows as `trimtab allocation` hands them to an
// allocation rule (cluster, node, namespace, controller, pod, container, three pod labels, eight
// costs; ~480 bytes of JSON each). The rule maps label "app" to a team with a default. Measured:
//   - end to end over all rows, through the functions `trimtab allocation --config` uses:
//     cli::appendAllocationRowJson into a plugin::ItemList -> Plugin::run (batched, one
//     instance reused across batches) -> cli::applyAllocationRuleResult (the "team" label set on
//     each row), next to the same rule in C++ on the structs;
//   - per-call overhead: one row per call (alloc + write + call + parse + free);
//   - with --batch-sweep: the plugin run over all rows for each batch size (rows per call);
//   - load: compile + first instantiate, cold (first plugin in the process, includes V8
//     start-up and Isolate creation) and warm (a further plugin, new Isolate).
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/plugin_hooks.h"
#include "cost/allocation.h"
#include "model/clock.h"
#include "plugin/plugin.h"

namespace {

using namespace trimtab;

std::string arg(int argc, char** argv, const char* name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

const std::vector<std::string> kApps = {"checkout", "web",   "search",   "cart",
                                        "ledger",   "batch", "ml-train", "dns"};
const std::vector<std::pair<std::string, std::string>> kTeams = {{"checkout", "payments"},
                                                                 {"web", "storefront"},
                                                                 {"search", "discovery"},
                                                                 {"cart", "storefront"},
                                                                 {"ledger", "payments"}};
constexpr const char* kSettings =
    R"({"labelKey":"app","teams":{"checkout":"payments","web":"storefront","search":"discovery","cart":"storefront","ledger":"payments"},"default":"platform","echo":false})";

std::vector<cost::Allocation> makeRows(std::size_t n) {
  std::vector<cost::Allocation> rows(n);
  std::uint64_t x = 42;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    cost::Allocation& r = rows[i];
    cost::AllocationProperties& p = r.properties;
    const std::string& app = kApps[(x >> 33) % kApps.size()];
    p.cluster = "cluster-a";
    p.node = fmt::format("node-{}", (x >> 20) % 4000);
    p.namespace_name = fmt::format("ns-{}", (x >> 40) % 200);
    p.controller_kind = "deployment";
    p.controller = app;
    p.pod = fmt::format("{}-{:x}-{}", app, x & 0xffffff, i);
    p.container = app;
    r.name = fmt::format("{}/{}/{}/{}/{}", p.cluster, p.node, p.namespace_name, p.pod, p.container);
    if ((x >> 50) % 10 != 0) p.labels.emplace_back("app", app);  // 10% unlabeled
    p.labels.emplace_back("pod-template-hash", fmt::format("{:x}", x & 0xffffff));
    p.labels.emplace_back("tier", (x >> 13) % 2 ? "backend" : "frontend");
    std::sort(p.labels.begin(), p.labels.end());
    r.cpu_cost = static_cast<double>((x >> 16) % 100000) / 1000.0;
    r.ram_cost = r.cpu_cost / 3;
    r.network_cost = r.cpu_cost / 50;
  }
  return rows;
}

const std::string* label(const cost::Allocation& a, std::string_view key) {
  for (const auto& [k, v] : a.properties.labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

void setTeam(cost::Allocation& a, const std::string& team) {
  cost::StringMap& labels = a.properties.labels;
  auto it = std::lower_bound(labels.begin(), labels.end(), std::string_view("team"),
                             [](const auto& e, std::string_view k) { return e.first < k; });
  if (it != labels.end() && it->first == "team") {
    it->second = team;
  } else {
    labels.emplace(it, "team", team);
  }
}

// The native rule: the same mapping in C++ straight on the structs.
void nativeRule(std::vector<cost::Allocation>& rows,
                const std::unordered_map<std::string, std::string>& teams) {
  static const std::string kDefault = "platform";
  for (cost::Allocation& r : rows) {
    const std::string* team = &kDefault;
    if (const std::string* app = label(r, "app")) {
      if (auto it = teams.find(*app); it != teams.end()) team = &it->second;
    }
    setTeam(r, *team);
  }
}


plugin::ItemList allItems(const std::vector<cost::Allocation>& rows) {
  plugin::ItemList items;
  items.reserve(rows.size(), rows.size() * 512);
  for (const cost::Allocation& r : rows) {
    items.emplace([&](std::string& out) { cli::appendAllocationRowJson(out, r); });
  }
  return items;
}

// Process CPU time (all threads), to read figures taken on a loaded machine.
double cpuMs() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

double msSince(const Clock& clock, std::int64_t t0) {
  return static_cast<double>(clock.monotonicNanos() - t0) / 1e6;
}

struct Stats {
  double best = 1e300, sum = 0;
  int n = 0;
  void add(double v) {
    best = std::min(best, v);
    sum += v;
    ++n;
  }
  double mean() const { return n ? sum / n : 0; }
};

}  // namespace

int main(int argc, char** argv) {
  const Clock& clock = SystemClock::instance();
  const std::size_t n_rows = std::stoul(arg(argc, argv, "--rows", "250000"));
  const int repeat = std::stoi(arg(argc, argv, "--repeat", "5"));
  const std::string path =
      arg(argc, argv, "--plugin", std::string(TRIMTAB_PLUGIN_WASM_DIR) + "/label_team.wasm");
  if (!plugin::engineAvailable()) {
    fmt::print(stderr, "plugin_bench: no engine: {}\n", plugin::engineDescription());
    return 1;
  }

  plugin::PluginConfig config;
  config.path = path;
  config.hook = plugin::Hook::kAllocation;
  config.settings_json = kSettings;
  config.limits.call_timeout_ms = 10000;
  if (const std::string batch = arg(argc, argv, "--batch", ""); !batch.empty())
    config.limits.batch_items = std::stoul(batch);

  // Load: cold (first in process) then warm.
  std::int64_t t0 = clock.monotonicNanos();
  auto cold =
      plugin::Plugin::load(config, [](std::string_view line) { fmt::print(stderr, "{}\n", line); });
  if (!cold) {
    fmt::print(stderr, "plugin_bench: {}\n", cold.error().message);
    return 1;
  }
  if (auto st = (*cold)->warmUp(); !st) {
    fmt::print(stderr, "plugin_bench: {}\n", st.error().message);
    return 1;
  }
  const double cold_load_ms = msSince(clock, t0);
  Stats warm_load, warm_compile, instantiate;
  for (int i = 0; i < 10; ++i) {
    t0 = clock.monotonicNanos();
    auto p = plugin::Plugin::load(config);
    const std::int64_t t1 = clock.monotonicNanos();
    if (!p || !(*p)->warmUp()) return 1;
    warm_load.add(msSince(clock, t0));
    warm_compile.add(static_cast<double>((*p)->compileNanos()) / 1e6);
    instantiate.add(msSince(clock, t1));
  }
  plugin::Plugin& p = **cold;
  // The same rule answering with whole rows ("echo": true): ~8x the result bytes.
  plugin::PluginConfig echo_config = config;
  echo_config.settings_json.replace(echo_config.settings_json.find("\"echo\":false"), 12,
                                    "\"echo\":true");
  auto echo_plugin = plugin::Plugin::load(echo_config);
  if (!echo_plugin) return 1;

  // Per-call overhead with one row.
  std::vector<cost::Allocation> one = makeRows(1);
  const plugin::ItemList one_item = allItems(one);
  for (int i = 0; i < 50; ++i) (void)p.run(one_item);
  Stats per_call;
  const int calls = 2000;
  t0 = clock.monotonicNanos();
  for (int i = 0; i < calls; ++i) (void)p.run(one_item);
  per_call.add(msSince(clock, t0) * 1000.0 / calls);
  std::unordered_map<std::string, std::string> teams(kTeams.begin(), kTeams.end());
  t0 = clock.monotonicNanos();
  for (int i = 0; i < calls * 100; ++i) nativeRule(one, teams);
  const double native_per_call_us = msSince(clock, t0) * 1000.0 / (calls * 100);

  // End to end over all rows.
  const std::vector<cost::Allocation> base = makeRows(n_rows);
  bool e2e_only = false;
  for (int i = 1; i < argc; ++i) e2e_only |= std::strcmp(argv[i], "--e2e-only") == 0;
  Stats to_json, to_json_reused, text_run, total, echo_total, native, total_cpu;
  std::size_t mismatches = 0, batches = 0;
  for (int rep = 0; rep < repeat; ++rep) {
    std::vector<cost::Allocation> rows = base;
    const double cpu_a = cpuMs();
    const std::int64_t a = clock.monotonicNanos();
    plugin::HookResult result = cli::runAllocationRule(p, rows);
    const std::int64_t c = clock.monotonicNanos();
    total_cpu.add(cpuMs() - cpu_a);
    if (!result.applied) {
      fmt::print(stderr, "plugin_bench: plugin failed: {}\n", result.failure);
      return 1;
    }
    batches = result.batches;
    total.add(static_cast<double>(c - a) / 1e6);
    if (e2e_only) continue;  // for profiling the end-to-end path alone
    {
      std::vector<cost::Allocation> echo_rows = base;
      const std::int64_t t_echo = clock.monotonicNanos();
      if (!cli::runAllocationRule(**echo_plugin, echo_rows).applied) return 1;
      echo_total.add(msSince(clock, t_echo));
    }

    // The same in separate phases (what `trimtab plugin run` does): all rows to JSON in one
    // ItemList, the plugin with results copied out as text.
    {
      const std::int64_t t_reused = clock.monotonicNanos();
      std::string buf;
      std::size_t n = 0;
      for (std::size_t i = 0; i < base.size(); ++i) {
        if (i % 1000 == 0) {
          n += buf.size();
          buf.clear();
        }
        cli::appendAllocationRowJson(buf, base[i]);
      }
      if (n == 0) return 1;
      to_json_reused.add(msSince(clock, t_reused));
    }
    const std::int64_t t0_json = clock.monotonicNanos();
    const plugin::ItemList items = allItems(base);
    const std::int64_t t1_json = clock.monotonicNanos();
    if (!p.run(items).applied) return 1;
    to_json.add(static_cast<double>(t1_json - t0_json) / 1e6);
    text_run.add(msSince(clock, t1_json));

    std::vector<cost::Allocation> check = base;
    const std::int64_t e0 = clock.monotonicNanos();
    nativeRule(check, teams);
    native.add(msSince(clock, e0));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::string* got = label(rows[i], "team");
      const std::string* want = label(check[i], "team");
      mismatches += got == nullptr || want == nullptr || *got != *want;
    }
  }
  // Rows per call: the plugin run alone over the same items, one plugin per batch size.
  std::vector<std::pair<std::size_t, Stats>> sweep;
  std::vector<Stats> sweep_cpu;
  if (const std::string sizes = arg(argc, argv, "--batch-sweep", ""); !sizes.empty()) {
    const plugin::ItemList items = allItems(base);
    std::size_t at = 0;
    while (at < sizes.size()) {
      std::size_t comma = sizes.find(',', at);
      if (comma == std::string::npos) comma = sizes.size();
      plugin::PluginConfig c = config;
      c.limits.batch_items = std::stoul(sizes.substr(at, comma - at));
      at = comma + 1;
      auto sp = plugin::Plugin::load(c);
      if (!sp || !(*sp)->warmUp()) return 1;
      Stats st, st_cpu;
      for (int rep = 0; rep < repeat; ++rep) {
        const double cpu0 = cpuMs();
        const std::int64_t a = clock.monotonicNanos();
        plugin::HookResult result = (*sp)->run(items);
        st.add(msSince(clock, a));
        st_cpu.add(cpuMs() - cpu0);
        if (!result.applied) {
          fmt::print(stderr, "plugin_bench: batch {}: {}\n", c.limits.batch_items, result.failure);
          return 1;
        }
      }
      sweep.emplace_back(c.limits.batch_items, st);
      sweep_cpu.push_back(st_cpu);
    }
  }

  const std::size_t bytes = allItems(base).bytes();

  fmt::print(
      "plugin_bench: {} ({}), {} rows, {:.1f} MiB of row JSON, {} batches of <= {} rows, best/mean "
      "of {}\n",
      path, plugin::engineDescription(), n_rows, static_cast<double>(bytes) / (1 << 20), batches,
      config.limits.batch_items, repeat);
  fmt::print("{:<52} {:>10} {:>10}\n", "metric", "best", "mean");
  auto line = [](const std::string& name, double best, double mean, const char* unit) {
    fmt::print("{:<52} {:>8.2f}{} {:>8.2f}{}\n", name, best, unit, mean, unit);
  };
  line("end to end: rows -> JSON -> rule -> applied (< 300 ms)", total.best, total.mean(), "ms");
  line("  CPU time end to end (all threads)", total_cpu.best, total_cpu.mean(), "ms");
  line("end to end, the rule answering whole rows (echo)", echo_total.best, echo_total.mean(),
       "ms");
  line("native C++ rule on the structs", native.best, native.mean(), "ms");
  line("phases: all rows -> JSON, one 1,000-row buffer reused", to_json_reused.best,
       to_json_reused.mean(), "ms");
  line("phases: all rows -> JSON into one ItemList", to_json.best, to_json.mean(), "ms");
  line("phases: plugin run, results copied out as text", text_run.best, text_run.mean(), "ms");
  fmt::print("{:<52} {:>9.0f}x\n", "ratio end to end / native",
             total.best / std::max(native.best, 1e-6));
  line("per call, 1 row (plugin)", per_call.best, per_call.mean(), "us");
  line("per call, 1 row (native)", native_per_call_us, native_per_call_us, "us");
  line("load cold: V8 start + isolate + compile + instantiate", cold_load_ms, cold_load_ms, "ms");
  line("load warm: isolate + compile + instantiate (< 20 ms)", warm_load.best, warm_load.mean(),
       "ms");
  line("  of which compile (isolate + context + compile)", warm_compile.best, warm_compile.mean(),
       "ms");
  line("  of which instantiate (+ _initialize)", instantiate.best, instantiate.mean(), "ms");
  for (std::size_t i = 0; i < sweep.size(); ++i) {
    line(fmt::format("plugin run, {} rows per call", sweep[i].first), sweep[i].second.best,
         sweep[i].second.mean(), "ms");
    line("  CPU time", sweep_cpu[i].best, sweep_cpu[i].mean(), "ms");
  }
  fmt::print("{:<52} {:>10}\n", "rows where plugin and native disagree", mismatches);
  return mismatches == 0 ? 0 : 1;
}
