// Plugin host benchmark (issue 7). Prints a table; never an assertion.
//
//   plugin_bench [--rows 250000] [--repeat 5] [--plugin PATH/label_team.wasm] [--batch N]
//                [--batch-sweep 100,1000,10000]
//
// Rows are compact container-grain allocation rows (name, namespace, three labels, three costs;
// ~230 bytes of JSON). The rule maps label "app" to a team with a default. Measured:
//   - end to end over all rows: structs -> JSON -> plugin (batched, one instance reused across
//     batches) -> JSON -> structs, next to the same rule in C++ on the structs;
//   - per-call overhead: one row per call (alloc + write + call + parse + free);
//   - with --batch-sweep: the plugin run over all rows for each batch size (rows per call);
//   - load: compile + first instantiate, cold (first plugin in the process, includes V8
//     start-up and Isolate creation) and warm (a further plugin, new Isolate).
#include <fmt/format.h>
#include <simdjson.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/clock.h"
#include "plugin/plugin.h"

namespace {

using namespace trimtab;

struct Row {
  std::string name;
  std::string namespace_name;
  std::vector<std::pair<std::string, std::string>> labels;
  double total_cost = 0, shared_cost = 0, external_cost = 0;
  std::string team;  // set by the rule
};

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
    R"({"labelKey":"app","teams":{"checkout":"payments","web":"storefront","search":"discovery","cart":"storefront","ledger":"payments"},"default":"platform"})";

std::vector<Row> makeRows(std::size_t n) {
  std::vector<Row> rows(n);
  std::uint64_t x = 42;
  for (std::size_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    Row& r = rows[i];
    const std::string& app = kApps[(x >> 33) % kApps.size()];
    r.namespace_name = fmt::format("ns-{}", (x >> 40) % 200);
    r.name = fmt::format("cluster-a/node-{}/{}/{}-{}/{}", (x >> 20) % 4000, r.namespace_name, app,
                         i, app);
    if ((x >> 50) % 10 != 0) r.labels.emplace_back("app", app);  // 10% unlabeled
    r.labels.emplace_back("pod_template_hash", fmt::format("{:x}", x & 0xffffff));
    r.labels.emplace_back("tier", (x >> 13) % 2 ? "backend" : "frontend");
    std::sort(r.labels.begin(), r.labels.end());
    r.total_cost = static_cast<double>((x >> 16) % 100000) / 1000.0;
    r.shared_cost = r.total_cost / 10;
  }
  return rows;
}

void appendNumber(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

void appendRowJson(std::string& out, const Row& r) {
  // Names, namespaces and label values here need no escaping.
  out += R"({"name":")";
  out += r.name;
  out += R"(","properties":{"namespace":")";
  out += r.namespace_name;
  out += R"(","labels":{)";
  for (std::size_t i = 0; i < r.labels.size(); ++i) {
    if (i) out += ',';
    out += '"';
    out += r.labels[i].first;
    out += R"(":")";
    out += r.labels[i].second;
    out += '"';
  }
  out += R"(}},"totalCost":)";
  appendNumber(out, r.total_cost);
  out += R"(,"sharedCost":)";
  appendNumber(out, r.shared_cost);
  out += R"(,"externalCost":)";
  appendNumber(out, r.external_cost);
  out += '}';
}

// The native rule: the same mapping in C++ straight on the structs.
void nativeRule(std::vector<Row>& rows, const std::unordered_map<std::string, std::string>& teams) {
  for (Row& r : rows) {
    r.team = "platform";
    for (const auto& [k, v] : r.labels) {
      if (k == "app") {
        if (auto it = teams.find(v); it != teams.end()) r.team = it->second;
        break;
      }
    }
  }
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

  // Per-call overhead with one row.
  std::vector<Row> one = makeRows(1);
  std::string one_json;
  appendRowJson(one_json, one[0]);
  const std::vector<std::string> one_item = {one_json};
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
  const std::vector<Row> base = makeRows(n_rows);
  Stats to_json, run, from_json, total, native, total_cpu, run_cpu;
  std::size_t mismatches = 0, batches = 0;
  simdjson::dom::parser parser;
  for (int rep = 0; rep < repeat; ++rep) {
    std::vector<Row> rows = base;
    const double cpu_a = cpuMs();
    const std::int64_t a = clock.monotonicNanos();
    std::vector<std::string> items;
    items.reserve(rows.size());
    for (const Row& r : rows) {
      std::string s;
      s.reserve(256);
      appendRowJson(s, r);
      items.push_back(std::move(s));
    }
    const std::int64_t b = clock.monotonicNanos();
    const double cpu_b = cpuMs();
    plugin::HookResult result = p.run(items);
    const std::int64_t c = clock.monotonicNanos();
    run_cpu.add(cpuMs() - cpu_b);
    if (!result.applied) {
      fmt::print(stderr, "plugin_bench: plugin failed: {}\n", result.failure);
      return 1;
    }
    batches = result.batches;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      simdjson::dom::element e;
      std::string_view team;
      if (parser.parse(result.items[i]).get(e) || e["team"].get(team)) return 1;
      rows[i].team = team;
    }
    const std::int64_t d = clock.monotonicNanos();
    total_cpu.add(cpuMs() - cpu_a);
    to_json.add(static_cast<double>(b - a) / 1e6);
    run.add(static_cast<double>(c - b) / 1e6);
    from_json.add(static_cast<double>(d - c) / 1e6);
    total.add(static_cast<double>(d - a) / 1e6);

    std::vector<Row> check = base;
    const std::int64_t e0 = clock.monotonicNanos();
    nativeRule(check, teams);
    native.add(msSince(clock, e0));
    for (std::size_t i = 0; i < rows.size(); ++i) mismatches += rows[i].team != check[i].team;
  }
  // Rows per call: the plugin run alone over the same items, one plugin per batch size.
  std::vector<std::pair<std::size_t, Stats>> sweep;
  std::vector<Stats> sweep_cpu;
  if (const std::string sizes = arg(argc, argv, "--batch-sweep", ""); !sizes.empty()) {
    std::vector<std::string> items;
    items.reserve(base.size());
    for (const Row& r : base) {
      std::string s;
      appendRowJson(s, r);
      items.push_back(std::move(s));
    }
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

  std::size_t bytes = 0;
  {
    std::string s;
    for (const Row& r : base) {
      s.clear();
      appendRowJson(s, r);
      bytes += s.size();
    }
  }

  fmt::print(
      "plugin_bench: {} ({}), {} rows, {:.1f} MiB of row JSON, {} batches of <= {} rows, best/mean "
      "of {}\n",
      path, plugin::engineDescription(), n_rows, static_cast<double>(bytes) / (1 << 20), batches,
      config.limits.batch_items, repeat);
  fmt::print("{:<52} {:>10} {:>10}\n", "metric", "best", "mean");
  auto line = [](const std::string& name, double best, double mean, const char* unit) {
    fmt::print("{:<52} {:>8.2f}{} {:>8.2f}{}\n", name, best, unit, mean, unit);
  };
  line("end to end: rows -> JSON", to_json.best, to_json.mean(), "ms");
  line("end to end: plugin run (write, rule, parse, free)", run.best, run.mean(), "ms");
  line("end to end: result JSON -> rows", from_json.best, from_json.mean(), "ms");
  line("end to end total (target < 300 ms)", total.best, total.mean(), "ms");
  line("  CPU time of the plugin run (all threads)", run_cpu.best, run_cpu.mean(), "ms");
  line("  CPU time end to end (all threads)", total_cpu.best, total_cpu.mean(), "ms");
  line("native C++ rule on the structs", native.best, native.mean(), "ms");
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
