// The V8 host end to end with plugins built from plugins/: examples, hostile plugins and the
// failure policy of each hook, disabling, limits, batching and the sha256 pin.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <simdjson.h>

#include "plugin/plugin.h"
#include "plugin/sha256.h"

namespace trimtab::plugin {
namespace {

namespace fs = std::filesystem;

class PluginHost : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TRIMTAB_PLUGIN_HAS_V8)
      GTEST_SKIP() << "built without libnode (V8); run scripts/bootstrap and reconfigure";
    if (!engineAvailable())
      GTEST_SKIP() << "V8 engine library not loadable: " << engineDescription();
    if (!TRIMTAB_PLUGIN_C_TOOLCHAIN)
      GTEST_SKIP() << "clang-14 with wasm32-wasi (wasi-libc) not found; plugins not built";
  }

  static std::string wasm(const std::string& name) {
    return (fs::path(TRIMTAB_PLUGIN_WASM_DIR) / (name + ".wasm")).string();
  }

  Result<std::unique_ptr<Plugin>> load(const std::string& name, Hook hook,
                                       std::string settings = "{}", Limits limits = {}) {
    PluginConfig config;
    config.path = wasm(name);
    config.hook = hook;
    config.settings_json = std::move(settings);
    config.limits = limits;
    return Plugin::load(config, [this](std::string_view line) { log_.emplace_back(line); });
  }

  std::size_t logLinesContaining(std::string_view needle) const {
    std::size_t n = 0;
    for (const auto& l : log_) n += l.find(needle) != std::string::npos;
    return n;
  }

  std::vector<std::string> log_;
};

const std::vector<std::string> kRows = {
    R"({"name":"c/n/shop/checkout-1/app","properties":{"namespace":"shop","labels":{"app":"checkout"}},"totalCost":1.5})",
    R"({"name":"c/n/shop/web-1/app","properties":{"namespace":"shop","labels":{"app":"web"}},"team":"old"})",
    R"({"name":"c/n/kube-system/dns/app","properties":{"namespace":"kube-system"}})"};
const char* kTeamSettings =
    R"({"labelKey":"app","teams":{"checkout":"payments","web":"storefront"},"default":"platform"})";

std::vector<std::string> numberedRows(std::size_t n) {
  std::vector<std::string> rows;
  for (std::size_t i = 0; i < n; ++i) {
    std::string row = kRows[i % 3];
    row.replace(row.find("app\""), 4, fmt::format("app{}\"", i));
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST_F(PluginHost, LabelTeamMapsLabelsWithADefault) {
  auto p = load("label_team", Hook::kAllocation, kTeamSettings);
  ASSERT_TRUE(p) << p.error().message;
  HookResult r = (*p)->run(kRows);
  ASSERT_TRUE(r.applied) << r.failure;
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_NE(r.items[0].find(R"("team":"payments","teamSource":"label")"), std::string::npos)
      << r.items[0];
  EXPECT_NE(r.items[1].find(R"("team":"storefront")"), std::string::npos);
  EXPECT_EQ(r.items[1].find(R"("team":"old")"), std::string::npos) << "existing team replaced";
  EXPECT_NE(r.items[2].find(R"("team":"platform","teamSource":"default")"), std::string::npos);
  EXPECT_NE(r.items[0].find(R"("totalCost":1.5)"), std::string::npos);
}

TEST_F(PluginHost, BatchingGivesTheSameResult) {
  const std::vector<std::string> rows = numberedRows(1000);
  auto whole = load("label_team", Hook::kAllocation, kTeamSettings);
  Limits small;
  small.batch_items = 7;
  auto batched = load("label_team", Hook::kAllocation, kTeamSettings, small);
  ASSERT_TRUE(whole && batched);
  HookResult a = (*whole)->run(rows), b = (*batched)->run(rows);
  ASSERT_TRUE(a.applied && b.applied) << a.failure << b.failure;
  EXPECT_EQ(a.batches, 1u);
  EXPECT_EQ(b.batches, 143u);
  EXPECT_EQ(a.items, b.items);
}

TEST_F(PluginHost, LabelTeamWithoutEchoAnswersOnlyWhatItSets) {
  auto p = load("label_team", Hook::kAllocation,
                R"({"labelKey":"app","teams":{"checkout":"payments"},"echo":false})");
  ASSERT_TRUE(p) << p.error().message;
  HookResult r = (*p)->run(kRows);
  ASSERT_TRUE(r.applied) << r.failure;
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0],
            R"({"name":"c/n/shop/checkout-1/app","team":"payments","teamSource":"label"})");
  EXPECT_EQ(r.items[1], R"({"name":"c/n/shop/web-1/app","team":"unowned","teamSource":"default"})");
}

// run(count, write, visit) deals batches out to several instances on several threads: the
// results are the text run's, and every index is visited exactly once.
TEST_F(PluginHost, ParallelInstancesGiveTheSameResults) {
  const std::vector<std::string> rows = numberedRows(1000);
  Limits limits;
  limits.batch_items = 7;
  limits.instances = 3;
  auto text = load("label_team", Hook::kAllocation, kTeamSettings, limits);
  auto parallel = load("label_team", Hook::kAllocation, kTeamSettings, limits);
  ASSERT_TRUE(text && parallel);
  const HookResult a = (*text)->run(rows);
  ASSERT_TRUE(a.applied) << a.failure;
  std::vector<std::string> got(rows.size());
  std::vector<int> visits(rows.size(), 0);
  const HookResult b = (*parallel)->run(
      rows.size(), [&](std::size_t i, std::string& out) { out += rows[i]; },
      [&](std::size_t i, const simdjson::dom::element* item) {
        ++visits[i];
        got[i] = item ? simdjson::minify(*item) : "fallback";
      });
  ASSERT_TRUE(b.applied) << b.failure;
  EXPECT_EQ(b.batches, 143u);
  EXPECT_TRUE(b.items.empty());
  simdjson::dom::parser parser;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(visits[i], 1) << i;
    simdjson::dom::element e;
    ASSERT_FALSE(parser.parse(std::string(a.items[i])).get(e));
    EXPECT_EQ(got[i], simdjson::minify(e)) << i;
  }
  // Up to one instance per worker: a worker whose thread starts after the others took every
  // batch never instantiates (the bench shows the two-core speed-up).
  EXPECT_GE((*parallel)->stats().instantiations, 1u);
  EXPECT_LE((*parallel)->stats().instantiations, 3u);
  EXPECT_EQ((*parallel)->stats().calls, 143u);
}

// A batch that fails on one instance gets the failure policy (a null visit) for its items
// only; the other batches, on any instance, are applied.
TEST_F(PluginHost, ParallelFailurePolicyCoversOnlyTheFailedBatch) {
  Limits limits;
  limits.batch_items = 1;
  limits.instances = 2;
  auto p = load("call_counter", Hook::kAllocation, "{}", limits);
  ASSERT_TRUE(p) << p.error().message;
  std::vector<std::string> rows = {kRows[0], kRows[1], R"({"name":"t","trap":true})", kRows[2],
                                   kRows[0], kRows[1]};
  std::vector<int> nulls(rows.size(), 0), visits(rows.size(), 0);
  const HookResult r = (*p)->run(
      rows.size(), [&](std::size_t i, std::string& out) { out += rows[i]; },
      [&](std::size_t i, const simdjson::dom::element* item) {
        ++visits[i];
        nulls[i] += item == nullptr;
      });
  EXPECT_FALSE(r.applied);
  EXPECT_NE(r.failure.find("unreachable"), std::string::npos) << r.failure;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(visits[i], 1) << i;
    EXPECT_EQ(nulls[i], i == 2 ? 1 : 0) << i;
  }
  EXPECT_EQ((*p)->stats().failures, 1u);
  EXPECT_EQ(logLinesContaining("items 2..2 failed: "), 1u);
}

TEST_F(PluginHost, InputCapSplitsBatches) {
  Limits limits;
  limits.max_input_bytes = 1024;
  auto p = load("label_team", Hook::kAllocation, kTeamSettings, limits);
  ASSERT_TRUE(p);
  std::vector<std::string> rows(50, kRows[0]);
  HookResult r = (*p)->run(rows);
  ASSERT_TRUE(r.applied) << r.failure;
  EXPECT_GT(r.batches, 5u);
  EXPECT_EQ(r.items.size(), 50u);
}

TEST_F(PluginHost, SpotVetoAndAlertThreshold) {
  const std::vector<std::string> recs = {
      R"({"name":"payments/api/app","namespace":"payments","type":"spot"})",
      R"({"name":"shop/api/app","namespace":"shop","type":"spot"})",
      R"({"name":"payments/api/app2","namespace":"payments","type":"rightsize"})"};
  auto veto = load("spot_veto", Hook::kRecommendation, R"({"namespaces":["payments"]})");
  ASSERT_TRUE(veto) << veto.error().message;
  HookResult r = (*veto)->run(recs);
  ASSERT_TRUE(r.applied) << r.failure;
  EXPECT_NE(r.items[0].find(R"("vetoed":true,"vetoReason":"spot vetoed for namespace payments)"),
            std::string::npos);
  EXPECT_EQ(r.items[1], recs[1]);
  EXPECT_EQ(r.items[2], recs[2]);
  EXPECT_EQ(logLinesContaining("plugin spot_veto: info: spot recommendations vetoed"), 1u);

  auto alerts = load("alert_threshold", Hook::kAlert, R"({"minMonthlyDelta":50})");
  ASSERT_TRUE(alerts);
  HookResult a = (*alerts)->run(
      std::vector<std::string>{R"({"monthlyDelta":3.5})", R"({"monthlyDelta":-120})"});
  ASSERT_TRUE(a.applied) << a.failure;
  EXPECT_NE(a.items[0].find(R"("accepted":false)"), std::string::npos);
  EXPECT_EQ(a.items[1], R"({"accepted":true})");
}

TEST_F(PluginHost, JvmFloorInRust) {
  if (!TRIMTAB_PLUGIN_RUST_TOOLCHAIN)
    GTEST_SKIP() << "rustc with the wasm32 std not found; jvm_floor not built";
  auto p = load("jvm_floor", Hook::kRecommendation, R"({"memoryFloorBytes":268435456})");
  ASSERT_TRUE(p) << p.error().message;
  // Shaped like `trimtab recommend --format json` recommendations.
  const std::vector<std::string> recs = {
      R"({"namespace":"shop","controller":"orders","container":"app","image":"eclipse-temurin:17-jre",)"
      R"("memoryRequestBytes":94371840,"memoryLimitBytes":94371840,"reason":"p90"})",
      R"({"namespace":"shop","controller":"web","container":"nginx","memoryRequestBytes":1048576})",
      R"({"namespace":"pay","controller":"api","container":"api","labels":{"runtime":"jvm"},)"
      R"("memoryRequestBytes":536870912,"memoryLimitBytes":100})"};
  HookResult r = (*p)->run(recs);
  ASSERT_TRUE(r.applied) << r.failure;
  EXPECT_NE(r.items[0].find(R"("memoryRequestBytes":268435456,"memoryLimitBytes":268435456)"),
            std::string::npos)
      << r.items[0];
  EXPECT_NE(
      r.items[0].find(
          R"("annotations":["jvm memory floor 268435456: raised memoryRequestBytes 94371840, )"
          R"(memoryLimitBytes 94371840"])"),
      std::string::npos)
      << r.items[0];
  EXPECT_EQ(r.items[1], recs[1]);
  EXPECT_NE(r.items[2].find(R"("memoryRequestBytes":536870912,"memoryLimitBytes":268435456)"),
            std::string::npos)
      << r.items[2];
}

// Each hostile plugin: the host survives, the hook's failure policy applies, one log line.
struct HostileCase {
  const char* plugin;
  const char* reason;
};

TEST_F(PluginHost, HostilePluginsFailSafelyOnEveryHook) {
  const HostileCase cases[] = {
      {"infinite_loop", "timed out after 200 ms"},
      {"out_of_bounds", "memory access out of bounds"},
      {"oversized_output", "exceeds the cap of 16777216 bytes"},
      {"invalid_json", "response is not JSON"},
      {"alloc_trap", "trimtab_alloc("},
  };
  Limits limits;
  limits.call_timeout_ms = 200;
  for (const auto& c : cases) {
    for (Hook hook : kAllHooks) {
      log_.clear();
      auto p = load(c.plugin, hook, "{}", limits);
      ASSERT_TRUE(p) << c.plugin << ": " << p.error().message;
      HookResult r = (*p)->run(kRows);
      EXPECT_FALSE(r.applied) << c.plugin;
      EXPECT_NE(r.failure.find(c.reason), std::string::npos) << c.plugin << ": " << r.failure;
      ASSERT_EQ(r.items.size(), kRows.size());
      ASSERT_EQ(log_.size(), 1u) << c.plugin;
      EXPECT_NE(log_[0].find(
                    fmt::format("plugin {} ({}): items 0..2 failed: ", c.plugin, hookName(hook))),
                std::string::npos)
          << log_[0];
      switch (hook) {
        case Hook::kAllocation:
          EXPECT_EQ(r.items[0], R"({"pluginStatus":"error",)" + kRows[0].substr(1));
          break;
        case Hook::kRecommendation:
          EXPECT_EQ(r.items.toStrings(), kRows);
          break;
        case Hook::kAlert:
          EXPECT_NE(r.items[0].find(R"({"accepted":true,)"), std::string::npos);
          break;
      }
    }
  }
}

TEST_F(PluginHost, MemoryBombHitsItsDeclaredMaximum) {
  auto p = load("memory_bomb", Hook::kAllocation, "{}");
  ASSERT_TRUE(p);
  HookResult r = (*p)->run(kRows);
  EXPECT_FALSE(r.applied);
  // malloc fails at the 64 MiB maximum and the plugin traps (or, on a slow sanitizer build,
  // the watchdog stops it first).
  EXPECT_TRUE(r.failure.find("unreachable") != std::string::npos ||
              r.failure.find("timed out") != std::string::npos)
      << r.failure;
  // The host still works afterwards.
  auto good = load("label_team", Hook::kAllocation, kTeamSettings);
  ASSERT_TRUE(good);
  EXPECT_TRUE((*good)->run(kRows).applied);
}

TEST_F(PluginHost, StructuralHostilesAreRejectedAtLoad) {
  auto wrong = load("wrong_abi", Hook::kAllocation);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("declares trimtab_abi_v2, this host speaks trimtab_abi_v1"),
            std::string::npos);
  auto missing = load("missing_exports", Hook::kAllocation);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing export trimtab_alloc"), std::string::npos);
  auto bomb = load("memory_bomb_4g", Hook::kAllocation);
  ASSERT_FALSE(bomb);
  EXPECT_NE(bomb.error().message.find("memory maximum 65536 pages (4096 MiB) exceeds the cap"),
            std::string::npos);
  auto no_hook = load("label_team", Hook::kAlert);
  ASSERT_FALSE(no_hook);
  EXPECT_NE(no_hook.error().message.find("no export trimtab_alert_filter for hook alert"),
            std::string::npos);
  auto bad_settings = load("label_team", Hook::kAllocation, "[1,2]");
  ASSERT_FALSE(bad_settings);
  EXPECT_NE(bad_settings.error().message.find("settings: expected a JSON object"),
            std::string::npos);
}

TEST_F(PluginHost, RepeatedFailuresDisableThePlugin) {
  Limits limits;
  limits.batch_items = 1;
  limits.max_consecutive_failures = 3;
  auto p = load("out_of_bounds", Hook::kAlert, "{}", limits);
  ASSERT_TRUE(p);
  std::vector<std::string> alerts(10, R"({"name":"a"})");
  HookResult r = (*p)->run(alerts);
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(r.items.size(), 10u);
  const PluginStats s = (*p)->stats();
  EXPECT_TRUE(s.disabled);
  EXPECT_EQ(s.calls, 10u);
  EXPECT_EQ(s.failures, 10u);
  EXPECT_EQ(s.fallback_items, 10u);
  EXPECT_EQ(logLinesContaining("failed: "), 3u) << "no log line per batch once disabled";
  EXPECT_EQ(
      logLinesContaining("plugin out_of_bounds (alert): disabled after 3 consecutive failures"),
      1u);
  std::string metrics;
  (*p)->appendMetrics(metrics);
  EXPECT_NE(metrics.find(R"(trimtab_plugin_disabled{plugin="out_of_bounds",hook="alert"} 1)"),
            std::string::npos);
  EXPECT_NE(
      metrics.find(R"(trimtab_plugin_failures_total{plugin="out_of_bounds",hook="alert"} 10)"),
      std::string::npos);
}

TEST_F(PluginHost, SuccessResetsTheFailureCount) {
  auto p = load("label_team", Hook::kAllocation, kTeamSettings);
  ASSERT_TRUE(p);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE((*p)->run(kRows).applied);
  EXPECT_EQ((*p)->stats().consecutive_failures, 0);
  EXPECT_FALSE((*p)->stats().disabled);
}

// One instance serves call after call: call_counter keeps a counter in a global.
TEST_F(PluginHost, OneInstanceServesManyCalls) {
  Limits one_per_batch;
  one_per_batch.batch_items = 1;
  auto p = load("call_counter", Hook::kAllocation, "{}", one_per_batch);
  ASSERT_TRUE(p) << p.error().message;
  ASSERT_TRUE((*p)->warmUp());
  EXPECT_EQ((*p)->stats().instantiations, 1u) << "warmUp leaves its instance live";
  HookResult r = (*p)->run(kRows);
  ASSERT_TRUE(r.applied) << r.failure;
  EXPECT_EQ(r.batches, 3u);
  ASSERT_EQ(r.items.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.items[i], fmt::format(R"({{"call":{},)", i + 1) + kRows[i].substr(1));
  }
  HookResult again = (*p)->run(std::vector<std::string>{kRows[0]});
  ASSERT_TRUE(again.applied) << again.failure;
  EXPECT_EQ(again.items[0].substr(0, 10), R"({"call":4,)") << "state survives between runs";
  EXPECT_EQ((*p)->stats().instantiations, 1u);
  std::string metrics;
  (*p)->appendMetrics(metrics);
  EXPECT_NE(
      metrics.find(R"(trimtab_plugin_instantiations_total{plugin="call_counter",hook="allocation"} 1)"),
      std::string::npos)
      << metrics;
}

TEST_F(PluginHost, AfterATrapTheNextCallRunsOnAFreshInstance) {
  Limits one_per_batch;
  one_per_batch.batch_items = 1;
  auto p = load("call_counter", Hook::kAllocation, "{}", one_per_batch);
  ASSERT_TRUE(p) << p.error().message;
  const std::string trap = R"({"name":"t","trap":true})";
  HookResult r = (*p)->run(std::vector<std::string>{kRows[0], kRows[1], trap, kRows[2], kRows[0]});
  EXPECT_FALSE(r.applied);
  EXPECT_NE(r.failure.find("unreachable"), std::string::npos) << r.failure;
  ASSERT_EQ(r.items.size(), 5u);
  EXPECT_EQ(r.items[0].substr(0, 10), R"({"call":1,)");
  EXPECT_EQ(r.items[1].substr(0, 10), R"({"call":2,)");
  EXPECT_EQ(r.items[2], R"({"pluginStatus":"error",)" + trap.substr(1)) << "failure policy";
  EXPECT_EQ(r.items[3].substr(0, 10), R"({"call":1,)") << "fresh instance after the trap";
  EXPECT_EQ(r.items[4].substr(0, 10), R"({"call":2,)");
  EXPECT_EQ((*p)->stats().instantiations, 2u);
  EXPECT_EQ(logLinesContaining("items 2..2 failed: "), 1u);
  EXPECT_EQ((*p)->stats().consecutive_failures, 0);
}

TEST_F(PluginHost, ATimeoutAlsoReplacesTheInstance) {
  Limits limits;
  limits.call_timeout_ms = 200;
  auto spin = load("infinite_loop", Hook::kAllocation, "{}", limits);
  ASSERT_TRUE(spin);
  EXPECT_FALSE((*spin)->run(kRows).applied);
  EXPECT_FALSE((*spin)->run(kRows).applied);
  EXPECT_EQ((*spin)->stats().instantiations, 2u) << "one instance per failed call";
}

// V8's trap handler (on by default) claims only faults in wasm code: a crash in host code after a
// plugin trapped out of bounds still reaches the previous SIGSEGV handler (ASan's in sanitizer
// builds) instead of being swallowed or looping.
TEST_F(PluginHost, HostCrashesStillReachTheUsualHandler) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto p = load("out_of_bounds", Hook::kAllocation);
        if (p && !(*p)->run(kRows).applied) {
          // Not null (UBSan would stop a null store first): a real fault at an unmapped page.
          volatile int* volatile nowhere = reinterpret_cast<volatile int*>(std::uintptr_t{16});
          *nowhere = 1;
        }
      },
      "");
}

// A response the host rejects (here: not JSON) fails the call even though the guest returned
// normally: that instance is not reused either.
TEST_F(PluginHost, ARejectedResponseAlsoReplacesTheInstance) {
  auto p = load("invalid_json", Hook::kAllocation);
  ASSERT_TRUE(p);
  EXPECT_FALSE((*p)->run(kRows).applied);
  EXPECT_FALSE((*p)->run(kRows).applied);
  EXPECT_EQ((*p)->stats().instantiations, 2u);
}

// A guest that leaks keeps its memory across calls until malloc fails at the declared maximum
// (64 MiB, within the cap): that call fails by the policy and the instance is replaced.
TEST_F(PluginHost, LeakingPluginFailsAtTheCapAndIsReplaced) {
  auto p = load("call_counter", Hook::kAllocation, R"({"leakBytes":8388608})");
  ASSERT_TRUE(p) << p.error().message;
  const std::vector<std::string> row = {kRows[0]};
  int successes_before_failure = 0;
  HookResult r;
  for (int i = 0; i < 20; ++i) {
    r = (*p)->run(row);
    if (!r.applied) break;
    EXPECT_TRUE(r.items[0].starts_with(fmt::format(R"({{"call":{},)", i + 1))) << r.items[0];
    ++successes_before_failure;
  }
  ASSERT_FALSE(r.applied) << "the leak never hit the cap";
  EXPECT_GE(successes_before_failure, 5);
  EXPECT_LE(successes_before_failure, 8);
  EXPECT_NE(r.failure.find("out of memory (leaking on purpose)"), std::string::npos) << r.failure;
  EXPECT_EQ(r.items[0], R"({"pluginStatus":"error",)" + kRows[0].substr(1));
  HookResult next = (*p)->run(row);
  ASSERT_TRUE(next.applied) << next.failure;
  EXPECT_EQ(next.items[0].substr(0, 10), R"({"call":1,)") << "fresh instance, fresh memory";
  EXPECT_EQ((*p)->stats().instantiations, 2u);
}

// The host frees every request and response in the guest (trimtab_free): many times the
// plugin's 4 MiB maximum passes through one instance.
TEST_F(PluginHost, ReusedInstanceGetsItsBuffersBack) {
  std::vector<std::string> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back(kRows[static_cast<std::size_t>(i) % 3]);
  std::size_t bytes = 0;
  for (const auto& row : rows) bytes += row.size();
  auto p = load("call_counter_4m", Hook::kAllocation);
  ASSERT_TRUE(p) << p.error().message;
  const int calls = static_cast<int>((12u << 20) / bytes) + 1;  // 12 MiB each way
  for (int i = 0; i < calls; ++i) {
    HookResult r = (*p)->run(rows);
    ASSERT_TRUE(r.applied) << "call " << i << ": " << r.failure;
    ASSERT_TRUE(r.items[999].starts_with(fmt::format(R"({{"call":{},)", i + 1)));
  }
  EXPECT_EQ((*p)->stats().instantiations, 1u);
}

// The host side of the boundary: any packed (ptr, len) a plugin returns is checked, never
// trusted.
TEST_F(PluginHost, ArbitraryReturnedSpansNeverCrash) {
  const std::uint64_t spans[] = {0,
                                 1,
                                 0xffffffffffffffffull,
                                 0x00000000ffffffffull,
                                 0xffffffff00000000ull,
                                 (std::uint64_t{0xfffffff0} << 32) | 64,
                                 (std::uint64_t{1024} << 32) | 2,
                                 (std::uint64_t{65536 * 2 - 1} << 32) | 1};
  for (std::uint64_t span : spans) {
    auto p = load("random_span", Hook::kAllocation, fmt::format(R"({{"span":"{:016x}"}})", span));
    ASSERT_TRUE(p);
    HookResult r = (*p)->run(kRows);
    EXPECT_FALSE(r.applied) << fmt::format("{:016x}", span);
    EXPECT_EQ(r.items.size(), kRows.size());
  }
}

TEST_F(PluginHost, Sha256PinRejectsAModifiedFile) {
  auto bytes = readFileBytes(wasm("label_team"), 10u << 20);
  ASSERT_TRUE(bytes);
  const std::string pin = sha256Hex(*bytes);
  PluginConfig config;
  config.path = wasm("label_team");
  config.sha256 = pin;
  ASSERT_TRUE(Plugin::load(config, [](std::string_view) {}));

  const fs::path copy =
      fs::temp_directory_path() / fmt::format("trimtab-plugin-pin-{}.wasm", ::getpid());
  std::vector<std::uint8_t> modified = *bytes;
  modified.push_back(
      0);  // a trailing byte: still parses as far as a loader cares, but not the pinned file
  modified[modified.size() / 2] ^= 1;
  {
    std::ofstream out(copy, std::ios::binary);
    out.write(reinterpret_cast<const char*>(modified.data()),
              static_cast<std::streamsize>(modified.size()));
  }
  config.path = copy.string();
  auto r = Plugin::load(config, [](std::string_view) {});
  fs::remove(copy);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("does not match the pinned " + pin), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace trimtab::plugin
